"""Hostile servers through the whole refresh (issue 6): each bad answer becomes a clear one-line
error on its own source, within its deadline, and nothing stored on that source is lost.

Every source is first refreshed from a good feed (two items, one marked read), then its server
turns hostile and one real ``Library.refresh`` runs with short limits. The fetch-level tests of
the same defences (and their memory bounds) are in test_fetch.py.
"""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from tests.support.store import update_source

from feedserver import (
    FeedServer,
    Handler,
    drip,
    endless,
    feed,
    feed_server_fixture,  # noqa: F401 (the feed_server fixture)
    gzip_bomb,
    hang,
    png_image,
    redirect,
    rss,
    self_signed_context,
    status,
)
from streamtui.core.fetch import Limits
from streamtui.core.library import Library
from streamtui.core.models import RefreshEvent, RefreshSummary, Source, SourceKind
from streamtui.core.parse.pages import binary_kind
from streamtui.core.store import Store

# A drip of one byte a second never trips a 1.5 s read timeout: only the 3 s total ends it.
LIMITS = Limits(connect=1.0, read=1.5, total=3.0, max_bytes=1_000_000)
SLACK = 2.0
"""Seconds a refresh may take past the fetch deadline: starting a parser, storing."""


def in_hours(hours: int) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


@dataclass(frozen=True)
class Case:
    handler: Callable[[], Handler]
    says: tuple[str, ...]  # words the stored error must hold (case-insensitive)
    retry_at: Callable[[], datetime] | None = None  # when the source may be fetched again
    gone: bool = False


CASES = {
    "hang": Case(lambda: hang(), ("timed out", "1.5 s")),
    "drip": Case(lambda: drip(bytes_per_second=1), ("timed out", "3 s")),
    "endless chunked body": Case(lambda: endless(), ("larger than", "limit")),
    "gzip bomb": Case(lambda: gzip_bomb(50 * 1024 * 1024), ("larger than", "limit")),
    "corrupt gzip": Case(
        lambda: status(
            200, [("Content-Encoding", "gzip")], gzip.compress(rss(1, 2, 3).encode())[:-40]
        ),
        ("corrupt compressed body",),
    ),
    "redirect loop": Case(lambda: redirect(302, "/feed.xml?again"), ("redirect loop",)),
    "redirect to file:": Case(
        lambda: redirect(302, "file:///etc/passwd"),
        ("redirected to a file: URL", "/etc/passwd", "not followed"),
    ),
    "410": Case(lambda: status(410), ("410", "gone", "no longer fetched", "kept"), gone=True),
    "429 seconds": Case(
        lambda: status(429, [("Retry-After", "120")]),
        ("429", "next try after"),
        retry_at=lambda: datetime.now(UTC) + timedelta(seconds=120),
    ),
    "429 date": Case(
        lambda: status(429, [("Retry-After", format_datetime(in_hours(3), usegmt=True))]),
        ("429", "next try after"),
        retry_at=lambda: in_hours(3),
    ),
    "429 garbage": Case(
        lambda: status(429, [("Retry-After", "soon-ish")]),
        ("429", "unreadable", "next try in an hour"),
        retry_at=lambda: in_hours(1),
    ),
    "HTML page": Case(
        lambda: feed(
            "<!doctype html><html><body><p>Hello</p></body></html>", content_type="text/html"
        ),
        ("not a feed", "HTML page"),
    ),
    "PNG": Case(lambda: feed(png_image(), content_type="image/png"), ("not a feed", "PNG image")),
}


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=tmp_path / "none")
    yield lib
    lib.close()


def seeded(library: Library, server: FeedServer, name: str, path: str) -> Source:
    """A feed source refreshed once from a good feed: two items, the older one read."""
    server.route(path, feed(rss(1, 2)))
    source = library.store.add_source(name, SourceKind.FEED, server.url(path))
    summary = library.refresh([source], limits=LIMITS)
    assert (summary.updated, summary.added) == (1, 2)
    older = [row for row in library.rows(library.view(source.id), 0, 10) if row.title == "Story 1"]
    library.mark_read([older[0].id])
    return source


def bounded_refresh(
    library: Library, sources: list[Source] | None, progress: Callable[[RefreshEvent], None]
) -> tuple[RefreshSummary, float]:
    """One refresh, and how long it took; cancelled (and failing the test) when it runs past
    the deadline and its slack, so a broken defence fails rather than hangs the test run."""
    cancel = threading.Event()
    timer = threading.Timer(LIMITS.total + SLACK, cancel.set)
    timer.start()
    started = time.monotonic()
    try:
        summary = library.refresh(sources, progress, cancel, limits=LIMITS)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert not cancel.is_set(), f"still running after {elapsed:.1f} s: cancelled"
    return summary, elapsed


def after(library: Library, source: Source) -> Source:
    (found,) = library.sources(only=[source.id])
    return found


def assert_kept(library: Library, source: Source) -> None:
    """Both items are still there, the read one still read."""
    rows = {row.title: row.read for row in library.rows(library.view(source.id), 0, 10)}
    assert rows == {"Story 2": False, "Story 1": True}


