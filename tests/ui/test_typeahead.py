"""Pilot: keys typed ahead of a change of focus reach the pane the focus moved to.

A terminal hands the app every key typed at once (a paste of keys, a fast typist, a slow
machine); Textual gives each to the widget focused when it arrives. These tests post the keys
the way the terminal driver does, all before the app has read the first, rather than through
``pilot.press`` (which waits for each key to be handled)."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Input

from streamtui.ui.app import StreamApp
from streamtui.ui.screens.dialogs import AddSourceScreen
from streamtui.ui.widgets.search import SearchBar
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.pilot import until
from tests.ui.test_reading import make_app, titles

ENTER, ESC = ("enter", "\r"), ("escape", "\x1b")


def typed(app: StreamApp, *keys: str | tuple[str, str]) -> None:
    """Post keys as the driver does: each a ``Key`` on the app's queue, all at once."""
    for key in keys:
        name, character = (key, key) if isinstance(key, str) else key
        app.post_message(events.Key(name, character))


async def test_search_kept_then_back_to_the_sources(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        typed(app, ("slash", "/"), "a", "p", "p", "l", ENTER, "h", "h")
        await until(pilot, lambda: isinstance(app.focused, SourcesSidebar))
        # appl was searched and kept (not "applhh"), h cleared it, h went to the sources
        assert app.query_one(SearchBar).value == "appl"
        assert app.focused is app.query_one(SourcesSidebar)
        assert app.main.view.query == "" and len(titles(app)) == 5


async def test_search_kept_then_the_list_keys(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        typed(app, ("slash", "/"), "p", "l", "u", "m", ENTER, "j")
        await until(pilot, lambda: app.main.view.query == "plum")
        assert app.main.view.query == "plum"
        assert app.focused is app.query_one(StreamList)
        assert app.query_one(SearchBar).value == "plum"


async def test_search_dropped_then_the_list_keys(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        typed(app, ("slash", "/"), "p", "l", ESC, "j", "j")
        stream = app.query_one(StreamList)
        await until(pilot, lambda: stream.cursor == 2)
        assert app.main.view.query == "" and app.focused is stream
        assert app.query_one(SearchBar).value == "pl"
        assert stream.cursor == 2  # both j moved the list, none was typed


async def test_the_add_dialog_gets_what_is_typed_behind_its_key(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        typed(app, "a", *"feed.xml")
        await until(pilot, lambda: getattr(app.focused, "value", "") == "feed.xml")
        assert isinstance(app.screen, AddSourceScreen)
        assert isinstance(app.focused, Input) and app.focused.value == "feed.xml"
