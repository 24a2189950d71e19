"""Pilot: an update of a few sidebar entries (counts during a refresh) redraws those entries
and keeps every other entry's measured height; an entry that grows (an error line) moves the
ones below it. The sidebar overrides a method of Textual's OptionList for it (Textual is
pinned exactly): these tests hold it to what the screen shows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.pilot import Pilot
from textual.strip import Strip

from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.sidebar import SourcesSidebar
from tests.support.pilot import until

FEEDS = 60


def make_app(tmp_path: Path) -> StreamApp:
    store = Store.open(tmp_path / "streamtui.db")
    for number in range(FEEDS):
        store.add_source(f"Feed {number:02}", SourceKind.FEED, f"https://{number}.example/f")
    return StreamApp(Library(store, bundled=tmp_path / "none"), sync_on_start=False)


def drawn(sidebar: SourcesSidebar) -> list[str]:
    """The sidebar's lines as the screen has them now."""
    return [line.text for line in sidebar.render_lines(sidebar.region.reset_offset)]


async def counted(pilot: Pilot[None], app: StreamApp) -> SourcesSidebar:
    """The sidebar once its counts, read on a worker after the first frame, are drawn."""
    sidebar = app.query_one(SourcesSidebar)
    await until(pilot, lambda: sidebar.counted)
    return sidebar


def line_of(lines: list[str], name: str) -> str:
    return next(line for line in lines if name in line)


async def test_a_new_count_is_drawn_and_the_other_heights_are_kept(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        sidebar = await counted(pilot, app)
        sources = {s.name: s for s in app.library.sources()}
        lines_before = list(sidebar._lines)
        sidebar.update_sources([dataclasses.replace(sources["Feed 03"], unread=7)])
        # the measured lines of the 62 entries are kept (Textual's own method forgets them
        # all and measures every entry again on the next frame)
        assert sidebar._line_cache.lines == lines_before
        await pilot.pause()
        lines = drawn(sidebar)
        assert "Feed 03 7 " in line_of(lines, "Feed 03")
        assert "Feed 04 0 " in line_of(lines, "Feed 04")
        assert "All 7 " in line_of(lines, "All")
        assert list(sidebar._lines) == lines_before


async def test_an_entry_that_grows_moves_the_ones_below(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        sidebar = await counted(pilot, app)
        sources = {s.name: s for s in app.library.sources()}
        lines_before = drawn(sidebar)
        failing = dataclasses.replace(sources["Feed 03"], last_error="connection refused")
        sidebar.update_sources([failing])
        await pilot.pause()
        lines = drawn(sidebar)
        at = lines.index(line_of(lines, "Feed 03"))
        assert "connection refused" in lines[at + 1]
        assert "Feed 04" in lines[at + 2]  # one line further down than before
        assert lines_before.index(line_of(lines_before, "Feed 04")) == at + 1
        assert len(sidebar._lines) == FEEDS + 2 + 1  # All, Starred, the feeds, the error
        assert all(isinstance(s, Strip) for s in sidebar.render_lines(sidebar.region))


async def test_the_same_sources_read_again_draw_only_what_changed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        sidebar = await counted(pilot, app)
        sources = app.library.sources()
        options_before = [sidebar.get_option_at_index(i) for i in range(sidebar.option_count)]
        replaced: list[str] = []
        replace = sidebar.replace_option_prompt

        def noted(option_id: str, prompt: object) -> object:
            replaced.append(option_id)
            return replace(option_id, prompt)  # type: ignore[arg-type]

        sidebar.replace_option_prompt = noted  # type: ignore[method-assign,assignment]
        again = [
            dataclasses.replace(s, unread=5) if s.name == "Feed 07" else s for s in sources
        ]  # a refresh's end reads every source again: one count changed meanwhile
        sidebar.show_sources(again, None, accounts=[])
        await pilot.pause()
        assert replaced == [str(sources[7].id), "all"]  # not 62 entries built anew
        assert [sidebar.get_option_at_index(i) for i in range(2)] == options_before[:2]
        lines = drawn(sidebar)
        assert "Feed 07 5 " in line_of(lines, "Feed 07")
        assert "All 5 " in line_of(lines, "All")
        replaced.clear()
        sidebar.show_sources(again, None, accounts=[])
        assert replaced == []  # nothing changed: nothing drawn
        new = dataclasses.replace(sources[-1], id=sources[-1].id + 1, name="Feed new")
        sidebar.show_sources([*again, new], None, accounts=[])
        await pilot.pause()  # a new source: every entry is placed again
        assert sidebar.get_option_index(str(new.id)) == sidebar.option_count - 1
