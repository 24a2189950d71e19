"""One refresh pipeline (issue 13): every kind of source behind one reader interface, a pure
decision into a typed update, one writer for every update (failures too), events numbered
once, and adding a source through the same decision and write. The fetcher and parser are
fakes (tests/support/fakes.py): no server, no process pool."""

from __future__ import annotations

import ast
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.fakes import FakeFetcher, InProcessParser
from tests.support.store import feed_state

from streamtui.core.credentials import Credential
from streamtui.core.fetch import Fetched, FetchError
from streamtui.core.library import Library
from streamtui.core.models import (
    KEEP,
    FeedState,
    LoadResult,
    ParsedFeed,
    RefreshEvent,
    Source,
    SourceChange,
    SourceKind,
    Update,
    View,
)
from streamtui.core.parse.feed import parse_feed
from streamtui.core.refresh import decide as deciding
from streamtui.core.refresh.decide import GONE_NOTE, REDIRECTS_TO_MOVE, decide
from streamtui.core.refresh.readers import Failed, FeedRead, Got, Job, Loaded, Run, Skipped
from streamtui.core.refresh.run import Refresh
from streamtui.core.store import Store

NOW = 1_780_000_000.0
URL = "http://127.0.0.1:9/feed.xml"


def rss(*numbers: int, title: str = "Fake news") -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>http://127.0.0.1:9/{n}</link>"
        f"<guid>story-{n}</guid><pubDate>Mon, 0{n} Jun 2026 10:00:00 GMT</pubDate></item>"
        for n in numbers
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://127.0.0.1:9/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def fetcher() -> FakeFetcher:
    return FakeFetcher()


@pytest.fixture
def faked(tmp_path: Path, bundled_dir: Path, fetcher: FakeFetcher) -> Iterator[Library]:
    library = Library(
        Store.open(tmp_path / "data" / "streamtui.db"),
        bundled=bundled_dir,
        fetcher=fetcher,
        parser=InProcessParser(),
    )
    yield library
    library.close()


# -- the decision, a plain function ------------------------------------------------------------


def feed_source(**fields: object) -> Source:
    return Source(7, "Fake news", SourceKind.FEED, URL, key=URL, **fields)  # type: ignore[arg-type]


def fetched(status: int = 200, body: bytes = b"", redirect: str = "") -> Fetched:
    return Fetched(URL, URL, status, body, etag='"e"', permanent_redirect=redirect)


def parsed(*numbers: int) -> ParsedFeed:
    return parse_feed(rss(*numbers), source_key=URL, url=URL, seen_at=datetime.now(UTC))


def test_a_parsed_feed_becomes_an_update_of_its_items_and_validators() -> None:
    job = Job(feed_source(), FeedState())
    decision = decide(job, FeedRead(fetched(body=b"x"), "hash", parsed(1, 2)), NOW, ())
    update = decision.update
    assert update is not None and decision.outcome == "stored"
    assert [item.title for item in update.items or ()] == ["Story 1", "Story 2"]
    assert update.whole and not update.exact
    change = update.change
    assert (change.etag, change.content_hash, change.last_error) == ('"e"', "hash", "")
    assert change.retry_at is None and change.updated_at is KEEP  # stamped as it is written
    assert update.rename is not None and update.rename("127.0.0.1:9") == "Fake news"
    assert update.rename("Mine") == ""  # a name the user chose stays


def test_a_304_and_the_same_body_store_no_items_but_say_when() -> None:
    job = Job(feed_source(), FeedState(etag='"e"', content_hash="hash"))
    for got in (FeedRead(fetched(304)), FeedRead(fetched(body=b"x"), "hash")):
        decision = decide(job, got, NOW, ())
        assert decision.update is not None and decision.update.items == ()
        assert decision.update.change.updated_at == NOW and decision.update.change.last_error == ""


