"""Marking everything read as one mark (store/readstate.py): what it reads as, its undo, the
unread-only views built before and after it, items that arrive after it, and a store made
by schema version 10 brought to 11."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from streamtui.core.library import Library
from streamtui.core.models import Item, Source, SourceKind, View
from streamtui.core.store import Store, readstate, schema
from tests.support.store import set_read, sync_items

MakeItem = Callable[..., Item]
T0 = 1_700_000_000.0


def add(store: Store, name: str) -> Source:
    return store.add_source(name, SourceKind.FOLDER, f"/sources/{name}")


def fill(store: Store, item: MakeItem) -> tuple[Source, Source]:
    one, two = add(store, "one"), add(store, "two")
    sync_items(store, one.id, [
        item("a1", "A", published=T0 + 1), item("a2", "B", published=T0 + 2),
        item("a3", "C", published=T0 + 3),
    ], fingerprint="1")  # fmt: skip
    sync_items(store, two.id, [
        item("x1", "X", published=T0 + 4), item("x2", "Y", published=T0 + 5),
    ], fingerprint="2")  # fmt: skip
    return one, two


def state(store: Store) -> dict[str, tuple[int, float | None]]:
    """Each item's read state as every view reads it, and when it was read."""
    found = store._read(f"SELECT id, {readstate.is_read()}, {readstate.read_at()} FROM items")
    return {str(r[0]): (int(str(r[1])), r[2]) for r in found}  # type: ignore[misc]


def unread_counts(store: Store) -> dict[str, int]:
    return {s.name: s.unread for s in store.sources()}


def rows_written(store: Store, change: Callable[[], object]) -> int:
    """How many rows ``change`` inserted, updated or deleted (SQLite's total_changes)."""
    before = store._db.total_changes
    change()
    return store._db.total_changes - before


def test_marking_everything_read_writes_one_row_and_undo_puts_back_each_items_state(
    store: Store, item: MakeItem
) -> None:
    one, _ = fill(store, item)
    set_read(store, ["a1"], True, at=T0 + 10)  # read before: keeps its moment through both
    set_read(store, ["x1"], True, at=T0 + 11)
    set_read(store, ["x1"], False)  # read, then unread again: unread before the mark
    before = state(store)
    marked = None

    def mark() -> None:
        nonlocal marked
        marked = store.change_view_read(View(unread_only=True, since=T0), at=T0 + 50)

    assert rows_written(store, mark) == 1  # the mark's row: no item, no index entry
    assert marked is not None and marked.total == 4 and marked.mark is not None
    assert marked.unread == {one.id: -2, one.id + 1: -2}
    assert state(store) == {**before, **{i: (1, T0 + 50) for i in ("a2", "a3", "x1", "x2")}}
    assert unread_counts(store) == {"one": 0, "two": 0}
    assert all(row.read for row in store.rows(View(), 0, 10))
    # Arrivals after the mark are unread; one item marked unread since stays so.
    sync_items(store, one.id, [
        item("a1", "A", published=T0 + 1), item("a2", "B", published=T0 + 2),
        item("a3", "C", published=T0 + 3), item("a4", "New", published=T0 + 6),
    ], fingerprint="3")  # fmt: skip
    assert state(store)["a4"] == (0, None)
    set_read(store, ["a3"], False)
    assert unread_counts(store) == {"one": 2, "two": 0}
    assert store.next_unread(View(), None) == "a4"
    assert store.count(View(unread_only=True, since=T0 + 60)) == 2

    assert store.restore_view_read(marked, at=T0 + 50) == 3  # a2, x1, x2: a3 changed since
    assert state(store) == {**before, "a4": (0, None)}
    assert unread_counts(store) == {"one": 3, "two": 2}
    assert store._read("SELECT count(*) FROM read_marks") == [(0,)]
    assert store.restore_view_read(marked, at=T0 + 50) == 0  # undone once


def test_unread_only_views_list_what_marks_made_after_them_read(
    store: Store, item: MakeItem
) -> None:
    one, _ = fill(store, item)
    store.change_view_read(View(), at=T0 + 20)  # every item, before the view below
    sync_items(store, one.id, [
        item("a1", "A", published=T0 + 1), item("a5", "Later", published=T0 + 7),
    ], fingerprint="4")  # fmt: skip
    view = View(unread_only=True, since=T0 + 30)
    assert [r.id for r in store.rows(view, 0, 10)] == ["a5"]
    store.change_view_read(View(), at=T0 + 40)  # a5, after the view was built: it stays
    set_read(store, ["x1"], False)
    set_read(store, ["x1"], True, at=T0 + 45)  # read on its own after the view: stays too
    assert [(r.id, r.read) for r in store.rows(view, 0, 10)] == [("a5", True), ("x1", True)]
    assert store.count(view) == 2 and store.position(view, "x1") == 1
    assert store.count(View(unread_only=True, since=T0 + 50)) == 0
    assert state(store)["a5"] == (1, T0 + 40) and state(store)["a1"] == (1, T0 + 20)


