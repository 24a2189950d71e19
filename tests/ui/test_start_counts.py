"""The sidebar's unread counts after the first frame are read on a worker thread (at a
million items they held the UI thread about 200 ms, which the first keys waited for), and a
count read before a refresh drew newer ones does not draw the older ones over them."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from streamtui.core.library import Library
from streamtui.core.models import Source
from streamtui.ui.app import StreamApp
from streamtui.ui.refresh import SourcesCounted
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.core.test_feed_sources import rss
from tests.support.feedserver import FeedServer, slow
from tests.support.feedserver import feed_server_fixture as feed_server_fixture
from tests.support.pilot import until
from tests.ui.test_refresh_apart import subscribed_app
from tests.ui.test_sidebar_lines import drawn, line_of


async def test_the_counts_after_the_first_frame_are_read_off_the_ui_thread(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    app = await subscribed_app(tmp_path, feed_server)
    library = app.library
    counted_on: list[bool] = []  # each counted read: on the UI thread?
    read = Library.sources

    def noted(self: Library, *args: Any, **kwargs: Any) -> list[Source]:
        if kwargs.get("counted"):
            counted_on.append(threading.current_thread() is threading.main_thread())
        return read(self, *args, **kwargs)

    library.sources = noted.__get__(library)  # type: ignore[method-assign]
    async with app.run_test(size=(140, 36)) as pilot:
        sidebar = app.query_one(SourcesSidebar)
        await until(pilot, lambda: sidebar.counted)
        assert counted_on == [False]
        assert "Loopback 2 " in line_of(drawn(sidebar), "Loopback")
        assert "All 2 " in line_of(drawn(sidebar), "All")


async def test_counts_read_before_a_refresh_drew_newer_ones_are_not_drawn(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    app = await subscribed_app(tmp_path, feed_server)
    async with app.run_test(size=(140, 36)) as pilot:
        sidebar = app.query_one(SourcesSidebar)
        await until(pilot, lambda: sidebar.counted)
        main = app.main
        [source] = app.library.sources(counted=True)
        before = sidebar.updates
        main.refreshing.running = True  # a refresh's flush draws one new item
        sidebar.update_sources([dataclasses.replace(source, unread=3)])
        main.post_message(SourcesCounted([source], since=before))  # read before that flush
        await pilot.pause()
        assert "Loopback 3 " in line_of(drawn(sidebar), "Loopback")
        main.post_message(SourcesCounted([source], since=sidebar.updates))  # read after it
        await pilot.pause()
        assert "Loopback 2 " in line_of(drawn(sidebar), "Loopback")
        main.refreshing.running = False


async def test_the_start_up_refresh_stays_on_the_subtitle_when_the_counts_arrive(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The counts read after the first frame said "2 unread" under the list while the
    start-up refresh still ran (at 100k items, for seconds): it looked ended."""
    app = await subscribed_app(tmp_path, feed_server)
    feed_server.route("/feed.xml", slow(rss(1, 2, 3), 2.0))
    async with app.run_test(size=(140, 36)) as pilot:
        main, sidebar = app.main, app.query_one(SourcesSidebar)
        main.action_refresh(True, quiet=True)  # as the start-up refresh does
        await until(pilot, lambda: sidebar.counted)
        assert main.refreshing.running
        assert subtitle(app).startswith("refreshing"), subtitle(app)
        await until(pilot, lambda: not main.refreshing.running)
        await until(pilot, lambda: subtitle(app) == "3 unread")


def subtitle(app: StreamApp) -> str:
    shown = app.query_one(StreamList)._border_subtitle
    return shown.plain if shown is not None else ""
