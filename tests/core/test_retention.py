"""Retention (issue 12): a feed whose item ids change at every fetch grew the store without
bound (20 refreshes took a 100-item feed to 2,100 items). Items past a feed's limits go after
each refresh and with `streamtui cleanup`; starred items, unread recent ones and what the
feed still carries stay; the space comes back.

Every feed here is served by a loopback server and refreshed for real (tests/support/feedserver.py).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from streamtui.cli import main
from streamtui.core.library import Library
from streamtui.core.library import maintenance as library_module
from streamtui.core.models import Retention, SourceKind, SourceRetention
from streamtui.core.store import CHURN_FETCHES, Store, retention
from streamtui.core.store.retention import candidate_query
from tests.support.feedserver import FeedServer, Reply, Request
from tests.support.feedserver import (
    feed_server_fixture as feed_server_fixture,  # the feed_server fixture
)
from tests.support.store import update_source

DAY = 86_400.0


JUNE = 1_780_000_000.0  # 2026-05-28


def rss(items: list[tuple[str, str, int]], *, body: str = "") -> bytes:
    """RSS of (guid, title, hours after JUNE) items."""
    parts = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1/{title.replace(' ', '-')}</link>"
        f"<guid>{guid}</guid><pubDate>{format_datetime(when(hour), usegmt=True)}</pubDate>"
        f'<enclosure url="http://127.0.0.1/{guid}.mp3" type="audio/mpeg" length="1"/>'
        f"<description>{title} {body}</description></item>"
        for guid, title, hour in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>'
        f"<link>http://127.0.0.1/</link>{parts}</channel></rss>"
    ).encode()


def when(hour: int) -> datetime:
    return datetime.fromtimestamp(JUNE + hour * 3600, UTC)


class Churning:
    """A feed of ``size`` stories whose ids change at every request (a generator that puts
    a session or a time in its guids): the same titles and links, new ids."""

    def __init__(self, size: int, *, body: str = "") -> None:
        self.size = size
        self.body = body
        self.fetches = itertools.count()

    def __call__(self, request: Request) -> Reply:
        fetch = next(self.fetches)
        items = [(f"s{n}-v{fetch}", f"Story {n}", n) for n in range(self.size)]
        return Reply(200, [("Content-Type", "application/rss+xml")], rss(items, body=self.body))


class Moving:
    """A busy feed: each request carries the ``size`` newest of stories that keep coming,
    ``step`` new ones a fetch (new ids, new titles: nothing repeats)."""

    def __init__(self, size: int, step: int, *, body: str = "") -> None:
        self.size, self.step, self.body = size, step, body
        self.newest = size - 1
        self.lock = threading.Lock()

    def advance(self) -> None:
        with self.lock:
            self.newest += self.step

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            numbers = range(self.newest, self.newest - self.size, -1)
        items = [(f"m{n}", f"Moving {n}", n) for n in numbers]
        return Reply(200, [("Content-Type", "application/rss+xml")], rss(items, body=self.body))


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def library(tmp_path: Path, clock: Clock) -> Iterator[Library]:
    opened = Library(
        Store.open(tmp_path / "data" / "streamtui.db"), clock=clock, bundled=tmp_path / "none"
    )
    yield opened
    opened.close()


def count(library: Library, source_id: int | None = None) -> int:
    return library.count(library.view(source_id))


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def test_a_feed_that_renames_its_items_every_fetch_stays_bounded(
    library: Library, feed_server: FeedServer
) -> None:
    """20 refreshes of a 100-item feed whose ids change every time: 2,100 items before,
    now its limit plus what it carries; the starred copy stays, and after a few refreshes
    its source says what the feed does."""
    library.retention = Retention(max_items=150)
    feed_server.route("/churn.xml", Churning(100, body="words " * 200))
    source, _ = library.add_source(feed_server.url("/churn.xml"))
    starred = library.rows(library.view(source.id), 5, 1)[0].id
    library.set_starred([starred], True)
    db = library.database_path
    assert db is not None
    sizes, warnings = [], []
    for _ in range(20):
        summary = library.refresh([library.find_source(str(source.id))])
        assert summary.failed == 0
        sizes.append(count(library, source.id))
        warnings.append(library.find_source(str(source.id)).warning)
        if len(sizes) == 10:
            library.checkpoint()
            size_at_10 = db_bytes(db)
    assert max(sizes[CHURN_FETCHES:]) <= 150 + 100 + 1, sizes
    assert sizes[-1] <= 251 and count(library) == sizes[-1]
    assert library.row(starred) is not None and library.row(starred).starred  # type: ignore[union-attr]
    assert not any(warnings[: CHURN_FETCHES - 1])
    assert all("new ids at every fetch" in w for w in warnings[CHURN_FETCHES - 1 :])
    library.checkpoint()
    assert db_bytes(db) <= size_at_10 * 1.2  # the file stops growing too


def test_starred_unread_recent_and_carried_items_survive(
    library: Library, feed_server: FeedServer, clock: Clock
) -> None:
    """A busy feed (new stories at every fetch, 10 carried) with a limit of 15 items: read
    items past the limit go at once; unread ones stay for unread_days after they arrived;
    starred ones stay for ever; what the feed carries stays whatever its age."""
    library.retention = Retention(max_items=15, unread_days=14)
    moving = Moving(10, 10)
    feed_server.route("/busy.xml", moving)
    source, _ = library.add_source(feed_server.url("/busy.xml"))
    first = [row.id for row in library.rows(library.view(source.id), 0, 100)]
    library.set_starred(first[:1], True)
    library.mark_read(first[1:5], True)
    for _ in range(5):
        moving.advance()
        library.refresh([library.find_source(str(source.id))])
    ids = {row.id for row in library.rows(library.view(source.id), 0, 1000)}
    assert first[0] in ids  # starred
    assert not ids & set(first[1:5])  # read, past the limit, dropped by the feed: gone
    assert set(first[5:]) <= ids  # unread, arrived today: kept past the limit
    assert len(ids) == 60 - 4
    assert "new ids" not in library.find_source(str(source.id)).warning  # busy, not renaming
    clock.offset = 15 * DAY  # two weeks on: the unread grace is over
    report = library.cleanup()
    carried = {f"m{n}" for n in range(moving.newest, moving.newest - 10, -1)}
    left = library.rows(library.view(source.id), 0, 1000)
    assert len(left) == 15 + 1  # the limit, and the starred one beyond it
    assert first[0] in {row.id for row in left}
    assert report.total == 56 - 16
    library.store.set_limits(source.id, SourceRetention(max_items=3))
    library.cleanup()
    titles = {row.title for row in library.rows(library.view(source.id), 0, 1000)}
    assert {f"Moving {n[1:]}" for n in carried} <= titles  # carried: past the limit, kept
    assert len(titles) == 10 + 1


def test_the_age_limit_spares_what_the_feed_still_carries(
    library: Library, feed_server: FeedServer
) -> None:
    """Items dated June 2026 with keep_days 1: old, but in the feed, they would come back
    as new and unread if removed; once the feed drops them, they go."""
    items = [(f"a{n}", f"Aged {n}", n) for n in range(20)]
    served = [rss(items)]
    feed_server.route(
        "/aged.xml", lambda r: Reply(200, [("Content-Type", "application/rss+xml")], served[0])
    )
    library.retention = Retention(keep_days=1, max_items=0, unread_days=0)
    source, _ = library.add_source(feed_server.url("/aged.xml"))
    library.refresh([source])
    assert count(library, source.id) == 20
    served[0] = rss(items[:5])
    library.refresh([library.find_source(str(source.id))])
    assert count(library, source.id) == 5


def test_removed_items_leave_nothing_behind(library: Library, feed_server: FeedServer) -> None:
    """Search entries, bodies, enclosures and kept state of removed items go too."""
    library.retention = Retention(max_items=10, unread_days=0)
    moving = Moving(10, 10)
    feed_server.route("/m.xml", moving)
    source, _ = library.add_source(feed_server.url("/m.xml"))
    gone = [row.id for row in library.rows(library.view(source.id), 0, 100)]
    library.store.set_starred(gone, True)  # a star and its removal leave a kept state
    library.store.set_starred(gone, False)
    with library.store._write() as db:
        db.executemany(
            "INSERT INTO kept_state (item_id, read, read_at, starred) VALUES (?, 1, 0, 0)",
            [(i,) for i in gone],
        )
    for _ in range(2):
        moving.advance()
        library.refresh([library.find_source(str(source.id))])
    db = library.database_path
    assert db is not None
    with sqlite3.connect(db) as raw:
        marks = ", ".join("?" * len(gone))
        for table, column in (
            ("items", "id"),
            ("bodies", "item_id"),
            ("enclosures", "item_id"),
            ("search_keys", "item_id"),
            ("kept_state", "item_id"),
        ):
            found = raw.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IN ({marks})", gone
            ).fetchone()[0]
            assert found == 0, table
        indexed = raw.execute("SELECT count(*) FROM search_index").fetchone()[0]
        assert indexed == raw.execute("SELECT count(*) FROM items").fetchone()[0]
    assert library.search("Moving")  # the index still answers
    assert not [r for r in library.search("Moving", limit=100) if r.id in gone]


def test_the_pass_after_a_refresh_is_bounded_and_said(
    library: Library, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    library.retention = Retention(max_items=10, unread_days=0)
    moving = Moving(50, 50)
    feed_server.route("/m.xml", moving)
    source, _ = library.add_source(feed_server.url("/m.xml"))
    monkeypatch.setattr(library_module, "AUTO_CLEANUP_LIMIT", 15)
    moving.advance()
    summary = library.refresh([library.find_source(str(source.id))])
    assert summary.removed == 15 and count(library, source.id) == 100 - 15
    assert library.cleanup().total == 100 - 15 - 50  # the rest, but not what it carries


def test_cleanup_gives_the_space_back(library: Library, feed_server: FeedServer) -> None:
    library.retention = Retention(max_items=0, unread_days=0)
    moving = Moving(400, 400, body="text " * 300)
    feed_server.route("/big.xml", Churning(1))  # a second source, untouched
    feed_server.route("/m.xml", moving)
    library.add_source(feed_server.url("/big.xml"))
    source, _ = library.add_source(feed_server.url("/m.xml"))
    moving.advance()
    library.refresh([library.find_source(str(source.id))])
    db = library.database_path
    assert db is not None and library.vacuum_mode() == "incremental"
    library.checkpoint()
    full = db_bytes(db)
    library.store.set_limits(source.id, SourceRetention(max_items=1))
    report = library.cleanup()
    library.checkpoint()
    assert report.total == 400 and report.freed_bytes > 0
    assert db_bytes(db) < full * 0.75, (full, db_bytes(db))


@pytest.mark.parametrize("every", [2, 10**9], ids=["checkpointed", "deferred"])
def test_a_long_cleanup_keeps_the_wal_bounded(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    """At a million items, a pass that removed half the store grew the WAL to 13 GB (every
    checkpoint deferred to the pass's end): it checkpoints every few transactions now, and
    the WAL is cut back to its limit after each."""
    monkeypatch.setattr(retention, "CLEANUP_BATCH", 25)
    monkeypatch.setattr(retention, "CHECKPOINT_BATCHES", every)
    library = Library(Store.open(tmp_path / "db" / "streamtui.db"), bundled=tmp_path / "none")
    library.retention = Retention(max_items=0, unread_days=0)
    try:
        moving = Moving(600, 600, body="text " * 300)
        feed_server.route("/m.xml", moving)
        source, _ = library.add_source(feed_server.url("/m.xml"))
        moving.advance()
        library.refresh([library.find_source(str(source.id))])
        library.checkpoint()
        db = library.database_path
        assert db is not None
        wal = db.with_name(db.name + "-wal")
        library.store.set_limits(source.id, SourceRetention(max_items=1))
        assert library.cleanup().total == 600
        peak = wal.stat().st_size  # a WAL file keeps its largest size until it is cut
    finally:
        library.close()
    if every == 2:  # 24 transactions, a checkpoint every 2: a few transactions' worth
        assert peak < 4_000_000, peak
    else:  # the old way, for scale: the whole pass in the WAL
        assert peak > 10_000_000, peak


def test_cleanup_from_the_command_line_switches_an_old_database_over(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database made before retention frees nothing to the disk until it is rewritten
    once: `cleanup` does it, says so, and prints what it removed and the space regained."""
    data = tmp_path / "data"
    db = data / "streamtui.db"
    moving = Moving(300, 300)
    feed_server.route("/m.xml", moving)
    library = Library(Store.open(db), bundled=tmp_path / "none")
    library.add_source(feed_server.url("/m.xml"), "Busy")
    library.close()
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("unread_days = 0\n")
    with sqlite3.connect(db, isolation_level=None) as raw:  # as an older streamtui made it
        raw.execute("PRAGMA auto_vacuum=NONE")
        raw.execute("VACUUM")
    moving.advance()
    assert main(["--data-dir", str(data), "retention", "Busy", "--max-items", "0"]) == 0
    assert main(["--data-dir", str(data), "refresh"]) == 0
    before = db_bytes(db)
    assert main(["--data-dir", str(data), "retention", "Busy", "--max-items", "5"]) == 0
    out, err = capsys.readouterr()
    assert "Busy: no age limit (config: keep_days); at most 5 item(s) (its own)" in out
    assert main(["--data-dir", str(data), "cleanup", "Busy"]) == 0
    out, err = capsys.readouterr()
    assert "rewriting the database once" in err
    lines = out.splitlines()
    assert lines[0] == "Busy: removed 300 item(s)"
    assert lines[-1].startswith("removed 300 item(s); ") and lines[-1].endswith(" regained")
    assert db_bytes(db) < before * 0.6
    store = Store.open(db)
    assert store.vacuum_mode() == "incremental"
    assert [(s.name, s.total) for s in store.sources() if s.name == "Busy"] == [("Busy", 300)]
    store.close()
    assert main(["--data-dir", str(data), "cleanup"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out == "removed 0 item(s); 0 bytes regained\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["retention", "Busy", "--days", "-1"], "--days -1: must be a whole number or 'default'"),
        (["retention", "Busy", "--max-items", "x"], "--max-items x: must be a whole number"),
        (["retention", "Busy", "--days", "99999999999999999999"], "from 0 to 36,500"),
        (["retention", "guide"], "guide: retention applies to feeds"),
        (["cleanup", "guide"], "guide: retention applies to feeds"),
        (["retention", "nothing"], "nothing: no such source"),
    ],
)
def test_retention_arguments_that_are_wrong_say_why(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    data = tmp_path / "data"
    feed_server.route("/c.xml", Churning(3))
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "none")
    library.add_source(feed_server.url("/c.xml"), "Busy")
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "a.txt").write_text("A\n\nB.\n")
    library.add_source(str(tmp_path / "guide"), "guide")
    library.close()
    capsys.readouterr()
    assert main(["--data-dir", str(data), *argv]) == 1
    out, err = capsys.readouterr()
    assert out == "" and message in err and err.count("\n") == 1


