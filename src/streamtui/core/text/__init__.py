"""Text from strangers made safe and readable, and what the UI may import of it.

- sanitize.py: the one ``sanitize()`` every feed or file text passes (and ``excerpt``)
- redact.py: passwords cut out of URLs and any text that may quote one
- htmltext.py: HTML to plain text (summaries, the search index)
- document.py, render.py, tables.py, elements.py: feed HTML as a document for the article
- links.py: resolving links, and which may be opened
- decode.py: bytes to text (a byte-order mark, UTF-8, cp1252)
- query.py: what the user types to search, and the words to mark
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamtui.core.text.document import Block, Document, Link, StyleSpan, text_document
    from streamtui.core.text.links import base_for, refusal, resolve
    from streamtui.core.text.query import terms
    from streamtui.core.text.redact import mask_passwords, redact_text, redact_url
    from streamtui.core.text.render import render_html

# At once: the module's name is the function's, and the function must win.
from streamtui.core.text.sanitize import excerpt, sanitize

_HOMES = {
    "Block": "document",
    "Document": "document",
    "Link": "document",
    "StyleSpan": "document",
    "text_document": "document",
    "base_for": "links",
    "refusal": "links",
    "resolve": "links",
    "terms": "query",
    "mask_passwords": "redact",
    "redact_text": "redact",
    "redact_url": "redact",
    "render_html": "render",
}
"""Where each name lives: imported when first asked for, so that a module importing one
part (sanitize, redact) does not load the article renderer (a third of what a command-line
refresh imported before its first request)."""


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Block",
    "Document",
    "Link",
    "StyleSpan",
    "base_for",
    "excerpt",
    "mask_passwords",
    "redact_text",
    "redact_url",
    "refusal",
    "render_html",
    "resolve",
    "sanitize",
    "terms",
    "text_document",
]
