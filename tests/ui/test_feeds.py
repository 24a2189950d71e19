"""Pilot: subscribing, refreshing and removing feeds from the app, against a loopback server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from streamtui.core.library import Library
from streamtui.core.models import Article, FullArticle
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.article.page import Page
from streamtui.ui.screens.dialogs import AddSourceScreen, ConfirmScreen
from streamtui.ui.widgets import article as article_module
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.core.test_feed_sources import HTML_WITH_LINKS, rss
from tests.support.feedserver import FeedServer, feed, hang, slow, status
from tests.support.feedserver import (
    feed_server_fixture as feed_server_fixture,  # the feed_server fixture
)


def make_app(data: Path) -> StreamApp:
    library = Library(Store.open(data / "streamtui.db"), bundled=data / "no-guide")
    return StreamApp(library, sync_on_start=False)


def titles(app: StreamApp) -> list[str]:
    stream = app.query_one(StreamList)
    return [row.title for i in range(stream.count) if (row := stream.row_at(i))]


async def add_through_dialog(app: StreamApp, pilot: object, url: str) -> AddSourceScreen:
    await pilot.press("a")  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, AddSourceScreen)
    screen.query_one("#target", Input).value = url
    await pilot.press("enter")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    return screen


def dialog_message(screen: AddSourceScreen) -> str:
    return str(screen.query_one("#message", Static).render())


async def test_add_read_refresh_restart(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(rss(1, 2), etag='"1"'))
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await add_through_dialog(app, pilot, feed_server.url("/feed.xml"))
        assert not isinstance(app.screen, AddSourceScreen)
        assert titles(app) == ["Story 2", "Story 1"]
        await pilot.press("j", "enter")  # read Story 1
        await pilot.press("escape")
        stream = app.query_one(StreamList)
        assert stream.cursor == 1
        feed_server.route("/feed.xml", feed(rss(1, 2, 3), etag='"2"'))
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert titles(app) == ["Story 3", "Story 2", "Story 1"]
        assert stream.current is not None and stream.current.title == "Story 1"  # cursor stays
        assert stream.current.read
    app.library.close()

    again = make_app(tmp_path)
    async with again.run_test(size=(140, 36)):
        rows = {r.title: r.read for r in again.library.rows(again.main.view, 0, 10)}
        assert rows == {"Story 3": False, "Story 2": False, "Story 1": True}
    again.library.close()


async def test_dialog_errors_and_feed_choice(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.route("/missing", status(404))
    feed_server.route("/page", feed("<html><body>hello</body></html>", content_type="text/html"))
    feed_server.route("/site", feed(HTML_WITH_LINKS, content_type="text/html"))
    feed_server.route("/feed.xml", feed(rss(1)))
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await add_through_dialog(app, pilot, feed_server.url("/missing"))
        assert "404" in dialog_message(screen)
        screen.query_one("#target", Input).value = feed_server.url("/page")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "not a feed" in dialog_message(screen)
        screen.query_one("#target", Input).value = feed_server.url("/site")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        choices = screen.query_one("#choices", OptionList)
        assert choices.display and choices.option_count == 1
        choices.focus()
        await pilot.press("enter")  # pick the linked feed
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, AddSourceScreen)
        assert titles(app) == ["Story 1"]
        screen = await add_through_dialog(app, pilot, feed_server.url("/feed.xml"))
        assert "already subscribed" in dialog_message(screen)
        await pilot.press("escape")
        assert not isinstance(app.screen, AddSourceScreen)
    app.library.close()


async def test_remove_with_confirmation_and_failing_source_shown(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed(rss(1)))
    app = make_app(tmp_path)
    # add_source fetches synchronously (its own event loop): run it off this test's loop
    await asyncio.to_thread(app.library.add_source, feed_server.url("/feed.xml"), "Loop")
    async with app.run_test(size=(140, 36)) as pilot:
        feed_server.route("/feed.xml", status(503, [("Retry-After", "120")]))
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        sidebar = app.query_one(SourcesSidebar)
        prompt = str(sidebar.get_option_at_index(2).prompt)  # after All and Starred
        assert "Loop" in prompt and "503" in prompt
        assert titles(app) == ["Story 1"]  # items kept
        await pilot.press("escape", "j", "j", "d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert len(app.library.sources()) == 1
        await pilot.press("d", "y")
        await pilot.pause()
        assert app.library.sources() == []
        assert titles(app) == []
    app.library.close()


async def test_html_article_shows_text_link_and_attachment(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Cast</title>'
        "<item><title>Episode</title><link>http://127.0.0.1/ep</link><guid>ep</guid>"
        "<description>&lt;p&gt;First &lt;b&gt;bold&lt;/b&gt; para.&lt;/p&gt;"
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;Second [@click=app.quit]x[/]&lt;/p&gt;"
        '</description><enclosure url="http://127.0.0.1/ep.mp3" type="audio/mpeg" '
        'length="5"/></item></channel></rss>'
    )
    feed_server.route("/cast.xml", feed(body))
    app = make_app(tmp_path)
    await asyncio.to_thread(app.library.add_source, feed_server.url("/cast.xml"))
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("enter")
        text = app.query_one(article_module.ArticleView).rendered_text()
        assert "First bold para." in text and "Second [@click=app.quit]x[/]" in text
        assert "<p>" not in text and "alert" not in text
        assert "Link: http://127.0.0.1/ep" in text
        assert "Attachment: http://127.0.0.1/ep.mp3 (audio/mpeg)" in text
    app.library.close()


async def test_a_large_html_body_renders_off_the_ui_thread(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = "".join(
        f"&lt;p&gt;Paragraph {n} of a long article.&lt;/p&gt;" for n in range(20000)
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
        f"<item><title>Huge</title><guid>huge</guid><description>{paragraphs}</description>"
        "</item></channel></rss>"
    )
    feed_server.route("/big.xml", feed(body))
    app = make_app(tmp_path)
    await asyncio.to_thread(app.library.add_source, feed_server.url("/big.xml"))
    threads: list[bool] = []
    real = article_module.article_page

    def recording(
        article: Article, stop: Callable[[], bool] | None = None, *, full: FullArticle | None = None
    ) -> Page:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(article, stop, full=full)

    monkeypatch.setattr(article_module, "article_page", recording)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = app.query_one(article_module.ArticleView).rendered_text()
        assert "Paragraph 19999 of a long article." in text
        assert threads == [False]  # converted once, and not on the UI thread
    app.library.close()


async def test_quitting_during_a_refresh_does_not_wait_for_it(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed(rss(1)))
    app = make_app(tmp_path)
    await asyncio.to_thread(app.library.add_source, feed_server.url("/feed.xml"))
    feed_server.route("/feed.xml", hang())  # would hold a refresh for the 60 s deadline
    began = time.monotonic()
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("R")
        await pilot.pause(0.3)
        await pilot.press("q")
    assert time.monotonic() - began < 15  # a hang detector, not a speed target
    app.library.close()


async def test_cancelling_the_dialog_while_fetching_adds_nothing(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/slow.xml", slow(rss(1), 1.0))
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AddSourceScreen)
        screen.query_one("#target", Input).value = feed_server.url("/slow.xml")
        await pilot.press("enter", "enter")  # the second Enter does not fetch again
        await pilot.press("escape")
        assert not isinstance(app.screen, AddSourceScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.library.sources() == []
    assert len(feed_server.requests_to("/slow.xml")) == 1
    app.library.close()


def test_refresh_progress_reloads_a_view_only_when_its_sources_gained_items() -> None:
    from streamtui.core.models import RefreshEvent, Source, SourceKind
    from streamtui.ui.refresh import Progress

    def source(number: int) -> Source:
        return Source(number, f"feed {number}", SourceKind.FEED, f"https://{number}.example/")

    progress = Progress()
    progress.add(RefreshEvent(source(1), "unchanged", done=1, total=3))
    assert progress.pending and not progress.items_added(None)
    progress.add(RefreshEvent(source(2), "updated", added=4, done=2, total=3))
    assert progress.items_added(None) and progress.items_added(2)
    assert not progress.items_added(1)
    progress.flushed(sources=False, items=False)  # both put off: still pending
    assert progress.pending and progress.items_added(2) and progress.sources_changed
    progress.flushed(sources=False)
    assert progress.pending and not progress.items_added(None)
    assert progress.sources_changed  # the sidebar still owes this update
    progress.flushed(sources=True)
    assert not progress.sources_changed and not progress.pending
