"""Server accounts in the app (issue 14), in the real app (Pilot) against the Google Reader
test server (FreshRSS dialect) on 127.0.0.1: ``a`` on an account subscribes through the server
(Fever says it cannot), ``d`` on an account's feed unsubscribes there after a confirmation
that says so, ``r`` on an account syncs it on a worker thread (the keys keep working, the
account's line says "syncing…"), a mark is pushed within seconds and, with the server down,
stays queued (one line on the account) until a later try, and an account's errors (401, 5xx,
malformed JSON, server down) are one line on it with no secret on the screen."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from streamtui.core.library import Library
from streamtui.core.models import AccountReport
from streamtui.ui import accounts as ui_accounts
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.dialogs import AddSourceScreen, ConfirmScreen
from streamtui.ui.widgets.sidebar import SourcesSidebar
from tests.support.accountsync import ServerThere, library_at, row
from tests.support.pilot import until
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import feed_site_fixture  # noqa: F401
from tests.support.servers.greader import GReaderServer
from tests.support.typist import send_keys

ACCOUNT = "group:account:1"


@pytest.fixture(name="server")
def server_fixture() -> Iterator[GReaderServer]:
    with GReaderServer(dialect="freshrss") as server:
        yield server


async def account_library(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite
) -> tuple[Library, ServerThere, int]:
    """A library with the account "work" added (feed k in "News" with 3 items)."""
    there = ServerThere(server, feed_site)
    k = there.feed(3, "News")
    library = library_at(tmp_path)
    await asyncio.to_thread(
        library.add_account, "greader", there.url, there.user, there.password, "work"
    )
    return library, there, k


def screen_text(app: StreamApp) -> str:
    """What the screen shows, as text (from the screenshot's SVG)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def toasts(app: StreamApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def account_line(app: StreamApp, key: str = ACCOUNT) -> str:
    return str(app.query_one(SourcesSidebar).get_option(key).prompt)


async def on_sidebar(app: StreamApp, pilot: Pilot[None], option_id: str) -> None:
    sidebar = app.query_one(SourcesSidebar)
    app.main.action_focus_sources()
    sidebar.highlight(option_id)
    await pilot.pause()


async def test_a_on_an_account_category_subscribes_through_the_server(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite
) -> None:
    library, _, _ = await account_library(tmp_path, server, feed_site)
    new = feed_site.add_feed(items=2)
    url = feed_site.feed_url(new)
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await on_sidebar(app, pilot, f"{ACCOUNT}/News")
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, AddSourceScreen)
        assert "work" in screen_text(app) and "server subscribes" in screen_text(app)
        await pilot.press(*url, "enter")
        await until(pilot, lambda: not isinstance(app.screen, AddSourceScreen))
        feed = server.store.feed_by_url(url)
        assert feed is not None, "not subscribed on the server"
        assert server.store.categories[feed.category_id].title == "News"
        source = next(s for s in library.sources() if s.name == f"Feed {new}")
        assert source.account == "work" and source.folder == "News"  # an account feed
        assert row(library, f"Feed {new} item 1").source_id == source.id
        sidebar = app.query_one(SourcesSidebar)
        ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
        assert ids.index(f"{ACCOUNT}/News") < ids.index(str(source.id))


async def test_a_on_a_fever_account_says_it_cannot(tmp_path: Path) -> None:
    library = library_at(tmp_path)
    library.store.add_account("hot", "fever", "http://127.0.0.1:9/fever/", "me", "k")
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await on_sidebar(app, pilot, ACCOUNT)
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, AddSourceScreen)
        assert any("Fever API cannot add or remove feeds" in t for t in toasts(app))


async def test_d_on_an_account_feed_unsubscribes_it_on_the_server(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite
) -> None:
    library, _, k = await account_library(tmp_path, server, feed_site)
    source = row(library, f"Feed {k} item 1").source_id
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await on_sidebar(app, pilot, str(source))
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        shown = screen_text(app)
        assert "Unsubscribe" in shown and "work" in shown
        assert "Other sources keep" not in shown  # a local source's wording
        await pilot.press("y")
        await until(pilot, lambda: not any(s.id == source for s in library.sources()))
        assert server.store.feed_by_url(feed_site.feed_url(k)) is None
        await until(pilot, lambda: any("Unsubscribed" in t for t in toasts(app)))
        sidebar = app.query_one(SourcesSidebar)
        ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
        assert str(source) not in ids


async def test_d_on_an_account_line_removes_the_account_here_only(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite
) -> None:
    library, _, k = await account_library(tmp_path, server, feed_site)
    source = row(library, f"Feed {k} item 1").source_id
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await on_sidebar(app, pilot, str(source))
        await pilot.press("l")  # the account's feed in view
        await on_sidebar(app, pilot, ACCOUNT)
        await pilot.press("d", "n")  # asked, and kept
        await pilot.pause()
        assert [a.name for a in library.accounts()] == ["work"]
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        shown = screen_text(app)
        assert "Remove the account" in shown and "nothing changes on the server" in shown
        await pilot.press("y")
        await until(pilot, lambda: any("Removed account work" in t for t in toasts(app)))
        assert library.accounts() == [] and all(s.account_id is None for s in library.sources())
        assert app.main.view.source_id is None  # its feed was in view: back to All
        sidebar = app.query_one(SourcesSidebar)
        ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
        assert ACCOUNT not in ids and str(source) not in ids
    assert server.store.feed_by_url(feed_site.feed_url(k)) is not None  # still there


