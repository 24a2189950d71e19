"""Pilot: what a new user tripped over (issue 12): n and p at the ends of the list, the
sidebar highlight after a rename, sources added by another process, and the theme and list
width remembered across runs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.support.store import merge_items, update_source

from conftest import make_item
from streamtui.core.config import Config
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.dialogs import ConfirmScreen, NameScreen
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList

ITEMS = [
    ("i-1", "First story", 1_700_000_500),
    ("i-2", "Second story", 1_700_000_400),
    ("i-3", "Third story", 1_700_000_300),
    ("i-4", "Fourth story", 1_700_000_200),
]


def make_library(data: Path) -> Library:
    store = Store.open(data / "streamtui.db")
    library = Library(store, bundled=data / "no-guide")
    for number, name in enumerate(("Orchard", "Garden", "Meadow")):
        source = store.add_source(name, SourceKind.FEED, f"https://{number}.example/feed.xml")
        if number == 0:
            merge_items(
                store, source.id, [make_item(i, title, published=when) for i, title, when in ITEMS]
            )
    return library


def make_app(data: Path, config: Config | None = None) -> StreamApp:
    return StreamApp(
        make_library(data), sync_on_start=False, config=config, opener=lambda url: None
    )


def messages(app: StreamApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def highlighted(sidebar: SourcesSidebar) -> str | None:
    assert sidebar.highlighted is not None
    return sidebar.get_option_at_index(sidebar.highlighted).id


# -- n and p at the ends of the list ---------------------------------------------------------


async def test_p_at_the_first_unread_stops_and_says_so_then_wraps_when_pressed_again(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        stream = app.query_one(StreamList)
        assert stream.cursor == 0  # the first unread item, at the top
        await pilot.press("p")
        assert stream.cursor == 0  # not silently at the bottom
        said = "No unread item above; press again to wrap around to the bottom."
        assert messages(app)[-1] == said
        await pilot.press("p")
        assert stream.cursor == 3
        assert messages(app)[-1] == "Wrapped around: from the bottom."
        # n is the same at the other end
        await pilot.press("n")
        assert stream.cursor == 3
        assert messages(app)[-1] == "No unread item below; press again to wrap around to the top."
        await pilot.press("n")
        assert stream.cursor == 0
        assert messages(app)[-1] == "Wrapped around: from the top."
        # in between, n and p move without a word
        count = len(messages(app))
        await pilot.press("n", "n", "p")
        assert stream.cursor == 1 and len(messages(app)) == count
    app.library.close()


async def test_n_while_reading_the_last_unread_stops_then_wraps(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        stream = app.query_one(StreamList)
        await pilot.press("G", "enter")  # read the last item: the others stay unread
        await pilot.press("n")
        assert stream.cursor == 3
        assert "press again to wrap around to the top" in messages(app)[-1]
        await pilot.press("n")
        assert stream.cursor == 0 and app.article.article is not None
        assert app.article.article.row.id == "i-1"
    app.library.close()


# -- the sidebar highlight after a rename ----------------------------------------------------


async def test_rename_keeps_the_highlight_on_the_renamed_source(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        sidebar = app.query_one(SourcesSidebar)
        orchard, garden, meadow = (s.id for s in app.library.sources())
        await pilot.press("h")  # to the sidebar: All, Starred, Orchard, Garden, Meadow
        await pilot.press("j", "j", "enter")  # show Orchard
        await pilot.press("h", "j", "j")  # back in the sidebar, down to Meadow
        assert highlighted(sidebar) == str(meadow)
        await pilot.press("e")
        assert isinstance(app.screen, NameScreen)
        await pilot.press("ctrl+u", *"Pasture", "enter")
        await pilot.pause()
        assert {s.id: s.name for s in app.library.sources()}[meadow] == "Pasture"
        assert highlighted(sidebar) == str(meadow)
        await pilot.press("d")  # removes the source just renamed, not Orchard
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert [s.id for s in app.library.sources()] == [orchard, garden]
    app.library.close()


async def test_a_sidebar_redraw_leaves_the_highlight_where_the_user_put_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        sidebar = app.query_one(SourcesSidebar)
        garden = app.library.sources()[1].id
        await pilot.press("h", "j", "j", "j")  # All, Starred, Orchard, Garden
        assert highlighted(sidebar) == str(garden)
        app._show_sources()  # what a refresh ending does
        assert highlighted(sidebar) == str(garden)
    app.library.close()


# -- the theme and the list width across runs ------------------------------------------------


async def test_the_theme_and_list_width_chosen_in_the_app_are_kept_for_the_next_run(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = make_app(data)
    async with app.run_test(size=(140, 40)) as pilot:
        assert app.list_share == 50 and app.theme != "nord"
        await pilot.press("greater_than_sign", "greater_than_sign")
        app.theme = "nord"  # what the palette's "Change theme" does
        await pilot.pause()
    app.library.close()
    config = (tmp_path / "config").joinpath("config.toml")
    assert not config.exists()  # the user's config is never written

    store = Store.open(data / "streamtui.db")
    again = StreamApp(Library(store, bundled=data / "no-guide"), sync_on_start=False)
    async with again.run_test(size=(140, 40)):
        assert again.theme == "nord" and again.list_share == 60
        assert again.stream.styles.width is not None
        assert again.stream.styles.width.value == 60
    again.library.close()

    # a value in config.toml wins over the remembered one
    store = Store.open(data / "streamtui.db")
    chosen = Config(theme="gruvbox", list_width=30)
    third = StreamApp(Library(store, bundled=data / "no-guide"), sync_on_start=False, config=chosen)
    async with third.run_test(size=(140, 40)):
        assert third.theme == "gruvbox" and third.list_share == 30
    third.library.close()


async def test_a_remembered_theme_that_no_longer_exists_is_ignored(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    library.remember("theme", "no-such-theme")
    library.remember("list_width", "95")  # out of range: ignored
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(140, 40)):
        assert app.theme != "no-such-theme" and app.list_share == 50
    library.close()


# -- sources added or removed by another process ---------------------------------------------


def write_folder(folder: Path, count: int, word: str) -> Path:
    folder.mkdir(parents=True)
    for number in range(count):
        page = folder / f"{word}-{number}.txt"
        page.write_text(f"{word.title()} story {number}\n\nIts text.\n")
        os.utime(page, (1_700_000_000 + number, 1_700_000_000 + number))
    return folder


async def cli(*args: str) -> str:
    """The real command line, in a process of its own, on the same data folder."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "streamtui", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def folder_app(tmp_path: Path) -> StreamApp:
    data = Path(os.environ["STREAMTUI_DATA_DIR"])
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "no-guide")
    library.add_source(str(write_folder(tmp_path / "first", 3, "first")))
    return StreamApp(library, sync_on_start=False)


