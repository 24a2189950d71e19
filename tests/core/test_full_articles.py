"""Full articles (issue 16): an item's web page fetched from a loopback server, its article
extracted in the parser's worker processes, stored with the item (searchable, shown offline,
dropped with it), and the per-source setting that fetches them after a refresh."""

from __future__ import annotations

import html
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamtui.core.fetch import Limits
from streamtui.core.library import Library
from streamtui.core.models import FullArticle, Retention
from streamtui.core.parse.pool import FeedParser
from streamtui.core.reader.extract import Extracted, Refused
from streamtui.core.reader.worker import extract_in
from streamtui.core.store import Store
from tests.support.article_pages import huge_page, paywall_stub, simple_page
from tests.support.feedserver import (
    FeedServer,
    Reply,
    feed,
    feed_server_fixture,  # noqa: F401
    hang,
    status,
)

STORY = (
    "<p>The harbour committee met on Thursday to weigh the quokkaphone proposal, a plan to "
    "move the night ferries to the northern quay while the old pier is mended.</p>"
    + "<p>Residents spoke for two hours about noise, parking and the cost of the works, "
    "and the committee asked for a second survey of the quay before it votes.</p>"
    * 4
    + '<p>See <a href="/minutes">the minutes</a> and the plan below.</p>'
    '<p><img src="/plan.png" alt="the northern quay plan"></p>'
)
PAGE = simple_page("Ferries move north", STORY).encode()
QUICK = Limits(connect=2, read=2, total=4, max_bytes=16 * 1024 * 1024)


def rss(items: list[tuple[str, str]]) -> str:
    """A summary-only feed: (guid, link) per item, each with a one-line description."""
    entries = "".join(
        f"<item><title>Story {guid}</title><guid>{guid}</guid><link>{html.escape(link)}</link>"
        f"<pubDate>{_day(guid):02} Jan 2024 10:00:00 GMT</pubDate>"
        f"<description>Only the summary of {guid}.</description></item>"
        for guid, link in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Summaries</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    )


def _day(guid: str) -> int:
    """An item's day of January, the same in every version of the feed."""
    return 1 + sum(map(ord, guid)) % 28


def html_stream(size: int, *, declared: bool) -> object:
    """200 text/html of ``size`` bytes (or endless with ``size`` 0), Content-Length declared
    or not."""

    def chunks() -> Iterator[bytes]:
        yield b"<!DOCTYPE html><html><body>"
        sent = 0
        while not size or sent < size:
            yield b"<p>" + b"word " * 2000 + b"</p>"
            sent += 10_007

    headers = [("Content-Type", "text/html")]
    if declared and size:
        headers.append(("Content-Length", str(size + 27)))
    return lambda request: Reply(200, headers, chunks())


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    opened = Library(Store.open(tmp_path / "data" / "streamtui.db"), retention=Retention())
    opened.page_limits = QUICK
    yield opened
    opened.close()


def add(library: Library, server: FeedServer, items: list[tuple[str, str]]) -> dict[str, str]:
    """Serve a feed of ``items`` and add it; item ids by guid."""
    server.route("/feed.xml", feed(rss(items)))
    source, report = library.add_feed(server.url("/feed.xml"))
    assert not report.error
    rows = library.rows(library.view(source.id), 0, 100)
    return {row.title.removeprefix("Story "): row.id for row in rows}


def fetched(library: Library, item_id: str) -> FullArticle:
    return library.fetch_full_article(item_id).result(timeout=60)


def test_an_item_reads_in_full_and_offline_afterwards(
    feed_server: FeedServer, library: Library, tmp_path: Path
) -> None:
    feed_server.route("/story", lambda request: Reply(200, [("Content-Type", "text/html")], PAGE))
    ids = add(library, feed_server, [("a", feed_server.url("/story"))])
    assert library.full_article(ids["a"]) is None  # nothing stored, nothing fetched yet
    full = fetched(library, ids["a"])
    assert full.ok and full.url == feed_server.url("/story")
    assert "quokkaphone" in full.html and "<nav" not in full.html
    assert full.words > 100 and full.title == "Ferries move north"
    library.close()
    asked = len(feed_server.requests_to("/story"))
    again = Library(Store.open(tmp_path / "data" / "streamtui.db"))
    try:
        stored = again.full_article(ids["a"])
        assert stored is not None and stored.html == full.html and stored.ok
        assert abs((stored.fetched_at - full.fetched_at).total_seconds()) < 0.01
    finally:
        again.close()
    assert len(feed_server.requests_to("/story")) == asked  # read offline, from the database


