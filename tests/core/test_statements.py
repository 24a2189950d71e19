"""A mark-read key press runs one write and a constant number of small reads, whatever the
store holds (issue 13): counted through ``Connection.set_trace_callback`` on both of the
store's connections, and the work of each statement through SQLite's progress handler (one
call every few virtual-machine instructions), at 1,000 and at 100,000 items.

It read the row again, then every source's counts (a GROUP BY over every item: about a
million instructions at 100k) and rebuilt the whole sidebar; the library now returns what
changed (models.Changes) and the sidebar redraws those entries only."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.big import copy_store, narrow_store

SIZES = (1_000, 100_000)
pytestmark = pytest.mark.xdist_group("statements-100k")
"""One worker builds the 100k store (a session fixture is built again on every xdist worker)."""
STEP = 10
"""Virtual-machine instructions between two calls of the progress handler."""


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("big")
    return {size: narrow_store(folder / str(size) / "streamtui.db", size) for size in SIZES}


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    steps: int = 0

    def shapes(self) -> list[str]:
        """The statements with their values left out (ids and times differ between runs)."""
        return [re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", text) for text in self.statements]

    @property
    def writes(self) -> int:
        return sum(text.startswith("BEGIN IMMEDIATE") for text in self.statements)


@contextmanager
def counting(store: Store) -> Iterator[Counted]:
    counted = Counted()

    def trace(text: str) -> None:
        if not text.startswith("PRAGMA data_version"):  # the app's look for other writers
            counted.statements.append(text)

    def step() -> int:
        counted.steps += STEP
        return 0

    connections: list[sqlite3.Connection] = [store._db, store._reader]
    for connection in connections:
        connection.set_trace_callback(trace)
        connection.set_progress_handler(step, STEP)
    try:
        yield counted
    finally:
        for connection in connections:
            connection.set_trace_callback(None)
            connection.set_progress_handler(None, STEP)


def opened(pristine: dict[int, Path], size: int, folder: Path) -> Library:
    return Library(Store.open(copy_store(pristine[size], folder / str(size))), bundled=folder)


def test_marking_an_item_read_is_one_write_and_one_small_read(
    pristine: dict[int, Path], tmp_path: Path
) -> None:
    seen: dict[int, Counted] = {}
    for size in SIZES:
        library = opened(pristine, size, tmp_path)
        item = f"i{size // 2:07d}"
        with counting(library.store) as counted:  # type: ignore[arg-type]
            changes = library.mark_read([item])
        assert changes.ids == (item,) and changes.rows[0].read
        assert list(changes.unread.values()) == [-1]
        seen[size] = counted
        library.close()
    small, large = seen[SIZES[0]], seen[SIZES[1]]
    assert large.writes == 1 and large.statements[-1].startswith("SELECT")  # the row, read back
    assert len(large.statements) == 5  # BEGIN, the state before, UPDATE, COMMIT, the row
    assert large.shapes() == small.shapes()
    assert large.steps <= 2 * small.steps + 100  # index lookups: about log(n)
    assert large.steps < 1_000


def test_starring_an_item_is_one_write_and_one_small_read(
    pristine: dict[int, Path], tmp_path: Path
) -> None:
    library = opened(pristine, SIZES[1], tmp_path)
    with counting(library.store) as counted:  # type: ignore[arg-type]
        changes = library.set_starred(["i0000007"], True)
    assert changes.starred == 1 and changes.rows[0].starred
    assert counted.writes == 1 and len(counted.statements) <= 5 and counted.steps < 1_000
    library.close()


def test_marking_everything_read_and_its_undo_write_one_row_whatever_the_store_holds(
    pristine: dict[int, Path], tmp_path: Path
) -> None:
    """Every item read is one row of read_marks (store/readstate.py): no item's row and
    none of its order index entries is written, by the mark or by its undo (each rewrote
    100,000 rows and 200,000 index entries: 1.3 s and 1.5 s)."""
    size = SIZES[1]
    library = opened(pristine, size, tmp_path)
    db = library.store._db  # type: ignore[attr-defined]
    written = db.total_changes
    changes = library.mark_view_read(library.view())
    assert changes.count == size and changes.bulk and sum(changes.unread.values()) == -size
    assert db.total_changes - written == 1
    assert library.count(library.view(unread_only=True)) == 0
    assert sum(source.unread for source in library.sources()) == 0
    written = db.total_changes
    undone = library.undo()
    assert undone is not None and undone.count == size
    assert db.total_changes - written == 1
    assert library.count(library.view(unread_only=True)) == size
    library.close()


@pytest.mark.parametrize("size", SIZES)
async def test_a_mark_read_key_press_reads_nothing_but_its_row(
    pristine: dict[int, Path], tmp_path: Path, size: int
) -> None:
    """The key press itself, in the app: one write, the changed row read back, and only the
    changed source's sidebar entry and the "All" total redrawn from what changed."""
    library = opened(pristine, size, tmp_path)
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        sidebar = app.query_one(SourcesSidebar)
        for _ in range(200):  # the counts come from a worker: wait for them (10 s at most)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if sidebar.counted:
                break
            await pilot.pause(0.05)
        stream = app.query_one(StreamList)
        app.set_focus(stream)
        row = stream.current
        assert row is not None and not row.read and sidebar.counted
        before, total = sidebar.unread(row.source_id), sidebar.unread(None)
        with counting(library.store) as counted:  # type: ignore[arg-type]
            await pilot.press("m")
            await pilot.pause()
        assert counted.writes == 1
        assert not [text for text in counted.statements if "GROUP BY" in text.upper()]
        assert len(counted.statements) <= 6 and counted.steps < 1_000, counted.statements
        assert stream.current is not None and stream.current.read
        assert sidebar.unread(row.source_id) == before - 1
        assert sidebar.unread(None) == total - 1
        assert library.count(library.view(row.source_id, unread_only=True)) == before - 1
        assert str(stream.border_subtitle) == f"{total - 1} unread"