def shown_sources(app: StreamApp) -> list[str]:
    sidebar = app.query_one(SourcesSidebar)
    return [
        str(sidebar.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(sidebar.option_count)
    ]


async def test_a_source_added_by_the_command_line_shows_after_a_refresh(tmp_path: Path) -> None:
    app = folder_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        stream = app.query_one(StreamList)
        assert stream.count == 3
        await cli("add", str(write_folder(tmp_path / "second", 2, "second")))
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown_sources(app)[0] == "All 5"
        assert any(line.startswith("second") for line in shown_sources(app))
        assert stream.count == 5  # the list took in the new source's items too
        assert "all items · 5" in str(stream.border_title)
    app.library.close()


async def test_a_change_by_another_process_shows_without_a_key(tmp_path: Path) -> None:
    app = folder_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        stream = app.query_one(StreamList)
        await pilot.press("h", "j", "j", "enter")  # show the folder source alone
        first = app.view.source_id
        assert first is not None and stream.count == 3
        await cli("add", str(write_folder(tmp_path / "second", 2, "second")))
        await cli("remove", "first")
        for _ in range(100):  # the app looks every 2 s
            if stream.count == 2:
                break
            await pilot.pause(0.05)
        assert app.view.source_id is None  # the source in view is gone: All is shown
        assert stream.count == 2
        assert shown_sources(app)[0] == "All 2"
        assert not any(line.startswith("first") for line in shown_sources(app))
    app.library.close()


def test_only_another_connections_commits_count_as_changes_elsewhere(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    assert not store.changed_elsewhere()  # the first call sets the mark
    source = store.add_source("a", SourceKind.FEED, "https://a.example/")
    with store.checkpoints_deferred():  # a refresh's writes and its checkpoint
        update_source(store, source.id, last_error="x")
    store.search("x")  # the reading connection's temporary tables
    assert not store.changed_elsewhere()
    other = Store.open(tmp_path / "streamtui.db")  # another process, as SQLite sees it
    other.add_source("b", SourceKind.FEED, "https://b.example/")
    other.close()
    assert store.changed_elsewhere()
    assert not store.changed_elsewhere()  # said once
    store.close()
