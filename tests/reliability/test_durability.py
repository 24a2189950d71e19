"""Read state that the app acknowledged survives kill -9 of the process that wrote it.

The long form, 100 trials, is benchmarks/kill_trials.py."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store
from tests.support.big import narrow_store
from tests.support.faults import fresh_copy, mark_until

MARKS = 1_000


def test_kill_9_at_random_moments_loses_no_acknowledged_mark(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(MARKS):
        (folder / f"{n:04}.txt").write_text(f"Story {n}\n\nBody {n}.\n", encoding="utf-8")
    pristine = tmp_path / "pristine.db"
    library = Library(Store.open(pristine))
    library.add_source(str(folder))
    ids = [row.id for row in library.rows(library.view(), 0, MARKS)]
    library.close()
    assert len(ids) == MARKS
    db = tmp_path / "data" / "streamtui.db"
    db.parent.mkdir()

    fresh_copy(pristine, db)
    acked, span = mark_until(db, ids, None)  # kills land anywhere in a whole run
    assert len(acked) == MARKS

    chance = random.Random(6)
    acknowledged = 0
    for _ in range(5):
        fresh_copy(pristine, db)
        acked, _ = mark_until(db, ids, chance.uniform(0.0, span))
        acknowledged += len(acked)
        store = Store.open(db)
        assert store._read("PRAGMA integrity_check") == [("ok",)]
        read = {str(r[0]) for r in store._read("SELECT id FROM items WHERE read = 1")}
        store.close()
        assert set(acked) <= read, f"{len(set(acked) - read)} acknowledged marks lost"
    assert acknowledged  # at least some kills landed after marks began


EVERYTHING_SCRIPT = r"""
import sys
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store
library = Library(Store.open(Path(sys.argv[1])))
print("ready", flush=True)
while True:
    library.mark_view_read(library.view())
    print("read", flush=True)
    library.undo()
    print("unread", flush=True)
"""


def test_kill_9_while_everything_is_marked_read_and_undone_leaves_all_or_nothing(
    tmp_path: Path,
) -> None:
    """A mark of everything and its undo are each one transaction (one row of read_marks):
    a kill at any moment leaves every item read or every item unread, never a part."""
    items = 20_000
    pristine = narrow_store(tmp_path / "pristine" / "streamtui.db", items)
    db = tmp_path / "data" / "streamtui.db"
    db.parent.mkdir()
    chance = random.Random(15)
    seen: set[int] = set()
    for trial in range(20):
        if trial >= 6 and len(seen) == 2:
            break
        fresh_copy(pristine, db)
        process = subprocess.Popen(
            [sys.executable, "-c", EVERYTHING_SCRIPT, str(db)], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(chance.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        acknowledged = process.stdout.read().split()
        process.wait()
        library = Library(Store.open(db))
        try:
            assert library.store._read("PRAGMA integrity_check") == [("ok",)]  # type: ignore[attr-defined]
            unread = library.count(library.view(unread_only=True))
            assert unread in (0, items), unread
            assert sum(source.unread for source in library.sources()) == unread
            assert acknowledged or unread == items
            seen.add(unread)
        finally:
            library.close()
    assert seen == {0, items}  # kills landed in both states
