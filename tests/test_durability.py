"""Read state that the app acknowledged survives kill -9 of the process that wrote it.

The long form, 100 trials, is benchmarks/kill_trials.py."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store

MARKS = 1_000

WRITER = r"""
import sys
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store
library = Library(Store.open(Path(sys.argv[1])))  # marks as the app does: m, or opening
print("ready", flush=True)
for item_id in sys.stdin.read().split():
    if library.mark_read([item_id]) == [item_id]:
        sys.stdout.write(item_id + "\n")  # acknowledged: the commit returned
        sys.stdout.flush()
library.close()
"""


def mark_until(db: Path, ids: list[str], seconds: float | None) -> list[str]:
    """Mark ``ids`` one commit each in a process killed -9 after ``seconds`` (None: let it
    finish); returns the ids it acknowledged."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.stdin.write("\n".join(ids))
    process.stdin.close()
    if seconds is not None:
        time.sleep(seconds)
        os.kill(process.pid, signal.SIGKILL)
    acknowledged = process.stdout.read().split()
    process.wait()
    return acknowledged


def fresh_copy(pristine: Path, db: Path) -> None:
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    shutil.copyfile(pristine, db)


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
    began = time.monotonic()
    assert len(mark_until(db, ids, None)) == MARKS
    span = time.monotonic() - began  # kills land anywhere in a whole run

    chance = random.Random(6)
    acknowledged = 0
    for _ in range(5):
        fresh_copy(pristine, db)
        acked = mark_until(db, ids, chance.uniform(0.0, span))
        acknowledged += len(acked)
        store = Store.open(db)
        assert store._read("PRAGMA integrity_check") == [("ok",)]
        read = {str(r[0]) for r in store._read("SELECT id FROM items WHERE read = 1")}
        store.close()
        assert set(acked) <= read, f"{len(set(acked) - read)} acknowledged marks lost"
    assert acknowledged  # at least some kills landed after marks began
