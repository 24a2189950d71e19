"""SQLite storage: round trips, migrations, recovery, read state and its keeping."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streamtui.core.errors import StoreError
from streamtui.core.models import Item, Row, Source, SourceKind, SyncStats, View
from streamtui.core.sources.pages import load_source
from streamtui.core.store import MIGRATIONS, SEQ_SPAN, Store, readstate, schema
from streamtui.core.store import search as store_search
from tests.support.store import feed_state, mark_view_read, set_read, sync_items, update_source

WritePage = Callable[..., Path]  # the write_page fixture of conftest.py

MakeItem = Callable[..., Item]
T0 = 1_700_000_000


def add(store: Store, name: str = "news") -> Source:
    return store.add_source(name, SourceKind.FOLDER, f"/sources/{name}")


def all_rows(store: Store, view: View | None = None) -> list[Row]:
    return store.rows(view or View(), 0, 10_000)


def titles(rows: list[Row]) -> list[str]:
    return [row.title for row in rows]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "streamtui.db"


@pytest.fixture
def filled(store: Store, item: MakeItem) -> tuple[Source, Source]:
    """Two sources; equal dates inside a page are ordered by seq (page order)."""
    one, two = add(store, "one"), add(store, "two")
    sync_items(store, one.id, [
        item("a1", "A lead", published=T0 + 100),
        item("a2", "A teaser 1", published=T0 + 100, teaser=True, truncated=True),
        item("a3", "A teaser 2", published=T0 + 100, teaser=True),
        item("b1", "B lead", published=T0 + 300),
        item("c1", "C old", published=T0),
    ], fingerprint="f1")  # fmt: skip
    sync_items(store, two.id, [
        item("x1", "X lead", published=T0 + 200),
        item("x2", "X teaser", published=T0 + 200, teaser=True),
        item("y1", "Y same time as A", published=T0 + 100),
    ], fingerprint="f2")  # fmt: skip
    return one, two


# -- round trip ----------------------------------------------------------------------------


def test_round_trip_newest_first_then_page_order(
    store: Store, filled: tuple[Source, Source]
) -> None:
    rows = all_rows(store)
    assert titles(rows) == [
        "B lead", "X lead", "X teaser", "A lead", "A teaser 1", "A teaser 2",
        "Y same time as A", "C old",
    ]  # fmt: skip
    assert [r.published.timestamp() for r in rows] == sorted(
        (r.published.timestamp() for r in rows), reverse=True
    )
    first_a = next(r for r in rows if r.id == "a2")
    assert (first_a.teaser, first_a.truncated, first_a.read, first_a.starred) == (
        True, True, False, False,
    )  # fmt: skip
    assert first_a.published.utcoffset() is not None
    assert store.count(View()) == 8
    assert store.rows(View(), 2, 3) == rows[2:5]
    assert store.row("a2") == first_a and store.row("nope") is None


def test_bodies_live_only_in_the_bodies_table(
    store: Store, filled: tuple[Source, Source], item: MakeItem
) -> None:
    list_columns = {r[1] for r in store._db.execute("PRAGMA table_info(items)")}
    assert not list_columns & {"body", "summary", "link", "path"}
    one = filled[0]
    sync_items(store, one.id, [item("a1", "A lead", published=T0 + 100, body="Full\n\nbody",
                                   summary="Sum", link="https://e.example/a", path="a.txt",
                                   encoding="cp1252")], fingerprint="f3")  # fmt: skip
    article = store.article("a1")
    assert article is not None
    assert (article.source_name, article.summary, article.body, article.link, article.path,
            article.encoding) == ("one", "Sum", "Full\n\nbody", "https://e.example/a",
                                  "a.txt", "cp1252")  # fmt: skip
    assert article.row == store.row("a1")
    assert store.article("missing") is None


def test_iter_articles_follows_rows_with_summary_and_link(
    store: Store, filled: tuple[Source, Source]
) -> None:
    listed = list(store.iter_articles(View(filled[1].id)))
    assert [row for row, _, _ in listed] == all_rows(store, View(filled[1].id))
    assert listed[0][1] == "summary x1"


def test_reopening_the_file_gives_the_same_data_and_read_state(
    db_path: Path, item: MakeItem
) -> None:
    first = Store.open(db_path)
    source = add(first)
    sync_items(first, source.id, [item("a"), item("b"), item("c")], fingerprint="fp")
    set_read(first, ["b"], True)
    before = all_rows(first)
    first.close()
    again = Store.open(db_path)
    assert all_rows(again) == before
    assert [r.read for r in all_rows(again)] == [False, True, False]
    assert feed_state(again, source.id).fingerprint == "fp"
    again.close()


def test_sync_reports_what_changed(store: Store, item: MakeItem) -> None:
    source = add(store)
    assert sync_items(store, source.id, [item("a"), item("b")], fingerprint="1") == SyncStats(2)
    stats = sync_items(store, source.id, [item("a", "renamed"), item("c")], fingerprint="2",
                             error="1 file(s) skipped")  # fmt: skip
    assert stats == SyncStats(added=1, updated=1, removed=1)
    assert titles(all_rows(store)) == ["renamed", "title c"]
    assert sync_items(store, source.id, [item("a", "renamed"), item("c")],
                            fingerprint="2") == SyncStats()  # fmt: skip
    assert feed_state(store, source.id).fingerprint == "2"


def test_two_instances_on_one_file_lose_nothing(db_path: Path, item: MakeItem) -> None:
    first, second = Store.open(db_path), Store.open(db_path)
    source = add(first)
    sync_items(first, source.id, [item("a"), item("b")], fingerprint="")
    assert set_read(second, ["a"], True) == ["a"]
    assert set_read(first, ["b"], True) == ["b"]
    assert [r.read for r in all_rows(first)] == [True, True]
    assert [r.read for r in all_rows(second)] == [True, True]
    first.close()
    second.close()


# -- migrations ----------------------------------------------------------------------------


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_fresh_database_is_at_the_latest_version(db_path: Path) -> None:
    Store.open(db_path).close()
    assert user_version(db_path) == len(MIGRATIONS)
    assert {"sources", "items", "bodies", "kept_state", "meta"} <= tables(db_path)


def test_reopening_does_not_rerun_migrations(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, "CREATE TABLE extra (x)"])
    first = Store.open(db_path)
    first.set_meta("marker", "kept")
    first.close()
    # A second run of either script would fail: its tables already exist.
    again = Store.open(db_path)
    assert again.meta("marker") == "kept"
    again.close()
    assert user_version(db_path) == len(MIGRATIONS) + 1


def test_newer_database_is_refused_clearly(db_path: Path) -> None:
    Store.open(db_path).close()
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError) as caught:
        Store.open(db_path)
    message = str(caught.value)
    assert str(db_path) in message and "99" in message and "upgrade streamtui" in message
    with pytest.raises(StoreError):  # not mistaken for corruption
        Store.open_or_recover(db_path)
    assert not list(db_path.parent.glob("*.corrupt-*"))


def test_failing_migration_leaves_the_old_version_intact(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, item: MakeItem
) -> None:
    old = Store.open(db_path)
    source = add(old)
    sync_items(old, source.id, [item("a")], fingerprint="")
    set_read(old, ["a"], True)
    old.close()
    broken = "CREATE TABLE half_done (x); ALTER TABLE items ADD COLUMN y; THIS IS NOT SQL"
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(StoreError, match="syntax error"):
        Store.open(db_path)
    assert user_version(db_path) == len(MIGRATIONS)
    assert "half_done" not in tables(db_path)
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)
    reopened = Store.open(db_path)
    rows = all_rows(reopened)
    assert [(r.id, r.read) for r in rows] == [("a", True)]
    assert "y" not in {r[1] for r in reopened._db.execute("PRAGMA table_info(items)")}
    reopened.close()


def test_corrupt_file_is_moved_aside_with_a_message(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database\x00" * 500
    db_path.write_bytes(garbage)
    with pytest.raises(StoreError, match="corrupt"):
        Store.open(db_path)
    store, message = Store.open_or_recover(db_path)
    aside = list(db_path.parent.glob("streamtui.db.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == garbage
    assert aside[0].name in message and "corrupt" in message
    assert store.sources() == [] and user_version(db_path) == len(MIGRATIONS)
    store.close()


def test_healthy_database_opens_without_a_message(db_path: Path) -> None:
    Store.open(db_path).close()
    store, message = Store.open_or_recover(db_path)
    assert message == ""
    store.close()
    assert not list(db_path.parent.glob("*.corrupt-*"))


# -- read state ----------------------------------------------------------------------------


def test_set_read_returns_the_ids_that_changed(store: Store, filled: tuple[Source, Source]) -> None:
    assert set_read(store, ["a1", "x1", "unknown"], True) == ["a1", "x1"]
    assert set_read(store, ["a1", "b1"], True) == ["b1"]
    assert set_read(store, ["a1", "c1"], False) == ["a1"]
    assert {r.id for r in all_rows(store) if r.read} == {"x1", "b1"}


def test_mark_view_read_returns_the_ids_it_marked(
    store: Store, filled: tuple[Source, Source]
) -> None:
    one, two = filled
    set_read(store, ["x1"], True)
    assert sorted(mark_view_read(store, View(two.id))) == ["x2", "y1"]
    assert all(r.read for r in all_rows(store, View(two.id)))
    assert not any(r.read for r in all_rows(store, View(one.id)))
    assert mark_view_read(store, View(two.id)) == []
    assert len(mark_view_read(store, View())) == 5


def test_unread_view_keeps_items_read_after_since(
    store: Store, filled: tuple[Source, Source]
) -> None:
    set_read(store, ["c1"], True)
    time.sleep(0.01)
    view = View(None, True, time.time())
    assert store.count(view) == 7
    set_read(store, ["a1", "x1"], True)
    assert store.count(view) == 7  # read after the view was built: still listed
    assert {r.id for r in all_rows(store, view) if r.read} == {"a1", "x1"}
    rebuilt = View(None, True, time.time() + 1)
    assert store.count(rebuilt) == 5
    assert not any(r.read for r in all_rows(store, rebuilt))


def unread_after(rows: list[Row], index: int | None, backwards: bool) -> str | None:
    if index is None:
        candidates = rows[::-1] if backwards else rows
    else:
        candidates = rows[:index][::-1] if backwards else rows[index + 1 :]
    return next((r.id for r in candidates if not r.read), None)


def test_position_and_next_unread_agree_with_rows(
    store: Store, filled: tuple[Source, Source]
) -> None:
    one, two = filled
    set_read(store, ["x1", "a2", "c1"], True)
    since = time.time() + 1
    for view in [View(), View(one.id), View(two.id), View(None, True, since),
                 View(one.id, True, since)]:  # fmt: skip
        rows = all_rows(store, view)
        assert rows
        for index, row in enumerate(rows):
            assert store.position(view, row.id) == index
            for backwards in (False, True):
                expected = unread_after(rows, index, backwards)
                assert store.next_unread(view, row.id, backwards=backwards) == expected
        for backwards in (False, True):
            expected = unread_after(rows, None, backwards)
            assert store.next_unread(view, None, backwards=backwards) == expected
    assert store.position(View(), "unknown") is None


def test_position_of_an_item_outside_the_view_is_none(
    store: Store, filled: tuple[Source, Source]
) -> None:
    two = filled[1]
    set_read(store, ["b1"], True)
    assert store.position(View(two.id), "a1") is None
    assert store.position(View(None, True, time.time() + 1), "b1") is None


def test_sources_counts_unread_and_total(store: Store, filled: tuple[Source, Source]) -> None:
    set_read(store, ["a1", "b1"], True)
    counts = {s.name: (s.unread, s.total) for s in store.sources()}
    assert counts == {"one": (3, 5), "two": (3, 3)}


def test_sources_without_items(store: Store) -> None:
    source = add(store, "empty")
    update_source(store, source.id, last_error="no such file or folder", fingerprint="")
    [listed] = store.sources()
    assert (listed.name, listed.kind, listed.location) == ("empty", SourceKind.FOLDER,
                                                           "/sources/empty")  # fmt: skip
    assert (listed.unread, listed.total, listed.last_error) == (0, 0, "no such file or folder")
    assert listed.updated_at is None


def test_removing_a_source_deletes_only_its_items(
    store: Store, filled: tuple[Source, Source]
) -> None:
    one = filled[0]
    set_read(store, ["x1", "a1"], True)
    store.remove_source(one.id)
    assert {r.id for r in all_rows(store)} == {"x1", "x2", "y1"}
    assert store.article("a1") is None
    assert store._db.execute("SELECT count(*) FROM bodies").fetchone()[0] == 3
    assert [(r.id, r.read) for r in all_rows(store)] == [
        ("x1", True), ("x2", False), ("y1", False),
    ]  # fmt: skip


def test_item_that_vanishes_and_comes_back_is_still_read(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [item("a"), item("b")], fingerprint="1")
    set_read(store, ["a"], True)
    sync_items(store, source.id, [item("b")], fingerprint="2")
    assert store.row("a") is None
    sync_items(store, source.id, [item("a"), item("b")], fingerprint="3")
    assert [(r.id, r.read) for r in all_rows(store)] == [("a", True), ("b", False)]


def test_item_marked_unread_that_vanishes_again_comes_back_unread(
    store: Store, item: MakeItem
) -> None:
    source = add(store)
    sync_items(store, source.id, [item("a")], fingerprint="1")
    set_read(store, ["a"], True)
    sync_items(store, source.id, [], fingerprint="2")
    sync_items(store, source.id, [item("a")], fingerprint="3")
    set_read(store, ["a"], False)
    sync_items(store, source.id, [], fingerprint="4")
    sync_items(store, source.id, [item("a")], fingerprint="5")
    assert store.row("a") is not None and not store.row("a").read  # type: ignore[union-attr]


# -- read state follows a story from teaser to article -------------------------------------

TEASING_PAGE = "Front page\n\nBody.\n\nMore from this stream\n\nThe Big Story\n\nIt begins...\n"


def sync_folder(store: Store, source: Source, folder: Path) -> None:
    result = load_source(source.location, folder)
    sync_items(store, source.id, result.items, fingerprint=result.fingerprint)


def test_teaser_read_then_its_article_added_makes_the_article_read(
    store: Store, tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "front.txt", TEASING_PAGE)
    source = store.add_source("src", SourceKind.FOLDER, str(folder))
    sync_folder(store, source, folder)
    [teaser] = [r for r in all_rows(store) if r.teaser]
    set_read(store, [teaser.id], True)

    write_page(folder, "story.txt", "the big   story\n\nThe whole of it.\n")
    sync_folder(store, source, folder)
    rows = {r.title: r for r in all_rows(store)}
    assert set(rows) == {"Front page", "the big story"}
    assert rows["the big story"].read and not rows["the big story"].teaser
    assert store.row(teaser.id) is None
    article = store.article(rows["the big story"].id)
    assert article is not None and article.body == "The whole of it."


def read_story_in_folder(
    store: Store, tmp_path: Path, write_page: WritePage
) -> tuple[Row, Callable[[], None]]:
    """A folder whose front page teases a story that has its own file; the story is read.
    Returns its row and a function that removes the story's file and syncs again."""
    folder = tmp_path / "src"
    write_page(folder, "front.txt", TEASING_PAGE)
    story = write_page(folder, "story.txt", "The Big Story\n\nThe whole of it.\n")
    source = store.add_source("src", SourceKind.FOLDER, str(folder))
    sync_folder(store, source, folder)
    [article] = [r for r in all_rows(store) if r.title == "The Big Story"]
    set_read(store, [article.id], True)

    def removed() -> None:
        story.unlink()
        sync_folder(store, source, folder)

    return article, removed


