"""The article pane: a line-rendered view of the open item (title, source, date, body, links).

An article becomes a :class:`Page` of pieces (paragraphs, headings, list items, quotes,
preformatted text, tables, the numbered links), each a ``Content`` built from spans, never from
markup. The page is laid out for the pane's width into lines (text wrapped with list markers
hanging and quote bars repeated; ``pre`` and tables kept unwrapped), and only the visible
lines are drawn. Unwrapped lines scroll sideways; prose stays where it is. A large HTML body is
parsed and laid out in a thread, so opening one never freezes the screen.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from textual import events, work
from textual.binding import Binding, BindingType
from textual.content import Content, Span
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.worker import get_current_worker

from streamtui.core.models import Article
from streamtui.core.text import Block, Document, Link, base_for, render_html, resolve, text_document
from streamtui.ui.format import long_date, safe, title_of

LARGE_BODY = 64 * 1024
"""Bodies larger than this (characters) are parsed and laid out off the UI thread."""
MAX_LINE = 2000
"""Cells of an unwrapped line (``pre``, tables) shown at most."""
MAX_URL_SHOWN = 300
CACHED_PIECES = 256
REMEMBERED = 500
"""Items whose scroll position the pane remembers."""

TEASER_NOTICE = "The page carried only a teaser of this story; its full text was not on it."
TRUNCATED_NOTICE = "The teaser was cut short, so there is more to this story than shown here."
PLACEHOLDER = "Open an item with Enter to read it here."
EMPTY_CLASS = "-empty"
"""The pane's class while no article is open: the wide layout gives its room to the list."""
EMPTY_NOTICE = "This item has no text."

SPAN_STYLES = {
    "bold": "bold",
    "italic": "italic",
    "code": "$text-accent",
    "strike": "strike",
    "underline": "underline",
    "link": "underline $text-primary",
    "link-number": "dim",
    "image": "italic $text-muted",
    "muted": "$text-muted",
}
"""The document's style names as Textual styles (theme variables follow the theme)."""
HEADING_STYLES = {1: "bold underline $accent", 2: "bold $accent", 3: "bold"}
PRE_STYLE = "$text-secondary"
QUOTE_BAR = ("│ ", "$text-muted")
MARKER_STYLE = "$text-accent"
NOTICE_STYLE = "italic $text-muted"
LINK_META = "article-link"
"""Meta key on the cells of a link's text: the link's number, read back on a click."""

EMPTY = Content("")


@dataclass(frozen=True, slots=True)
class Piece:
    """A paragraph-like part of the page, before it is laid out for a width."""

    content: Content
    wrap: bool = True
    """False: lines kept as they are and scrolled sideways (``pre``, tables)."""
    first: Content = EMPTY
    """Prefix of the first line (quote bars, indentation, list marker)."""
    rest: Content = EMPTY
    """Prefix of every following line: wrapped lines hang under the first line's text."""
    gap: bool = True
    """A blank line before it."""
    rule: bool = False
    """A horizontal rule across the pane (``content`` is unused)."""
    quote: int = 0
    """Blockquote depth: a blank line between two quoted pieces keeps their bars."""


@dataclass(frozen=True, slots=True)
class Page:
    """An article ready to lay out."""

    pieces: tuple[Piece, ...]
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Line:
    prefix: Content
    body: Content
    scrolls: bool = False
    """Drawn shifted by the horizontal scroll (an unwrapped line); the prefix stays."""

    @property
    def plain(self) -> str:
        return (self.prefix.plain + self.body.plain).rstrip()


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the page's lines are for one width: each piece's first line and where in its
    text each of its lines starts. Lines themselves are cut when drawn."""

    page: Page
    width: int
    firsts: tuple[int, ...]
    """Index of each piece's first line (a gap line, when it has one, comes just before)."""
    starts: tuple[tuple[int, ...], ...]
    """Per piece, the text offset where each of its lines starts."""
    count: int
    widest: int
    """Cells of the widest line (an unwrapped one may be wider than the pane)."""


# -- building the page (pure: safe to run in a thread) -----------------------------------------