def test_an_earlier_mark_undone_after_a_later_one_makes_its_items_unread(
    store: Store, item: MakeItem
) -> None:
    """Another process marked everything again meanwhile: the items of the mark undone
    are unread, those only the later mark covers stay read."""
    one, _ = fill(store, item)
    first = store.change_view_read(View(), at=T0 + 20)
    sync_items(store, one.id, [
        item("a1", "A", published=T0 + 1), item("a2", "B", published=T0 + 2),
        item("a3", "C", published=T0 + 3), item("a6", "Six", published=T0 + 8),
    ], fingerprint="5")  # fmt: skip
    store.change_view_read(View(), at=T0 + 30)
    assert store.restore_view_read(first, at=T0 + 20) == 5
    assert state(store)["a6"] == (1, T0 + 30)
    assert {i for i, (read, _) in state(store).items() if not read} == {
        "a1",
        "a2",
        "a3",
        "x1",
        "x2",
    }


def test_kept_state_and_aliases_read_the_marks(store: Store, item: MakeItem) -> None:
    """An item that leaves its source keeps the read state a mark gave it, and gives it to
    the story when it comes back."""
    one, _ = fill(store, item)
    store.change_view_read(View(), at=T0 + 20)
    sync_items(store, one.id, [item("a1", "A", published=T0 + 1)], fingerprint="6")  # a2 goes
    assert store._read("SELECT read, read_at FROM kept_state WHERE item_id = 'a2'") == [
        (1, T0 + 20)
    ]
    sync_items(store, one.id, [item("a2", "B", published=T0 + 2)], fingerprint="7")
    assert state(store)["a2"] == (1, T0 + 20)


def test_the_library_marks_everything_read_and_undoes_it(
    store: Store, item: MakeItem, tmp_path: Path
) -> None:
    fill(store, item)
    library = Library(store, bundled=tmp_path / "none", clock=lambda: T0 + 100)
    changes = library.mark_view_read(library.view())
    assert changes.count == 5 and sorted(changes.ids) == ["a1", "a2", "a3", "x1", "x2"]
    assert all(row.read for row in changes.rows) and not changes.bulk
    undone = library.undo()
    assert undone is not None and undone.count == 5
    assert library.count(library.view(unread_only=True)) == 5


def test_migration_10_to_11_keeps_every_items_read_state(
    tmp_path: Path, item: MakeItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db" / "streamtui.db"
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:10])
        store = Store.open(path)
        one, two = add(store, "one"), add(store, "two")
        assert store._read("PRAGMA user_version") == [(10,)]
        with store._write() as db:  # rows as version 10 wrote them
            db.executemany(
                "INSERT INTO items (id, source_id, title, published, seq, read, read_at, "
                "starred) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    ("a1", one.id, "A", T0 + 1, 0, 1, T0 + 10, 0),
                    ("a2", one.id, "B", T0 + 2, 1, 0, None, 0),
                    ("a3", one.id, "C", T0 + 3, 2, 0, None, 0),
                    ("x1", two.id, "X", T0 + 4, 0, 0, None, 0),
                    ("x2", two.id, "Y", T0 + 5, 1, 1, T0 + 12, 1),
                ],
            )
        before = store._read("SELECT id, read, read_at FROM items ORDER BY id")
        store.close()
    store = Store.open(path)
    try:
        assert store._read("PRAGMA user_version") == [(schema.latest(),)]
        assert [(i, r, at) for i, (r, at) in sorted(state(store).items())] == before
        assert unread_counts(store) == {"one": 2, "two": 1}
        assert [r.id for r in store.rows(View(starred=True), 0, 10)] == ["x2"]
        assert store.count(View(unread_only=True, since=T0 + 11)) == 4  # x2, read after
        marked = store.change_view_read(View(), at=T0 + 20)
        assert marked.total == 3 and unread_counts(store) == {"one": 0, "two": 0}
        assert store.restore_view_read(marked, at=T0 + 20) == 3
        assert [(i, r, at) for i, (r, at) in sorted(state(store).items())] == before
        plan = store._read(
            f"EXPLAIN QUERY PLAN SELECT id FROM items WHERE {readstate.unread()} "
            "ORDER BY published DESC, seq, id"
        )
        assert "COVERING INDEX items_by_date" in " ".join(str(r[-1]) for r in plan)
    finally:
        store.close()