def test_failures_are_updates_too() -> None:
    job = Job(feed_source(), FeedState())
    gone = decide(job, Failed("HTTP 410 Gone", gone=True), NOW, ())
    assert gone.outcome == "failed" and gone.update is not None
    assert gone.update.change.gone is True
    assert gone.update.change.last_error == "HTTP 410 Gone" + GONE_NOTE == gone.message
    later = datetime.fromtimestamp(NOW + 3600, UTC)
    deferred = decide(job, Failed("HTTP 503", retry_at=later), NOW, ())
    assert deferred.update is not None and deferred.update.change.retry_at == NOW + 3600
    offline = decide(job, Failed("connection refused", network=True), NOW, ())
    assert offline.network and offline.update is not None and offline.update.items is None
    secret = decide(job, Failed("http://me:S3cret@127.0.0.1:9/: bad \x1b[31m"), NOW, ())
    assert secret.message == "http://me@127.0.0.1:9/: bad"  # redacted and sanitised
    assert decide(job, Skipped("cancelled"), NOW, ()).update is None


def test_a_local_source_is_made_exactly_what_it_holds() -> None:
    job = Job(Source(3, "pages", SourceKind.FOLDER, "/pages"), FeedState(fingerprint="a"))
    assert decide(job, Loaded(None), NOW, ()).outcome == "unchanged"
    decision = decide(job, Loaded(LoadResult((), fingerprint="b")), NOW, ())
    assert decision.update is not None and decision.update.exact
    assert decision.update.change == SourceChange(last_error="", fingerprint="b")
    failed = decide(job, Failed("gone", shown="/pages: gone"), NOW, ())
    assert failed.message == "/pages: gone"
    assert failed.update is not None and failed.update.change.fingerprint == ""  # read whole


def test_a_permanent_redirect_moves_the_feed_after_a_few_refreshes() -> None:
    moved = "http://127.0.0.1:9/new.xml"
    state = FeedState()
    for count in range(1, REDIRECTS_TO_MOVE):
        update = decide(Job(feed_source(), state), FeedRead(fetched(304, redirect=moved)), NOW, ())
        assert update.update is not None
        change = update.update.change
        assert (change.location, change.redirect_url, change.redirect_count) == (KEEP, moved, count)
        state = FeedState(redirect_url=moved, redirect_count=count)
    last = decide(Job(feed_source(), state), FeedRead(fetched(304, redirect=moved)), NOW, ())
    assert last.update is not None and last.update.change.location == moved
    taken = decide(Job(feed_source(), state), FeedRead(fetched(304, redirect=moved)), NOW, {moved})
    assert taken.update is not None and taken.update.change.location is KEEP


# -- the pipeline ----------------------------------------------------------------------------


def test_events_are_numbered_once_across_every_kind(
    faked: Library, fetcher: FakeFetcher, tmp_path: Path
) -> None:
    """Local sources were numbered in the Library and feeds in the Refresher, then shifted,
    with two summaries counted: now one pass numbers every kind's events, once."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "one.txt").write_text("One\n\nBody.\n")
    faked.add_source(str(pages))
    (pages / "two.txt").write_text("Two\n\nMore.\n")
    fetcher.pages = {URL: rss(1, 2), URL + "?b": rss(3), URL + "?c": rss(4)}
    for url in (URL, URL + "?b", URL + "?c"):
        faked.add_source(url)
    fetcher.pages[URL + "?b"] = FetchError(URL + "?b", "http", "HTTP 500 Internal Server Error")
    faked.store.change_source(faked.find_source(URL).id, SourceChange(gone=True))
    events: list[RefreshEvent] = []
    summary = faked.refresh(progress=events.append)
    assert [(e.done, e.total) for e in events] == [(n, 4) for n in range(1, 5)]
    by_source = {e.source.location: e.outcome for e in events}
    assert by_source == {
        str(pages): "updated",
        URL: "skipped",
        URL + "?b": "failed",
        URL + "?c": "unchanged",
    }
    assert events[0].source.location == str(pages)  # local sources first, as before
    assert (summary.updated, summary.unchanged, summary.failed, summary.skipped) == (1, 1, 1, 1)
    assert summary.added == 1 and len(summary.failures) == 1
    assert summary.failures[0].endswith(": HTTP 500 Internal Server Error")


def test_every_write_of_a_refresh_is_made_by_the_one_writer(
    faked: Library, fetcher: FakeFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures were written on the event loop (Store.update_source) while parsed feeds went
    through the writer thread: now each, a missing password and a server error included, is
    an update the writer applies."""
    urls = [f"{URL}?{n}" for n in range(4)]
    fetcher.pages = {url: rss(1) for url in urls}
    for url in urls:
        faked.add_source(url)
    fetcher.pages[urls[0]] = FetchError(urls[0], "http", "HTTP 404 Not Found", status=404)
    fetcher.pages[urls[1]] = b"not a feed at all"
    fetcher.pages[urls[2]] = rss(1, 2)
    faked.store.change_source(faked.find_source(urls[3]).id, SourceChange(login=True))
    writers: list[str] = []
    apply = faked.store.apply

    def recorded(updates: Sequence[Update]) -> object:
        writers.append(threading.current_thread().name)
        return apply(updates)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a write outside the writer")

    monkeypatch.setattr(faked.store, "apply", recorded)
    monkeypatch.setattr(faked.store, "change_source", refused)
    summary = faked.refresh([faked.find_source(url) for url in urls])
    assert (summary.failed, summary.updated) == (3, 1)
    assert writers and set(writers) == {"store-writer"}
    errors = {s.location: s.last_error for s in faked.sources()}
    assert errors[urls[0]] == "HTTP 404 Not Found"
    assert errors[urls[1]].startswith("could not be parsed") or "not" in errors[urls[1]]
    assert "password is missing" in errors[urls[3]]