def article_page(article: Article, stop: Callable[[], bool] | None = None) -> Page:
    """The article as pieces: header, body (HTML rendered, or plain paragraphs), links.
    ``stop`` may end the HTML parse early (see :func:`render_html`)."""
    base = base_for(article.link, article.base)
    row = article.row
    pieces = [
        Piece(Content.styled(title_of(row.title), "bold"), gap=False),
        Piece(_meta_line(article), gap=False),
    ]
    links: tuple[Link, ...] = ()
    if row.teaser:
        if article.summary:
            pieces.append(Piece(safe(article.summary)))
        pieces.append(Piece(Content.styled(TEASER_NOTICE, NOTICE_STYLE)))
        if row.truncated:
            pieces.append(Piece(Content.styled(TRUNCATED_NOTICE, NOTICE_STYLE), gap=False))
    elif article.body:
        if article.html:
            document = render_html(article.body, base, stop=stop)
        else:
            document = text_document(article.body)
        if document.cut:
            pieces.append(Piece(Content.styled(_cut_notice(document), NOTICE_STYLE)))
        pieces.extend(block_piece(block) for block in document.blocks)
        links = document.links
    else:
        pieces.append(Piece(Content.styled(EMPTY_NOTICE, NOTICE_STYLE)))
    links += tuple(
        Link(len(links) + n, resolve(e.url, base), e.type, image=False)
        for n, e in enumerate(article.enclosures, 1)
    )
    pieces.extend(_footer(article, base, links))
    return Page(tuple(pieces), links)


def _meta_line(article: Article) -> Content:
    return Content.assemble(
        safe(article.source_name).stylize("$accent"),
        ("  ·  ", "dim"),
        (long_date(article.row.published), "dim"),
        *((("  ·  ", "dim"), safe(article.path).stylize("dim")) if article.path else ()),
    )


def _cut_notice(document: Document) -> str:
    shown, total = (document.total - document.cut) // 1024, document.total // 1024
    return f"Showing the first {shown:,} KB of this {total:,} KB item; the rest is left out."


def _footer(article: Article, base: str, links: tuple[Link, ...]) -> list[Piece]:
    enclosures = len(article.enclosures)
    pieces = []
    if article.link:
        own = Content.assemble(("Link: ", "dim"), safe(resolve(article.link, base)))
        pieces.append(Piece(own))
    for link in links:
        number = Content.styled(f"[{link.number}] ", "dim")
        url = link.url if len(link.url) <= MAX_URL_SHOWN else link.url[:MAX_URL_SHOWN] + "…"
        attachment = link.number > len(links) - enclosures
        text = Content.assemble(
            ("Attachment: ", "dim") if attachment else "",
            safe(url),
            (" (image)", "dim") if link.image else "",
            Content.assemble(" (", safe(link.label), ")").stylize("dim")
            if attachment and link.label
            else "",
        ).stylize(_link_style(link.number))
        gap = link.number == 1 and not article.link
        pieces.append(Piece(text, first=number, rest=Content(" " * len(number)), gap=gap))
    if article.encoding not in ("utf-8", "utf-8-sig"):
        pieces.append(Piece(safe(f"(decoded as {article.encoding})").stylize("dim")))
    return pieces


def block_piece(block: Block) -> Piece:
    """A block of the document as a piece: its spans as styles, its context as prefixes."""
    spans = [Span(span.start, span.end, SPAN_STYLES.get(span.style, "")) for span in block.spans]
    spans += [
        Span(span.start, span.end, _link_style(span.link)) for span in block.spans if span.link
    ]
    content = Content(block.text, spans)
    first, rest = _prefixes(block.quote, block.indent, block.marker)
    if block.kind == "heading":
        content = content.stylize_before(HEADING_STYLES.get(block.level, "bold"))
    elif block.kind == "pre":
        content = content.stylize_before(PRE_STYLE)
    return Piece(
        content,
        wrap=block.kind in ("text", "heading"),
        first=first,
        rest=rest if block.kind in ("text", "heading") else first,
        gap=not block.tight,
        rule=block.kind == "rule",
        quote=block.quote,
    )


@lru_cache(maxsize=256)
def _prefixes(quote: int, indent: int, marker: str) -> tuple[Content, Content]:
    """First-line and following-line prefixes: quote bars, indentation, the list marker."""
    bars = _bars(quote)
    first = Content.assemble(bars, " " * indent, (marker, MARKER_STYLE))
    return first, Content.assemble(bars, " " * (indent + cell_len(marker)))


