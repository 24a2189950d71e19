"""Pilot tests: the app as a person drives it, asserted on the library's and widgets' state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Static

from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.article.page import TEASER_NOTICE
from streamtui.ui.screens.help import HelpScreen
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.pilot import until
from tests.support.typist import type_keys

PAGES = {
    # name: (mtime, text); newer files list first
    "alpha.txt": (
        1_700_000_300,
        "Alpha story\n\nAlpha body.\n\nMore from this stream\n\n"
        "Lonely teaser\n\nA teaser cut short...\n",
    ),
    "beta.txt": (
        1_700_000_200,
        "Beta story\n\n"
        + "\n\n".join(
            f"Beta paragraph {n} with enough words to need wrapping in a narrow pane."
            for n in range(40)
        )
        + "\n",
    ),
    "gamma.txt": (1_700_000_100, "Gamma story\n\nGamma body.\n"),
}


def write_pages(folder: Path, pages: dict[str, tuple[int, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (mtime, text) in pages.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        os.utime(path, (mtime, mtime))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    write_pages(folder, PAGES)
    return folder


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """A second source folder with one story newer than all of PAGES."""
    folder = tmp_path / "other"
    write_pages(folder, {"delta.txt": (1_700_000_400, "Delta story\n\nDelta body.\n")})
    return folder


def make_app(data_dir: Path, pages: Path, *, add: bool = True) -> StreamApp:
    store = Store.open(data_dir / "streamtui.db")
    library = Library(store, bundled=pages)
    library.ensure_default_source()  # the "bundled" guide is our pages folder
    if add:
        library.sync_all().__next__()
    return StreamApp(library, sync_on_start=False)


def titles(app: StreamApp) -> list[str]:
    stream = app.query_one(StreamList)
    return [row.title for i in range(stream.count) if (row := stream.row_at(i))]


def article_text(app: StreamApp) -> str:
    return app.query_one(ArticleView).rendered_text()


async def test_list_newest_first_and_open_marks_read_and_survives_restart(
    data_dir: Path, pages: Path
) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        assert titles(app) == ["Alpha story", "Lonely teaser", "Beta story", "Gamma story"]
        await pilot.press("j", "j", "enter")
        article = app.query_one(ArticleView)
        assert article.article is not None and article.article.row.title == "Beta story"
        assert app.focused is article
        assert "Beta paragraph 0" in article_text(app)
        stream = app.query_one(StreamList)
        assert stream.current is not None and stream.current.read
    app.library.store.close()

    again = make_app(data_dir, pages, add=False)
    async with again.run_test(size=(120, 30)):
        rows = {r.title: r.read for r in again.library.rows(again.main.view, 0, 10)}
        assert rows == {
            "Alpha story": False,
            "Lonely teaser": False,
            "Beta story": True,
            "Gamma story": False,
        }


async def test_keys_move_cursor_first_last_and_pages(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        stream = app.query_one(StreamList)
        await pilot.press("G")
        assert stream.cursor == 3
        await pilot.press("g")
        assert stream.cursor == 0
        await pilot.press("down", "down", "up")
        assert stream.cursor == 1
        await pilot.press("end")
        assert stream.cursor == 3
        await pilot.press("home", "ctrl+d")
        assert stream.cursor == 3
        await pilot.press("ctrl+u")
        assert stream.cursor == 0


async def test_teaser_article_says_it_is_a_teaser(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("j", "l")
        text = article_text(app)
        assert "A teaser cut short..." in text
        assert TEASER_NOTICE in text


async def test_mark_all_read_in_view(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("A")
        assert all(row.read for row in app.library.rows(app.main.view, 0, 10))
        stream = app.query_one(StreamList)
        assert all(stream.row_at(i).read for i in range(stream.count))  # type: ignore[union-attr]
        assert sum(s.unread for s in app.library.sources()) == 0


async def test_toggle_read_and_unread_only_view_keeps_just_read_items(
    data_dir: Path, pages: Path
) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("m")  # Alpha read
        assert app.library.store.row(titles_to_ids(app)["Alpha story"]).read  # type: ignore[union-attr]
        await pilot.press("M")  # unread only: Alpha is gone
        assert app.main.view.unread_only
        assert titles(app) == ["Lonely teaser", "Beta story", "Gamma story"]
        await pilot.press("enter")  # read Lonely teaser: it stays while the view lasts
        assert titles(app) == ["Lonely teaser", "Beta story", "Gamma story"]
        await pilot.press("escape", "m")  # toggle back to unread
        assert not app.query_one(StreamList).current.read  # type: ignore[union-attr]
        await pilot.press("M")
        assert not app.main.view.unread_only
        assert len(titles(app)) == 4


def titles_to_ids(app: StreamApp) -> dict[str, str]:
    return {row.title: row.id for row in app.library.rows(app.main.view, 0, 100)}


async def test_next_and_previous_unread(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    ids = None
    async with app.run_test(size=(120, 30)) as pilot:
        ids = titles_to_ids(app)
        app.library.mark_read([ids["Lonely teaser"], ids["Beta story"]])
        stream = app.query_one(StreamList)
        stream.forget_rows()
        await pilot.press("n")
        assert stream.current is not None and stream.current.title == "Gamma story"
        await pilot.press("p")
        assert stream.current is not None and stream.current.title == "Alpha story"
        await pilot.press("p")  # nothing before Alpha: stays, says so
        assert stream.current is not None and stream.current.title == "Alpha story"
        assert "No unread item above" in str(list(app._notifications)[-1].message)
        await pilot.press("p")  # again: wraps to the last unread, says so
        assert stream.current is not None and stream.current.title == "Gamma story"
        assert any("Wrapped" in str(n.message) for n in app._notifications)
        await pilot.press("n", "n")  # past the end: the second press wraps to the top
        assert stream.current is not None and stream.current.title == "Alpha story"
        app.library.mark_read([ids["Alpha story"], ids["Gamma story"]])
        stream.forget_rows()
        await pilot.press("n")  # nothing unread at all: stays, says so
        assert stream.current is not None and stream.current.title == "Alpha story"
        assert any("No more unread" in str(n.message) for n in app._notifications)


async def test_space_pages_then_opens_next_unread(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.press("j", "j", "enter")  # Beta: long
        article = app.query_one(ArticleView)
        await pilot.pause()
        assert article.max_scroll_y > 0
        await pilot.press("space")
        await pilot.pause()
        assert article.scroll_y > 0
        for _ in range(30):
            if article.article is not None and article.article.row.title != "Beta story":
                break
            await pilot.press("space")
            await pilot.pause()
        assert article.article is not None and article.article.row.title == "Gamma story"


async def test_J_and_K_step_while_reading(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("enter", "J")
        article = app.query_one(ArticleView)
        assert article.article is not None and article.article.row.title == "Lonely teaser"
        await pilot.press("J", "K")
        assert article.article.row.title == "Lonely teaser"
        read = {r.title for r in app.library.rows(app.main.view, 0, 10) if r.read}
        assert read == {"Alpha story", "Lonely teaser", "Beta story"}


async def test_back_and_tab_cycle_panes(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        stream, article = app.query_one(StreamList), app.query_one(ArticleView)
        sidebar = app.query_one(SourcesSidebar)
        await pilot.press("enter")
        assert app.focused is article
        await pilot.press("h")
        assert app.focused is stream
        await pilot.press("escape")
        assert app.focused is sidebar
        await pilot.press("tab")
        assert app.focused is stream
        await pilot.press("tab")
        assert app.focused is article
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is sidebar


async def test_sidebar_filters_by_source_and_toggles(
    data_dir: Path, pages: Path, other: Path
) -> None:
    app = make_app(data_dir, pages)
    app.library.add_source(str(other), "Other")
    async with app.run_test(size=(120, 30)) as pilot:
        assert titles(app)[0] == "Delta story"
        sidebar = app.query_one(SourcesSidebar)
        await pilot.press("escape")  # to the sidebar
        assert app.focused is sidebar
        assert sidebar.option_count == 4  # All, Starred and two sources
        await pilot.press("j", "j", "j", "enter")  # Other
        assert titles(app) == ["Delta story"]
        assert app.focused is app.query_one(StreamList)
        await pilot.press("escape", "k", "k", "k", "enter")  # All
        assert len(titles(app)) == 5
        await pilot.press("b")
        assert app.screen.has_class("-no-sidebar")
        assert not sidebar.display or sidebar.region.width == 0
        await pilot.press("b")
        assert not app.screen.has_class("-no-sidebar")


async def test_help_screen_lists_the_key_table(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(str(s.render()) for s in app.screen.query(Static))
        for binding_text in (
            "Mark all read",
            "Next unread",
            "Toggle read",
            "All/unread",
            "Open",
            "Page/next unread",
            "Command palette",
        ):
            assert binding_text in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_runs_an_action(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_keys(pilot, *"mark all read")  # the palette searches at each key
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert all(row.read for row in app.library.rows(app.main.view, 0, 10))


async def test_command_palette_runs_a_panes_action(data_dir: Path, pages: Path) -> None:
    """A pane's key from the palette acts on the main screen under the palette."""
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_keys(pilot, *"stream list: open")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.query_one(ArticleView)
        assert app.main.article.article is not None
        assert app.main.article.article.row.title == "Alpha story"


