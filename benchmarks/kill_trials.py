"""The state under faults, many times over: kill -9 at random moments during 1,000 marks and
during a migration, two instances marking at once, and one trial each of a corrupt file at
start-up, a read-only data directory and a full disk.

Run: .venv/bin/python benchmarks/kill_trials.py [--quick] [--trials N]

Every mark goes through ``Library.mark_read``, as the app's ``m`` and opening an item do,
one commit each; a mark is acknowledged when that call returned (the writer then prints its
id). After each kill the database must open, pass ``PRAGMA integrity_check`` and hold every
acknowledged mark. A migration killed half-way must leave a version whose schema matches it
exactly (the old one, a whole step, or the new one), every item and read state, and finish
when opened again. The table's columns are benchmarks/_reliability.py's; exit status 1 when
any case is not clean. tests/test_durability.py and tests/test_faults.py are the short forms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _reliability import Row, report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # shared with the tests
import streamtui
from faults import fresh_copy, mark_until, migrate_until, schema, schema_at, v2_database
from streamtui.core.errors import StoreError
from streamtui.core.library import Library
from streamtui.core.store import MIGRATIONS, Store

MARKS = 1_000
MIGRATION_ITEMS = 20_000
PYTHON = sys.executable
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(Path(streamtui.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    ),
}

CONCURRENT = r"""
import sys, threading, time
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store
library = Library(Store.open(Path(sys.argv[1])))
hold = float(sys.argv[2])

def refresh_like():  # a long write transaction, as a refresh of a large folder holds
    with library.store._write() as db:
        db.execute("UPDATE sources SET last_error = 'refreshing'")
        time.sleep(hold)
        db.execute("UPDATE sources SET last_error = ''")

ids = sys.stdin.readline().split()
long = threading.Thread(target=refresh_like)
if hold:
    long.start()
for item_id in ids:
    library.mark_read([item_id])
if hold:
    long.join()