@lru_cache(maxsize=64)
def _bars(depth: int) -> Content:
    return Content.styled(QUOTE_BAR[0] * depth, QUOTE_BAR[1]) if depth else EMPTY


@lru_cache(maxsize=1024)
def _link_style(number: int) -> Style:
    return Style.from_meta({LINK_META: number})


PLACEHOLDER_PAGE = Page((Piece(Content.styled(PLACEHOLDER, "dim"), gap=False),))


def preparing_page(article: Article) -> Page:
    notice = f"{title_of(article.row.title)}\n\nPreparing the article…"
    return Page((Piece(Content.styled(notice, "dim"), gap=False),))


# -- laying it out for a width (pure) -----------------------------------------------------------

_WORDS = re.compile(r"\s*\S+\s*")


def layout(page: Page, width: int) -> Layout:
    """The page laid out ``width`` cells wide (unwrapped lines may be wider)."""
    width = max(width, 1)
    firsts: list[int] = []
    starts: list[tuple[int, ...]] = []
    count = widest = 0
    for piece in page.pieces:
        count += piece.gap and count > 0
        firsts.append(count)
        text = piece.content.plain
        if piece.rule:
            breaks: list[int] = [0]
        elif piece.wrap:
            room = width - max(
                _fit(piece.first, width).cell_length, _fit(piece.rest, width).cell_length
            )
            breaks = wrap_starts(text, max(room, 1))
        else:
            breaks = [0, *(match.end() for match in re.finditer("\n", text))]
            longest = max(cell_len(line.expandtabs(8)) for line in text.split("\n"))
            widest = max(widest, _fit(piece.first, width).cell_length + min(longest, MAX_LINE))
        starts.append(tuple(breaks))
        count += len(breaks)
    return Layout(page, width, tuple(firsts), tuple(starts), count, max(widest, width))


def wrap_starts(text: str, width: int) -> list[int]:
    """Where each line of ``text`` starts when wrapped at ``width`` cells: at its newlines and
    between words (a word wider than a line is cut)."""
    starts: list[int] = []
    offset = 0
    for line in text.split("\n"):
        starts.append(offset)
        if len(line) > width or not line.isascii():
            starts.extend(offset + cut for cut in _breaks(line, width))
        offset += len(line) + 1
    return starts


def _breaks(line: str, width: int) -> list[int]:
    measure = len if line.isascii() else cell_len
    cuts: list[int] = []
    column = 0
    for match in _WORDS.finditer(line):
        word = match.group()
        size = measure(word.rstrip())
        if column + size <= width:
            column += measure(word)
            continue
        if column:  # to the next line
            cuts.append(match.start())
            column = 0
        if size <= width:
            column = measure(word)
            continue
        for index, char in enumerate(word):  # wider than a line: cut it
            cells = 1 if measure is len else get_character_cell_size(char)
            if column and column + cells > width and not char.isspace():
                cuts.append(match.start() + index)
                column = 0
            column += cells
    return cuts


def piece_lines(layout: Layout, index: int) -> list[Line]:
    """The lines of one piece, cut from its text with their styles."""
    piece = layout.page.pieces[index]
    first, rest = _fit(piece.first, layout.width), _fit(piece.rest, layout.width)
    if piece.rule:
        room = max(1, layout.width - first.cell_length)
        return [Line(first, Content.styled("─" * room, "$text-muted"))]
    starts = layout.starts[index]
    bodies = piece.content.divide(starts[1:])
    prefixes = [first, *([rest] * (len(bodies) - 1))]
    if piece.wrap:
        return [Line(p, b.rstrip()) for p, b in zip(prefixes, bodies, strict=True)]
    return [Line(p, _unwrapped(b), scrolls=True) for p, b in zip(prefixes, bodies, strict=True)]


