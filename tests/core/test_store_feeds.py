"""The store's feed side: migration 2, merging feed items, fetch state."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamtui.core.errors import StoreError
from streamtui.core.models import Enclosure, Item, SourceChange, SourceKind, SyncStats, Update, View
from streamtui.core.store import MIGRATIONS, Store
from streamtui.core.store.sql import statements
from tests.support.store import feed_state, merge_items, set_read

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def feed_item(n: int, **changes: object) -> Item:
    values: dict[str, object] = {
        "id": f"item{n}",
        "title": f"Item {n}",
        "summary": f"Summary {n}",
        "body": f"<p>Body {n}</p>",
        "published": T0 + timedelta(hours=n),
        "html": True,
    }
    values.update(changes)
    return Item(**values)  # type: ignore[arg-type]


def test_migration_from_version_1_keeps_data_and_adds_feed_state(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    for statement in statements(MIGRATIONS[0]):
        old.execute(statement)
    old.execute("PRAGMA user_version=1")
    old.execute(
        "INSERT INTO sources (id, name, kind, location, added_at) "
        "VALUES (1, 'notes', 'folder', '/home/me/notes', 0)"
    )
    old.execute(
        "INSERT INTO items (id, source_id, title, published, seq, read) "
        "VALUES ('a', 1, 'A', 0, 0, 1)"
    )
    old.close()

    store = Store.open(path)
    assert store._read("PRAGMA user_version") == [(len(MIGRATIONS),)]
    (source,) = store.sources()
    assert source.key == "/home/me/notes"
    assert store.row("a") is not None and store.row("a").read  # type: ignore[union-attr]
    assert feed_state(store, source.id).etag == ""
    store.close()


def test_merge_keeps_items_the_feed_dropped_and_read_state(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    stats = merge_items(store, source.id, [feed_item(1), feed_item(2)], etag='"v1"')
    assert (stats.added, stats.updated) == (2, 0)
    set_read(store, ["item1"], True)
    stats = merge_items(store, source.id, [feed_item(2, title="Item 2, corrected"), feed_item(3)])
    assert (stats.added, stats.updated, stats.removed) == (1, 1, 0)
    rows = {r.id: r for r in store.rows(View(), 0, 10)}
    assert set(rows) == {"item1", "item2", "item3"}
    assert rows["item1"].read and rows["item2"].title == "Item 2, corrected"
    assert feed_state(store, source.id).etag == '"v1"'
    store.close()


def test_undated_items_keep_the_time_first_seen(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    merge_items(store, source.id, [feed_item(1, published=T0, dated=False)])
    merge_items(store, source.id, [feed_item(1, published=T0 + timedelta(days=3), dated=False)])
    row = store.row("item1")
    assert row is not None and row.published == T0
    store.close()


def test_html_bodies_and_enclosures_round_trip(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("cast", SourceKind.FEED, "https://example.org/podcast")
    episode = feed_item(1, enclosures=(Enclosure("https://example.org/1.mp3", "audio/mpeg", 123),))
    merge_items(store, source.id, [episode])
    article = store.article("item1")
    assert article is not None
    assert article.html and article.body == "<p>Body 1</p>"
    assert article.enclosures == (Enclosure("https://example.org/1.mp3", "audio/mpeg", 123),)
    assert article.base == "https://example.org/podcast"
    store.close()


def test_a_source_change_is_typed_and_names_no_other_column(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    store.change_source(source.id, SourceChange(gone=True, last_error="HTTP 410 Gone"))
    (stored,) = store.sources()
    assert stored.gone and stored.last_error == "HTTP 410 Gone"
    with pytest.raises(TypeError):  # no field of that name: it never reaches the SQL
        SourceChange(id=5)  # type: ignore[call-arg]
    store.close()


def test_merge_many_stores_feeds_together_and_rolls_back_only_the_one_that_fails(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "s.db")
    one = store.add_source("one", SourceKind.FEED, "https://one.example/feed")
    two = store.add_source("two", SourceKind.FEED, "https://two.example/feed")
    removed = store.add_source("gone", SourceKind.FEED, "https://gone.example/feed")
    store.remove_source(removed.id)  # removed while its feed was being parsed
    outcomes = store.apply([
        Update(one.id, SourceChange(etag='"a"'), (feed_item(1), feed_item(2))),
        Update(removed.id, SourceChange(etag='"b"'), (feed_item(3),)),
        Update(two.id, items=(feed_item(4),)),
    ])  # fmt: skip
    assert outcomes[0] == SyncStats(added=2) and outcomes[2] == SyncStats(added=1)
    assert isinstance(outcomes[1], StoreError) and "cannot save" in str(outcomes[1])
    assert sorted(r.id for r in store.rows(View(), 0, 10)) == ["item1", "item2", "item4"]
    assert feed_state(store, one.id).etag == '"a"'
    with pytest.raises(StoreError):  # one feed alone: the error is raised
        merge_items(store, removed.id, [feed_item(5)])
    store.close()


def test_deferred_checkpoints_leave_the_wal_checkpointed_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store.open(path)
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    with store.checkpoints_deferred():
        for n in range(80):
            merge_items(store, source.id, [feed_item(n, body="<p>x</p>" * 2000)])
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchall() == [(0,)]
        assert path.with_name("s.db-wal").stat().st_size > 4_000_000  # grew: no checkpoint
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchall() == [(1000,)]
    with sqlite3.connect(path) as other:  # everything reached the database file
        busy, pages, done = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and pages == done
    assert store.count(View()) == 80
    store.close()


def test_a_refresh_writes_with_a_larger_page_cache_that_shrinks_after(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    assert store._db.execute("PRAGMA cache_size").fetchall() == [(-16384,)]
    with store.checkpoints_deferred():  # a refresh's whole write
        assert store._db.execute("PRAGMA cache_size").fetchall() == [(-32768,)]
    assert store._db.execute("PRAGMA cache_size").fetchall() == [(-16384,)]
    store.close()