def test_article_read_then_its_file_removed_leaves_the_teaser_read(
    store: Store, tmp_path: Path, write_page: WritePage
) -> None:
    _, read_story_removed = read_story_in_folder(store, tmp_path, write_page)
    read_story_removed()
    [teaser] = [r for r in all_rows(store) if r.teaser]
    assert teaser.title == "The Big Story" and teaser.read


def test_ids_with_prefix_treats_like_wildcards_literally(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [item("abc_%1"), item("abcX%2"), item("abcdef")],
                     fingerprint="")  # fmt: skip
    assert store.ids_with_prefix("abc_") == ["abc_%1"]
    assert (
        store.ids_with_prefix("abc") == ["abcX%2", "abc_%1"]
        or len(store.ids_with_prefix("abc")) == 2
    )
    assert store.ids_with_prefix("zzz") == []


# -- migration 3: search and stars ---------------------------------------------------------


def v2_database(path: Path) -> None:
    """A database as streamtui left it at schema version 2, with a feed and a folder item."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:2]:
            assert isinstance(script, str)
            db.executescript(script)
        db.executescript(f"""
            INSERT INTO sources (id, name, kind, location, key, added_at)
                VALUES (1, 'feed', 'feed', 'https://e.example/feed', 'https://e.example/feed', 0),
                       (2, 'notes', 'folder', '/notes', '/notes', 0);
            INSERT INTO items (id, source_id, title, published, seq, read, read_at, starred)
                VALUES ('f1', 1, 'Marsupials', {T0}, {SEQ}, 1, {T0 + 5}, 1),
                       ('f2', 1, 'Teaser only', {T0 + 1}, {SEQ + 1}, 0, NULL, 0),
                       ('n1', 2, 'A note', {T0 + 2}, {2 * SEQ}, 0, NULL, 0);
            INSERT INTO bodies (item_id, summary, body, link, path, encoding, html) VALUES
                ('f1', '', '<p class="lede">The <a href="https://q.example/">quokka</a></p>',
                 '', '', 'utf-8', 1),
                ('f2', '<p>A wombat summary</p>', '', '', '', 'utf-8', 1),
                ('n1', 'Plain', 'Plain text about a numbat.', '', 'n.txt', 'utf-8', 0);
            PRAGMA user_version = 2;
        """)  # fmt: skip


SEQ = SEQ_SPAN


def test_migration_3_indexes_the_items_already_stored(db_path: Path) -> None:
    v2_database(db_path)
    store = Store.open(db_path)
    assert user_version(db_path) == len(MIGRATIONS)
    assert [r.id for r in store.search("quokka")] == ["f1"]
    assert [r.id for r in store.search("wombat")] == ["f2"]  # the summary, without a body
    assert [r.id for r in store.search("numbat")] == ["n1"]
    assert [r.id for r in store.search("marsupials")] == ["f1"]
    assert store.search("lede") == [] and store.search("href") == []
    assert [(r.id, r.read, r.starred) for r in all_rows(store)] == [
        ("n1", False, False), ("f2", False, False), ("f1", True, True),
    ]  # fmt: skip
    assert [r.id for r in all_rows(store, View(starred=True))] == ["f1"]
    store.close()


def test_an_interrupted_migration_3_leaves_version_2(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v2_database(db_path)
    calls = []

    def failing(summary: str, body: str, html: bool) -> str:
        calls.append(body)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return body

    monkeypatch.setattr(store_search, "indexed_text", failing)
    with pytest.raises(StoreError, match="disk I/O error"):
        Store.open(db_path)
    assert user_version(db_path) == 2
    assert not {"search_index", "search_keys"} & tables(db_path)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 3
    monkeypatch.undo()
    store = Store.open(db_path)
    assert [r.id for r in store.search("quokka")] == ["f1"]
    store.close()


def test_migration_4_moves_bodies_to_a_rowid_table_and_keeps_everything(db_path: Path) -> None:
    v2_database(db_path)
    with sqlite3.connect(db_path) as db:
        step = MIGRATIONS[2]
        assert callable(step)
        step(db)
        db.execute("PRAGMA user_version = 3")
    store = Store.open(db_path)
    assert user_version(db_path) == len(MIGRATIONS) >= 4
    with sqlite3.connect(db_path) as db:
        (schema,) = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'bodies'").fetchone()
        assert "WITHOUT ROWID" not in schema
        assert "items_state" not in {r[0] for r in db.execute("SELECT name FROM sqlite_schema")}
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert "quokka" in store.article("f1").body and store.article("n1").path == "n.txt"
    assert store.article("f1").html and not store.article("n1").html
    counts = [(s.name, s.unread, s.total) for s in store.sources()]
    assert counts == [("feed", 1, 2), ("notes", 1, 1)]
    store.remove_source(1)  # bodies still go with their items
    with sqlite3.connect(db_path) as db:
        assert [r[0] for r in db.execute("SELECT item_id FROM bodies")] == ["n1"]
    store.close()


# -- stars ---------------------------------------------------------------------------------


def test_set_starred_returns_the_ids_that_changed(
    store: Store, filled: tuple[Source, Source]
) -> None:
    assert store.set_starred(["a1", "x1", "unknown"], True) == ["a1", "x1"]
    assert store.set_starred(["a1", "b1"], True) == ["b1"]
    assert store.starred_count() == 3
    assert store.set_starred(["a1"], False) == ["a1"]
    assert store.starred_count() == 2
    assert {r.id for r in all_rows(store) if r.starred} == {"x1", "b1"}


def test_starred_view_is_every_source_newest_first(
    store: Store, filled: tuple[Source, Source]
) -> None:
    two = filled[1]
    store.set_starred(["c1", "x2", "a3", "b1"], True)
    set_read(store, ["x2"], True, at=T0)
    starred = View(starred=True)
    assert [r.id for r in all_rows(store, starred)] == ["b1", "x2", "a3", "c1"]
    assert store.count(starred) == 4
    assert [r.id for r in all_rows(store, View(two.id, starred=True))] == ["x2"]
    unread = View(None, True, T0 + 1, starred=True)
    assert [r.id for r in all_rows(store, unread)] == ["b1", "a3", "c1"]
    assert store.position(starred, "a3") == 2 and store.position(starred, "a1") is None
    assert store.next_unread(starred, "b1") == "a3"
    assert [row.id for row, _, _ in store.iter_articles(starred)] == ["b1", "x2", "a3", "c1"]
    assert sorted(mark_view_read(store, starred)) == ["a3", "b1", "c1"]
    assert store.row("a1") is not None and not store.row("a1").read  # type: ignore[union-attr]


def test_starred_view_reads_only_the_partial_index(store: Store) -> None:
    plan = " ".join(
        str(r[3]) for r in store._db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM items WHERE starred = 1 "
            "ORDER BY published DESC, seq, id LIMIT 128"
        )
    )  # fmt: skip
    assert "items_starred" in plan and "TEMP B-TREE" not in plan


def test_a_starred_item_stays_when_its_file_is_gone(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [item("a"), item("b"), item("c")], fingerprint="1")
    store.set_starred(["b"], True)
    set_read(store, ["b"], True, at=T0)
    stats = sync_items(store, source.id, [item("a")], fingerprint="2")
    assert stats == SyncStats(removed=1)
    assert [r.id for r in all_rows(store)] == ["a", "b"]
    kept = store.row("b")
    assert kept is not None and kept.starred and kept.read
    assert [r.id for r in all_rows(store, View(starred=True))] == ["b"]
    assert [r.id for r in store.search("title b ")] == ["b"]
    article = store.article("b")
    assert article is not None and article.body == "body b"
    store.set_starred(["b"], False)
    sync_items(store, source.id, [item("a")], fingerprint="3")
    assert store.row("b") is None


def test_a_starred_article_keeps_its_star_when_its_teaser_comes_back(
    store: Store, tmp_path: Path, write_page: WritePage
) -> None:
    article, read_story_removed = read_story_in_folder(store, tmp_path, write_page)
    store.set_starred([article.id], True)
    read_story_removed()
    rows = {r.id: r for r in all_rows(store)}
    assert rows[article.id].starred  # kept, body and all
    [teaser] = [r for r in rows.values() if r.teaser]
    assert teaser.read and not teaser.starred  # starred once
    assert [r.id for r in all_rows(store, View(starred=True))] == [article.id]


# -- what undo needs -----------------------------------------------------------------------


def read_state(store: Store) -> dict[str, tuple[int, float | None]]:
    """Each item's read state (its own, or a mark of everything's) and when it was read."""
    return {
        r[0]: (r[1], r[2])
        for r in store._db.execute(
            f"SELECT id, {readstate.is_read()}, {readstate.read_at()} FROM items"
        )
    }


def test_restore_read_puts_back_only_what_nothing_changed_since(
    store: Store, filled: tuple[Source, Source]
) -> None:
    set_read(store, ["a1"], True, at=T0)
    before = read_state(store)
    marked = store.change_view_read(View(), at=T0 + 50, listed=100)
    assert set(marked.ids) == set(before) - {"a1"} and marked.total == len(marked.ids)
    set_read(store, ["x1"], False)
    set_read(store, ["x1"], True, at=T0 + 60)  # read again since: keeps its new state
    set_read(store, ["x2"], False)  # marked unread since: stays so
    assert store.restore_view_read(marked, at=T0 + 50) == 5
    after = read_state(store)
    assert after["x1"] == (1, T0 + 60) and after["x2"] == (0, None)
    assert {k: v for k, v in after.items() if k not in ("x1", "x2")} == {
        k: v for k, v in before.items() if k not in ("x1", "x2")
    }


def test_change_read_of_read_items_remembers_when_they_were_read(
    store: Store, filled: tuple[Source, Source]
) -> None:
    set_read(store, ["a1"], True, at=T0 + 1)
    set_read(store, ["b1"], True, at=T0 + 2)
    priors = store.change_read(["a1", "b1", "c1"], False)
    assert [(p.item_id, p.read, p.read_at) for p in priors] == [
        ("a1", True, T0 + 1), ("b1", True, T0 + 2),
    ]  # fmt: skip
    assert store.restore_read(priors, read=False, at=None) == 2
    assert read_state(store)["a1"] == (1, T0 + 1) and read_state(store)["b1"] == (1, T0 + 2)


def test_needs_upgrade_only_for_an_older_schema(db_path: Path) -> None:
    assert not Store.needs_upgrade(db_path)  # no file: nothing to upgrade (and none made)
    assert not db_path.exists()
    v2_database(db_path)
    assert Store.needs_upgrade(db_path)
    Store.open(db_path).close()
    assert not Store.needs_upgrade(db_path)
    db_path.write_bytes(b"not a database at all")
    assert not Store.needs_upgrade(db_path)


def test_reads_do_not_wait_for_a_long_write(store: Store, filled: tuple[Source, Source]) -> None:
    """The list reads on a connection of its own: a refresh holding the writer does not
    stall it, and it sees each write once committed."""
    started, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store._write() as db:
            db.execute("UPDATE items SET title = 'Renamed' WHERE id = 'a1'")
            started.set()
            release.wait(10)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert started.wait(10)
        began = time.monotonic()
        assert store.count(View()) == 8 and store.row("a1").title == "A lead"  # type: ignore[union-attr]
        assert titles(store.rows(View(query="lead"), 0, 10))  # a query view too
        assert time.monotonic() - began < 1.0
    finally:
        release.set()
        writer.join()
    assert store.row("a1").title == "Renamed"  # type: ignore[union-attr]


def test_marking_a_query_view_read_marks_its_unread_hits_only(
    store: Store, filled: tuple[Source, Source]
) -> None:
    set_read(store, ["b1"], True, at=5.0)
    priors = store.change_view_read(View(query="lead"), at=9.0).priors
    assert sorted(p.item_id for p in priors) == ["a1", "x1"]
    assert {r.id: r.read for r in all_rows(store)}["a1"]
    assert store._read("SELECT read_at FROM items WHERE id = 'b1'") == [(5.0,)]


def test_new_items_stored_together_take_kept_state_as_if_one_by_one(
    store: Store, item: MakeItem
) -> None:
    source = add(store)
    sync_items(store, source.id, [item("s1", "Story"), item("n1", "Note")], fingerprint="1")
    set_read(store, ["s1"], True, at=7.0)
    store.set_starred(["n1"], True)
    sync_items(store, source.id, [item("other", "Other")], fingerprint="2")  # s1 leaves
    # s1 comes back with a teaser that goes by s1 too: the story takes its kept state once,
    # the teaser its read state through the story stored just before it.
    sync_items(store, source.id, [
        item("s1", "Story"),
        item("t1", "Teaser", teaser=True, aliases=("s1",)),
        item("other", "Other"),
    ], fingerprint="3")  # fmt: skip
    rows = {r.id: (r.read, r.starred) for r in all_rows(store)}
    assert rows == {
        "s1": (True, False), "t1": (True, False), "other": (False, False), "n1": (False, True),
    }  # fmt: skip
    assert store._read("SELECT count(*) FROM kept_state") == [(0,)]
    assert [r.id for r in store.search("teaser")] == ["t1"]


def test_sources_can_be_counted_for_a_few_or_not_at_all(
    store: Store, filled: tuple[Source, Source]
) -> None:
    two = filled[1]
    set_read(store, ["x1"], True)
    assert [(s.name, s.unread, s.total) for s in store.sources(only=[two.id])] == [("two", 2, 3)]
    assert [(s.name, s.unread, s.total) for s in store.sources(counted=False)] == [
        ("one", 0, 0), ("two", 0, 0),
    ]  # fmt: skip
    assert store.sources(only=[]) == []