def test_the_extraction_runs_in_a_worker_process_with_the_parse_limits() -> None:
    """FeedParser.extract: the page's article from a worker, and a page that overruns the
    time limit or the memory limit stops that worker alone, with one line."""
    with FeedParser(workers=1) as pool:
        result = extract_in(pool, PAGE, url="https://example.org/story", content_type="text/html")
        assert isinstance(result, Extracted) and "quokkaphone" in result.text
        assert pool.worker_pids()
    with FeedParser(workers=1, timeout=0.2, seconds_per_mib=0.0) as pool:
        slow = extract_in(pool, huge_page(4 * 1024 * 1024 - 4096), url="https://e.org/x")
        assert isinstance(slow, Refused) and "longer than" in slow.reason
    with FeedParser(workers=1, memory_mb=60) as pool:
        starved = extract_in(pool, huge_page(3 * 1024 * 1024), url="https://e.org/x")
        assert isinstance(starved, Refused)
        assert "\n" not in starved.reason


def test_the_article_is_searchable_and_goes_with_its_item(
    feed_server: FeedServer, library: Library
) -> None:
    feed_server.route("/story", lambda request: Reply(200, [("Content-Type", "text/html")], PAGE))
    ids = add(library, feed_server, [("a", feed_server.url("/story")), ("b", "")])
    assert library.search("quokkaphone") == []  # only in the page, not in the feed
    assert fetched(library, ids["a"]).ok
    assert [row.id for row in library.search("quokkaphone")] == [ids["a"]]
    assert len(library.search("summary")) == 2  # the feed's own text is still there
    # A refresh rewriting the item keeps the article's words in the index.
    feed_server.route("/feed.xml", feed(rss([("a", feed_server.url("/story") + "?v=2")])))
    library.refresh()
    assert [row.id for row in library.search("quokkaphone")] == [ids["a"]]
    # Removing the source drops the item, its article and its index entry together.
    store = library.store
    with store.reading() as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT count(*) FROM full_articles").fetchone()[0] == 1
    library.remove_source("Summaries")
    with store.reading() as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT count(*) FROM full_articles").fetchone()[0] == 0
    assert library.search("quokkaphone") == []


def test_retention_drops_the_article_with_its_item(
    feed_server: FeedServer, library: Library
) -> None:
    feed_server.route("/story", lambda request: Reply(200, [("Content-Type", "text/html")], PAGE))
    links = [(f"s{n}", feed_server.url("/story") + f"?n={n}") for n in range(3)]
    ids = add(library, feed_server, links)
    for item_id in ids.values():
        assert fetched(library, item_id).ok
    # The feed now carries only the newest story; the others are read and over max_items.
    feed_server.route("/feed.xml", feed(rss(links[2:])))
    library.refresh()
    library.mark_read(list(ids.values()))
    library.retention = Retention(max_items=1, unread_days=0)
    report = library.cleanup()
    assert report.total == 2
    assert library.full_article(ids["s2"]) is not None
    assert library.full_article(ids["s0"]) is None and library.full_article(ids["s1"]) is None
    with library.store.reading() as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT count(*) FROM full_articles").fetchone()[0] == 1
    assert [row.id for row in library.search("quokkaphone")] == [ids["s2"]]


@pytest.mark.parametrize(
    ("name", "handler", "words", "kept"),
    [
        ("pdf", lambda r: Reply(200, [("Content-Type", "application/pdf")], b"%PDF-1.7\n" * 9),
         "a PDF document, not a web page", True),
        ("json", lambda r: Reply(200, [("Content-Type", "application/json")], b'{"a": 1}'),
         "application/json, not a web page", True),
        ("html-that-is-a-png",
         lambda r: Reply(200, [("Content-Type", "text/html")], b"\x89PNG\r\n\x1a\n" + bytes(64)),
         "not a web page", True),
        ("too-big", html_stream(20 * 1024 * 1024, declared=True), "larger than the 16 MiB", True),
        ("endless", html_stream(0, declared=False), "larger than the 16 MiB limit", True),
        ("paywall", lambda r: Reply(200, [("Content-Type", "text/html")], paywall_stub()),
         "paywall", True),
        ("empty", lambda r: Reply(200, [("Content-Type", "text/html")], b""), "empty", True),
        ("blank-page",
         lambda r: Reply(200, [("Content-Type", "text/html")], b"<html><body></body></html>"),
         "no text", True),
        ("not-found", status(404), "HTTP 404 Not Found", True),
        ("server-error", status(500), "HTTP 500", False),
    ],
)  # fmt: skip
def test_a_page_that_gives_no_article_says_why_in_one_line(
    feed_server: FeedServer,
    library: Library,
    name: str,
    handler: object,
    words: str,
    kept: bool,
) -> None:
    feed_server.route(f"/{name}", handler)  # type: ignore[arg-type]
    ids = add(library, feed_server, [("x", feed_server.url(f"/{name}"))])
    started = time.monotonic()
    full = fetched(library, ids["x"])
    assert time.monotonic() - started < 30
    assert not full.ok and words in full.error and "\n" not in full.error
    stored = library.full_article(ids["x"])
    assert (stored is not None) is kept  # a server's 5xx may pass: asked again next time
    if stored is not None:
        assert stored.error == full.error and stored.html == ""