async def test_mouse_click_selects_then_opens(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        stream = app.query_one(StreamList)
        await pilot.click(StreamList, offset=(10, 3))  # border row 0, rows from 1: row index 2
        assert stream.cursor == 2
        assert app.query_one(ArticleView).article is None
        await pilot.click(StreamList, offset=(10, 3))
        article = app.query_one(ArticleView).article
        assert article is not None and article.row.title == "Beta story"


async def test_markup_in_titles_is_shown_literally(data_dir: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile"
    write_pages(
        hostile,
        {"x.txt": (1_700_000_000, "[@click=app.quit]Click me[/] [/ [bold]x\n\n[link=x]y\n")},
    )
    app = make_app(data_dir, hostile)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("enter")
        text = article_text(app)
        assert "[@click=app.quit]Click me[/] [/ [bold]x" in text
        await pilot.click(ArticleView, offset=(5, 1))
        assert app.is_running


async def test_startup_message_is_shown(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    app = StreamApp(app.library, startup_message="db: moved aside", sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        # shown once the screen is up: one pause was not always enough on a loaded machine
        await until(pilot, lambda: any("moved aside" in str(n.message) for n in app._notifications))


async def test_sync_on_start_loads_sources(data_dir: Path, pages: Path) -> None:
    store = Store.open(data_dir / "streamtui.db")
    library = Library(store, bundled=pages)
    library.ensure_default_source()
    app = StreamApp(library)
    async with app.run_test(size=(120, 30)) as pilot:
        # the refresh on start runs in a worker and the list takes in its items after it:
        # wait for them rather than for the worker (which may not have started yet)
        expected = ["Alpha story", "Lonely teaser", "Beta story", "Gamma story"]
        await until(pilot, lambda: titles(app) == expected)


async def test_layout_follows_the_terminal_width(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(160, 40)) as pilot:
        assert not app.screen.has_class("-narrow")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.screen.has_class("-narrow")
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        assert not app.screen.has_class("-narrow")


async def test_keys_typed_ahead_after_back_reach_the_list(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        stream = app.query_one(StreamList)
        await pilot.press("enter", "h", "j", "j")
        assert app.focused is stream
        assert stream.cursor == 2
        await pilot.press("enter", "J")  # typed ahead after opening: reaches the article
        article = app.query_one(ArticleView).article
        assert article is not None and article.row.title == "Gamma story"


async def test_J_on_the_last_item_keeps_the_scroll(data_dir: Path, pages: Path) -> None:
    write_pages(
        pages,
        {
            "zeta.txt": (
                1_600_000_000,
                "Zeta story\n\n" + "\n\n".join(f"Zeta paragraph {n}." for n in range(60)) + "\n",
            )
        },
    )
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("G", "enter")
        article = app.query_one(ArticleView)
        await pilot.pause()
        await pilot.press("j", "j", "j")
        await pilot.pause()
        scrolled = article.scroll_y
        assert scrolled > 0
        await pilot.press("J")
        await pilot.pause()
        assert article.scroll_y == scrolled


async def test_choosing_another_source_clears_an_article_it_does_not_hold(
    data_dir: Path, pages: Path, other: Path
) -> None:
    app = make_app(data_dir, pages)
    app.library.add_source(str(other), "Other")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("j", "enter")  # Alpha, from the guide
        assert app.query_one(ArticleView).article is not None
        await pilot.press("h", "escape", "j", "j", "j", "enter")  # sources: Other
        assert titles(app) == ["Delta story"]
        assert app.query_one(ArticleView).article is None


async def test_hostile_source_names_are_drawn_without_escapes(
    data_dir: Path, pages: Path, tmp_path: Path
) -> None:
    app = make_app(data_dir, pages)
    other = tmp_path / "other"
    write_pages(other, {"delta.txt": (1_700_000_400, "Delta story\n\nDelta body.\n")})
    # A name stored before names were sanitised on the way in.
    evil = app.library.store.add_source(
        "n\x1b]0;PWNED\x07[b]x[/b]", SourceKind.FOLDER, str(other.resolve())
    )
    app.library.sync(evil)
    async with app.run_test(size=(200, 30)) as pilot:  # wide enough for the source column
        stream = app.query_one(StreamList)
        lines = [stream.render_line(y).text for y in range(stream.count)]
        assert any("n[b]x[/b]" in line for line in lines)
        assert not any("\x1b" in line or "PWNED" in line for line in lines)
        await pilot.press("enter")
        text = article_text(app)
        assert "\x1b" not in text and "PWNED" not in text


async def test_R_rereads_sources(data_dir: Path, pages: Path) -> None:
    app = make_app(data_dir, pages)
    async with app.run_test(size=(120, 30)) as pilot:
        write_pages(pages, {"omega.txt": (1_700_000_500, "Omega story\n\nNew.\n")})
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert titles(app)[0] == "Omega story"
