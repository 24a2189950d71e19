"""Retention with nothing due at scale (issue 15, a year of feeds): the order index by source
carries what says an item is unread and recent (migration 12), so a pass over a store whose
items all arrived unread and lately reads that index alone; what it lets through is checked
in the table as before (tests/core/test_retention.py covers the rules themselves)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streamtui.core.models import Item, Retention, SourceKind, View
from streamtui.core.store import Store, retention, schema
from tests.support.store import merge_items, set_read

MakeItem = Callable[..., Item]
T0 = 1_700_000_000
LIMITS = Retention(max_items=5, unread_days=14)


def fill(store: Store, item: MakeItem) -> int:
    """A feed fetched twice: 20 items, then 20 others (the first 20 no longer carried)."""
    feed = store.add_source("feed", SourceKind.FEED, "https://feed.example/rss")
    for fetch in range(2):
        merge_items(store, feed.id, [
            item(f"f{fetch}-{n:02}", f"Story {fetch} {n}", published=T0 + fetch * 100 + n)
            for n in range(20)
        ], whole=True)  # fmt: skip
    return feed.id


def test_unread_recent_candidates_are_passed_over_on_the_index_alone(
    store: Store, item: MakeItem
) -> None:
    feed = fill(store, item)
    rules = store._rules(store._reader, feed, LIMITS, time.time(), 0.0)
    assert rules is not None and rules.protect_unread
    query = retention.candidate_query(feed, 0, 5, time.time(), rules)
    assert query is not None
    plan = [str(row[-1]) for row in store._reader.execute(f"EXPLAIN QUERY PLAN {query[0]}",
                                                          query[1])]  # fmt: skip
    assert any("COVERING INDEX items_by_source" in step for step in plan), plan
    assert store._reader.execute(*query).fetchall() == []  # all unread and new
    assert store.cleanup(LIMITS).total == 0
    # What is read, or arrived before the moment, still goes (and only what is not carried).
    set_read(store, ["f0-03", "f0-04", "f1-02"], True)
    assert sorted(retention.candidates(store._reader, feed, 0, 5, time.time(), rules)) == [
        "f0-03", "f0-04", "f1-02",
    ]  # fmt: skip
    report = store.cleanup(LIMITS)
    assert report.total == 2 and store.article("f1-02") is not None  # carried: kept
    later = store._rules(store._reader, feed, LIMITS, time.time() + 15 * 86_400, 0.0)
    assert later is not None
    assert len(retention.candidates(store._reader, feed, 0, 5, time.time(), later)) == 33
    assert store.cleanup(LIMITS, now=time.time() + 15 * 86_400).total == 18


def test_a_mark_of_everything_read_lets_them_go(store: Store, item: MakeItem) -> None:
    feed = fill(store, item)
    store.change_view_read(View(), at=T0)
    assert store.cleanup(LIMITS).total == 20  # the first fetch's, no longer carried
    assert store.count(View(feed)) == 20


def test_migration_12_builds_the_index_again_with_every_item(
    tmp_path: Path, item: MakeItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db" / "streamtui.db"
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:11])
        store = Store.open(path)
        fill(store, item)
        before = store._read("SELECT id, arrival, added_at FROM items ORDER BY id")
        store.close()
    assert Store.upgrade_size(path) == 40
    store = Store.open(path)
    try:
        assert Store.upgrade_size(path) is None
        columns = [row[2] for row in store._read("PRAGMA index_info(items_by_source)")]
        assert columns[-2:] == ["read_at", "added_at"]
        assert store._read("SELECT id, arrival, added_at FROM items ORDER BY id") == before
        assert store._read("PRAGMA integrity_check") == [("ok",)]
    finally:
        store.close()
