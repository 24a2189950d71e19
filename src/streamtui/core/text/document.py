"""The article as plain data: blocks of text with style spans, and the links they number.

The UI lays a :class:`Document` out (wraps text blocks, keeps ``pre`` and tables unwrapped)
and maps the style names of :data:`STYLES` to its own styles; nothing here knows about a
terminal toolkit. render.py builds documents from HTML; :func:`text_document` from plain text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal, NamedTuple

from streamtui.core.text.sanitize import sanitize

BlockKind = Literal["text", "heading", "pre", "table", "rule"]
STYLES = ("bold", "italic", "code", "strike", "underline", "link", "link-number", "image", "muted")
"""Every style name a span can carry."""
MAX_HTML = 1024 * 1024
"""Characters of HTML rendered at most; the document says how many more there were."""


class StyleSpan(NamedTuple):
    start: int
    end: int
    style: str
    link: int = 0
    """The number of the link whose text, number or image this is (0: none)."""


@dataclass(frozen=True, slots=True)
class Block:
    """One block of the article. ``text`` may hold newlines (``<br>``, lines of ``pre``)."""

    kind: BlockKind
    text: str = ""
    spans: tuple[StyleSpan, ...] = ()
    indent: int = 0
    """Columns before the text (or before the marker): list nesting."""
    marker: str = ""
    """A list item's marker on the block's first line; wrapped lines hang under the text."""
    quote: int = 0
    """Blockquote depth."""
    level: int = 0
    """Heading level, 1 to 6."""
    tight: bool = False
    """Follows the previous block on the next line (list items), not after a blank line."""


@dataclass(frozen=True, slots=True)
class Link:
    number: int
    url: str
    label: str = ""
    image: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    blocks: tuple[Block, ...]
    links: tuple[Link, ...] = ()
    cut: int = 0
    """Characters of the source left out (over :data:`MAX_HTML`); 0 when all is shown."""
    total: int = 0
    """Characters of the source."""


def text_document(text: str, *, limit: int = MAX_HTML) -> Document:
    """Plain text (a stream page's body) as a document: one block a paragraph, lines kept."""
    total = len(text)
    text = sanitize(text[:limit], multiline=True).expandtabs(8)
    paragraphs = (part.strip("\n") for part in text.split("\n\n"))
    blocks = tuple(Block("text", part) for part in paragraphs if part.strip())
    return Document(blocks, cut=max(0, total - limit), total=total)


def cells(text: str) -> int:
    """Terminal cells of ``text``: wide East Asian characters take two, combining ones none."""
    if text.isascii():
        return len(text)
    return sum(_char_cells(char) for char in text)


def _char_cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def clip_spans(spans: list[StyleSpan], shift: int, length: int) -> list[StyleSpan]:
    """Spans moved left by ``shift`` and cut to ``length``; empty ones go."""
    clipped = []
    for start, end, style, link in spans:
        start, end = max(0, start - shift), min(length, end - shift)
        if end > start:
            clipped.append(StyleSpan(start, end, style, link))
    return clipped
