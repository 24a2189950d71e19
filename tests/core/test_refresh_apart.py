"""A refresh in a process of its own (issue 15, core/refresh/apart.py): the app's process
imports nothing of the network or the parser for it, gets the same events and summary, and
a child that dies or is cancelled leaves one line, a whole store and no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.models import (
    Account,
    AccountReport,
    RefreshEvent,
    RefreshSummary,
    Source,
    SourceKind,
)
from streamtui.core.refresh.apart import CHILD_MODULE, decode, encode
from streamtui.core.store import Store
from tests.core.test_feed_sources import rss
from tests.support.feedserver import FeedServer, feed, hang
from tests.support.feedserver import feed_server_fixture as feed_server_fixture
from tests.support.processes import group_members, refresh_children, wait_for

APP_LIKE = """
import json, sys
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store

library = Library(Store.open(Path(sys.argv[1])), bundled=Path(sys.argv[2]))
events = []
summary = library.refresh_elsewhere(None, lambda event: events.append(event.outcome))
print(json.dumps({
    "added": summary.added,
    "updated": summary.updated,
    "events": events,
    "imported": sorted(m for m in ("httpx", "feedparser", "streamtui.core.refresh.run",
                                   "streamtui.core.parse.pool") if m in sys.modules),
}))
"""


def subscribed(library: Library, feed_server: FeedServer, path: str = "/feed.xml") -> Source:
    feed_server.route(path, feed(rss(1, 2), etag='"1"'))
    source, _ = library.add_source(feed_server.url(path), "Loopback")
    return source


def test_the_refresh_runs_in_another_process_that_imports_the_network_and_the_parser(
    tmp_path: Path, library: Library, feed_server: FeedServer, bundled_dir: Path
) -> None:
    subscribed(library, feed_server)
    feed_server.route("/feed.xml", feed(rss(1, 2, 3), etag='"2"'))
    path = library.database_path
    assert path is not None
    done = subprocess.run(
        [sys.executable, "-c", APP_LIKE, str(path), str(bundled_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    # The child fetched and parsed: the process that asked imported neither, nor the pipeline.
    assert outcome["imported"] == []
    assert outcome["added"] == 1 and outcome["updated"] == 1
    assert "updated" in outcome["events"]
    assert "Story 3" in [row.title for row in library.rows(library.view(None), 0, 100)]


def test_the_events_and_the_summary_are_those_of_the_refresh_here(
    library: Library, feed_server: FeedServer
) -> None:
    source = subscribed(library, feed_server)
    feed_server.route("/feed.xml", feed(rss(1, 2, 3, 4), etag='"2"'))
    events: list[RefreshEvent] = []
    summary = library.refresh_elsewhere([source], events.append)
    assert [(e.source.id, e.source.name, e.outcome, e.added) for e in events] == [
        (source.id, "Loopback", "updated", 2)
    ]
    assert events[0].source.kind is SourceKind.FEED
    assert isinstance(events[0].source.updated_at, datetime)
    assert (summary.updated, summary.added, summary.failed) == (1, 2, 0)
    assert library.refresh_elsewhere([source]).unchanged == 1  # the child stored the ETag


def test_a_failing_feed_is_an_event_and_a_line_as_here(
    library: Library, feed_server: FeedServer
) -> None:
    source = subscribed(library, feed_server)
    feed_server.route("/feed.xml", feed(b"<html>not a feed</html>", content_type="text/html"))
    summary = library.refresh_elsewhere([source])
    assert summary.failed == 1 and len(summary.failures) == 1
    assert summary.failures[0].startswith("Loopback: ")


def refreshing_in_a_thread(
    library: Library, cancel: threading.Event | None = None
) -> tuple[threading.Thread, list[object], set[int]]:
    """The refresh runs on a thread; ``outcome`` gets its summary or error. The set: the
    refresh children there before it (an earlier test's, ending on the same xdist worker)."""
    earlier = set(refresh_children())
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(library.refresh_elsewhere(None, None, cancel))
        except StreamtuiError as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome, earlier


def hanging_child(earlier: set[int], feed_server: FeedServer) -> int:
    """The pid of the refresh's child once its request for /feed.xml hangs."""
    assert wait_for(lambda: feed_server.requests_to("/feed.xml"))
    children = refresh_children(besides=earlier)
    assert len(children) == 1
    return children[0]


def test_a_killed_child_is_one_line_and_leaves_the_store_whole(
    library: Library, feed_server: FeedServer
) -> None:
    subscribed(library, feed_server)
    feed_server.route("/feed.xml", hang())
    feed_server.reset()
    thread, outcome, earlier = refreshing_in_a_thread(library)
    child = hanging_child(earlier, feed_server)
    os.kill(child, signal.SIGKILL)
    thread.join(timeout=30)
    assert not thread.is_alive()
    [error] = outcome
    assert isinstance(error, StreamtuiError)
    assert str(error) == "the refresh's process was stopped (SIGKILL)"
    path = library.database_path
    assert path is not None
    other = Store.open(path)  # whole, and not locked by the dead writer
    try:
        with other.reading() as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        other.close()
    feed_server.route("/feed.xml", feed(rss(1, 2, 5), etag='"3"'))
    assert library.refresh_elsewhere().added == 1


def test_a_cancelled_refresh_stops_its_child_and_says_nothing(
    library: Library, feed_server: FeedServer
) -> None:
    subscribed(library, feed_server)
    feed_server.route("/feed.xml", hang())
    feed_server.reset()
    cancel = threading.Event()
    thread, outcome, earlier = refreshing_in_a_thread(library, cancel)
    child = hanging_child(earlier, feed_server)
    cancel.set()
    thread.join(timeout=30)
    assert outcome == [RefreshSummary()]  # nothing to show: the app asked for the stop
    assert wait_for(lambda: not group_members(child)), "the child or its group outlived it"


def test_a_child_whose_app_went_away_stops_with_its_group(
    library: Library, feed_server: FeedServer, bundled_dir: Path
) -> None:
    """The app killed (its end of the pipe closes): the child cancels, then ends."""
    subscribed(library, feed_server)
    feed_server.route("/feed.xml", hang())
    feed_server.reset()
    request = {
        "job": "refresh",
        "sources": None,
        "database": str(library.database_path),
        "bundled": str(bundled_dir),
        "retention": {},
    }
    child = subprocess.Popen(
        [sys.executable, "-m", CHILD_MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(request).encode() + b"\n")
    child.stdin.flush()
    assert wait_for(lambda: feed_server.requests_to("/feed.xml"))
    child.stdin.close()  # as when the app's process dies
    child.wait(timeout=30)
    assert wait_for(lambda: not group_members(child.pid))
    lines = child.stdout.read().splitlines()
    child.stdout.close()
    assert all(not line.startswith(b"Traceback") for line in lines)


def test_a_database_gone_before_the_start_is_said_and_nothing_is_made(
    tmp_path: Path, bundled_dir: Path
) -> None:
    path = tmp_path / "data" / "streamtui.db"
    library = Library(Store.open(path), bundled=bundled_dir)
    path.unlink()
    with pytest.raises(StreamtuiError, match="deleted"):
        library.refresh_elsewhere()
    assert not path.exists()
    library.close()


@pytest.mark.parametrize(
    "value",
    [
        Source(
            7,
            "News “today”",
            SourceKind.FEED,
            "https://example.org/feed",
            updated_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
            account_id=None,
        ),
        AccountReport(
            Account(3, "work", "greader", "https://x.example", "me", "k", synced_at=None),
            added=4,
            covered=("a", "b"),
        ),
        RefreshSummary(updated=1, failures=["a: b"], network_down="down"),
    ],
)
def test_values_cross_the_pipe_unchanged(value: object) -> None:
    assert decode(type(value), json.loads(json.dumps(encode(value)))) == value