def assert_one_clear_line(events: list[RefreshEvent], source: Source, says: tuple[str, ...]) -> str:
    """The stored error: one line naming the reason, shown as "name: reason", no traceback."""
    (event,) = events
    assert event.outcome == "failed"
    error = source.last_error
    assert error == event.message, "the stored error is the one reported"
    assert "\n" not in error and "Traceback" not in error and 'File "' not in error
    assert len(error) < 300, error
    for word in says:
        assert word.casefold() in error.casefold(), f"{word!r} not in {error!r}"
    return error


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_hostile_source_fails_clearly_in_time_and_keeps_its_items(
    library: Library, feed_server: FeedServer, case: str
) -> None:
    hostile = CASES[case]
    source = seeded(library, feed_server, case, "/feed.xml")
    feed_server.route("/feed.xml", hostile.handler())
    events: list[RefreshEvent] = []
    summary, elapsed = bounded_refresh(library, [source], events.append)
    assert elapsed < LIMITS.total + SLACK, f"{case}: {elapsed:.1f} s"
    now = after(library, source)
    error = assert_one_clear_line(events, now, hostile.says)
    assert summary.failures == [f"{case}: {error}"]
    assert_kept(library, now)
    assert now.gone == hostile.gone
    if hostile.retry_at is None:
        assert now.retry_at is None
    else:
        expected = hostile.retry_at()
        assert now.retry_at is not None and abs((now.retry_at - expected).total_seconds()) < 5
        assert f"{now.retry_at:%Y-%m-%d %H:%M}" in error  # says when, not only that
    if hostile.gone or hostile.retry_at is not None:  # the next refresh leaves it alone
        asked = len(feed_server.requests)
        assert library.refresh([now], limits=LIMITS).skipped == 1
        assert len(feed_server.requests) == asked


def test_a_redirect_to_a_local_file_reads_nothing(
    library: Library, feed_server: FeedServer
) -> None:
    source = seeded(library, feed_server, "local", "/feed.xml")
    feed_server.route("/feed.xml", redirect(301, "file:///etc/passwd"))
    library.refresh([source], limits=LIMITS)
    texts = [article for _, _, article in library.iter_articles(library.view())]
    assert not any("root:" in text for text in texts)
    assert len(texts) == 2


def test_a_self_signed_certificate_fails_on_its_source(
    library: Library, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    source = seeded(library, feed_server, "tls", "/feed.xml")
    context: ssl.SSLContext = self_signed_context(tmp_path)
    with FeedServer(ssl_context=context) as secure:
        secure.route("/feed.xml", feed(rss(1, 2, 3)))
        update_source(library.store, source.id, location=secure.url("/feed.xml"))  # it moved
        events: list[RefreshEvent] = []
        _, elapsed = bounded_refresh(library, library.sources(only=[source.id]), events.append)
    assert elapsed < LIMITS.total + SLACK
    now = after(library, source)
    assert_one_clear_line(events, now, ("TLS certificate verification failed", "self-signed"))
    assert_kept(library, now)


BAD = ("/hang", "/bomb", "/page")


def test_twenty_feeds_with_three_bad_ones(library: Library, feed_server: FeedServer) -> None:
    good = [f"/feed/{n}" for n in range(17)]
    paths = [*BAD, *good]  # the bad ones first: the first fetches to start
    for path in paths:
        feed_server.route(path, feed(rss(1, 2)))
        library.store.add_source(path, SourceKind.FEED, feed_server.url(path))
    assert library.refresh(limits=LIMITS).added == 40
    for path in good:
        feed_server.route(path, feed(rss(1, 2, 3)))
    for path, case in zip(BAD, ("hang", "gzip bomb", "HTML page"), strict=True):
        feed_server.route(path, CASES[case].handler())
    events: list[tuple[float, RefreshEvent]] = []
    started = time.monotonic()
    summary, elapsed = bounded_refresh(
        library, None, lambda event: events.append((time.monotonic() - started, event))
    )
    assert (summary.updated, summary.added, summary.failed) == (17, 17, 3)
    # The hang is the slowest: it ends at the read timeout, and the refresh right after it.
    assert elapsed < LIMITS.read + SLACK, f"{elapsed:.1f} s"
    stored = {source.name: source for source in library.sources()}
    for path in good:
        assert stored[path].total == 3 and not stored[path].last_error
    assert "timed out" in stored["/hang"].last_error
    assert "larger than" in stored["/bomb"].last_error
    assert "not a feed" in stored["/page"].last_error
    assert all(stored[path].total == 2 for path in BAD)
    # The good ones never waited for the hang.
    updated = [at for at, event in events if event.outcome == "updated"]
    hung = [at for at, event in events if event.source.name == "/hang"]
    assert max(updated) < hung[0], (max(updated), hung)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]
)
def test_a_feed_in_any_unicode_encoding_is_not_taken_for_binary(encoding: str) -> None:
    declared = rss(1).replace('version="1.0"', f'version="1.0" encoding="{encoding}"')
    assert binary_kind(declared.encode(encoding), "image/png") == ""
    assert binary_kind(b'{"version": "https://jsonfeed.org/version/1.1"}', "") == ""
    assert binary_kind(b"", "application/octet-stream") == ""


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (png_image(), "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"GIF89a\x01\x00", "a GIF image"),
        (b"%PDF-1.7\n", "a PDF document"),
        (gzip.compress(b"<rss/>", mtime=0), "gzip-compressed data"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a media file"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(8), "binary data (application/octet-stream)"),
    ],
)
def test_binary_bodies_are_named(body: bytes, kind: str) -> None:
    assert binary_kind(body, "application/octet-stream; x=1") == kind


def test_a_feed_served_as_an_image_still_updates(library: Library, feed_server: FeedServer) -> None:
    source = seeded(library, feed_server, "mislabelled", "/feed.xml")
    feed_server.route("/feed.xml", feed(rss(1, 2, 3), content_type="image/png"))
    assert library.refresh([source], limits=LIMITS).added == 1
