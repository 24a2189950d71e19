"""Text from strangers made safe and readable, and what the UI may import of it.

- sanitize.py: the one ``sanitize()`` every feed or file text passes (and ``excerpt``)
- redact.py: passwords cut out of URLs and any text that may quote one
- htmltext.py: HTML to plain text, the reference path (html.parser; the article renderer's)
- htmlfast.py: the same text from Lexbor's tree (selectolax): summaries, the search index
- document.py, render.py, tables.py, elements.py: feed HTML as a document for the article
- links.py: resolving links, and which may be opened
- attachments.py: an attachment's type, size and playing time in a few words
- decode.py: bytes to text (a byte-order mark, UTF-8, cp1252)
- query.py: what the user types to search, and the words to mark
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from streamtui.core.text.links import base_for, refusal, resolve
from streamtui.core.text.query import terms
from streamtui.core.text.redact import mask_passwords, redact_text, redact_url
from streamtui.core.text.sanitize import excerpt, sanitize

if TYPE_CHECKING:  # the article's document and renderer load when first asked for (below)
    from streamtui.core.text.attachments import describe
    from streamtui.core.text.document import Block, Document, Link, StyleSpan, text_document
    from streamtui.core.text.render import render_html

_LATER = {
    "describe": "attachments",
    "Block": "document",
    "Document": "document",
    "Link": "document",
    "StyleSpan": "document",
    "text_document": "document",
    "render_html": "render",
}
"""Names whose module is imported at their first use: the article's document and HTML
renderer (html.parser, tables, unicodedata: about 30 ms) are not needed by the command line's
refresh, nor by anything before the app's first article; every error message imports this
package (errors.py: redact), so the package itself must stay light."""

__all__ = [
    "Block",
    "Document",
    "Link",
    "StyleSpan",
    "base_for",
    "describe",
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


def __getattr__(name: str) -> object:
    """The names of ``_LATER``, imported from their module at first use (PEP 562)."""
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
