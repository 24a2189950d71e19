"""Feed HTML as a plain-data document for the article pane: blocks, style spans and links.

The UI lays the document out (wraps text blocks, keeps ``pre`` and tables unwrapped) and maps
the style names of :data:`STYLES` to its own styles; nothing here knows about a terminal
toolkit. Built on the stdlib ``html.parser`` behind :mod:`~streamtui.core.htmltext`'s linear
pre-pass, so entities decode as browsers decode them and hostile markup costs linear time.
Every string in a :class:`Document` has passed :func:`~streamtui.core.sanitize.sanitize`:
feed HTML can carry escape sequences as character references (``&#27;``).

Links are numbered in order of first appearance; the text shows ``label [3]`` and the
document lists ``Link(3, url, label)``. Images show as ``[image: alt] [4]``. Relative URLs
resolve against ``base`` (see :func:`~streamtui.core.links.base_for`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal, NamedTuple

from streamtui.core.htmltext import BLOCKS, DROPPED, _prepare, html_to_text
from streamtui.core.links import resolve
from streamtui.core.sanitize import sanitize

BlockKind = Literal["text", "heading", "pre", "table", "rule"]
STYLES = ("bold", "italic", "code", "strike", "underline", "link", "link-number", "image", "muted")
"""Every style name a span can carry."""
INLINE = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "cite": "italic",
    "var": "italic", "dfn": "italic", "figcaption": "italic", "code": "code", "kbd": "code",
    "samp": "code", "tt": "code", "s": "strike", "strike": "strike", "del": "strike",
    "u": "underline", "ins": "underline",
}  # fmt: skip
SKIPPED = DROPPED | {"svg", "math"}
HEADINGS = {f"h{level}": level for level in range(1, 7)}
BULLETS = ("• ", "◦ ", "▪ ")
MAX_INDENT = 40
"""Columns of list indentation at most, however deep the nesting."""
MAX_QUOTE = 8
TABLE_CELL_MAX = 60
"""A table with a wider cell (or one column) is laid out as paragraphs: it is page layout."""
TABLE_COLUMNS_MAX = 12
TABLE_CHARS_MAX = 2_000_000
LABEL_MAX = 200
MAX_HTML = 1024 * 1024
"""Characters of HTML rendered at most; the document says how many more there were."""
CHUNK = 64 * 1024

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_INVISIBLE = re.compile("[\u00ad\u200b]")  # soft hyphens and zero-width spaces


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


# -- the public entry points ----------------------------------------------------------------


def render_html(
    html: str, base: str = "", *, limit: int = MAX_HTML, stop: Callable[[], bool] | None = None
) -> Document:
    """The document of an HTML fragment or page. Never raises on bad markup.

    ``stop`` is asked between chunks of the input: when it says so, what is built so far
    comes back (a worker whose result is no longer wanted ends early)."""
    total = len(html)
    if total > limit:
        end = html.rfind(">", 0, limit) + 1 or limit
        html = html[:end]
    builder = _Builder(base)
    try:
        prepared = _prepare(html)
        for start in range(0, len(prepared), CHUNK):
            if stop is not None and stop():
                break
            builder.feed(prepared[start : start + CHUNK])
        builder.finish()
        blocks, links = tuple(builder.blocks), builder.link_list()
    except Exception:  # the stdlib parser's asserts: fall back to the plain text
        blocks, links = text_document(html_to_text(html)).blocks, ()
    return Document(blocks, links, cut=total - len(html), total=total)


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


# -- the builder ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Frame:
    """An open list, list item, definition or quotation: what its blocks are indented by."""

    tag: str
    indent: int
    ordered: bool = False
    number: int = 1
    style: str = "1"


@dataclass(slots=True)
class _OpenLink:
    number: int
    start: int
    shown: bool = False
    """Its number already stands in the text (after an earlier block of its text)."""
    label: str = ""


@dataclass(slots=True)
class _Cell:
    header: bool
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    in_caption: bool = False
    in_head: bool = False
    nested: int = 0

    def add(self, text: str) -> None:
        if self.in_caption:
            self.caption.append(text)
            return
        if not self.rows:
            self.rows.append([])
        if not self.rows[-1]:
            self.rows[-1].append(_Cell(self.in_head))
        self.rows[-1][-1].lines.extend(line.strip() for line in text.split("\n"))


class _Hidden:
    """Tracks the elements a reader never sees (scripts, styles, frames...): their content
    is skipped up to their end tag, nested ones of the same name counted."""

    def __init__(self) -> None:
        self.open: list[str] = []

    def starts(self, tag: str) -> bool:
        """True when ``tag`` starts or sits inside a hidden element."""
        if tag == "body":  # </head> is optional: the body shows whatever was open
            self.open.clear()
        if not self.open and tag not in SKIPPED:
            return False
        if not self.open or tag == self.open[-1]:
            self.open.append(tag)
        return True

    def ends(self, tag: str) -> bool:
        """True when ``tag`` ends inside a hidden element (or ends one)."""
        if not self.open:
            return False
        if tag == self.open[-1]:
            self.open.pop()
        return True


class _Builder(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._length = 0
        self._space = True  # the text so far ends in a space (or is empty): fold the next
        self._glued = False  # the text ends in a link number: a word after it needs a space
        self._numbered = (0, -1)  # the last link number shown, and where it ends
        self._spans: list[StyleSpan] = []
        self._open: Counter[str] = Counter()
        self._starts: dict[str, int] = {}
        self._hidden = _Hidden()
        self._frames: list[_Frame] = []
        self._frame_tags: Counter[str] = Counter()
        self._marker = ""
        self._pre = 0
        self._heading = 0
        self._table: _Table | None = None
        self._link: _OpenLink | None = None
        self._numbers: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._images: set[int] = set()
        self._urls: list[str] = []
        self._tight_before = False

    # -- parser callbacks -----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._hidden.starts(tag):
            return
        if tag in INLINE:
            if tag == "figcaption":
                self._flush()
            self._open_style(INLINE[tag])
        elif tag in ("a", "img", "br", "hr"):
            self._start_simple(tag, dict(attrs))
        elif tag in ("ul", "ol", "li", "dd", "dt", "blockquote", "pre"):
            self._flush()
            self._start_container(tag, dict(attrs))
        elif tag in ("table", "tr", "td", "th", "caption", "thead"):
            self._start_table_part(tag)
        elif tag in HEADINGS:
            self._flush()
            self._heading = HEADINGS[tag]
        elif tag in BLOCKS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SKIPPED:  # an empty <iframe/> has nothing to skip
            self.handle_starttag(tag, attrs)
            if tag in INLINE or tag == "a":  # <b/> and <a/> open nothing
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden.ends(tag):
            return
        if tag in INLINE:
            if tag == "figcaption":
                self._flush()
            self._close_style(INLINE[tag])
        elif tag == "a":
            self._close_link()
        elif tag in ("ul", "ol", "li", "dd", "blockquote"):
            self._flush()
            self._close_frame(tag)
        elif tag == "pre":
            self._flush()
            self._pre = max(0, self._pre - 1)
        elif tag in ("table", "tr", "td", "th", "caption", "thead"):
            self._end_table_part(tag)
        elif tag in HEADINGS:
            self._flush()
            self._heading = 0
        elif tag in BLOCKS or tag == "dt":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._hidden.open:
            return
        text = _INVISIBLE.sub("", sanitize(data, multiline=True))
        if not self._pre:
            text = _WHITESPACE.sub(" ", text)
            if self._space and text.startswith(" "):
                text = text[1:]
            if not text:
                return
            if self._glued and not self._space and text[0].isalnum():
                text = " " + text
            self._space = text.endswith(" ")
        self._glued = False
        link = self._link
        if link is not None and len(link.label) < LABEL_MAX:
            link.label = (link.label + text)[:LABEL_MAX]
        self._append(text)

    # -- inline pieces --------------------------------------------------------------------

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _word(self, text: str, style: str, link: int = 0) -> None:
        """Text that stands apart from what precedes it (a link number, an image)."""
        if self._length and not self._space and not self._pre:
            self._append(" ")
        self._spans.append(StyleSpan(self._length, self._length + len(text), style, link))
        self._append(text)
        self._space, self._glued = False, True
        if style == "link-number":
            self._numbered = (link, self._length)

    def _open_style(self, style: str) -> None:
        if not self._open[style]:
            self._starts[style] = self._length
        self._open[style] += 1

    def _close_style(self, style: str) -> None:
        if not self._open[style]:
            return
        self._open[style] -= 1
        if not self._open[style]:
            self._spans.append(StyleSpan(self._starts.pop(style), self._length, style))

    def _start_simple(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "br":
            self._line_break()
        elif tag == "hr":
            self._flush()
            if self._table is None:
                self.blocks.append(Block("rule", quote=min(self._quotes(), MAX_QUOTE)))
                self._tight_before = False
        elif tag == "img":
            self._image(attrs)
        else:
            self._open_link(attrs.get("href") or "")

    def _line_break(self) -> None:
        if self._pre:
            self._append("\n")
            return
        if self._parts and self._parts[-1].endswith(" "):
            self._parts[-1] = self._parts[-1][:-1]
            self._length -= 1
        self._append("\n")
        self._space = True

    def _number(self, href: str, image: bool) -> int | None:
        if not href.strip() or href.lstrip().startswith("#"):  # a place in this page
            return None
        url = sanitize(resolve(href, self.base))
        if not url:
            return None
        number = self._numbers.get(url)
        if number is None:
            number = self._numbers[url] = len(self._urls) + 1
            self._urls.append(url)
            if image:
                self._images.add(number)
        return number

    def _label(self, number: int, text: str) -> None:
        """The first text seen for a link (or an image's alt text) names it in the list."""
        if text.strip() and not self._labels.get(number):
            self._labels[number] = " ".join(text.split())[:LABEL_MAX]

    def _image(self, attrs: dict[str, str | None]) -> None:
        if (attrs.get("width"), attrs.get("height")) in (("1", "1"), ("0", "0")):
            return  # a tracking pixel
        alt = _INVISIBLE.sub("", sanitize(attrs.get("alt") or attrs.get("title") or ""))
        number = self._number(attrs.get("src") or "", image=True)
        self._word(f"[image: {alt}]" if alt else "[image]", "image", number or 0)
        if number is not None:
            self._label(number, alt)
            self._word(f"[{number}]", "link-number", number)
        self._space = not self._pre
        if self._space:
            self._append(" ")

    def _open_link(self, href: str) -> None:
        self._close_link()
        number = self._number(href, image=False)
        if number is not None:
            self._link = _OpenLink(number, self._length)

    def _show_link_number(self, *, closing: bool = False) -> None:
        """After a link's text (at its end, or where a block cuts it): its number. An empty
        link shows its number alone when it ends."""
        link = self._link
        if link is None:
            return
        end = self._length - (1 if self._space and not self._pre and self._length else 0)
        if end > link.start:
            self._spans.append(StyleSpan(link.start, end, "link", link.number))
            if self._numbered == (link.number, end):  # an image of the very same address
                link.shown, link.start = True, self._length
                return
        elif link.shown or not closing:
            return
        self._word(f"[{link.number}]", "link-number", link.number)
        link.shown = True
        link.start = self._length

    def _close_link(self) -> None:
        if self._link is not None:
            self._show_link_number(closing=True)
            self._label(self._link.number, self._link.label)
            self._link = None

    # -- containers -----------------------------------------------------------------------

    def _indent(self) -> int:
        return self._frames[-1].indent if self._frames else 0

    def _quotes(self) -> int:
        return self._frame_tags["blockquote"]

    def _push(self, frame: _Frame) -> None:
        self._frames.append(frame)
        self._frame_tags[frame.tag] += 1

    def _start_container(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag in ("ul", "ol"):
            style = (attrs.get("type") or "1").strip()[:1] if tag == "ol" else ""
            start = _integer(attrs.get("start"), 1)
            self._push(_Frame(tag, self._indent(), tag == "ol", start, style))
        elif tag == "li":
            self._start_item(attrs)
        elif tag == "dd":
            self._push(_Frame(tag, min(self._indent() + 4, MAX_INDENT)))
        elif tag == "blockquote":
            self._push(_Frame(tag, self._indent()))
        elif tag == "pre":
            self._pre += 1
        # dt: a block of its own, flushed above

    def _start_item(self, attrs: dict[str, str | None]) -> None:
        if self._frames and self._frames[-1].tag == "li":  # <li> ends an open <li>
            self._close_frame("li")
        lists = [frame for frame in self._frames if frame.tag in ("ul", "ol")]
        parent = lists[-1] if lists else _Frame("ul", 0)
        if parent.ordered:
            parent.number = _integer(attrs.get("value"), parent.number)
            marker = f"{_ordinal(parent.number, parent.style)}. "
            parent.number += 1
        else:
            marker = BULLETS[max(0, len(lists) - 1) % len(BULLETS)]
        self._marker = marker
        self._push(_Frame("li", min(self._indent() + cells(marker), MAX_INDENT)))

    def _close_frame(self, tag: str) -> None:
        if not self._frame_tags[tag]:
            return  # nothing of that kind is open: a stray end tag
        while self._frames:
            frame = self._frames.pop()
            self._frame_tags[frame.tag] -= 1
            if frame.tag == tag:
                break
        self._marker = ""
        if tag in ("ul", "ol") and not (self._frame_tags["li"] or self._frame_tags["dd"]):
            self._tight_before = False  # the next list starts after a blank line

    # -- tables ---------------------------------------------------------------------------

    def _start_table_part(self, tag: str) -> None:
        self._flush()
        table = self._table
        if tag == "table":
            if table is None:
                self._table = _Table()
            else:
                table.nested += 1
        elif table is None or table.nested:
            return  # cells outside a table, or in a nested one: text of the outer cell
        elif tag == "tr":
            table.rows.append([])
        elif tag in ("td", "th"):
            if not table.rows:
                table.rows.append([])
            table.rows[-1].append(_Cell(tag == "th" or table.in_head))
        elif tag == "caption":
            table.in_caption = True
        else:
            table.in_head = True

    def _end_table_part(self, tag: str) -> None:
        self._flush()
        table = self._table
        if table is None:
            return
        if tag == "table":
            if table.nested:
                table.nested -= 1
            else:
                self._table = None
                self._emit_table(table)
        elif tag == "caption":
            table.in_caption = False
        elif tag == "thead":
            table.in_head = False

    def _emit_table(self, table: _Table) -> None:
        quote = min(self._quotes(), MAX_QUOTE)
        caption = " ".join(table.caption).strip()
        if caption:
            self._add_block(Block("text", caption, (StyleSpan(0, len(caption), "italic"),)))
        rows = [row for row in table.rows if any(line for cell in row for line in cell.lines)]
        if not rows:
            return
        grid = _grid(rows)
        if grid is None:  # page layout, not data: its cells as paragraphs
            for row in rows:
                for cell in row:
                    text = "\n".join(line for line in cell.lines if line)
                    if text:
                        self._add_block(Block("text", text, indent=self._indent(), quote=quote))
            return
        text, spans = grid
        self._add_block(Block("table", text, spans, indent=self._indent(), quote=quote))

    # -- blocks ---------------------------------------------------------------------------

    def _flush(self) -> None:
        """End the current block of text (a list item's marker waits for its first text)."""
        self._show_link_number()
        for style in list(self._starts):
            self._spans.append(StyleSpan(self._starts[style], self._length, style))
        raw = "".join(self._parts)
        stripped = raw.lstrip("\n") if self._pre else raw.lstrip()
        lead, text = len(raw) - len(stripped), stripped.rstrip()
        spans = _clip(self._spans, lead, len(text))
        self._parts, self._length, self._spans, self._space = [], 0, [], True
        self._numbered = (0, -1)
        self._starts = dict.fromkeys(self._starts, 0)
        if self._link is not None:
            self._link.start = 0
        if not text:
            return
        if self._table is not None:
            self._table.add(self._marker + text)
            self._marker = ""
            return
        kind: BlockKind = "pre" if self._pre else "heading" if self._heading else "text"
        in_item = bool(self._frame_tags["li"] or self._frame_tags["dd"] or self._marker)
        marker, self._marker = self._marker, ""
        indent = self._indent() - cells(marker) if marker else self._indent()
        block = Block(
            kind, text, tuple(spans), indent=max(0, indent), marker=marker,
            quote=min(self._quotes(), MAX_QUOTE), level=self._heading,
            tight=in_item and self._tight_before and kind != "heading",
        )  # fmt: skip
        self.blocks.append(block)
        self._tight_before = in_item

    def _add_block(self, block: Block) -> None:
        self.blocks.append(block)
        self._tight_before = False

    def finish(self) -> None:
        self.close()
        self._close_link()
        self._flush()
        if self._table is not None:
            table, self._table = self._table, None
            self._emit_table(table)

    def link_list(self) -> tuple[Link, ...]:
        return tuple(
            Link(number, url, self._labels.get(number, ""), number in self._images)
            for number, url in enumerate(self._urls, 1)
        )


def _clip(spans: list[StyleSpan], shift: int, length: int) -> list[StyleSpan]:
    """Spans moved left by ``shift`` and cut to ``length``; empty ones go."""
    clipped = []
    for start, end, style, link in spans:
        start, end = max(0, start - shift), min(length, end - shift)
        if end > start:
            clipped.append(StyleSpan(start, end, style, link))
    return clipped


def _grid(rows: list[list[_Cell]]) -> tuple[str, tuple[StyleSpan, ...]] | None:
    """Rows as aligned columns (`` │ `` between, a rule under header rows), or None when the
    table is page layout: one column, too many, or cells too wide to line up."""
    columns = max(len(row) for row in rows)
    if not 2 <= columns <= TABLE_COLUMNS_MAX:
        return None
    widths = [0] * columns
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], *(cells(line) for line in cell.lines), 0)
    if max(widths) > TABLE_CELL_MAX or sum(widths) * len(rows) > TABLE_CHARS_MAX:
        return None
    lines: list[str] = []
    spans: list[StyleSpan] = []
    offset = 0

    def add(line: str, line_spans: list[StyleSpan]) -> None:
        nonlocal offset
        line = line.rstrip()
        lines.append(line)
        spans.extend(
            span._replace(start=span.start + offset, end=span.end + offset) for span in line_spans
        )
        offset += len(line) + 1

    for number, row in enumerate(rows):
        cells_ = [*row, *(_Cell(False) for _ in range(columns - len(row)))]
        height = max(1, *(len(cell.lines) for cell in cells_))
        for y in range(height):
            line, line_spans = "", []
            for index, cell in enumerate(cells_):
                if index:
                    line_spans.append(StyleSpan(len(line), len(line) + 3, "muted"))
                    line += " │ "
                text = cell.lines[y] if y < len(cell.lines) else ""
                if cell.header and text:
                    line_spans.append(StyleSpan(len(line), len(line) + len(text), "bold"))
                line += text + " " * (widths[index] - cells(text))
            add(line, _clip(line_spans, 0, len(line.rstrip())))
        header = all(cell.header for cell in row)
        following = rows[number + 1] if number + 1 < len(rows) else None
        if header and following is not None and not all(c.header for c in following):
            rule = "─┼─".join("─" * width for width in widths)
            add(rule, [StyleSpan(0, len(rule), "muted")])
    return "\n".join(lines), tuple(spans)


def _integer(value: str | None, default: int) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        return default
    return max(-(10**9), min(number, 10**9))


def _ordinal(number: int, style: str) -> str:
    """A list number as ``<ol type>`` asks: 1, a, A, i or I."""
    if style in "aA" and style and 1 <= number <= 18278:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if style == "A" else letters
    if style in "iI" and style and 1 <= number < 4000:
        roman = _roman(number)
        return roman.upper() if style == "I" else roman
    return str(number)


_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def _roman(number: int) -> str:
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
