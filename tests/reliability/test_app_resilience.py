"""The app survives its terminal: a crash exits non-zero, and a terminal shrunk to a few cells
shows a notice instead of dying, then draws everything again when it grows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.help import HelpScreen
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.stream_list import StreamList
from streamtui.ui.widgets.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallNotice, notice
from tests.support.bytecode import src_path
from tests.support.escapes import Terminal
from tests.support.tmuxapp import TmuxApp
from tests.ui.test_app import PAGES, write_pages

TINY = [(3, 3), (2, 2), (1, 1), (1, 40), (5, 1), (MIN_WIDTH - 1, 40), (120, MIN_HEIGHT - 1)]
"""The sizes of the report and the edges of the usable size."""
EDGES = [(1, 1), (MIN_WIDTH - 1, 40), (120, MIN_HEIGHT - 1)]
"""One size of a few cells and the two edges of the usable size: what leaving and getting back
the usable size does to a screen's focus and layout is the same at every tiny size (the list
goes through every size of TINY, and the notice's text at each is checked on its own)."""


def app_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        STREAMTUI_DATA_DIR=str(tmp_path / "data"),
        STREAMTUI_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=src_path(),
        TERM="xterm-256color",
    )
    return env


# -- a crash is a failure ----------------------------------------------------------------------

CRASHING = """
import sys
from streamtui.ui.screens.main import MainScreen

def crash(self):
    raise RuntimeError("injected for the test")

MainScreen._after_first_frame = crash  # a bug on the first frame, as a bug would
from streamtui import cli
sys.exit(cli.main([]))
"""


def test_a_crash_exits_non_zero(tmp_path: Path) -> None:
    """The app used to exit 0 after a traceback: cli._launch ignored its return code."""
    terminal = Terminal([sys.executable, "-c", CRASHING], app_env(tmp_path), size=(100, 30))
    status = terminal.close(timeout=30)
    output = terminal.output
    assert status not in (0, None), output[-1500:]
    assert b"injected for the test" in output  # the traceback says where
    assert b"streamtui: the app stopped on an internal error" in output


def test_a_clean_quit_exits_zero(tmp_path: Path) -> None:
    terminal = Terminal([sys.executable, "-m", "streamtui"], app_env(tmp_path), size=(100, 30))
    try:
        assert terminal.wait_for(b"All", timeout=30)
        terminal.send("q")
    finally:
        status = terminal.close(timeout=20)
    assert status == 0


@pytest.mark.parametrize("after", ["a", ":", "?", "/x"])
def test_keys_typed_with_the_quit_are_dropped(tmp_path: Path, after: str) -> None:
    """`q` and `a` arriving together (a fast typist, a paste) opened the add dialog on a
    closing app: it found none of its widgets and the app ended in a traceback, exit 1."""
    terminal = Terminal([sys.executable, "-m", "streamtui"], app_env(tmp_path), size=(100, 30))
    try:
        assert terminal.wait_for(b"All", timeout=30)
        terminal.wait_quiet()
        terminal.send("q" + after)  # one write: both keys in one read of the app's input
    finally:
        status = terminal.close(timeout=20)
    assert b"Traceback" not in terminal.output, terminal.output[-1500:]
    assert status == 0


# -- a tiny terminal ---------------------------------------------------------------------------


def make_app(tmp_path: Path) -> StreamApp:
    pages = tmp_path / "pages"
    write_pages(pages, PAGES)
    library = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=pages)
    library.ensure_default_source()
    library.sync_all().__next__()
    return StreamApp(library, sync_on_start=False)


def test_the_notice_fits_what_there_is() -> None:
    from textual.geometry import Size

    assert "24x6" in notice(Size(80, 3)).plain
    assert notice(Size(3, 3)).plain == "Too small"
    assert len(notice(Size(1, 1)).plain) == 1


