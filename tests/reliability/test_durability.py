"""Read state that the app acknowledged survives kill -9 of the process that wrote it.

The long form, 100 trials, is benchmarks/kill_trials.py."""

from __future__ import annotations

import random
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store
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
