"""The app's refresh runs in a process of its own (issue 15): the list follows its events, a
child killed under it is one line on the screen, and quitting leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from tests.core.test_feed_sources import rss
from tests.support.feedserver import FeedServer, feed, hang, slow
from tests.support.feedserver import feed_server_fixture as feed_server_fixture
from tests.support.pilot import until
from tests.support.processes import group_members, refresh_children, wait_for
from tests.ui.test_feeds import titles


async def subscribed_app(data: Path, feed_server: FeedServer) -> StreamApp:
    feed_server.route("/feed.xml", feed(rss(1, 2), etag='"1"'))
    library = Library(Store.open(data / "streamtui.db"), bundled=data / "no-guide")
    await asyncio.to_thread(library.add_source, feed_server.url("/feed.xml"), "Loopback")
    feed_server.reset()
    return StreamApp(library, sync_on_start=False)


def toasts(app: StreamApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_r_refreshes_in_a_child_process_and_the_list_takes_its_items_in(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    app = await subscribed_app(tmp_path, feed_server)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        assert "Story 3" not in titles(app)
        feed_server.route("/feed.xml", slow(rss(1, 2, 3), 1.0))
        earlier = refresh_children()  # an earlier test's, ending on the same xdist worker
        await pilot.press("R")
        # fetching there, not here
        await until(pilot, lambda: bool(refresh_children(besides=earlier)))
        await until(pilot, lambda: not app.main.refreshing.running)
        assert "Story 3" in titles(app)
        assert any(t.startswith("Refreshed: 1 updated") for t in toasts(app)), toasts(app)
    assert wait_for(lambda: not refresh_children(besides=earlier))


async def test_a_refresh_process_killed_is_one_line_and_the_app_goes_on(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    app = await subscribed_app(tmp_path, feed_server)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        feed_server.route("/feed.xml", hang())
        earlier = refresh_children()  # an earlier test's, ending on the same xdist worker
        await pilot.press("R")
        await until(pilot, lambda: bool(feed_server.requests_to("/feed.xml")))
        [child] = refresh_children(besides=earlier)
        os.kill(child, signal.SIGKILL)
        await until(pilot, lambda: not app.main.refreshing.running)
        assert "the refresh's process was stopped (SIGKILL)" in toasts(app)
        # The store is whole and the next refresh works.
        feed_server.route("/feed.xml", feed(rss(1, 2, 4), etag='"2"'))
        await pilot.press("R")
        await until(pilot, lambda: "Story 4" in titles(app))


async def test_quitting_during_a_refresh_leaves_no_process_behind(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    app = await subscribed_app(tmp_path, feed_server)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        feed_server.route("/feed.xml", hang())
        earlier = refresh_children()  # an earlier test's, ending on the same xdist worker
        await pilot.press("R")
        await until(pilot, lambda: bool(feed_server.requests_to("/feed.xml")))
        [child] = refresh_children(besides=earlier)
        await pilot.press("q")
    gone = await asyncio.to_thread(wait_for, lambda: not group_members(child))
    assert gone, "the refresh's process (or its parsers) outlived the app"


async def test_the_list_takes_in_new_items_while_the_refresh_runs_counting_off_the_ui_thread(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The count of a reload during a refresh (50 ms at 1M items) runs on a worker thread."""
    app = await subscribed_app(tmp_path, feed_server)
    library = app.library
    feed_server.route("/slow.xml", feed(rss(7, title="Slow news"), etag='"s"'))
    await asyncio.to_thread(library.add_source, feed_server.url("/slow.xml"), "Slow")
    counted: list[str] = []
    count = library.count

    def recording(view: object) -> int:
        counted.append(threading.current_thread().name)
        return count(view)  # type: ignore[arg-type]

    library.count = recording  # type: ignore[method-assign]  # seen, not replaced
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        feed_server.route("/feed.xml", feed(rss(1, 2, 3), etag='"2"'))
        feed_server.route("/slow.xml", slow(rss(7, 8, title="Slow news"), 4.0))
        counted.clear()
        await pilot.press("R")
        await until(pilot, lambda: "Story 3" in titles(app))
        assert app.main.refreshing.running  # taken in while the slow feed still loads
        assert counted and threading.main_thread().name not in counted, counted
        await until(pilot, lambda: not app.main.refreshing.running)
        assert "Story 8" in titles(app)


async def test_a_refresh_ends_with_the_counts_read_off_the_ui_thread(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """At its end the sidebar follows what other processes changed meanwhile (the command
    line marked items read), its counts read on a worker: at a million items they take
    170-210 ms, which the UI thread spent while keys waited."""
    app = await subscribed_app(tmp_path, feed_server)
    other = Library(Store.open(tmp_path / "streamtui.db"), bundled=tmp_path / "no-guide")
    sources = app.library.sources
    counted_on: list[str] = []

    def recorded(*args: object, **kwargs: object) -> object:
        if kwargs.get("counted", True) and "only" not in kwargs:
            counted_on.append(threading.current_thread().name)
        return sources(*args, **kwargs)  # type: ignore[arg-type]

    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        assert "Loopback 2 " in sidebar_line(app, "Loopback")
        app.library.sources = recorded  # type: ignore[method-assign,assignment]
        feed_server.route("/feed.xml", slow(rss(1, 2, 3), 1.0))
        await pilot.press("R")
        await until(pilot, lambda: bool(feed_server.requests_to("/feed.xml")))
        # meanwhile, another process marks story 1 read (no refresh event tells of it)
        await asyncio.to_thread(other.mark_view_read, other.view(None))
        await until(pilot, lambda: not app.main.refreshing.running)
        await until(pilot, lambda: "Loopback 1 " in sidebar_line(app, "Loopback"))
        assert counted_on and threading.main_thread().name not in counted_on, counted_on
    other.close()


def sidebar_line(app: StreamApp, name: str) -> str:
    sidebar = app.main.sidebar
    lines = [strip.text for strip in sidebar.render_lines(sidebar.region.reset_offset)]
    return next((line for line in lines if name in line), "")
