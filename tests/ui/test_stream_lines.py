"""The stream list keeps its drawn lines: a repaint of the whole list (its subtitle following
a refresh every 0.4 s, a reload that keeps the screen) draws again only the rows that changed
(issue 15: each such repaint drew every row, about 20 ms of the UI thread at 100k items)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.content import Content

from streamtui.core.models import Row
from streamtui.ui.widgets.stream_list import StreamList

ROWS = [
    Row(str(n), 1, f"Story {n}", datetime(2026, 1, 1, tzinfo=UTC), False, False, False, False)
    for n in range(60)
]


def drawn_lines(stream: StreamList) -> list[int]:
    """The lines (y) the list draws from now on, as a list that fills as it draws them."""
    drawn: list[int] = []
    render_line = stream.render_line

    def counted(y: int) -> object:
        drawn.append(y)
        return render_line(y)

    stream.render_line = counted  # type: ignore[method-assign,assignment]
    return drawn


class ListApp(App[None]):
    CSS = "StreamList { border: round white; overflow-x: hidden; scrollbar-size-vertical: 1; }"

    def compose(self) -> ComposeResult:
        yield StreamList()


async def test_a_repaint_draws_again_only_the_rows_that_changed() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 20)) as pilot:
        stream = app.query_one(StreamList)
        rows = list(ROWS)
        stream.load(lambda offset, limit: rows[offset : offset + limit], len(rows), {1: "Feed"})
        await pilot.pause()
        drawn: list[str] = []
        draw = stream._row_text

        def counted(row: Row, width: int) -> object:
            drawn.append(row.id)
            return draw(row, width)

        stream._row_text = counted  # type: ignore[method-assign,assignment]
        stream.border_subtitle = Content("refreshing 1/2")  # every line is painted again
        await pilot.pause()
        stream.load(  # the same rows read again, as a running refresh's reload does
            lambda offset, limit: rows[offset : offset + limit],
            len(rows),
            {1: "Feed"},
            keep_screen=True,
        )
        await pilot.pause()
        assert drawn == []
        rows[3] = replace(rows[3], read=True)
        stream.update_row(rows[3])
        await pilot.pause()
        assert drawn == ["3"]
        stream.load(lambda offset, limit: rows[offset : offset + limit], len(rows), {1: "News"})
        await pilot.pause()  # another source name: every line shows it
        assert len(drawn) > 10


async def test_a_new_subtitle_draws_the_bottom_border_alone() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 20)) as pilot:
        stream = app.query_one(StreamList)
        stream.load(lambda offset, limit: ROWS[offset : offset + limit], len(ROWS), {1: "Feed"})
        stream.set_subtitle(Content("60 unread"))
        stream.set_title(Content("All · 60"))
        await pilot.pause()
        lines = drawn_lines(stream)
        for done in range(1, 4):  # a refresh's progress, a few times a second
            stream.set_subtitle(Content(f"refreshing {done}/3"))
            stream.set_title(Content(f"All · {60 + done}"))  # its reloads' counts
            await pilot.pause()
        assert lines == []  # no row drawn again (border_subtitle drew all 18 each time)
        drawn = [strip.text for strip in stream.render_lines(stream.region.reset_offset)]
        assert "refreshing 3/3" in drawn[-1]
        assert "All · 63" in drawn[0]
        assert "Story 0" in drawn[1]
        stream.set_subtitle(Content("refreshing 3/3"))  # the same text: nothing to do
        assert not stream._repaint_regions


async def test_more_rows_move_the_scrollbar_without_a_layout_of_the_screen() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 20)) as pilot:
        stream = app.query_one(StreamList)
        rows = list(ROWS)
        stream.load(lambda offset, limit: rows[offset : offset + limit], 5, {1: "Feed"})
        await pilot.pause()
        assert not stream.show_vertical_scrollbar  # 5 rows fit
        stream.load(lambda offset, limit: rows[offset : offset + limit], 30, {1: "Feed"})
        await pilot.pause()  # the scrollbar appears: a layout, as Textual does it
        assert stream.show_vertical_scrollbar
        stream.load(lambda offset, limit: rows[offset : offset + limit], 60, {1: "Feed"})
        assert not stream._layout_required  # the screen is not arranged again
        await pilot.pause()
        assert stream.virtual_size.height == 60
        assert stream.vertical_scrollbar.window_virtual_size == 60
        stream.action_last()
        await pilot.pause()
        assert stream.scroll_offset.y == 60 - stream.scrollable_content_region.height
        assert "Story 59" in stream.render_lines(stream.region.reset_offset)[-2].text


async def test_rows_arriving_above_the_screen_draw_nothing_and_the_screen_stays() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 20)) as pilot:
        stream = app.query_one(StreamList)
        rows = list(ROWS)
        stream.load(lambda offset, limit: rows[offset : offset + limit], len(rows), {1: "Feed"})
        stream.cursor = 25  # the screen scrolls: row 25 on its last line
        await pilot.pause()
        before = [strip.text for strip in stream.render_lines(stream.region.reset_offset)]
        top = stream.scroll_offset.y
        drawn = drawn_lines(stream)
        new = [replace(ROWS[0], id=f"new{n}", title=f"New {n}") for n in range(3)]
        rows = new + rows  # a refresh stored three newer items
        stream.load(
            lambda offset, limit: rows[offset : offset + limit],
            len(rows),
            {1: "Feed"},
            position=28,  # the cursor's item, ranked again
            keep_screen=True,
        )
        await pilot.pause()
        assert drawn == []  # scrolling as Textual does drew every row again
        assert stream.scroll_offset.y == top + 3
        assert stream.vertical_scrollbar.position == top + 3
        assert stream.current == ROWS[25]
        assert [strip.text for strip in stream.render_lines(stream.region.reset_offset)] == before
        stream.action_cursor_down()
        await pilot.pause()
        assert stream.current == ROWS[26]
        lines = [strip.text for strip in stream.render_lines(stream.region.reset_offset)]
        assert "Story 26" in lines[-2]  # the list scrolled on by one, from the new place
        stream.action_first()
        await pilot.pause()
        assert "New 0" in stream.render_lines(stream.region.reset_offset)[1].text


async def test_rows_arriving_on_the_screen_are_drawn() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 20)) as pilot:
        stream = app.query_one(StreamList)
        rows = list(ROWS)
        stream.load(lambda offset, limit: rows[offset : offset + limit], len(rows), {1: "Feed"})
        stream.cursor = 5
        await pilot.pause()
        rows.insert(3, replace(ROWS[0], id="new", title="Arrived in view"))
        stream.load(
            lambda offset, limit: rows[offset : offset + limit],
            len(rows),
            {1: "Feed"},
            position=6,
            keep_screen=True,
        )
        await pilot.pause()
        lines = [strip.text for strip in stream.render_lines(stream.region.reset_offset)]
        assert stream.current == ROWS[5]
        assert any("Arrived in view" in line for line in lines)
