"""Feed HTML as a plain-data document for the article pane: blocks, style spans and links.

The UI lays the document out (wraps text blocks, keeps ``pre`` and tables unwrapped) and maps
the style names of :data:`STYLES` to its own styles; nothing here knows about a terminal
toolkit. Built on the stdlib ``html.parser`` behind :mod:`~streamtui.core.htmltext`'s linear
pre-pass, so entities decode as browsers decode them and hostile markup costs linear time.
Every string in a :class:`Document` has passed :func:`~streamtui.core.sanitize.sanitize`:
feed HTML can carry escape sequences as character references (``&#27;``).

Links are numbered in order of first appearance; the text shows ``label [3]`` and the
document lists ``Link(3, url, label)``. Adjacent anchors of the same address (``<a>own M</a>
<a>agic</a>``, as some editors write them) read as one link with one number after the run.
Images show as ``[image: alt] [4]``; an image inside a link shows no number of its own, the
link's follows it (``[image: alt] [3]``) and the image stays in the link list. Relative URLs
resolve against ``base`` (see :func:`~streamtui.core.links.base_for`).

MathML shows the text of its token elements run together (``N×M``), inline where it stands
(``display="block"``: a block of its own); its TeX and MathML annotations are skipped, like
what a reader never sees: scripts and styles, and elements hidden by the ``hidden``
attribute or an inline ``display: none``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
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
SKIPPED = DROPPED | {"svg"}
ANNOTATIONS = ("annotation", "annotation-xml")
"""Skipped inside ``math``: its source as TeX or MathML, a copy of what it shows."""
VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})  # fmt: skip
"""Elements without content or end tag: hiding one hides only itself."""
HEADINGS = {f"h{level}": level for level in range(1, 7)}
BULLETS = ("• ", "◦ ", "▪ ")
MAX_INDENT = 40
"""Columns of list indentation at most, however deep the nesting."""
MAX_QUOTE = 8
MAX_DEPTH = 48
"""Lists, items, definitions and quotations open at once at most (24 levels of list). Deeper
ones still show their text (an item still gets its marker), at the deepest level: every tag
then costs the same however deep the markup goes (20,000 nested ``<ul><li>`` took 12 s when
each item looked through all the open lists)."""
TABLE_CELL_MAX = 60
"""A table with a wider cell (or one column) is laid out as paragraphs: it is page layout."""
TABLE_COLUMNS_MAX = 12
TABLE_CHARS_MAX = 2_000_000
SPAN_MAX = 1000
"""``colspan`` and ``rowspan`` at most (browsers clamp them too); columns no cell starts in
are dropped, so an absurd ``colspan`` spans the table's real columns."""
LABEL_MAX = 200
MAX_HTML = 1024 * 1024
"""Characters of HTML rendered at most; the document says how many more there were."""
CHUNK = 64 * 1024

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_INVISIBLE = re.compile("[\u00ad\u200b]")  # soft hyphens and zero-width spaces
_DISPLAY_NONE = re.compile(r"(?:^|;)[ \t\n\r\f]*display[ \t\n\r\f]*:[ \t\n\r\f]*none\b", re.I)


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
    span: int = 1
    """Columns it takes (``colspan``)."""
    down: int = 1
    """Rows it takes (``rowspan``): the rows below hold an empty cell in its place."""


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
    is skipped up to their end tag, nested ones of the same name counted (a tag and a count:
    constant work and memory however deep they nest)."""

    def __init__(self) -> None:
        self.tag = ""
        self.depth = 0

    @property
    def open(self) -> bool:
        return self.depth > 0

    def starts(self, tag: str, hide: bool = False) -> bool:
        """True when ``tag`` starts or sits inside a hidden element (``hide``: this one is
        hidden by its attributes)."""
        if tag == "body":  # </head> is optional: the body shows whatever was open
            self.depth = 0
        elif self.depth == 1 and (
            (self.tag == "p" and tag in BLOCKS) or (self.tag == "li" and tag == "li")
        ):
            self.depth = 0  # a hidden <p> or <li> ends where the next block starts
        if not self.depth and tag not in SKIPPED and not hide:
            return False
        if not self.depth:
            self.tag, self.depth = tag, 1
        elif tag == self.tag:
            self.depth += 1
        return True

    def ends(self, tag: str) -> bool:
        """True when ``tag`` ends inside a hidden element (or ends one)."""
        if not self.depth:
            return False
        if tag == self.tag:
            self.depth -= 1
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
        self._spans: list[StyleSpan] = []
        self._open: Counter[str] = Counter()
        self._starts: dict[str, int] = {}
        self._hidden = _Hidden()
        self._frames: list[_Frame] = []
        self._frame_tags: Counter[str] = Counter()
        self._lists: list[_Frame] = []  # the open ul and ol frames, innermost last
        self._deep: Counter[str] = Counter()  # containers opened past MAX_DEPTH, by tag
        self._marker = ""
        self._pre = 0
        self._heading = 0
        self._table: _Table | None = None
        self._link: _OpenLink | None = None
        self._pending: _OpenLink | None = None  # closed, its number not yet shown
        self._gap = False  # whitespace after the pending link, held back with its number
        self._maths: list[tuple[bool, int, str]] = []  # open <math>: block, start, alttext
        self._numbers: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._images: set[int] = set()
        self._urls: list[str] = []
        self._tight_before = False

    # -- parser callbacks -----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hide = _hides(attrs) or (tag in ANNOTATIONS and bool(self._maths))
        if self._hidden.starts(tag, hide and tag not in VOID) or hide:
            return
        if tag in INLINE or tag in ("img", "br", "math"):
            self._settle()  # a link that ended before: no anchor of its address follows
        if tag in INLINE:
            if tag == "figcaption":
                self._flush()
            self._open_style(INLINE[tag])
        elif tag in ("a", "img", "br", "hr"):
            self._start_simple(tag, dict(attrs))
        elif tag == "math":
            self._start_math(dict(attrs))
        elif tag in ("ul", "ol", "li", "dd", "dt", "blockquote", "pre"):
            self._flush()
            self._start_container(tag, dict(attrs))
        elif tag in ("table", "tr", "td", "th", "caption", "thead"):
            self._start_table_part(tag, dict(attrs))
        elif tag in HEADINGS:
            self._flush()
            self._heading = HEADINGS[tag]
        elif tag in BLOCKS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SKIPPED and not _hides(attrs):  # an empty <iframe/> hides nothing
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
        elif tag == "math":
            self._end_math()
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
        if self._maths and not text.strip():
            return  # whitespace between MathML elements shows nothing
        if self._pending is not None:
            if not self._pre and not text.strip():
                self._gap = self._gap or bool(text)
                return
            self._settle()
        if not self._pre:
            text = _WHITESPACE.sub(" ", text)
            if self._space and text.startswith(" "):
                text = text[1:]
            if not text:
                return
            if self._glued and not self._space and text[0].isalnum():
                text = " " + text
                if self._link is not None and self._link.start == self._length:
                    self._link.start += 1  # the space after a number is not the link's
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
        link = self._link
        if link is not None:
            # In a link, the link's number follows the image (once, however many images it
            # holds): ``[image: alt] [1]``, not ``[image: alt] [2] [1]``. The image keeps
            # its place in the link list, and its span its number; its alt text names a link
            # that has no text.
            if alt and len(link.label) < LABEL_MAX:
                link.label = (link.label + " " + alt)[:LABEL_MAX]
        elif number is not None:
            self._word(f"[{number}]", "link-number", number)
        self._space = not self._pre
        if self._space:
            self._append(" ")

    def _start_math(self, attrs: dict[str, str | None]) -> None:
        block = (attrs.get("display") or "").strip().lower() == "block"
        if block:
            self._flush()
        self._maths.append((block, self._length, attrs.get("alttext") or ""))

    def _end_math(self) -> None:
        if not self._maths:
            return
        block, start, alttext = self._maths.pop()
        if self._length == start and alttext.strip():  # no token elements: their source
            self.handle_data(alttext)
        if block:
            self._flush()

    def _open_link(self, href: str) -> None:
        self._close_link()  # an <a> in an <a> ends it
        number = self._number(href, image=False)
        pending = self._pending
        if pending is not None and number == pending.number:  # the same link goes on
            self._pending, self._link = None, pending
            if self._gap and not self._space and not self._pre:
                self._append(" ")
                self._space = True
                pending.label = (pending.label + " ")[:LABEL_MAX]
            self._gap = False
            return
        self._settle()
        if number is not None:
            self._link = _OpenLink(number, self._length)

    def _show_link_number(self, link: _OpenLink | None, *, closing: bool = False) -> None:
        """After a link's text (at its end, or where a block cuts it): its number. An empty
        link shows its number alone when it ends."""
        if link is None:
            return
        end = self._length - (1 if self._space and not self._pre and self._length else 0)
        if end > link.start:
            self._spans.append(StyleSpan(link.start, end, "link", link.number))
        elif link.shown or not closing:
            return
        self._word(f"[{link.number}]", "link-number", link.number)
        link.shown = True
        link.start = self._length

    def _close_link(self) -> None:
        """The number waits (see :meth:`_settle`): an anchor of the same address may follow."""
        if self._link is not None:
            self._settle()
            self._pending, self._link = self._link, None

    def _settle(self) -> None:
        """Show the number of the link that ended, now that what follows is not more of it,
        then the whitespace that came after it."""
        link = self._pending
        if link is None:
            return
        self._pending = None
        self._show_link_number(link, closing=True)
        self._label(link.number, link.label)
        if self._gap:
            self._gap = False
            if not self._space:
                self._append(" ")
                self._space = True

    # -- containers -----------------------------------------------------------------------

    def _indent(self) -> int:
        return self._frames[-1].indent if self._frames else 0

    def _quotes(self) -> int:
        return self._frame_tags["blockquote"]

    def _push(self, frame: _Frame) -> None:
        self._frames.append(frame)
        self._frame_tags[frame.tag] += 1
        if frame.tag in ("ul", "ol"):
            self._lists.append(frame)

    def _start_container(self, tag: str, attrs: dict[str, str | None]) -> None:
        deep = any(self._deep.values())
        at_item = tag == "li" and bool(self._frames) and self._frames[-1].tag == "li"
        if deep or (len(self._frames) >= MAX_DEPTH and not at_item):  # no deeper than that
            self._deep[tag] += 1
            if tag == "li":
                self._marker = self._item_marker(attrs)
            return
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
        self._marker = marker = self._item_marker(attrs)
        self._push(_Frame("li", min(self._indent() + cells(marker), MAX_INDENT)))

    def _item_marker(self, attrs: dict[str, str | None]) -> str:
        """The marker of a new item of the innermost open list (counted on)."""
        parent = self._lists[-1] if self._lists else _Frame("ul", 0)
        if parent.ordered:
            parent.number = _integer(attrs.get("value"), parent.number)
            marker = f"{_ordinal(parent.number, parent.style)}. "
            parent.number += 1
            return marker
        return BULLETS[max(0, len(self._lists) - 1) % len(BULLETS)]

    def _close_frame(self, tag: str) -> None:
        if self._deep[tag]:  # the end of one opened past MAX_DEPTH
            self._deep[tag] -= 1
            self._marker = ""
            return
        if not self._frame_tags[tag]:
            return  # nothing of that kind is open: a stray end tag
        while self._frames:
            frame = self._frames.pop()
            self._frame_tags[frame.tag] -= 1
            if frame.tag in ("ul", "ol"):
                self._lists.pop()
            if frame.tag == tag:
                break
        self._marker = ""
        if tag in ("ul", "ol") and not (self._frame_tags["li"] or self._frame_tags["dd"]):
            self._tight_before = False  # the next list starts after a blank line

    # -- tables ---------------------------------------------------------------------------

    def _start_table_part(self, tag: str, attrs: dict[str, str | None]) -> None:
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
            span = max(1, min(_integer(attrs.get("colspan"), 1), SPAN_MAX))
            down = max(1, min(_integer(attrs.get("rowspan"), 1), SPAN_MAX))
            table.rows[-1].append(_Cell(tag == "th" or table.in_head, span=span, down=down))
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
        rows = [row for row in table.rows if _shows(row)]
        if not rows:
            return
        grid = _grid(table.rows)
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
        self._settle()
        self._show_link_number(self._link)
        for style in list(self._starts):
            self._spans.append(StyleSpan(self._starts[style], self._length, style))
        raw = "".join(self._parts)
        stripped = raw.lstrip("\n") if self._pre else raw.lstrip()
        lead, text = len(raw) - len(stripped), stripped.rstrip()
        spans = _clip(self._spans, lead, len(text))
        self._parts, self._length, self._spans, self._space = [], 0, [], True
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


def _hides(attrs: list[tuple[str, str | None]]) -> bool:
    """The element is hidden by its attributes: ``hidden``, or ``display: none`` in its
    inline style (with ``!important`` or not, in any case)."""
    return any(
        name == "hidden" or (name == "style" and bool(_DISPLAY_NONE.search(value or "")))
        for name, value in attrs
    )


def _clip(spans: list[StyleSpan], shift: int, length: int) -> list[StyleSpan]:
    """Spans moved left by ``shift`` and cut to ``length``; empty ones go."""
    clipped = []
    for start, end, style, link in spans:
        start, end = max(0, start - shift), min(length, end - shift)
        if end > start:
            clipped.append(StyleSpan(start, end, style, link))
    return clipped


def _shows(cells_: list[_Cell]) -> bool:
    return any(line for cell in cells_ for line in cell.lines)


class _Placed(NamedTuple):
    column: int
    span: int
    cell: _Cell


def _place(rows: list[list[_Cell]]) -> list[tuple[list[_Placed], bool]] | None:
    """Where each row's cells stand, the empty cells of ``rowspan`` from above among them,
    in columns numbered as ``colspan`` asks; with whether the row is a header row. None
    when there are more columns than :data:`TABLE_COLUMNS_MAX`."""
    placed: list[tuple[list[_Placed], bool]] = []
    above: dict[int, tuple[int, int]] = {}  # column: (span, rows still to go down)
    starts: set[int] = set()
    for row in rows:
        line = [_Placed(column, span, _Cell(False)) for column, (span, _) in above.items()]
        below = {column: (span, left - 1) for column, (span, left) in above.items() if left > 1}
        column = 0
        for cell in row:
            while column in above:
                column += above[column][0]
            span = min([cell.span, *(start - column for start in above if start > column)])
            line.append(_Placed(column, span, cell))
            if cell.down > 1:
                below[column] = (span, cell.down - 1)
            column += span
        starts.update(item.column for item in line)
        if len(starts) > TABLE_COLUMNS_MAX:
            return None
        above = below
        if _shows([item.cell for item in line]):
            line.sort(key=lambda item: item.column)
            placed.append((line, bool(row) and all(cell.header for cell in row)))
    return placed


def _grid(rows: list[list[_Cell]]) -> tuple[str, tuple[StyleSpan, ...]] | None:
    """Rows as aligned columns (`` │ `` between, a rule under header rows), or None when the
    table is page layout: one column, too many, or cells too wide to line up.

    A cell of ``colspan`` takes its columns (its text starts in the first); columns that no
    cell starts in are dropped, so ``colspan="173"`` spans what is there."""
    placed = _place(rows)
    if placed is None:
        return None
    starts = sorted({item.column for here, _ in placed for item in here})
    columns = len(starts)
    if not 2 <= columns <= TABLE_COLUMNS_MAX:
        return None
    index = {column: number for number, column in enumerate(starts)}
    table: list[tuple[list[_Placed], bool]] = []
    for here, header in placed:  # in the columns that are there, gaps filled
        row: list[_Placed] = []
        for item in here:
            first = index[item.column]
            if row and first < row[-1].column + row[-1].span:
                continue  # overlapping spans: malformed, the later cell goes
            row.extend(_Placed(gap, 1, _Cell(False)) for gap in range(_end(row), first))
            last = bisect_left(starts, item.column + item.span) - 1
            row.append(_Placed(first, last - first + 1, item.cell))
        row.extend(_Placed(gap, 1, _Cell(False)) for gap in range(_end(row), columns))
        table.append((row, header))
    widest = max(cells(text) for row, _ in table for item in row for text in [*item.cell.lines, ""])
    if widest > TABLE_CELL_MAX:
        return None
    widths = [0] * columns
    for row, _ in table:
        for item in row:
            if item.span == 1:
                widths[item.column] = max(widths[item.column], *map(cells, item.cell.lines), 0)
    spanning = [item for row, _ in table for item in row if item.span > 1]
    for item in sorted(spanning, key=lambda item: item.span):  # wider than its columns: the
        need = max(0, *map(cells, item.cell.lines))  # last one widens
        more = need - _width(widths, item)
        if more > 0:
            widths[item.column + item.span - 1] += more
    if sum(widths) * len(table) > TABLE_CHARS_MAX:
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

    for number, (row, header) in enumerate(table):
        height = max(1, *(len(item.cell.lines) for item in row))
        for y in range(height):
            line, line_spans = "", []
            for item in row:
                if item.column:
                    line_spans.append(StyleSpan(len(line), len(line) + 3, "muted"))
                    line += " │ "
                cell = item.cell
                text = cell.lines[y] if y < len(cell.lines) else ""
                if cell.header and text:
                    line_spans.append(StyleSpan(len(line), len(line) + len(text), "bold"))
                line += text + " " * (_width(widths, item) - cells(text))
            add(line, _clip(line_spans, 0, len(line.rstrip())))
        following = table[number + 1][1] if number + 1 < len(table) else None
        if header and following is False:
            rule = "─┼─".join("─" * width for width in widths)
            add(rule, [StyleSpan(0, len(rule), "muted")])
    return "\n".join(lines), tuple(spans)


def _end(row: list[_Placed]) -> int:
    return row[-1].column + row[-1].span if row else 0


def _width(widths: list[int], item: _Placed) -> int:
    """The cells a table cell has: its columns' and the separators' between them."""
    return sum(widths[item.column : item.column + item.span]) + 3 * (item.span - 1)


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
