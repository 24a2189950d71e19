"""What the fault tests and ``benchmarks/kill_trials.py`` share: marking and migrating
processes that can be killed -9, a database as an old version left it, copies of a pristine
database, and the schema each version should have.

    from faults import fresh_copy, mark_until, migrate_until, schema, schema_at, v2_database
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from streamtui.core.store import MIGRATIONS, SEQ_SPAN

MARK_SCRIPT = r"""
import sys
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store
library = Library(Store.open(Path(sys.argv[1])))  # marks as the app does: m, or opening
print("ready", flush=True)
for item_id in sys.stdin.read().split():
    if library.mark_read([item_id]).ids == (item_id,):
        sys.stdout.write(item_id + "\n")  # acknowledged: the commit returned
        sys.stdout.flush()
library.close()
"""


def mark_until(
    db: Path, ids: list[str], seconds: float | None, env: Mapping[str, str] | None = None
) -> tuple[list[str], float]:
    """Mark ``ids`` one commit each in a process killed -9 ``seconds`` after it is ready
    (None: let it finish); the ids it acknowledged and the seconds it ran once ready."""
    process = subprocess.Popen(
        [sys.executable, "-c", MARK_SCRIPT, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    began = time.perf_counter()
    process.stdin.write("\n".join(ids))
    process.stdin.close()
    if seconds is not None:
        time.sleep(seconds)
        os.kill(process.pid, signal.SIGKILL)
    acknowledged = process.stdout.read().split()
    process.wait()
    return acknowledged, time.perf_counter() - began


MIGRATE_SCRIPT = r"""
import sys
from pathlib import Path
from streamtui.core.store import Store
print("opening", flush=True)
Store.open(Path(sys.argv[1])).close()
"""


def migrate_until(db: Path, seconds: float | None, env: Mapping[str, str] | None = None) -> float:
    """Open (and so migrate) ``db`` in a process killed -9 ``seconds`` after it starts
    opening (None: let it finish); the seconds from then to its end."""
    process = subprocess.Popen(
        [sys.executable, "-c", MIGRATE_SCRIPT, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )
    assert process.stdout is not None and process.stdout.readline() == "opening\n"
    began = time.perf_counter()
    if seconds is not None:
        time.sleep(seconds)
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return time.perf_counter() - began


def schema(path: Path) -> set[tuple[str, str, str]]:
    """Every table, index and trigger of the database at ``path``, with its SQL."""
    with sqlite3.connect(path) as db:
        return {
            (str(kind), str(name), str(sql))
            for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_schema")
        }


def schema_at(version: int, folder: Path) -> set[tuple[str, str, str]]:
    """The schema a database has at ``version``, each step applied as the store does."""
    path = folder / f"reference-{version}.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        for step in MIGRATIONS[:version]:
            if callable(step):
                step(db)
            else:
                db.executescript(step)
    return schema(path)


def fresh_copy(pristine: Path, db: Path) -> None:
    """``db`` becomes a copy of ``pristine``, without the -wal and -shm of a run before."""
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    shutil.copyfile(pristine, db)


def v2_database(path: Path, count: int) -> None:
    """A database as streamtui left it at schema version 2: ``count`` feed items with HTML
    bodies, every third one read (migration 3 indexes them, migration 4 moves the bodies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")  # as streamtui left it
        for script in MIGRATIONS[:2]:
            assert isinstance(script, str)
            db.executescript(script)
        db.execute(
            "INSERT INTO sources (id, name, kind, location, key, added_at) "
            "VALUES (1, 'feed', 'feed', 'https://e.example/f', 'https://e.example/f', 0)"
        )
        db.executemany(
            "INSERT INTO items (id, source_id, title, published, seq, read, read_at) "
            "VALUES (?, 1, ?, ?, ?, ?, ?)",
            [
                (f"i{k:06}", f"Story {k} of wombats", 1.7e9 + k, SEQ_SPAN + k, int(k % 3 == 0),
                 1.7e9 + k if k % 3 == 0 else None)
                for k in range(count)
            ],
        )  # fmt: skip
        db.executemany(
            "INSERT INTO bodies (item_id, summary, body, link, path, encoding, html) "
            "VALUES (?, ?, ?, '', '', 'utf-8', 1)",
            [(f"i{k:06}", f"<p>summary {k}</p>", f"<p>{f'quokka{k} ' * 40}</p>")
             for k in range(count)],
        )  # fmt: skip
        db.execute("PRAGMA user_version = 2")