library.close()
"""


# -- shared pieces -------------------------------------------------------------------------


def library_with(folder: Path, db: Path, count: int) -> list[str]:
    """A database at ``db`` with one source of ``count`` one-item pages, all unread."""
    folder.mkdir(parents=True)
    for n in range(count):
        (folder / f"{n:05}.txt").write_text(f"Story {n}\n\nBody {n}.\n", encoding="utf-8")
    library = Library(Store.open(db))
    try:
        library.add_source(str(folder))
        return [row.id for row in library.rows(library.view(), 0, count)]
    finally:
        library.close()


def check(db: Path) -> tuple[bool, set[str]]:
    """Opens through the store as the app does: (opened and intact, the ids read)."""
    try:
        store = Store.open(db)
    except StoreError:
        return False, set()
    try:
        ok = store._read("PRAGMA integrity_check") == [("ok",)]
        return ok, {str(r[0]) for r in store._read("SELECT id FROM items WHERE read = 1")}
    finally:
        store.close()


# -- kill -9 during marks ------------------------------------------------------------------


def kill_during_marks(folder: Path, trials: int, seed: int) -> Row:
    pristine = folder / "marks.db"
    ids = library_with(folder / "pages", pristine, MARKS)
    db = folder / "marks" / "streamtui.db"
    db.parent.mkdir()
    fresh_copy(pristine, db)
    acked, span = mark_until(db, ids, None, ENV)  # calibration: how long 1,000 take
    assert len(acked) == MARKS
    chance = random.Random(seed)
    started = time.perf_counter()
    survived = crashes = lost = acknowledged = kept = 0
    for _ in range(trials):
        fresh_copy(pristine, db)
        acked, _ = mark_until(db, ids, chance.uniform(0.0, span), ENV)
        intact, read = check(db)
        missing = len(set(acked) - read)
        acknowledged += len(acked)
        kept += len(set(acked) & read)
        crashes += not intact
        lost += missing
        survived += intact and not missing
    return Row(
        f"kill -9 during {MARKS:,} marks",
        trials,
        survived,
        crashes=crashes,
        lost=lost,
        seconds=time.perf_counter() - started,
        note=f"{acknowledged:,} marks acknowledged, {kept:,} kept; "
        f"kills uniform in 0-{span:.2f} s (a whole run)",
    )


# -- kill -9 during a migration ------------------------------------------------------------


def schemas(folder: Path) -> dict[int, set[tuple[str, str, str]]]:
    """The schema at each version from 2, every step applied as the store applies it."""
    return {v: schema_at(v, folder) for v in range(2, len(MIGRATIONS) + 1)}


def kill_during_migration(folder: Path, trials: int, seed: int) -> Row:
    pristine = folder / "v2.db"
    v2_database(pristine, MIGRATION_ITEMS)
    wanted = schemas(folder)
    db = folder / "migration" / "streamtui.db"
    db.parent.mkdir()
    fresh_copy(pristine, db)
    span = migrate_until(db, None, ENV)  # calibration: how long the whole upgrade takes
    chance = random.Random(seed)
    started = time.perf_counter()
    survived = crashes = lost = 0
    versions: dict[int, int] = {}
    for _ in range(trials):
        fresh_copy(pristine, db)
        migrate_until(db, chance.uniform(0.0, span), ENV)
        with sqlite3.connect(db) as connection:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            whole = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            items, read, bodies = connection.execute(
                "SELECT count(*), sum(read), (SELECT count(*) FROM bodies) FROM items"
            ).fetchone()
        versions[version] = versions.get(version, 0) + 1
        between = wanted.get(version) != schema(db)
        missing = (MIGRATION_ITEMS - items) + (MIGRATION_ITEMS - bodies)
        missing += len(range(0, MIGRATION_ITEMS, 3)) - (read or 0)
        try:  # opening again finishes the upgrade
            Store.open(db).close()
            finished = schema(db) == wanted[len(MIGRATIONS)]
        except StoreError:
            finished = False
        crashes += not (whole and finished) or between
        lost += max(0, missing)
        survived += whole and finished and not between and not missing
    shown = ", ".join(f"v{v}: {n}" for v, n in sorted(versions.items()))
    return Row(
        f"kill -9 during a migration ({MIGRATION_ITEMS:,} items)",
        trials,
        survived,
        crashes=crashes,
        lost=lost,
        seconds=time.perf_counter() - started,
        note=f"left at {shown}, each matching its schema; kills uniform in 0-{span:.2f} s "
        "(a whole upgrade)",
    )


# -- two instances at once -----------------------------------------------------------------


def two_instances(folder: Path, rounds: int) -> Row:
    pristine = folder / "two.db"
    ids = library_with(folder / "two-pages", pristine, 400)
    db = folder / "two" / "streamtui.db"
    db.parent.mkdir()
    started = time.perf_counter()
    survived = crashes = lost = 0
    for _ in range(rounds):
        fresh_copy(pristine, db)
        processes = [
            subprocess.Popen(
                [PYTHON, "-c", CONCURRENT, str(db), hold],
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=ENV,
            )
            for hold in ("1.5", "0")
        ]
        for process, half in zip(processes, (ids[0::2], ids[1::2]), strict=True):
            assert process.stdin is not None
            process.stdin.write(" ".join(half) + "\n")
            process.stdin.flush()
        errors = [process.communicate(timeout=120)[1] for process in processes]
        failed = any(p.returncode for p in processes) or any("locked" in e for e in errors)
        intact, read = check(db)
        missing = len(set(ids) - read)
        crashes += failed or not intact
        lost += missing
        survived += not failed and intact and not missing
    return Row(
        "two instances marking at once",
        rounds,
        survived,
        crashes=crashes,
        lost=lost,
        seconds=time.perf_counter() - started,
        note="400 marks a round, 200 each; one holds a 1.5 s write meanwhile",
    )


# -- one trial each ------------------------------------------------------------------------


@contextmanager
def timed(case: str) -> Iterator[Callable[[bool, str], Row]]:
    began = time.perf_counter()

    def row(ok: bool, note: str) -> Row:
        return Row(case, 1, int(ok), crashes=int(not ok), seconds=time.perf_counter() - began,
                   note=note)  # fmt: skip

    yield row


def corrupt_at_start(folder: Path) -> Row:
    data = folder / "corrupt"
    data.mkdir()
    (data / "streamtui.db").write_bytes(b"not a database\x00" * 400)
    with timed("corrupt database at start-up") as row:
        store, message = Store.open_or_recover(data / "streamtui.db")
        store.close()
        aside = list(data.glob("streamtui.db.corrupt-*"))
        return row(len(aside) == 1 and aside[0].name in message, "moved aside, fresh start")


READ_ONLY = r"""
import json, sys
from pathlib import Path
from streamtui.core.library import open_library
from streamtui.core.errors import ReadOnlyError
library, message = open_library(Path(sys.argv[1]))
rows = library.rows(library.view(), 0, 100)
try:
    library.mark_read([rows[0].id])
    refused = False