@pytest.mark.parametrize(
    ("link", "words"),
    [
        ("file:///etc/passwd", "file: URL is not fetched"),
        ("javascript:alert(document.cookie)", "javascript: URL is not fetched"),
        ("", "no link"),
    ],
)
def test_a_link_that_is_not_web_is_never_fetched(
    feed_server: FeedServer, library: Library, link: str, words: str
) -> None:
    ids = add(library, feed_server, [("x", link)])
    full = fetched(library, ids["x"])
    assert not full.ok and words in full.error
    assert [r.path for r in feed_server.requests_to("/etc/passwd")] == []


def test_a_slow_page_is_cut_off_by_the_fetch_limits(
    feed_server: FeedServer, library: Library
) -> None:
    feed_server.route("/hang", hang())
    ids = add(library, feed_server, [("x", feed_server.url("/hang"))])
    started = time.monotonic()
    full = fetched(library, ids["x"])
    assert not full.ok and "timed out" in full.error
    assert time.monotonic() - started < QUICK.total + 3
    assert library.full_article(ids["x"]) is None  # may pass: not remembered


def test_closing_the_library_stops_a_fetch_at_once(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/hang", hang())
    library = Library(Store.open(tmp_path / "s.db"))  # the real limits: 60 s in all
    ids = add(library, feed_server, [("x", feed_server.url("/hang"))])
    job = library.fetch_full_article(ids["x"])
    time.sleep(0.3)
    started = time.monotonic()
    library.close()
    assert time.monotonic() - started < 2
    with pytest.raises(Exception, match="cancelled"):
        job.result(timeout=1)


def test_a_cancelled_fetch_stores_nothing(feed_server: FeedServer, library: Library) -> None:
    feed_server.route("/hang", hang())
    ids = add(library, feed_server, [("x", feed_server.url("/hang"))])
    cancel = threading.Event()
    job = library.fetch_full_article(ids["x"], cancel=cancel)
    time.sleep(0.2)
    cancel.set()
    with pytest.raises(Exception, match="cancelled"):
        job.result(timeout=2)
    assert library.full_article(ids["x"]) is None


def test_a_source_set_to_full_text_fetches_new_items_after_a_refresh(
    feed_server: FeedServer, library: Library
) -> None:
    feed_server.route("/story", lambda request: Reply(200, [("Content-Type", "text/html")], PAGE))
    feed_server.route("/gone", status(404))
    ids = add(library, feed_server, [("a", feed_server.url("/story?a"))])
    assert library.full_text_job() is None  # off by default: nothing fetched
    assert not library.sources()[-1].full_text
    source = library.set_full_text("Summaries", True)
    assert source.full_text
    items = [("a", feed_server.url("/story?a")), ("b", feed_server.url("/story?b")),
             ("c", feed_server.url("/gone"))]  # fmt: skip
    feed_server.route("/feed.xml", feed(rss(items)))
    library.refresh()
    job = library.full_text_job()
    assert job is not None
    report = job.result(timeout=60)
    assert report.fetched == 2 and len(report.failed) == 1 and "HTTP 404" in report.failed[0]
    ids = {row.title.removeprefix("Story "): row.id for row in library.rows(library.view(), 0, 9)}
    assert all(library.full_article(ids[g]) is not None for g in "abc")
    # Nothing is asked twice: the next refresh finds every new item's article stored.
    hits = len(feed_server.requests_to("/story?a")) + len(feed_server.requests_to("/gone"))
    library.refresh()
    assert library.full_text_job() is job  # no new job
    assert len(feed_server.requests_to("/story?a")) + len(feed_server.requests_to("/gone")) == hits
    library.set_full_text("Summaries", False)
    assert not library.sources()[-1].full_text


def test_full_text_is_a_setting_of_feeds_only(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.txt").write_text("A page\n\nIts text.\n")
    library.add_source(str(folder))
    with pytest.raises(Exception, match="full text applies to feeds"):
        library.set_full_text("pages", True)


def test_migration_10_adds_the_table_and_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(full_articles)")}
        assert {"item_id", "url", "title", "html", "text", "fetched_at", "error"} <= columns
        assert "full_text" in {row[1] for row in db.execute("PRAGMA table_info(sources)")}
        keys = db.execute("PRAGMA foreign_key_list(full_articles)").fetchall()
        assert [(k[2], k[6]) for k in keys] == [("items", "CASCADE")]


def test_the_sheet_gives_the_pane_what_it_draws(feed_server: FeedServer, library: Library) -> None:
    """Library.article_sheet: the feed's text, or the stored full article with its notice;
    images are links with ``image`` set and their alt text as label."""
    feed_server.route("/story", lambda request: Reply(200, [("Content-Type", "text/html")], PAGE))
    ids = add(library, feed_server, [("a", feed_server.url("/story"))])
    own = library.article_sheet(ids["a"])
    assert own.title == "Story a" and own.notice == "" and own.link == feed_server.url("/story")
    assert "Only the summary of a." in own.document.blocks[0].text
    with pytest.raises(Exception, match="no full article \\(not fetched yet\\)"):
        library.article_sheet(ids["a"], full=True)
    assert fetched(library, ids["a"]).ok
    sheet = library.article_sheet(ids["a"], full=True)
    assert sheet.notice.startswith(f"The extracted web page {feed_server.url('/story')} (fetched")
    images = [link for link in sheet.links if link.image]
    assert [(link.url, link.label) for link in images] == [
        (feed_server.url("/plan.png"), "the northern quay plan")
    ]
    assert (feed_server.url("/minutes"), False) in [(link.url, link.image) for link in sheet.links]


def test_a_download_through_the_library_is_cancelled_at_once(
    feed_server: FeedServer, library: Library, tmp_path: Path
) -> None:
    def slowly(request: object) -> Reply:
        chunks: list[bytes | float] = [b"ID3" + bytes(65_533)] * 3 + [30.0, bytes(65_536)]
        headers = [("Content-Type", "audio/mpeg"), ("Content-Length", str(4 * 65_536)),
                   ("ETag", '"e1"')]  # fmt: skip
        return Reply(200, headers, chunks)

    feed_server.route("/ep.mp3", slowly)
    text = rss([("a", feed_server.url("/story"))]).replace(
        "</item>", f'<enclosure url="{feed_server.url("/ep.mp3")}" type="audio/mpeg"/></item>'
    )
    feed_server.route("/feed.xml", feed(text))
    source, _ = library.add_feed(feed_server.url("/feed.xml"))
    (row,) = library.rows(library.view(source.id), 0, 9)
    folder = tmp_path / "episodes"
    seen: list[int] = []
    cancel = threading.Event()
    job = library.download_enclosure(
        row.id, download_dir="", on_progress=lambda p: seen.append(p.received), cancel=cancel
    )
    deadline = time.monotonic() + 10
    while (not seen or seen[-1] < 3 * 65_536) and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    cancel.set()
    with pytest.raises(Exception, match="cancelled"):
        job.result(timeout=5)
    assert time.monotonic() - started < 1
    default, create = library.download_folder()
    assert create and default == tmp_path / "data" / "downloads"
    assert [p.stat().st_size for p in default.glob("*.part")] == [3 * 65_536]  # kept to resume
    assert not folder.exists()


def test_the_full_articles_follow_a_refresh_in_a_process_of_its_own(
    feed_server: FeedServer, library: Library
) -> None:
    """The app's refresh runs in a child that ends with it: the full articles of what it
    brought are fetched here afterwards, as after a refresh here."""
    feed_server.route("/story", lambda request: Reply(200, [("Content-Type", "text/html")], PAGE))
    add(library, feed_server, [("a", feed_server.url("/story?a"))])
    library.set_full_text("Summaries", True)
    items = [("a", feed_server.url("/story?a")), ("b", feed_server.url("/story?b"))]
    feed_server.route("/feed.xml", feed(rss(items)))
    assert library.refresh_elsewhere().added == 1
    job = library.full_text_job()
    assert job is not None and job.result(timeout=60).fetched == 2
    ids = {row.title.removeprefix("Story "): row.id for row in library.rows(library.view(), 0, 9)}
    assert all(library.full_article(ids[g]) is not None for g in "ab")
