"""HTML to plain text: the interim renderer for feed bodies and the source of plain summaries.

Blocks (paragraphs, headings, list items, table rows...) become paragraphs separated by blank
lines, list items and table rows sit on consecutive lines, ``<br>`` is a line break, ``<pre>``
keeps its lines, and what a reader never sees (scripts, styles, frames) is dropped. Built on the
stdlib ``html.parser``, so entities are decoded the way browsers do. The result has passed
:func:`~streamtui.core.text.sanitize.sanitize`: HTML may carry escapes as character references.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser

from streamtui.core.text.sanitize import sanitize

_BLOCK_NAMES = """
    address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend main menu nav ol
    p pre section summary table tbody tfoot thead ul
"""
BLOCKS = frozenset(_BLOCK_NAMES.split())
TIGHT = frozenset({"li", "tr"})
"""Blocks that follow a sibling of theirs on the next line rather than after a blank line."""
DROPPED = frozenset({"script", "style", "iframe", "noscript", "template", "head", "object"})
BREAK = "\x00"
"""Marks a ``<br>`` among the text pieces (NUL is removed from the data itself)."""


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[bool, str]] = []
        """(tight, text) of every finished block."""
        self._pieces: list[str] = []
        self._prefix = ""
        self._tight = False
        self._skipping = ""  # the dropped element being skipped ("" when none)
        self._depth = 0  # how many of it are open: a count, however deep they nest
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth and tag == "body":  # </head> is optional
            self._depth = 0
        if self._depth:
            self._depth += tag == self._skipping
        elif tag in DROPPED:
            self._skipping, self._depth = tag, 1
        elif tag == "br":
            self._pieces.append(BREAK)
        elif tag in TIGHT:
            self._flush()
            self._prefix, self._tight = ("- " if tag == "li" else ""), True
        elif tag in BLOCKS:
            self._flush()
            self._pre += tag == "pre"
        elif tag in ("td", "th"):
            self._pieces.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in DROPPED:  # an empty <iframe/> has nothing to skip
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= tag == self._skipping
        elif tag in BLOCKS or tag in TIGHT:
            self._flush()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            if tag in TIGHT or tag in ("ul", "ol"):
                self._prefix, self._tight = "", False

    def handle_data(self, data: str) -> None:
        if not self._depth:
            self._pieces.append(data.replace("\x00", ""))

    def _flush(self) -> None:
        """End the current block; a list item's marker waits for the item's first text."""
        if not self._pieces:  # most block edges follow another one
            return
        raw = "".join(self._pieces)
        self._pieces = []
        text = _keep_lines(raw) if self._pre else _collapse(raw)
        if not text.strip():
            return
        self.blocks.append((self._tight, self._prefix + text))
        self._prefix, self._tight = "", False

    def text(self) -> str:
        self.close()
        self._flush()
        out: list[str] = []
        for index, (tight, text) in enumerate(self.blocks):
            if index:
                out.append("\n" if tight and self.blocks[index - 1][0] else "\n\n")
            out.append(text)
        return "".join(out)


def _collapse(text: str) -> str:
    """Fold whitespace within each line of a paragraph; ``<br>`` lines stay lines."""
    if BREAK not in text:  # one line: the same result in one pass
        return " ".join(text.split())
    return "\n".join(" ".join(line.split()) for line in text.split(BREAK)).strip("\n ")


def _keep_lines(text: str) -> str:
    """Preformatted text: every line as it was, without trailing blanks or blank edges."""
    lines = text.replace(BREAK, "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


# The stdlib parser rescans to the end of the input for every construct that never closes
# ("<a<a<a...": 1 s for 48 KB, growing with the square; the same for "<![CDATA[" without
# "]]>"), and raises AssertionError on "<![x>". So, before parsing, in linear passes:
# comments go (as browsers end them: at the first "-->" or the end), CDATA sections become
# their text, and a "<" that meets another "<" before any ">", or opens "<![", is no tag but
# text. The cost: a "<" inside an attribute value ('alt="1 < 2"') shows that tag as text.
_SECTIONS = re.compile(r"<!--.*?(?:-->|\Z)|<!\[CDATA\[(.*?)(?:\]\]>|\Z)", re.DOTALL)
_NO_TAG = re.compile(r"<(?=[^<>]*(?:<|\Z)|!\[)")
_TAGS = re.compile(r"<[^>]*>")


def _prepare(html: str) -> str:
    without_sections = _SECTIONS.sub(_section_text, html)
    return _NO_TAG.sub("&lt;", without_sections)


def _section_text(match: re.Match[str]) -> str:
    cdata = match.group(1)
    return "" if cdata is None else escape(cdata, quote=False)


def html_to_text(html: str) -> str:
    """Plain, sanitised text of an HTML fragment or page. Never raises on bad markup."""
    if not html:
        return ""
    prepared = _prepare(html)
    builder = _TextBuilder()
    try:
        builder.feed(prepared)
        text = builder.text()
    except Exception:  # the stdlib parser's asserts; fall back to dropping the tags
        text = _collapse(unescape(_TAGS.sub(" ", prepared)))
    return sanitize(text, multiline=True)
