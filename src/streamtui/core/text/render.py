"""Feed HTML as a plain-data document for the article pane (document.py): blocks, style
spans and links. Built on the stdlib ``html.parser`` behind htmltext.py's linear pre-pass, so
entities decode as browsers decode them and hostile markup costs linear time.
Every string in a :class:`Document` has passed :func:`~streamtui.core.text.sanitize.sanitize`:
feed HTML can carry escape sequences as character references (``&#27;``).

Links are numbered in order of first appearance; the text shows ``label [3]`` and the
document lists ``Link(3, url, label)``. Adjacent anchors of the same address (``<a>own M</a>
<a>agic</a>``, as some editors write them) read as one link with one number after the run.
Images show as ``[image: alt] [4]``; an image inside a link shows no number of its own, the
link's follows it (``[image: alt] [3]``) and the image stays in the link list. Relative URLs
resolve against ``base`` (see :func:`~streamtui.core.text.links.base_for`).

MathML shows the text of its token elements run together (``N×M``), inline where it stands
(``display="block"``: a block of its own); its TeX and MathML annotations are skipped, like
what a reader never sees: scripts and styles, and elements hidden by the ``hidden``
attribute or an inline ``display: none``.

Longer than 500 lines for a reason: one HTMLParser whose callbacks share one state (the text
so far, its spans, the open link, lists and table). What stands alone was taken out: the
document (document.py), tables (tables.py), open elements and list numbers (elements.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser

from streamtui.core.text.document import (
    MAX_HTML,
    Block,
    BlockKind,
    Document,
    Link,
    StyleSpan,
    cells,
    clip_spans,
    text_document,
)
from streamtui.core.text.elements import SKIPPED, Frame, Hidden, OpenLink, hides, integer, ordinal
from streamtui.core.text.htmltext import BLOCKS, _prepare, html_to_text
from streamtui.core.text.links import resolve
from streamtui.core.text.sanitize import sanitize
from streamtui.core.text.tables import Table, grid, shows

INLINE = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "cite": "italic",
    "var": "italic", "dfn": "italic", "figcaption": "italic", "code": "code", "kbd": "code",
    "samp": "code", "tt": "code", "s": "strike", "strike": "strike", "del": "strike",
    "u": "underline", "ins": "underline",
}  # fmt: skip
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
LABEL_MAX = 200
CHUNK = 64 * 1024

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_INVISIBLE = re.compile("[\u00ad\u200b]")  # soft hyphens and zero-width spaces


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


# -- the builder ------------------------------------------------------------------------------


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
        self._hidden = Hidden()
        self._frames: list[Frame] = []
        self._frame_tags: Counter[str] = Counter()
        self._lists: list[Frame] = []  # the open ul and ol frames, innermost last
        self._deep: Counter[str] = Counter()  # containers opened past MAX_DEPTH, by tag
        self._marker = ""
        self._pre = 0
        self._heading = 0
        self._table: Table | None = None
        self._link: OpenLink | None = None
        self._pending: OpenLink | None = None  # closed, its number not yet shown
        self._gap = False  # whitespace after the pending link, held back with its number
        self._maths: list[tuple[bool, int, str]] = []  # open <math>: block, start, alttext
        self._numbers: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._images: set[int] = set()
        self._urls: list[str] = []
        self._tight_before = False

    # -- parser callbacks -----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hide = hides(attrs) or (tag in ANNOTATIONS and bool(self._maths))
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
        if tag not in SKIPPED and not hides(attrs):  # an empty <iframe/> hides nothing
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
            self._link = OpenLink(number, self._length)

    def _show_link_number(self, link: OpenLink | None, *, closing: bool = False) -> None:
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

    def _push(self, frame: Frame) -> None:
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
            start = integer(attrs.get("start"), 1)
            self._push(Frame(tag, self._indent(), tag == "ol", start, style))
        elif tag == "li":
            self._start_item(attrs)
        elif tag == "dd":
            self._push(Frame(tag, min(self._indent() + 4, MAX_INDENT)))
        elif tag == "blockquote":
            self._push(Frame(tag, self._indent()))
        elif tag == "pre":
            self._pre += 1
        # dt: a block of its own, flushed above

    def _start_item(self, attrs: dict[str, str | None]) -> None:
        if self._frames and self._frames[-1].tag == "li":  # <li> ends an open <li>
            self._close_frame("li")
        self._marker = marker = self._item_marker(attrs)
        self._push(Frame("li", min(self._indent() + cells(marker), MAX_INDENT)))

    def _item_marker(self, attrs: dict[str, str | None]) -> str:
        """The marker of a new item of the innermost open list (counted on)."""
        parent = self._lists[-1] if self._lists else Frame("ul", 0)
        if parent.ordered:
            parent.number = integer(attrs.get("value"), parent.number)
            marker = f"{ordinal(parent.number, parent.style)}. "
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
        if tag == "table" and self._table is None:
            self._table = Table()
        elif self._table is not None:
            self._table.start(tag, attrs)  # cells outside a table: text of what holds them

    def _end_table_part(self, tag: str) -> None:
        self._flush()
        table = self._table
        if table is not None and table.end(tag):
            self._table = None
            self._emit_table(table)

    def _emit_table(self, table: Table) -> None:
        quote = min(self._quotes(), MAX_QUOTE)
        caption = " ".join(table.caption).strip()
        if caption:
            self._add_block(Block("text", caption, (StyleSpan(0, len(caption), "italic"),)))
        rows = [row for row in table.rows if shows(row)]
        if not rows:
            return
        laid_out = grid(table.rows)
        if laid_out is None:  # page layout, not data: its cells as paragraphs
            for row in rows:
                for cell in row:
                    text = "\n".join(line for line in cell.lines if line)
                    if text:
                        self._add_block(Block("text", text, indent=self._indent(), quote=quote))
            return
        text, spans = laid_out
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
        spans = clip_spans(self._spans, lead, len(text))
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
