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


class ListApp(App[None]):
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
