"""The benchmarks' fast store generator (benchmarks/_year.py) writes what the store's own API
writes for the same stories (benchmarks/_bench.fill_store, a merge per feed), and its cached
copies are found by what a refresh of the served feeds parses."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import _bench as bench
from benchmarks import _year as year
from streamtui.core.parse.feed import parse_feed
from streamtui.core.store.items import _digest

MOMENTS = {"added_at", "updated_at"}
"""Columns holding when the row was written (and meta's ``arrivals_since``, when the database
was made): they differ between any two runs."""


def dump(path: Path) -> dict[str, object]:
    """Everything a database holds but the moments its rows were written."""
    found: dict[str, object] = {}
    with closing(sqlite3.connect(path)) as db:
        found["schema"] = sorted(db.execute("SELECT type, name, sql FROM sqlite_master"))
        for pragma in ("user_version", "auto_vacuum", "journal_mode"):
            found[pragma] = db.execute(f"PRAGMA {pragma}").fetchone()
        for table in ("sources", "items", "bodies", "enclosures", "kept_state", "search_keys"):
            names = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(name for name in names if name not in MOMENTS)
            found[table] = db.execute(f"SELECT {kept} FROM {table} ORDER BY 1").fetchall()
        found["meta"] = db.execute(
            "SELECT key, CASE key WHEN 'arrivals_since' THEN '' ELSE value END FROM meta"
            " ORDER BY key"
        ).fetchall()
        found["entries"] = db.execute(
            "SELECT rowid, title, text FROM search_index ORDER BY rowid"
        ).fetchall()
        found["matches"] = db.execute(
            "SELECT rowid FROM search_index WHERE search_index MATCH 'river OR ci*' ORDER BY rowid"
        ).fetchall()
        found["integrity"] = db.execute("PRAGMA integrity_check").fetchall()
        found["fts"] = db.execute(
            "INSERT INTO search_index (search_index) VALUES ('integrity-check')"
        ).fetchall()
    return found


@pytest.mark.parametrize("layout", [year.Layout(3, 7), year.Layout(4, 30, spacing=263)])
def test_the_fast_generator_writes_what_the_store_api_writes(
    layout: year.Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(year, "CHUNK_ITEMS", 50)  # several transactions, a feed's split none
    keys = [year.key(n) for n in range(layout.feeds)]
    slow = bench.fill_store(tmp_path / "api", keys, layout.per_feed, spacing=layout.spacing)
    fast = year.build(tmp_path / "fast.db", layout)
    assert slow == fast == layout.items
    through_api, generated = dump(tmp_path / "api" / "streamtui.db"), dump(tmp_path / "fast.db")
    assert generated["items"] and generated["entries"] and generated["matches"]
    assert generated == through_api
    assert generated["integrity"] == [("ok",)]


def test_a_cached_copy_points_at_the_server_and_holds_what_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(year.tempfile, "gettempdir", lambda: str(tmp_path))
    layout = year.Layout(3, 12, spacing=263, carried=5)
    urls = [f"http://127.0.0.1:9/feed/{n}.xml" for n in range(layout.feeds)]
    assert year.fill(tmp_path / "one", urls, layout) == 36
    cached = sorted(year.cache_folder().glob("*.db"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    assert year.fill(tmp_path / "two", urls[::-1], layout) == 36  # reused, not rebuilt
    assert cached[0].stat().st_mtime_ns == before
    with closing(sqlite3.connect(tmp_path / "two" / "streamtui.db")) as db:
        sources = db.execute("SELECT key, location FROM sources ORDER BY id").fetchall()
        stored = dict(db.execute("SELECT id, digest FROM items").fetchall())
    assert sources == [(year.key(n), urls[::-1][n]) for n in range(layout.feeds)]
    served = layout.served()
    assert len(served) == layout.feeds
    for number in range(layout.feeds):
        body = served[f"/feed/{number}.xml"]
        parsed = parse_feed(body, source_key=year.key(number), seen_at=datetime.now(UTC))
        assert len(parsed.items) == 5
        assert {item.id for item in parsed.items} <= stored.keys()  # nothing new
        for item in parsed.items:  # nor anything changed: a refresh rewrites none of them
            assert stored[item.id] == _digest(item), item.title
    assert layout.newest_title.encode() in served[f"/feed/{layout.feeds - 1}.xml"]


def test_a_year_is_500_feeds_spread_over_365_days() -> None:
    layout = year.Layout.of(1_000_000)
    assert (layout.feeds, layout.per_feed, layout.items) == (500, 2000, 1_000_000)
    (first,) = bench.stories(0, layout.per_feed, spacing=layout.spacing, newest=1)
    assert 363 <= (first.published - bench.START).days <= 365
    assert year.Layout.of(100_000) == year.Layout(1000, 100)
    assert year.Layout.of(200) == year.Layout(2, 100)