def page_text(page: Page, width: int) -> str:
    """The page's plain text unwrapped: a paragraph a line, with prefixes and blank lines."""
    lines: list[str] = []
    for piece in page.pieces:
        if piece.gap and lines:
            lines.append(_bars(piece.quote).plain.rstrip())
        if piece.rule:
            lines.append(piece.first.plain + "─" * max(1, width - piece.first.cell_length))
            continue
        for index, text in enumerate(piece.content.plain.split("\n")):
            prefix = piece.first if index == 0 else piece.rest
            lines.append((prefix.plain + text).rstrip())
    return "\n".join(lines)


def _fit(prefix: Content, width: int) -> Content:
    """A prefix cut so that at least half the pane (or ten cells) is left for text."""
    most = max(0, width - max(10, width // 2))
    return prefix if prefix.cell_length <= most else prefix[:most]


def _unwrapped(line: Content) -> Content:
    line = line.rstrip().expand_tabs(8)
    return line if line.cell_length <= MAX_LINE else line.truncate(MAX_LINE - 1) + "…"


# -- the widget ------------------------------------------------------------------------------


class ArticleView(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="article.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="article.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="article.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="article.bottom"),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False, id="article.page_down"),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False, id="article.page_up"),
        Binding("left", "scroll_left", "Scroll left", show=False, id="article.left"),
        Binding("right", "scroll_right", "Scroll right", show=False, id="article.right"),
        Binding("space", "page_or_next", "Page/next unread", id="article.space"),
        Binding("h,escape", "app.focus_list", "Back", id="article.back"),
    ]

    class EndReached(Message):
        """Space was pressed with the whole article read."""

    class LinkClicked(Message):
        """A link's text, its ``[n]`` or its entry in the list was clicked. The URL is the
        feed's: ask :func:`~streamtui.core.text.links.refusal` before opening it."""

        def __init__(self, number: int, url: str) -> None:
            super().__init__()
            self.number = number
            self.url = url

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes=EMPTY_CLASS)
        self.article: Article | None = None
        self._page = PLACEHOLDER_PAGE
        self._layout = layout(PLACEHOLDER_PAGE, 0)
        self._laid_out = False
        self._lines: OrderedDict[int, list[Line]] = OrderedDict()
        self._positions: OrderedDict[str, int] = OrderedDict()
        self._restore: int | None = None
        self._preparing = False

    # -- what the app calls -----------------------------------------------------------------

    @property
    def links(self) -> tuple[Link, ...]:
        """The numbered links of the open article (numbers from 1), attachments last."""
        return self._page.links

    def show(self, article: Article) -> None:
        """Show an article where the reader left it. A large HTML body is parsed and laid
        out in a worker thread, so opening one never freezes the screen."""
        self._remember()
        self.article = article
        self.remove_class(EMPTY_CLASS)
        self._restore = self._positions.get(article.row.id, 0)
        self._preparing = len(article.body) > LARGE_BODY and not article.row.teaser
        if self._preparing:
            self._set_page(preparing_page(article), scroll_to=0)
            self._prepare(article, self._width())
        else:
            self._set_page(article_page(article), scroll_to=self._restore)

    def clear(self) -> None:
        self._remember()
        self.article, self._preparing = None, False
        self.add_class(EMPTY_CLASS)
        self._set_page(PLACEHOLDER_PAGE, scroll_to=0)

    def rendered_text(self, *, wrapped: bool = False) -> str:
        """The plain text the pane shows (all of it, not only what is in view): a paragraph
        a line, or with ``wrapped`` every line as it is drawn at the pane's width."""
        if wrapped:
            return "\n".join(self._line(index).plain for index in range(self._layout.count))
        return page_text(self._page, self._layout.width)

    # Keys move the text at once. Textual animates them at 50 lines a second: End on a long
    # article took seconds to arrive, and until then the screen showed it stopped part-way
    # (the link list and the attachment of a podcast's notes still out of view).

    def action_scroll_home(self) -> None:
        self.scroll_home(animate=False, x_axis=False)

    def action_scroll_end(self) -> None:
        self.scroll_end(animate=False, x_axis=False)

    def action_scroll_up(self) -> None:
        self.scroll_up(animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_down(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_page_or_next(self) -> None:
        if self.scroll_y < self.max_scroll_y:
            self.scroll_page_down(animate=False)
        else:
            self.post_message(self.EndReached())

    # -- pages and layouts ------------------------------------------------------------------

    def _width(self) -> int:
        """The width text wraps at: the content width, less a vertical scrollbar whether or
        not one shows, so that its coming and going never changes the layout."""
        region = self.scrollable_content_region.width
        if not self.show_vertical_scrollbar:
            region -= self.styles.scrollbar_size_vertical
        return max(region, 1) if self.size.width else 0

    def _set_page(self, page: Page, *, scroll_to: int | None) -> None:
        self._page = page
        width = self._width()
        if width:
            self._apply(layout(page, width), scroll_to)
        else:
            self._restore = scroll_to  # laid out when the pane gets its size

    def _apply(self, new: Layout, scroll_to: int | None) -> None:
        old = self._layout
        self._layout, self._laid_out = new, True
        self._lines.clear()
        self.virtual_size = Size(new.widest, new.count)
        if scroll_to is None and old.count:  # the same page at a new width: keep the place
            scroll_to = round(self.scroll_y * new.count / old.count)
        # forced: the scrollbars of the new size are not there before the next layout
        self.scroll_to(0, scroll_to or 0, animate=False, force=True, immediate=True)
        self.refresh()

    @work(thread=True, exclusive=True, group="article")
    def _prepare(self, article: Article, width: int) -> None:
        worker = get_current_worker()
        page = article_page(article, stop=lambda: worker.is_cancelled)
        new = layout(page, width) if width and not worker.is_cancelled else None
        if not worker.is_cancelled:  # another article was opened meanwhile
            self.app.call_from_thread(self._prepared, article, page, new)

    def _prepared(self, article: Article, page: Page, new: Layout | None) -> None:
        if self.article is not article:  # the reader has moved on meanwhile
            return
        self._page, self._preparing = page, False
        if new is not None and new.width == self._width():
            self._apply(new, self._restore)
        else:
            self._set_page(page, scroll_to=self._restore)

    def on_resize(self, _: events.Resize) -> None:
        width = self._width()
        if not width:
            return
        if not self._laid_out or self._layout.page is not self._page:
            # the first size, or a page shown while the pane had none (hidden when narrow):
            # lay it out where the reader left it
            self._apply(layout(self._page, width), self._restore)
        elif width != self._layout.width:  # the same page at a new width: keep the place
            self._apply(layout(self._page, width), None)

    def _remember(self) -> None:
        if self.article is None or self._preparing:  # not drawn yet: keep what was kept
            return
        item_id = self.article.row.id
        self._positions[item_id] = round(self.scroll_y)
        self._positions.move_to_end(item_id)
        while len(self._positions) > REMEMBERED:
            self._positions.popitem(last=False)

    # -- drawing and the mouse --------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.visual_style
        base = style.rich_style
        index = self.scroll_offset.y + y
        if not 0 <= index < self._layout.count:
            return Strip.blank(width, base)
        line = self._line(index)
        prefix = Strip(line.prefix.render_segments(style))
        body = Strip(line.body.render_segments(style))
        if line.scrolls:
            scroll_x = round(self.scroll_x)
            body = body.crop(scroll_x, scroll_x + width)
        else:
            body = body.crop(0, width)
        segments: list[Segment] = [*prefix, *body]
        return Strip(segments).adjust_cell_length(width, base)

    def _line(self, index: int) -> Line:
        """Line ``index`` of the layout; a piece's lines are cut when first drawn, and the
        last pieces drawn are kept."""
        layout = self._layout
        number = bisect_right(layout.firsts, index) - 1
        lines = self._lines.get(number)
        if lines is None:
            lines = self._lines[number] = piece_lines(layout, number)
            while len(self._lines) > CACHED_PIECES:
                self._lines.popitem(last=False)
        offset = index - layout.firsts[number]
        if offset < len(lines):
            return lines[offset]
        pieces = layout.page.pieces  # the blank line before the next piece, quote bars kept
        depth = min(pieces[number].quote, pieces[number + 1].quote)
        return Line(_fit(_bars(depth), layout.width), EMPTY)

    def on_click(self, event: events.Click) -> None:
        number = event.style.meta.get(LINK_META)
        if isinstance(number, int) and 1 <= number <= len(self.links):
            event.stop()
            self.post_message(self.LinkClicked(number, self.links[number - 1].url))
