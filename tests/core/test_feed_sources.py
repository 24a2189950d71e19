"""Feed sources end to end through the Library, the command line and the app, against a
loopback server (127.0.0.1 only) serving fixtures written here."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamtui.cli import main
from streamtui.core.errors import SourceError
from streamtui.core.library import Library
from streamtui.core.models import SourceKind, View
from streamtui.core.sources.feedurl import FeedChoiceError
from streamtui.core.store import Store
from tests.support.feedserver import FeedServer, feed, png_image, redirect, status
from tests.support.feedserver import (
    feed_server_fixture as feed_server_fixture,  # the feed_server fixture
)


def rss(*numbers: int, title: str = "Loopback news") -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>http://127.0.0.1/{n}</link>"
        f"<guid>story-{n}</guid><pubDate>Mon, 0{n} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Text of story {n}.&lt;/p&gt;</description></item>"
        for n in numbers
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://127.0.0.1/</link>{items}</channel></rss>"
    )


HTML_WITH_LINKS = (
    "<html><head><title>A site</title>"
    '<link rel="alternate" type="application/rss+xml" title="Main feed" href="/feed.xml">'
    "</head><body>Hello</body></html>"
)


@pytest.fixture
def library(tmp_path: Path) -> Library:
    lib = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=tmp_path / "none")
    yield lib  # type: ignore[misc]
    lib.close()


def titles(library: Library) -> list[str]:
    return [row.title for row in library.rows(library.view(), 0, 100)]


def test_add_refresh_keeps_read_state_and_conditional_get(
    library: Library, feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed(rss(1, 2), etag='"v1"'))
    source, report = library.add_source(feed_server.url("/feed.xml"))
    assert source.kind is SourceKind.FEED and source.name == "Loopback news"
    assert report.stats is not None and report.stats.added == 2
    assert titles(library) == ["Story 2", "Story 1"]
    first = library.rows(library.view(), 1, 1)[0]
    library.mark_read([first.id])

    summary = library.refresh()
    assert (summary.unchanged, summary.failed) == (1, 0)
    assert feed_server.requests_to("/feed.xml")[-1].header("if-none-match") == '"v1"'

    feed_server.route("/feed.xml", feed(rss(1, 2, 3), etag='"v2"'))
    summary = library.refresh()
    assert (summary.updated, summary.added) == (1, 1)
    assert titles(library) == ["Story 3", "Story 2", "Story 1"]
    rows = {row.title: row.read for row in library.rows(library.view(), 0, 10)}
    assert rows == {"Story 3": False, "Story 2": False, "Story 1": True}


def test_parser_workers_start_only_to_parse_and_stop_after_each_job(
    library: Library, feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed(rss(1, 2), etag='"v1"'))
    starts: list[int] = []
    library.pool_linger = 0  # they stop as each job ends (the next test: they linger)
    library.add_source(feed_server.url("/feed.xml"))
    parser = library._parser
    assert parser is not None
    assert parser.worker_pids() == []  # the add parsed, then let its workers go
    parser.on_start = lambda: starts.append(1)
    library.refresh()  # a 304: nothing to parse, no worker started
    assert starts == [] and parser.worker_pids() == []
    feed_server.route("/feed.xml", feed(rss(1, 2, 3), etag='"v2"'))
    assert library.refresh().added == 1
    assert starts == [1] and parser.worker_pids() == []


def test_parser_workers_stay_a_while_between_jobs_then_go(
    library: Library, feed_server: FeedServer
) -> None:
    """Jobs one after the other (adds, full articles) reuse the workers; once idle for
    pool_linger they stop, and closing the library stops them at once."""
    for number in range(3):
        feed_server.route(f"/{number}.xml", feed(rss(number + 1)))
    library.pool_linger = 30.0
    library.add_source(feed_server.url("/0.xml"))
    parser = library._parser
    assert parser is not None
    kept = parser.worker_pids()
    assert kept  # idle, but staying
    library.add_source(feed_server.url("/1.xml"))
    # the same processes are there for the second add (the pool's second worker may have
    # started only after the first add, so it may join them)
    assert set(kept) <= set(parser.worker_pids())
    library.pool_linger = 0.2
    library.add_source(feed_server.url("/2.xml"))
    deadline = time.monotonic() + 30
    while parser.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert parser.worker_pids() == []
    assert library._lingering is None


def test_closing_the_library_stops_lingering_workers(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed(rss(1)))
    library = Library(Store.open(tmp_path / "s.db"), bundled=tmp_path / "none")
    library.add_source(feed_server.url("/feed.xml"))
    parser = library._parser
    assert parser is not None and parser.worker_pids() and library._lingering is not None
    library.close()
    assert library._lingering is None and parser.worker_pids() == []


def test_errors_when_adding(library: Library, feed_server: FeedServer) -> None:
    feed_server.route("/missing", status(404))
    feed_server.route(
        "/page", feed("<html><body>just a page</body></html>", content_type="text/html")
    )
    feed_server.route("/site", feed(HTML_WITH_LINKS, content_type="text/html"))
    feed_server.route("/feed.xml", feed(rss(1)))
    feed_server.route("/logo.png", feed(png_image(), content_type="image/png"))
    with pytest.raises(SourceError, match="404"):
        library.add_source(feed_server.url("/missing"))
    with pytest.raises(SourceError, match=r"not a feed \(a PNG image\)"):
        library.add_source(feed_server.url("/logo.png"))
    with pytest.raises(SourceError, match="not a feed"):
        library.add_source(feed_server.url("/page"))
    with pytest.raises(FeedChoiceError) as caught:
        library.add_source(feed_server.url("/site"))
    assert caught.value.choices == [("Main feed", feed_server.url("/feed.xml"))]
    library.add_source(feed_server.url("/feed.xml"))
    with pytest.raises(SourceError, match="already subscribed"):
        library.add_source(feed_server.url("/feed.xml"))
    assert len(library.sources()) == 1


def test_gone_and_retry_after(library: Library, feed_server: FeedServer) -> None:
    feed_server.route("/a", feed(rss(1)))
    feed_server.route("/b", feed(rss(2), etag='"b"'))
    library.add_source(feed_server.url("/a"), "A")
    library.add_source(feed_server.url("/b"), "B")
    feed_server.route("/a", status(410))
    feed_server.route("/b", status(429, [("Retry-After", "3600")]))
    summary = library.refresh()
    assert summary.failed == 2
    stored = {s.name: s for s in library.sources()}
    assert stored["A"].gone and "410" in stored["A"].last_error
    assert stored["A"].total == 1  # items kept
    assert stored["B"].retry_at is not None
    before = len(feed_server.requests)
    summary = library.refresh()
    assert summary.skipped == 2 and len(feed_server.requests) == before  # nobody polled


def test_permanent_redirect_moves_the_source_after_repeats(
    library: Library, feed_server: FeedServer
) -> None:
    feed_server.route("/old", feed(rss(1)))
    library.add_source(feed_server.url("/old"))
    library.mark_read([library.rows(library.view(), 0, 1)[0].id])
    feed_server.route("/old", redirect(301, "/new"))
    feed_server.route("/new", feed(rss(1, 2)))
    for _ in range(3):
        library.refresh()
    (moved,) = library.sources()
    assert moved.location == feed_server.url("/new")
    rows = {row.title: row.read for row in library.rows(library.view(), 0, 10)}
    assert rows == {"Story 2": False, "Story 1": True}  # same ids: read state kept


def test_a_failing_feed_keeps_its_items_and_others_update(
    library: Library, feed_server: FeedServer
) -> None:
    feed_server.route("/good", feed(rss(1)))
    feed_server.route("/bad", feed(rss(5)))
    library.add_source(feed_server.url("/good"), "Good")
    library.add_source(feed_server.url("/bad"), "Bad")
    feed_server.route("/good", feed(rss(1, 2)))
    feed_server.route("/bad", feed("no feed here, just words", content_type="text/plain"))
    summary = library.refresh()
    assert (summary.updated, summary.failed) == (1, 1)
    stored = {s.name: s for s in library.sources()}
    assert stored["Bad"].last_error and stored["Bad"].total == 1
    assert stored["Good"].total == 2 and not stored["Good"].last_error


def test_import_refresh_export_round_trip(
    library: Library, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/one", feed(rss(1, title="One")))
    feed_server.route("/two", feed(rss(2, title="Two")))
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        f'<outline text="Tech"><outline text="One" xmlUrl="{feed_server.url("/one")}"/>'
        "</outline>"
        f'<outline text="Two" xmlUrl="{feed_server.url("/two")}"/>'
        f'<outline text="Two again" xmlUrl="{feed_server.url("/two")}"/>'
        '<outline text="Local" xmlUrl="file:///etc/passwd"/>'
        '<outline text="Exec" xmlUrl="exec:~/bin/feed"/>'
        "</body></opml>"
    )
    report = library.import_subscriptions(str(opml))
    assert len(report.added) == 2 and report.duplicates == 1 and len(report.rejected) == 2
    assert library.refresh().updated == 2
    assert sorted(titles(library)) == ["Story 1", "Story 2"]
    exported = tmp_path / "out.opml"
    exported.write_text(library.export_subscriptions())

    fresh = Library(Store.open(tmp_path / "fresh" / "streamtui.db"), bundled=tmp_path / "n")
    again = fresh.import_subscriptions(str(exported))
    assert sorted((s.name, s.location, s.folder) for s in fresh.sources()) == sorted(
        (s.name, s.location, s.folder) for s in library.sources()
    )
    assert len(again.added) == 2
    fresh.close()


def test_command_line_refresh_summary_and_exit_code(
    feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.route("/feed.xml", feed(rss(1)))
    assert main(["add", feed_server.url("/feed.xml"), "--name", "Loop"]) == 0
    assert main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert "updated 1, unchanged 1, failed 0" in out  # the guide is read for the first time
    feed_server.route("/feed.xml", status(500))
    assert main(["refresh"]) == 1
    captured = capsys.readouterr()
    assert "failed 1" in captured.out and "Loop: HTTP 500" in captured.err
    assert main(["preview", feed_server.url("/feed.xml")]) == 1
    feed_server.route("/feed.xml", feed(rss(1, 2)))
    assert main(["preview", "--json", feed_server.url("/feed.xml")]) == 0
    assert capsys.readouterr().out.count('"title": "Story') == 2


def test_view_of_a_feed_source(library: Library, feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(rss(1, 2)))
    source, _ = library.add_source(feed_server.url("/feed.xml"))
    assert library.count(View(source.id)) == 2
    article = library.article(library.rows(library.view(), 0, 1)[0].id)
    assert article.html and "Text of story 2." in article.body
    assert article.row.published.year == 2026


def test_a_feed_added_at_a_moved_address_is_stored_at_the_new_one(
    library: Library, feed_server: FeedServer
) -> None:
    feed_server.route("/old", redirect(308, "/new"))
    feed_server.route("/new", feed(rss(1)))
    source, _ = library.add_source(feed_server.url("/old"))
    assert source.location == feed_server.url("/new")
    with pytest.raises(SourceError, match="already subscribed"):
        library.add_source(feed_server.url("/old"))  # its first address still counts
    with pytest.raises(SourceError, match="already subscribed"):
        library.add_source(feed_server.url("/new"))
    assert len(library.sources()) == 1


def test_a_redirect_onto_another_subscription_never_breaks_refresh(
    library: Library, feed_server: FeedServer
) -> None:
    feed_server.route("/canon", feed(rss(1)))
    feed_server.route("/alias", feed(rss(1)))
    library.add_source(feed_server.url("/canon"), "Canon")
    library.add_source(feed_server.url("/alias"), "Alias")
    feed_server.route("/alias", redirect(301, "/canon"))
    for _ in range(4):
        assert library.refresh().failed == 0
    assert {s.name: s.location for s in library.sources()}["Alias"] == feed_server.url("/alias")