except ReadOnlyError:
    refused = True
print(json.dumps({"rows": len(rows), "refused": refused, "said": "read-only" in message}))
"""


def read_only(folder: Path) -> Row:
    data = folder / "read-only"
    library_with(folder / "ro-pages", data / "streamtui.db", 10)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    with timed("read-only data directory") as row:
        command = [PYTHON, "-c", READ_ONLY, str(data)]
        if os.geteuid() == 0:  # root ignores permissions: a read-only mount of its own
            unshare = shutil.which("unshare")
            if unshare is None:
                return Row("read-only data directory", 0, 0, note="skipped: root, no unshare")
            script = (
                'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
            )
            command = [unshare, "-rm", "sh", "-c", script, "sh", str(data), *command]
        else:
            for path in [*data.iterdir(), data]:
                path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=60)
        finally:
            for path in [data, *data.iterdir()]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        if done.returncode and "unshare" in done.stderr:
            return Row("read-only data directory", 0, 0, note="skipped: no user namespaces")
        found = json.loads(done.stdout or "{}")
        unchanged = before == {p.name: p.read_bytes() for p in data.iterdir()}
        ok = found == {"rows": 10, "refused": True, "said": True} and unchanged
        return row(ok, "browses 10 items, refuses the mark, file unchanged")


FULL = r"""
import resource, signal, sys
from pathlib import Path
from streamtui import cli
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
data = Path(sys.argv[1])
used = max(p.stat().st_size for p in data.iterdir())
resource.setrlimit(resource.RLIMIT_FSIZE, (used + 8192, resource.RLIM_INFINITY))
sys.exit(cli.main(["--data-dir", str(data), *sys.argv[2:]]))
"""


def full_disk(folder: Path) -> Row:
    data = folder / "full"
    ids = library_with(folder / "full-pages", data / "streamtui.db", 10)
    big = folder / "big"
    big.mkdir()
    for n in range(400):
        (big / f"{n}.txt").write_text(f"Big {n}\n\n{'wombat ' * 200}\n", encoding="utf-8")
    with timed("full disk (RLIMIT_FSIZE)") as row:
        done = subprocess.run(
            [PYTHON, "-c", FULL, str(data), "add", str(big)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
        clear = done.returncode == 1 and done.stderr.count("\n") == 1 and "disk" in done.stderr
        intact, read = check(data / "streamtui.db")
        store = Store.open(data / "streamtui.db")
        names = [s.name for s in store.sources()]
        count = store._read("SELECT count(*) FROM items")[0][0]
        store.close()
        ok = clear and intact and not read and "big" not in names and count == len(ids)
        return row(ok, "the add fails with a message; the store as before")


def rows(quick: bool, trials: int | None = None) -> list[Row]:
    marks = trials or (5 if quick else 100)
    migrations = trials or (3 if quick else 30)
    rounds = min(trials or 10, 10) if not quick else 2
    with tempfile.TemporaryDirectory(prefix="streamtui-kill-") as name:
        folder = Path(name)
        return [
            kill_during_marks(folder, marks, seed=6),
            kill_during_migration(folder, migrations, seed=6),
            two_instances(folder, rounds),
            corrupt_at_start(folder),
            read_only(folder),
            full_disk(folder),
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few trials of each (a minute)")
    parser.add_argument("--trials", type=int, help="kill trials of each kind (default 100/30)")
    args = parser.parse_args()
    return report(rows(args.quick, args.trials))


if __name__ == "__main__":
    sys.exit(main())
