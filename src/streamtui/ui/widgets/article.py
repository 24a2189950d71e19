"""The article pane: a line-rendered view of the open item.

What it shows comes from ``ui/article/``: the article as a page of pieces (``page.py``: the
header, the body's blocks, the numbered links), laid out for the pane's width (``layout.py``).
The pane keeps the page and its layout, draws only the visible lines, scrolls (unwrapped lines
sideways; prose stays where it is), remembers where the reader left each item, and reads link
clicks. A large HTML body is parsed and laid out in a thread, so opening one never freezes the
screen.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from typing import ClassVar

from rich.segment import Segment
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from streamtui.core.models import Article
from streamtui.core.text import Link
from streamtui.ui.article.layout import Layout, Line, gap_line, layout, page_text, piece_lines
from streamtui.ui.article.page import (
    LINK_META,
    PLACEHOLDER_PAGE,
    Page,
    article_page,
    preparing_page,
)

LARGE_BODY = 64 * 1024
"""Bodies larger than this (characters) are parsed and laid out off the UI thread."""
CACHED_PIECES = 256
REMEMBERED = 500
"""Items whose scroll position the pane remembers."""
EMPTY_CLASS = "-empty"
"""The pane's class while no article is open: the wide layout gives its room to the list."""


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
        Binding("h,escape", "screen.focus_list", "Back", id="article.back"),
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
        return gap_line(layout, number)

    def on_click(self, event: events.Click) -> None:
        number = event.style.meta.get(LINK_META)
        if isinstance(number, int) and 1 <= number <= len(self.links):
            event.stop()
            self.post_message(self.LinkClicked(number, self.links[number - 1].url))