def test_the_retention_pass_reads_the_order_index_only(store: Store) -> None:
    """The candidates come from a range and an OFFSET along the order index by source, with
    no table scan: a pass that removes nothing costs an index walk per source (its time at
    100k items: benchmarks/state_cases.py)."""
    for days, items in ((30, 0), (0, 100), (30, 100)):
        query = candidate_query(1, days, items, time.time())
        assert query is not None
        sql, params = query
        plan = [str(row[-1]) for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        assert any("INDEX items_by_source" in step for step in plan), plan
        assert not any(step.startswith("SCAN items") and "INDEX" not in step for step in plan)
    assert candidate_query(1, 0, 0, time.time()) is None


def test_the_config_sets_the_limits_and_a_bad_value_names_its_line(tmp_path: Path) -> None:
    from streamtui.core.config import ConfigError, load_config

    folder = tmp_path / "settings"
    folder.mkdir()
    assert load_config(folder).retention == Retention(keep_days=0, max_items=1000, unread_days=14)
    (folder / "config.toml").write_text("keep_days = 30\nmax_items = 200\nunread_days = 0\n")
    assert load_config(folder).retention == Retention(30, 200, 0)
    for text, message in [
        ("max_items = -1\n", "line 1: max_items must be a whole number of items (0: no limit)"),
        ("theme = 'nord'\nkeep_days = 99999\n", "line 2: keep_days must be a whole number of days"),
        ('unread_days = "2w"\n', "line 1: unread_days must be a whole number of days (0: no"),
    ]:
        (folder / "config.toml").write_text(text)
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config(folder)


def test_the_warning_shows_in_sources(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    feed_server.route("/churn.xml", Churning(20))
    assert main(["--data-dir", str(data), "add", feed_server.url("/churn.xml"), "--name", "C"]) == 0
    for _ in range(CHURN_FETCHES):
        assert main(["--data-dir", str(data), "refresh", "C"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data), "sources"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if " C " in line)
    assert "(warning: the feed gives most of its items new ids at every fetch (20 of 20" in line


async def test_the_sidebar_shows_a_source_warning(library: Library, tmp_path: Path) -> None:
    from streamtui.ui.app import StreamApp

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.txt").write_text("A\n\nB.\n")
    quiet, _ = library.add_source(str(folder), "Quiet")
    noisy = library.store.add_source("Noisy", SourceKind.FEED, "http://127.0.0.1:9/n")
    other = library.store.add_source("Other", SourceKind.FEED, "http://127.0.0.1:9/o")
    update_source(library.store, other.id, warning="document declared as us-ascii")
    with library.store._write() as db:
        db.execute("UPDATE sources SET churn = ? WHERE id = ?", (CHURN_FETCHES, noisy.id))
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        shown = str(app.main.sidebar.get_option(str(noisy.id)).prompt)
        assert shown == "Noisy ~ 0\ngives its items new ids at every fetch"
        for plain in (quiet, other):  # a feed's own warnings stay in `sources`
            assert "\n" not in str(app.main.sidebar.get_option(str(plain.id)).prompt)


async def test_the_app_says_what_a_refresh_removed_and_drops_it_from_the_list(
    library: Library, feed_server: FeedServer
) -> None:
    """A refresh that brings nothing new but lets old items go: the toast says so and the
    list no longer shows them (it reloaded only for new items)."""
    from streamtui.ui.app import StreamApp

    library.retention = Retention(keep_days=1, max_items=0, unread_days=0)
    items = [(f"a{n}", f"Aged {n}", n) for n in range(20)]
    served = [rss(items)]
    feed_server.route(
        "/aged.xml", lambda r: Reply(200, [("Content-Type", "application/rss+xml")], served[0])
    )
    await asyncio.to_thread(library.add_source, feed_server.url("/aged.xml"))  # its own loop
    served[0] = rss(items[15:])  # the feed drops 15 old items and brings nothing new
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert app.main.stream.count == 20
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        shown = [str(n.message) for n in app._notifications]
        assert any(m.endswith("0 new item(s), 15 old item(s) removed.") for m in shown), shown
        assert app.main.stream.count == 5
        titles = {row.title for i in range(5) if (row := app.main.stream.row_at(i))}
        assert titles == {f"Aged {n}" for n in range(15, 20)}
