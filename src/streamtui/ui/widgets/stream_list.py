"""The stream list: a line-rendered virtual list that draws only the visible rows.

Rows come from a fetch callable in blocks of ``BLOCK`` (SQLite windows), so the widget is as
fast over 100,000 items as over 100; nothing is measured or mounted per item. Each drawn line
is kept until something that changes how it looks does (the row's own state is part of its
key): a repaint of the whole list (its subtitle following a refresh, a reload that keeps
the screen) draws the lines again only where their rows changed.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from streamtui.core.models import Row
from streamtui.core.text import sanitize
from streamtui.ui.format import short_date, title_of

BLOCK = 128
MAX_BLOCKS = 32
MAX_LINES = 512
"""Drawn lines kept (a few screens); past it they are dropped and drawn again."""
LINES_SECONDS = 60.0
"""Drawn lines are dropped at least this often: a row's date reads "14:05" today and "Dec 02"
from tomorrow on."""
Fetch = Callable[[int, int], list[Row]]


class StreamList(ScrollView, can_focus=True):
    """One row per item, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False, id="list.page_up"),
        # Keys that move focus run on the screen at once, so typed-ahead keys land right.
        Binding("enter,l,space", "screen.open_current", "Open", id="list.open"),
        Binding(
            "h,escape", "screen.list_back", "Sources (clears a search)", show=False, id="list.back"
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "stream-list--cursor",
        "stream-list--unread",
        "stream-list--read",
        "stream-list--meta",
        "stream-list--teaser",
        "stream-list--star",
        "stream-list--match",
    }

    # Only the two rows that change are repainted (watch_cursor); repainting every row took
    # 14 ms of CPU a key at 100k items against 4 ms.
    cursor: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)

    class Opened(Message):
        def __init__(self, row: Row) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._fetch: Fetch = lambda offset, limit: []
        self._count = 0
        self._names: dict[int, str] = {}
        self._blocks: OrderedDict[int, list[Row]] = OrderedDict()
        self.empty_text = "Loading…"
        self.show_source = True
        self._highlight: list[str] = []
        self._terms: re.Pattern[str] | None = None
        self._lines: dict[tuple[Row, bool, int], Strip] = {}
        """Drawn lines by (row, under the cursor, width)."""
        self._lines_since = time.monotonic()

    # -- data ----------------------------------------------------------------------------

    def load(
        self,
        fetch: Fetch,
        count: int,
        names: dict[int, str],
        *,
        position: int | None = None,
        show_source: bool = True,
        keep_screen: bool = False,
    ) -> None:
        """Show a new view (or the same view re-read); the cursor goes to ``position``.

        With ``keep_screen`` the cursor's row stays on the same screen line, so that items
        arriving above it slide in without moving what the user is looking at."""
        screen_line = self.cursor - round(self.scroll_y)
        height = self.scrollable_content_region.height
        same_look = names == self._names and show_source == self.show_source
        shown = self._cached_rows(round(self.scroll_y), height) if keep_screen else None
        if not same_look:
            self.forget_lines()  # the lines' source column changes (the rows may not)
        self._fetch, self._count, self._names = fetch, count, names
        self.show_source = show_source
        self._blocks.clear()
        self._set_count(count)
        target = self.cursor if position is None else position
        target = max(0, min(target, count - 1))
        # Read the cursor's rows now, with the count and position just taken: a refresh
        # storing more items a moment later must not shift what the cursor points at.
        self.row_at(target)
        if keep_screen:
            top = max(0, target - screen_line)
            if (
                same_look
                and shown is not None
                and top <= count - height
                and [self.row_at(index) for index in range(top, top + height)] == shown
            ):
                self._slide(top, target)
                return
            self.scroll_to(y=top, animate=False, immediate=True)
            self.set_reactive(StreamList.cursor, target)
            self.refresh()
            return
        self.cursor = target
        self.refresh()

    def _cached_rows(self, top: int, height: int) -> list[Row] | None:
        """The rows on screen from ``top``, as read before (None: not all of them are)."""
        rows: list[Row] = []
        for index in range(top, top + height):
            number, offset = divmod(index, BLOCK)
            block = self._blocks.get(number)
            if block is None or offset >= len(block):
                return None
            rows.append(block[offset])
        return rows

    def _slide(self, top: int, cursor: int) -> None:
        """Rows came in above the screen and it shows the same rows as before: the list
        scrolls to them without drawing a line (the scrollbar's thumb alone moves). Scrolling
        as Textual does repaints every row, 15-45 ms of the UI thread (load 1-5) at each of
        a refresh's reloads, once a second, where a key pressed meanwhile waited."""
        self.set_reactive(StreamList.scroll_y, float(top))
        self.set_reactive(StreamList.scroll_target_y, float(top))
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = top
        self.set_reactive(StreamList.cursor, cursor)

    @property
    def highlight(self) -> list[str]:
        return self._highlight

    @highlight.setter
    def highlight(self, words: list[str]) -> None:
        """Words to mark where a word of a title starts with them (a search's terms)."""
        words = [w for w in words if w]
        if words == self._highlight:
            return
        self._highlight = words
        alternatives = "|".join(re.escape(w) for w in sorted(self._highlight, key=len)[::-1])
        self._terms = re.compile(rf"(?<!\w)(?:{alternatives})", re.I) if alternatives else None
        self.forget_lines()

    @property
    def count(self) -> int:
        return self._count

    def row_at(self, index: int) -> Row | None:
        if not 0 <= index < self._count:
            return None
        number, offset = divmod(index, BLOCK)
        block = self._blocks.get(number)
        if block is None:
            block = self._fetch(number * BLOCK, BLOCK)
            self._blocks[number] = block
            while len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(number)
        return block[offset] if offset < len(block) else None

    @property
    def current(self) -> Row | None:
        return self.row_at(self.cursor)

    def update_row(self, row: Row) -> None:
        """Replace a cached row (its read state changed) and redraw just that line."""
        for number, block in self._blocks.items():
            for offset, cached in enumerate(block):
                if cached.id == row.id:
                    block[offset] = row
                    self._refresh_index(number * BLOCK + offset)
                    return

    def forget_rows(self) -> None:
        """Drop every cached row (after a bulk change) and redraw."""
        self._blocks.clear()
        self.forget_lines()
        self.refresh()

    def forget_lines(self) -> None:
        """Drop every drawn line: the next paint draws each again."""
        self._lines.clear()
        self._lines_since = time.monotonic()

    def notify_style_update(self) -> None:
        """The styles changed (the theme, the focus that colours the cursor's row)."""
        super().notify_style_update()
        self.forget_lines()

    # -- cursor --------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self._count - 1)) if self._count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_index(old)
        self._refresh_index(new)
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, immediate=True)

    def _refresh_index(self, index: int) -> None:
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self._count - 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:  # on the border or the scrollbar
            return
        index = offset.y + self.scroll_offset.y
        if not 0 <= index < self._count:
            return
        if index == self.cursor:
            self.action_open()
        else:
            self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self._count)

    def _set_count(self, count: int) -> None:
        """The list's scrollable height is ``count`` rows. While the scrollbar stays as it
        is (shown before and after), only its thumb moves: Textual's layout pass, which the
        new size asks for, arranged the whole screen again (50 ms of the UI thread a reload
        during a refresh at 1,200 sources, load 3), for nothing that could change."""
        size = Size(self.size.width, count)
        old = self.virtual_size
        height = self.scrollable_content_region.height
        if (
            self.show_vertical_scrollbar
            and size.width == old.width
            and height > 0
            and old.height > height
            and count > height
        ):
            self.set_reactive(StreamList.virtual_size, size)
            self._scroll_update(size)  # the thumb (Textual's own step after a layout)
        else:
            self.virtual_size = size

    def set_title(self, title: Content) -> None:
        """The text on the list's top border (the view's name and count): see set_subtitle."""
        self._set_border_text(title, top=True)

    def set_subtitle(self, subtitle: Content) -> None:
        """The text on the list's bottom border. Only that line is drawn again: setting
        ``border_subtitle`` repaints the whole widget (every row's line through the styles,
        about 10 ms at 40 rows), which a refresh's progress did a few times a second, and a
        key pressed meanwhile waited for it."""
        self._set_border_text(subtitle, top=False)

    def _set_border_text(self, text: Content, *, top: bool) -> None:
        shown = self._border_title if top else self._border_subtitle
        new = self.render_str(text).expand_tabs(4).split()[0]  # as Textual keeps it
        if shown is not None and new == shown:
            return
        outer = self.outer_size
        if shown is None or not outer:  # the first: Textual lays out the border
            if top:
                self.border_title = text
            else:
                self.border_subtitle = text
            return
        if top:
            self._border_title = new
        else:
            self._border_subtitle = new
        offset = self.content_offset  # refresh() takes regions in content coordinates
        y = -offset.y if top else outer.height - 1 - offset.y
        self.refresh(Region(-offset.x, y, outer.width, 1))

    # -- drawing -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        row = self.row_at(index) if self._count else None
        if row is None:
            base = self.rich_style
            if not self._count and y == 0:
                return Strip([Segment(self.empty_text[:width], base)]).adjust_cell_length(
                    width, base
                )
            return Strip.blank(width, base)
        key = (row, index == self.cursor, width)
        if len(self._lines) > MAX_LINES or time.monotonic() - self._lines_since > LINES_SECONDS:
            self.forget_lines()
        strip = self._lines.get(key)
        if strip is None:
            base = self.rich_style
            text = self._row_text(row, width)
            if index == self.cursor:
                text.stylize(self.get_component_rich_style("stream-list--cursor"))
            segments = text.render(self.app.console)
            strip = self._lines[key] = Strip(segments).adjust_cell_length(width, base)
        return strip

    def _row_text(self, row: Row, width: int) -> Text:
        """Marker, date, source, title, and the teaser tag pinned to the right edge."""
        state = self.get_component_rich_style(
            "stream-list--read" if row.read else "stream-list--unread"
        )
        meta = self.get_component_rich_style("stream-list--meta")
        meta = meta + state if row.read else meta
        source = sanitize(self._names.get(row.source_id, ""))
        tag = ""
        if row.teaser:
            tag = "  teaser" if width >= 60 else " T"
            tag += "…" if row.truncated else ""
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" ●" if not row.read else "  ", state)
        if row.starred:
            text.append("★ ", state + self.get_component_rich_style("stream-list--star"))
        else:
            text.append("  ")
        text.append(f"{short_date(row.published):>10}  ", meta)
        if self.show_source and width >= 60:
            text.append(f"{source[:16]:<16}  ", meta)
        room = max(0, width - text.cell_len - len(tag))
        title = Text(title_of(row.title), style=state, no_wrap=True, end="")
        if self._terms is not None:
            match = self.get_component_rich_style("stream-list--match")
            for found in self._terms.finditer(title.plain):
                title.stylize(match, found.start(), found.end())
        title.truncate(room, overflow="ellipsis", pad=True)
        text.append_text(title)
        if tag:
            text.append(tag, state + self.get_component_rich_style("stream-list--teaser"))
        text.truncate(width, overflow="ellipsis", pad=True)
        return text
