"""The article pane: a line-rendered view of the open item.

What it shows comes from ``ui/article/``: the article as a page of pieces (``page.py``: the
header, the body's blocks, the numbered links), laid out for the pane's width (``layout.py``).
The pane keeps the page and its layout, draws only the visible lines, scrolls (unwrapped lines
sideways; prose stays where it is), remembers where the reader left each item, and reads link
clicks. A large HTML body is parsed and laid out in a thread, so opening one never freezes the
screen. It stays one module (a little over 500 lines): the pictures' cells (half blocks, Kitty,
Sixel) are drawn by ``render_line`` with the rest, and their drawing itself is elsewhere
(``ui/images/``, ``widgets/sixels.py``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.worker import get_current_worker

from streamtui.core.models import Article, FullArticle
from streamtui.core.text import Link
from streamtui.ui.article.layout import Layout, Line, gap_line, layout, page_text, piece_lines
from streamtui.ui.article.page import (
    LINK_META,
    PLACEHOLDER_PAGE,
    Page,
    article_page,
    preparing_page,
    with_pictures,
)
from streamtui.ui.widgets.sixels import (
    SETTLE,
    Encoded,
    SixelImage,
    SixelPainter,
    prepare,
    screen_places,
    spots_in,
)

Rows = tuple[tuple[Segment, ...], ...]
ImageSource = Callable[[str], "Future[bytes]"]


@dataclass(frozen=True, slots=True)
class Transmit:
    """A Kitty image ready to send: its id and the escapes that send and place it."""

    image_id: int
    escapes: str


LARGE_BODY = 64 * 1024
"""Bodies larger than this (characters) are parsed and laid out off the UI thread."""
CACHED_PIECES = 256
REMEMBERED = 500
"""Items whose scroll position the pane remembers."""
EMPTY_CLASS = "-empty"
IMAGE_ROWS = 24
"""The most rows an image takes (48 pixels of half blocks)."""
IMAGE_COLUMNS = 120
"""The most columns an image takes (the pane's width when narrower)."""
IMAGE_SECONDS = 60.0
"""The longest wait for an image's bytes (its fetch has the feed limits: 30 s in all)."""
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
        self.full: FullArticle | None = None
        """The extracted web page shown instead of the feed's text (None: the feed's)."""
        self._page = PLACEHOLDER_PAGE
        self._layout = layout(PLACEHOLDER_PAGE, 0)
        self._laid_out = False
        self._lines: OrderedDict[int, list[Line]] = OrderedDict()
        self._positions: OrderedDict[str, int] = OrderedDict()
        self._restore: int | None = None
        self._preparing = False
        self._base = PLACEHOLDER_PAGE
        """The page without its images (``_page`` is it with the images drawn so far)."""
        self.image_source: ImageSource | None = None
        """Where image bytes come from (the Library's cached fetch); None: images off, their
        ``[image: alt]`` only."""
        self._pictures: dict[int, Rows] = {}
        """The open page's images drawn so far, by link number (empty rows: failed)."""
        self._generation = 0
        """Counts pages and widths: a picture decoded for an older one is dropped."""
        self.kitty = False
        """Images drawn with Kitty graphics (Unicode placeholders) instead of half blocks:
        set by the screen when the terminal said it draws them."""
        self._sent: list[int] = []
        """Kitty images transmitted for the pictures shown (deleted when they are dropped)."""
        self.sixel = False
        """Images drawn as Sixel over blank cells (``widgets/sixels.py``): set by the screen
        when the terminal said it draws them and tells its cells' size in pixels."""
        self.sixel_colours = 256
        """The colours a Sixel image may use (the terminal's colour registers)."""
        self._sixels = SixelPainter()
        self._spots: tuple[Layout | None, list[tuple[int, int, Encoded]]] = (None, [])
        """The Sixel images' first lines in a layout (worked out once a layout)."""
        self._settle: Timer | None = None
        """The write of the Sixel images after the frames that called for it."""

    # -- what the app calls -----------------------------------------------------------------

    @property
    def links(self) -> tuple[Link, ...]:
        """The numbered links of the open article (numbers from 1), attachments last."""
        return self._page.links

    def show(self, article: Article, *, full: FullArticle | None = None) -> None:
        """Show an article where the reader left it (with ``full``, its extracted web page
        instead of the feed's text). A large HTML body is parsed and laid out in a worker
        thread, so opening one never freezes the screen."""
        self._remember()
        self.article, self.full = article, full if full is not None and full.ok else None
        self.remove_class(EMPTY_CLASS)
        self._restore = self._positions.get(self._place(), 0)
        size = len(self.full.html) if self.full is not None else len(article.body)
        self._preparing = size > LARGE_BODY and (self.full is not None or not article.row.teaser)
        if self._preparing:
            self._set_page(preparing_page(article), scroll_to=0)
            self._prepare(article, self.full, self._width())
        else:
            self._set_page(article_page(article, full=self.full), scroll_to=self._restore)

    def _place(self) -> str:
        """The key of the reading position: the item, or its extracted page."""
        assert self.article is not None
        item_id = self.article.row.id
        return f"{item_id}#full" if self.full is not None else item_id

    def clear(self) -> None:
        self._remember()
        self.article, self.full, self._preparing = None, None, False
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
        if page is not self._base:  # a new page: its images are still to load
            self._base = page
            self._drop_pictures()
        page = with_pictures(page, self._pictures)
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
        self._load_near()

    @work(thread=True, exclusive=True, group="article")
    def _prepare(self, article: Article, full: FullArticle | None, width: int) -> None:
        worker = get_current_worker()
        page = article_page(article, stop=lambda: worker.is_cancelled, full=full)
        new = layout(page, width) if width and not worker.is_cancelled else None
        if not worker.is_cancelled:  # another article was opened meanwhile
            self.app.call_from_thread(self._prepared, article, full, page, new)

    def _prepared(
        self, article: Article, full: FullArticle | None, page: Page, new: Layout | None
    ) -> None:
        if self.article is not article or self.full is not full:  # the reader moved on
            return
        self._base, self._page, self._preparing = page, page, False
        self._drop_pictures()
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
        elif width != self._layout.width or self._resized_sixels():
            # the same page at a new width (or a height a Sixel image no longer fits): keep
            # the place; the pictures, drawn for the old size, are drawn again when near
            if self._pictures:
                self._drop_pictures()
                self._page = self._base
            self._apply(layout(self._page, width), None)

    def _resized_sixels(self) -> bool:
        """A Sixel image is taller than the pane now (it is drawn only wholly shown)."""
        height = self.scrollable_content_region.height
        return any(image.encoded.rows > height for image in self._sixels.images.values())

    # -- images -----------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._load_near()

    def _load_near(self) -> None:
        """Start loading the images within a screen of the visible lines (an image far
        below is fetched only when the reader scrolls near it)."""
        source = self.image_source
        if source is None or self.article is None or self._preparing or not self._page.images:
            return
        layout_ = self._layout
        if layout_.page is not self._page or len(layout_.firsts) != len(self._page.pieces):
            return
        height = max(self.size.height, 1)
        top, bottom = self.scroll_offset.y - height, self.scroll_offset.y + 2 * height
        width = min(layout_.width, IMAGE_COLUMNS)
        for index, number in self._page.images:
            if number in self._pictures or not top <= layout_.firsts[index] <= bottom:
                continue
            self._pictures[number] = ()  # loading (and, if it fails, failed)
            url = self._page.links[number - 1].url
            self._load_image(source, self._generation, number, url, width)

    @work(thread=True, group="images")
    def _load_image(
        self, source: ImageSource, generation: int, number: int, url: str, width: int
    ) -> None:
        """Fetch (or read from the cache), decode and draw an image, off the UI thread;
        Pillow is imported here, on the first image, never at start."""
        from streamtui.ui.images.decode import Picture, decode_image

        try:
            data = source(url).result(IMAGE_SECONDS)
        except Exception:  # refused, too large, not an image, gone: the alt text stays
            return
        if self.kitty:
            self._load_kitty(data, generation, number, width)
            return
        if self.sixel and self._load_sixel(data, generation, number, url, width):
            return
        from streamtui.ui.images.blocks import half_block_lines

        picture = decode_image(data, width, IMAGE_ROWS * 2)
        if not isinstance(picture, Picture) or get_current_worker().is_cancelled:
            return
        rows = tuple(tuple(line) for line in half_block_lines(picture))
        self.app.call_from_thread(self._picture_ready, generation, number, rows)

    def _load_kitty(self, data: bytes, generation: int, number: int, width: int) -> None:
        """The image at the terminal's own resolution (up to the cells half blocks would
        take), encoded for the terminal here; transmitted by the UI thread (in order with
        the frames Textual writes) only if the page is still the same."""
        import sys

        from streamtui.ui.images import kitty
        from streamtui.ui.images.decode import Picture, decode_image

        cell = kitty.cell_pixels(sys.__stderr__)  # where Textual draws
        picture = decode_image(data, width * cell[0], IMAGE_ROWS * cell[1])
        if not isinstance(picture, Picture) or get_current_worker().is_cancelled:
            return
        columns, rows = kitty.cells_for(picture, cell)
        image_id = kitty.new_id()
        sent = Transmit(image_id, kitty.transmit(image_id, picture, columns, rows))
        cells = kitty.placeholder_rows(image_id, columns, rows)
        self.app.call_from_thread(self._picture_ready, generation, number, cells, sent)

    def _load_sixel(self, data: bytes, generation: int, number: int, url: str, width: int) -> bool:
        """The image as Sixel (``widgets/sixels.prepare``), at most the pane's height: it is
        drawn only wholly shown. False when the tty does not say its cells' size in pixels
        (half blocks then)."""
        rows = max(1, min(IMAGE_ROWS, self.scrollable_content_region.height))
        image = prepare(data, url, width, rows, self.sixel_colours)
        if image is False:
            return False
        if image is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(
                self._picture_ready, generation, number, image.cells, None, image
            )
        return True  # or not an image: the alt text stays

    def _picture_ready(
        self,
        generation: int,
        number: int,
        rows: Rows,
        sent: Transmit | None = None,
        sixel: SixelImage | None = None,
    ) -> None:
        if generation != self._generation or self._pictures.get(number):
            return  # another page, or another width, since
        if sixel is not None:
            self._sixels.add(number, sixel)
        if sent is not None:
            if not self._write_terminal(sent.escapes):
                return  # no terminal to send it to: the alt text stays
            self._sent.append(sent.image_id)
        before = self._layout
        top = round(self.scroll_y)
        self._pictures[number] = rows
        self._page = with_pictures(self._base, self._pictures)
        new = layout(self._page, before.width)
        # An image drawn above the first visible line pushes the text down: follow it.
        shift = 0
        for index, piece in enumerate(self._page.pieces):
            if piece.picture is rows and new.firsts[index] - piece.gap <= top:
                shift = new.count - before.count
        self._apply(new, top + shift)

    def _write_terminal(self, escapes: str) -> bool:
        """Write graphics escapes to the terminal, between the frames Textual writes (its
        driver's writer thread keeps the order); False when there is no terminal."""
        driver = getattr(self.app, "_driver", None)
        if driver is None or self.app.is_headless:
            return False
        try:
            driver.write(escapes)
        except Exception:  # the app is ending: the terminal is being given back
            return False
        return True

    def _drop_pictures(self) -> None:
        """Forget the pictures drawn (a new page or width): a decode still running for them
        is dropped when it ends (the generation moved on), their Kitty images deleted."""
        self._pictures, self._generation = {}, self._generation + 1
        self._sixels.clear()
        self._delete_sent()

    def _delete_sent(self) -> None:
        """Delete the Kitty images of the pictures just dropped (the terminal keeps an image
        until told: an evening's reading would pile them up)."""
        if self._sent:
            from streamtui.ui.images.kitty import delete

            self._write_terminal("".join(delete(image_id) for image_id in self._sent))
            self._sent = []

    def on_mount(self) -> None:
        listeners = getattr(self.app, "frame_listeners", None)
        if isinstance(listeners, list):
            listeners.append(self.frame_written)

    def on_unmount(self) -> None:
        self._delete_sent()
        listeners = getattr(self.app, "frame_listeners", None)
        if isinstance(listeners, list) and self.frame_written in listeners:
            listeners.remove(self.frame_written)

    def frame_written(self, touched: tuple[Region, ...]) -> None:
        """After a frame: write the Sixel images it wrote over, or that came into view (the
        app calls this; ``widgets/sixels.py`` says what is drawn and when)."""
        if self._sixels.images and self._sixels.note(self._sixel_places(), touched):
            if self._settle is not None:  # another frame over an image: wait for the last
                self._settle.stop()
            self._settle = self.set_timer(SETTLE, self._write_sixels)

    def _write_sixels(self) -> None:
        self._settle = None
        written = self._sixels.frame(self._sixel_places())
        if written:
            self._write_terminal(written)

    def _sixel_places(self) -> dict[int, Region]:
        """Where the Sixel images may be drawn on the screen now."""
        layout_, spots = self._spots
        if layout_ is not self._layout:  # worked out once a layout
            spots = spots_in(self._layout, self._sixels.images)
            self._spots = (self._layout, spots)
        return screen_places(self, spots, round(self.scroll_y))

    def _remember(self) -> None:
        if self.article is None or self._preparing:  # not drawn yet: keep what was kept
            return
        place = self._place()
        self._positions[place] = round(self.scroll_y)
        self._positions.move_to_end(place)
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
        if line.cells is not None:  # a row of an image
            strip = Strip(line.cells)
            if self.kitty or self.sixel:  # the pane's background under the image
                strip = strip.apply_style(base)
            return strip.crop(0, width).adjust_cell_length(width, base)
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