@pytest.mark.parametrize("before", ["list", "sidebar", "article", "help", "add", "palette"])
async def test_shrinking_to_a_few_cells_shows_a_notice_and_growing_restores(
    tmp_path: Path, before: str
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify("A toast that must not wrap into nothing.", timeout=60)
        keys = {
            "list": [],
            "sidebar": ["h"],
            "article": ["j", "enter"],
            "help": ["question_mark"],
            "add": ["a"],
            "palette": ["ctrl+p"],
        }[before]
        await pilot.press(*keys)
        await pilot.pause()
        screen = type(app.screen)
        focused = app.focused
        for size in TINY if before == "list" else EDGES:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert app.is_running and app.return_code is None, size
            assert app.has_class("-too-small")
            notice_widget = app.query_one(TooSmallNotice)
            assert notice_widget.display and notice_widget.region.width > 0, size
            assert not app.query_one("#main").display  # nothing else is laid out
            await pilot.press("j", "n", "m", "s")  # nothing acts unseen
            await pilot.resize_terminal(120, 40)
            await pilot.pause()
            assert not app.has_class("-too-small")
            assert type(app.screen) is screen and app.focused is focused
            stream = app.query_one(StreamList)
            assert stream.region.width > 20 and stream.render_line(0).text.strip()
        assert app.library.rows(app.main.view, 0, 10)[0].starred is False  # "s" did nothing
        if before == "article":
            article = app.query_one(ArticleView)
            assert article.article is not None and article.region.width > 20
        if before == "help":
            assert isinstance(app.screen, HelpScreen)
        assert app.query_one(Footer).region.height == 1
    app.library.close()


async def test_starting_tiny_shows_the_notice_then_the_app(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(10, 3)) as pilot:
        await pilot.pause()
        assert app.has_class("-too-small") and app.is_running
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not app.has_class("-too-small")
        assert app.query_one(StreamList).count == 4
    app.library.close()


def test_the_real_app_in_tmux_survives_every_tiny_size(tmp_path: Path) -> None:
    env = {
        "STREAMTUI_DATA_DIR": str(tmp_path / "data"),
        "STREAMTUI_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHONPATH": src_path(),
    }
    with TmuxApp([sys.executable, "-m", "streamtui"], env, size=(120, 40)) as tmux:
        assert tmux.wait_for("Welcome to streamtui", timeout=30), tmux.screen()
        tmux.send("enter")  # an article open, with the sources sidebar beside it
        assert tmux.wait_for("streamtui guide  ·", timeout=10), tmux.screen()
        for width, height in TINY:
            tmux.resize(width, height)
            if width * height >= 9:
                assert tmux.wait_for(notice_start(width, height), timeout=10), tmux.screen()
            assert tmux.alive(), tmux.screen()
            tmux.resize(120, 40)
            assert tmux.wait_for("All ·", timeout=10), (width, height, tmux.screen())
            assert "Too small" not in tmux.screen()
        tmux.send("q")
        assert tmux.wait_exit(timeout=20) == 0


def notice_start(width: int, height: int) -> str:
    """The first characters of the notice as tmux shows its first line."""
    from textual.geometry import Size

    return notice(Size(width, height)).plain[: min(width, 3)]


def test_an_exported_terminal_size_does_not_pin_the_app(tmp_path: Path) -> None:
    """COLUMNS and LINES left in the environment (a shell that exports them, a harness) made
    Textual draw 80x24 in a 120x40 window and ignore every resize."""
    env = {
        "STREAMTUI_DATA_DIR": str(tmp_path / "data"),
        "STREAMTUI_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHONPATH": src_path(),
    }
    argv = ["env", "COLUMNS=80", "LINES=24", sys.executable, "-m", "streamtui"]
    with TmuxApp(argv, env, size=(120, 40)) as tmux:
        assert tmux.wait_for("Sources", timeout=30), tmux.screen()  # the wide layout
        assert len(tmux.screen().splitlines()[0].rstrip()) == 120
        tmux.resize(90, 30)
        assert tmux.wait_for("Too small", timeout=1) is False
        tmux.resize(MIN_WIDTH - 1, 10)
        assert tmux.wait_for("Terminal too small", timeout=10), tmux.screen()
        tmux.send("q")
        assert tmux.wait_exit(timeout=20) == 0


async def test_reading_on_a_narrow_terminal_survives_a_shrink(tmp_path: Path) -> None:
    """On a narrow terminal the open article has the whole screen while it has the focus;
    the notice took the focus away and the article did not come back."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "question_mark", "escape")
        article = app.query_one(ArticleView)
        assert app.focused is article and article.display
        for size in EDGES:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            assert app.focused is article and article.display, size
            assert not app.query_one(StreamList).display  # still the article alone
            footer = [key.render().plain.strip() for key in app.query(FooterKey) if key.display]
            assert footer[0] == "space Next page", size
    app.library.close()
