"""The store's feed side: migration 2, merging feed items, fetch state."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamtui.core import store as store_module
from streamtui.core.models import Enclosure, Item, SourceKind, View
from streamtui.core.store import MIGRATIONS, Store

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
    for statement in store_module._statements(MIGRATIONS[0]):
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
    assert store.feed_state(source.id).etag == ""
    store.close()


def test_merge_keeps_items_the_feed_dropped_and_read_state(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    stats = store.merge_items(source.id, [feed_item(1), feed_item(2)], etag='"v1"')
    assert (stats.added, stats.updated) == (2, 0)
    store.set_read(["item1"], True)
    stats = store.merge_items(source.id, [feed_item(2, title="Item 2, corrected"), feed_item(3)])
    assert (stats.added, stats.updated, stats.removed) == (1, 1, 0)
    rows = {r.id: r for r in store.rows(View(), 0, 10)}
    assert set(rows) == {"item1", "item2", "item3"}
    assert rows["item1"].read and rows["item2"].title == "Item 2, corrected"
    assert store.feed_state(source.id).etag == '"v1"'
    store.close()


def test_undated_items_keep_the_time_first_seen(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    store.merge_items(source.id, [feed_item(1, published=T0, dated=False)])
    store.merge_items(source.id, [feed_item(1, published=T0 + timedelta(days=3), dated=False)])
    row = store.row("item1")
    assert row is not None and row.published == T0
    store.close()


def test_html_bodies_and_enclosures_round_trip(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("cast", SourceKind.FEED, "https://example.org/podcast")
    episode = feed_item(1, enclosures=(Enclosure("https://example.org/1.mp3", "audio/mpeg", 123),))
    store.merge_items(source.id, [episode])
    article = store.article("item1")
    assert article is not None
    assert article.html and article.body == "<p>Body 1</p>"
    assert article.enclosures == (Enclosure("https://example.org/1.mp3", "audio/mpeg", 123),)
    assert article.base == "https://example.org/podcast"
    store.close()


def test_update_source_refuses_unknown_columns(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    source = store.add_source("feed", SourceKind.FEED, "https://example.org/feed")
    store.update_source(source.id, gone=1, last_error="HTTP 410 Gone")
    (stored,) = store.sources()
    assert stored.gone and stored.last_error == "HTTP 410 Gone"
    try:
        store.update_source(source.id, id=5)
    except ValueError as error:
        assert "id" in str(error)
    else:  # pragma: no cover
        raise AssertionError("an unknown column was accepted")
    store.close()