async def test_r_on_an_account_syncs_it_off_the_ui_thread(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite
) -> None:
    library, there, k = await account_library(tmp_path, server, feed_site)
    there.grow(k, 2)
    there.mark(f"Feed {k} item 1", read=True, starred=True)  # changed there
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await on_sidebar(app, pilot, ACCOUNT)
        server.http.inject(delay=1.5, count=1)  # a slow server: the keys keep working
        await pilot.press("r")
        await until(pilot, lambda: "syncing…" in account_line(app), 5)
        assert app.main.refreshing.running
        assert app.main.refreshing.progress.status.startswith("syncing ")  # not refreshing
        sidebar = app.query_one(SourcesSidebar)
        before = sidebar.highlighted
        began = time.monotonic()
        await send_keys(pilot, "j")  # timed to its effect, not to Pilot's idle waits
        await until(pilot, lambda: sidebar.highlighted != before, 5)
        assert time.monotonic() - began < 1.0
        assert app.main.refreshing.running  # still syncing while the key was handled
        await until(pilot, lambda: not app.main.refreshing.running)
        assert "syncing…" not in account_line(app)
        assert "unread" in str(app.main.stream.border_subtitle)  # not "refreshing 1/1"
        # The toast comes through the app's queue, a moment after the sync's end (now in a
        # process of its own, the end can fall between two of the test's pauses).
        await until(pilot, lambda: any(t.startswith("Synced work: ") for t in toasts(app)))
        assert row(library, f"Feed {k} item 4").title  # pulled
        assert row(library, f"Feed {k} item 1").starred


async def test_a_mark_is_pushed_within_seconds_and_waits_while_the_server_is_down(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui_accounts, "RETRY_FIRST", 1.0)
    library, there, k = await account_library(tmp_path, server, feed_site)
    source = row(library, f"Feed {k} item 1").source_id
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.main.show_source(source)
        await pilot.pause()
        first = app.main.stream.current
        assert first is not None and not first.read
        began = time.monotonic()
        await pilot.press("m")  # read here: stored at once
        assert library.row(first.id).read  # type: ignore[union-attr]
        await until(pilot, lambda: there.state(first.title)[0], 10)
        assert time.monotonic() - began < 8  # within a few seconds
        # the server goes away: the next mark is kept and said on the account, in one line
        there.down()
        await pilot.press("s")  # a star, stored at once
        assert library.row(first.id).starred  # type: ignore[union-attr]

        def failed_line() -> str:
            shown = account_line(app).split("\n")
            return "" if len(shown) < 2 or "sending" in shown[1] else shown[1]

        await until(pilot, lambda: bool(failed_line() and library.accounts()[0].last_error), 15)
        whole = library.accounts()[0].last_error.removeprefix("work: ") + " · 1 to send"
        assert whole.startswith(failed_line().strip().rstrip("…").rstrip())
        assert library.accounts()[0].pending == 1
        assert not there.state(first.title)[1]
        there.up()  # a later try sends it, without a key
        await until(pilot, lambda: there.state(first.title)[1], 15)
        await until(pilot, lambda: "\n" not in account_line(app), 5)  # the error line goes
        assert library.accounts()[0].pending == 0


FAULTS = {
    "401": lambda s: setattr(s, "password", "changed-on-the-server"),  # and the token expired
    "500": lambda s: s.http.inject(status=500),
    "malformed": lambda s: s.http.inject(malformed=True),
    "down": lambda s: s.http.down(),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_an_account_error_is_one_line_on_it_and_never_a_secret(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite, fault: str
) -> None:
    library, there, _ = await account_library(tmp_path, server, feed_site)
    secrets = [there.password, server.auth_token(), server.write_token()]
    if fault == "401":
        server.expire_auth()
    FAULTS[fault](server)
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await on_sidebar(app, pilot, ACCOUNT)
        await pilot.press("r")
        await until(pilot, lambda: not app.main.refreshing.running)
        await pilot.pause()
        lines = account_line(app).split("\n")
        assert len(lines) == 2, lines  # the account's name, then one line
        error = library.accounts()[0].last_error
        assert error.startswith("work: ") and lines[1].strip()  # the name is said above
        assert lines[1].strip().rstrip("…") in error
        assert len(lines[1]) <= app.query_one(SourcesSidebar).scrollable_content_region.width
        assert any(t == error for t in toasts(app))  # the whole line, once
        shown = screen_text(app)
        assert "Traceback" not in shown and "internal error" not in shown
        for secret in secrets:
            assert secret not in shown
            assert all(secret not in t for t in toasts(app))


async def test_quitting_during_a_push_to_a_slow_server_does_not_wait_for_it(
    tmp_path: Path, server: GReaderServer, feed_site: FeedSite
) -> None:
    """The app's end waits for its worker threads (asyncio's executor): the push must stop
    when the app goes, not when the server answers."""
    library, _, k = await account_library(tmp_path, server, feed_site)
    returned = threading.Event()
    sync = library.sync_accounts

    def syncing(*args: Any, **options: Any) -> list[AccountReport]:
        try:
            return sync(*args, **options)
        finally:
            returned.set()

    library.sync_accounts = syncing  # type: ignore[method-assign]  # seen, not replaced
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.main.show_source(row(library, f"Feed {k} item 1").source_id)
        await pilot.pause()
        server.http.inject(delay=30)  # every request hangs
        await pilot.press("m")
        await until(pilot, lambda: "sending" in account_line(app), 10)
        await pilot.press("q")
    assert await asyncio.to_thread(returned.wait, 5), "the push outlived the app"
    assert library.accounts()[0].pending == 1  # kept for the next run
