"""``streamtui refresh`` returns once a big refresh's items are stored and leaves their search
entries to a process of its own (issue 15, core/library/indexer.py); ``--searchable`` waits
for them, and ``streamtui search`` writes what is still pending before it searches."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streamtui import cli
from streamtui.core.library import indexer
from streamtui.core.models import SourceKind, View
from streamtui.core.refresh import writer as writer_module
from streamtui.core.store import Store, sql
from tests.support.feedserver import (
    FeedServer,
    feed,
    feed_server_fixture,  # noqa: F401
)
from tests.support.indexing import indexed_and_ended


def rss(count: int) -> str:
    items = "".join(
        f"<item><guid>w{n}</guid><title>Story {n} about wombats</title>"
        f"<description>&lt;p&gt;A marsupial, number {n}&lt;/p&gt;</description></item>"
        for n in range(count)
    )
    return f"<rss version='2.0'><channel><title>Wombats</title>{items}</channel></rss>"


@pytest.fixture
def database(feed_server: FeedServer) -> Path:
    feed_server.route("/feed.xml", feed(rss(5)))
    path = Path(os.environ["STREAMTUI_DATA_DIR"]) / "streamtui.db"
    store = Store.open(path)
    try:
        store.set_meta("default_source_added", "1")  # the feed alone: no bundled guide
        store.add_source("Wombats", SourceKind.FEED, feed_server.url("/feed.xml"))
    finally:
        store.close()
    return path


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The indexers the refresh started (none runs: what they would do is checked alone)."""
    monkeypatch.setattr(writer_module, "ENTRIES_NOW", 2)  # 5 new items count as many
    calls: list[Path] = []

    def start(database: Path) -> bool:
        calls.append(database)
        return True

    monkeypatch.setattr(indexer, "start", start)
    return calls


def counts(database: Path) -> tuple[int, int]:
    """Items stored, and how many of them wait for their search entry."""
    store = Store.open(database)
    try:
        return store.count(View()), store.pending_entries()
    finally:
        store.close()


def test_a_big_refresh_returns_with_its_items_stored_and_starts_the_indexer(
    database: Path, started: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["refresh"]) == 0
    said = capsys.readouterr().out
    assert "updated 1, unchanged 0, failed 0; 5 new item(s)" in said
    assert "5 new item(s) (5 item(s) searchable in a few seconds)" in said
    assert counts(database) == (5, 5)  # listed now, searchable once the indexer has run
    assert started == [database]
    assert cli.main(["refresh"]) == 0  # nothing new, the backlog still there: no "of them"
    assert "; 0 new item(s) (5 item(s) searchable in a few seconds)" in capsys.readouterr().out
    assert indexer.main([str(database)]) == 0
    assert counts(database) == (5, 0)


def test_search_writes_what_is_still_pending_first(
    database: Path, started: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["refresh"]) == 0
    capsys.readouterr()
    assert cli.main(["search", "--json", "marsupial"]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(found) == 5
    assert counts(database) == (5, 0)


def test_refresh_searchable_returns_with_every_entry_written(
    database: Path, started: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["refresh", "--searchable"]) == 0
    assert counts(database) == (5, 0)
    assert started == []


def test_a_small_refresh_writes_its_entries_before_it_returns(
    database: Path,
    started: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(writer_module, "ENTRIES_NOW", 5)
    assert cli.main(["refresh"]) == 0
    assert counts(database) == (5, 0)
    assert started == []
    assert "searchable" not in capsys.readouterr().out


def test_search_that_cannot_write_the_pending_entries_still_searches(
    database: Path,
    started: list[Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process holds the write lock (or the disk is full): the search says so in one
    line and answers from what is already searchable."""
    assert cli.main(["refresh"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sql, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert cli.main(["search", "--json", "marsupial"]) == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = capsys.readouterr()
    assert out == ""  # nothing searchable yet, and no failure
    (line,) = err.splitlines()
    assert line.startswith("streamtui: search: the newest items may not be found yet (")
    assert counts(database) == (5, 5)


def test_a_real_big_refresh_returns_at_once_and_its_entries_follow(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The command run as a script runs it (its output captured): it returns once the items
    are stored, its detached indexer holds none of its pipes, and the entries follow."""
    count = writer_module.ENTRIES_NOW + 100
    feed_server.route("/big.xml", feed(rss(count)))
    path = Path(os.environ["STREAMTUI_DATA_DIR"]) / "streamtui.db"
    store = Store.open(path)
    try:
        store.set_meta("default_source_added", "1")
        store.add_source("Big", SourceKind.FEED, feed_server.url("/big.xml"))
    finally:
        store.close()
    done = subprocess.run(
        [sys.executable, "-m", "streamtui", "refresh"],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{count} new item(s)" in done.stdout and done.stderr == ""
    assert indexed_and_ended(path)  # every entry written, and the indexer ended
    assert counts(path) == (count, 0)
