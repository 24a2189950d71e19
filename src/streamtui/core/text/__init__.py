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

from streamtui.core.text.attachments import describe
from streamtui.core.text.document import Block, Document, Link, StyleSpan, text_document
from streamtui.core.text.links import base_for, refusal, resolve
from streamtui.core.text.query import terms
from streamtui.core.text.redact import mask_passwords, redact_text, redact_url
from streamtui.core.text.render import render_html
from streamtui.core.text.sanitize import excerpt, sanitize

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
