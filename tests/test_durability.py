"""Read state that the app acknowledged survives kill -9 of the process that wrote it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store

WRITER = r"""
import sys
from pathlib import Path
from streamtui.core.store import Store
store = Store.open(Path(sys.argv[1]))
ids = sys.argv[2:]
for item_id in ids:
    store.set_read([item_id], True)
    # acknowledged: the commit returned
    sys.stdout.write(item_id + "\n")
    sys.stdout.flush()
"""


def test_kill_9_loses_no_acknowledged_mark(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(300):
        (folder / f"{n:03}.txt").write_text(f"Story {n}\n\nBody {n}.\n", encoding="utf-8")
    db = tmp_path / "data" / "streamtui.db"
    library = Library(Store.open(db))
    library.add_source(str(folder))
    ids = [row.id for row in library.rows(library.view(), 0, 1000)]
    library.store.close()

    for trial in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), *ids], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        acknowledged = []
        deadline = time.monotonic() + 20
        while len(acknowledged) < 20 * (trial + 1) and time.monotonic() < deadline:
            acknowledged.append(process.stdout.readline().strip())
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        acknowledged = [a for a in acknowledged if a]
        assert acknowledged

        store = Store.open(db)
        assert store._read("PRAGMA integrity_check") == [("ok",)]
        read = {row.id for row in store.rows(Library(store).view(), 0, 1000) if row.read}
        store.close()
        assert set(acknowledged) <= read
        # start the next trial from scratch
        cleanup = Store.open(db)
        cleanup.set_read(ids, False)
        cleanup.close()