def test_adding_a_feed_stores_what_a_refresh_would(faked: Library, fetcher: FakeFetcher) -> None:
    fetcher.pages = {URL: rss(1, 2)}
    fetcher.etags = {URL: '"v1"'}
    source, report = faked.add_source(URL)
    assert report.stats is not None and report.stats.added == 2
    state = feed_state(faked.store, source.id)  # type: ignore[arg-type]
    assert state.etag == '"v1"' and state.content_hash  # so the next fetch is conditional
    summary = faked.refresh([source])
    assert (summary.unchanged, summary.added) == (1, 0)
    assert fetcher.requests[-1][1].etag == '"v1"'
    assert faked.count(View()) == 2


class _AccountReader:
    """A second kind of remote source, as a server account would be: one request for all its
    feeds, no edit to the pipeline."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []

    def takes(self, source: Source) -> bool:
        return source.location.startswith("account:")

    async def fetch(self, jobs: Sequence[Job], run: Run) -> AsyncIterator[tuple[Job, Got]]:
        self.asked.append([job.source.id for job in jobs])
        for job in jobs:
            if job.source.location.endswith("bad"):
                yield job, Failed("the server said no")
            else:
                body = rss(4, 5, title=job.source.name)
                feed = parse_feed(body, source_key=job.source.key, seen_at=datetime.now(UTC))
                yield job, FeedRead(Fetched(job.source.location, "", 200, body), "h", feed)

    async def parse(self, job: Job, fetched: Got, run: Run) -> Got:
        return fetched


def test_another_kind_of_source_plugs_in_as_a_reader(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    good = store.add_source("Good", SourceKind.FEED, "account:good")
    bad = store.add_source("Bad", SourceKind.FEED, "account:bad")
    reader = _AccountReader()
    events: list[RefreshEvent] = []
    summary = Refresh(store, [reader], clock=lambda: NOW).run([good, bad], events.append)
    assert reader.asked == [[good.id, bad.id]]
    assert (summary.updated, summary.failed, summary.added) == (1, 1, 2)
    assert [e.done for e in events] == [1, 2]
    assert store.count(View(good.id)) == 2
    assert {s.name: s.last_error for s in store.sources()} == {
        "Good": "",
        "Bad": "the server said no",
    }
    store.close()


def test_the_decision_is_pure() -> None:
    """No store, no clock, no network, no thread in decide.py: what it imports says so."""
    tree = ast.parse(Path(deciding.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {m for m in imported if m and m.split(".")[0] in ("sqlite3", "time", "httpx")}
    assert not {m for m in imported if m and m.startswith(("streamtui.core.store", "threading"))}


def test_a_password_goes_with_its_feed_as_a_credential(
    faked: Library, fetcher: FakeFetcher
) -> None:
    stored = URL.replace("http://", "http://me@")  # the user name stays in the location
    fetcher.pages = {stored: rss(1)}
    source, _ = faked.add_source(URL.replace("http://", "http://me:S3cret@"))
    faked.refresh([faked.find_source(str(source.id))])
    for url, _, login in fetcher.requests:
        assert url == stored and isinstance(login, Credential) and login.secret == "S3cret"
    assert len(fetcher.requests) == 2
