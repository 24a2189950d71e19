"""The state under faults (issue 6): two instances at once, a corrupt file at start-up, a
read-only data directory, a full disk, and a migration killed half-way.

Each fault is real where it can be without root: other processes, a file of garbage, a
read-only mount (in a user namespace, when run as root) or permissions, RLIMIT_FSIZE, and
kill -9. The long versions, with many trials, are benchmarks/kill_trials.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from streamtui import cli
from streamtui.core.errors import ReadOnlyError, StoreError
from streamtui.core.library import Library
from streamtui.core.models import SourceKind, View
from streamtui.core.store import MIGRATIONS, Store, opening, sql
from tests.support.faults import fresh_copy, migrate_until, schema, schema_at, v2_database

PYTHON = sys.executable


def pages(folder: Path, count: int, *, word: str = "story") -> Path:
    """A folder of ``count`` stream pages, one item each."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{n:04}.txt").write_text(f"{word.title()} {n}\n\nBody {n}.\n", encoding="utf-8")
    return folder


def stored(data: Path, folder: Path) -> list[str]:
    """A library in ``data`` holding ``folder``: the ids, newest first."""
    library = Library(Store.open(data / "streamtui.db"))
    library.add_source(str(folder))
    ids = [row.id for row in library.rows(library.view(), 0, 100_000)]
    library.close()
    return ids


def read_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {r[0] for r in connection.execute("SELECT id FROM items WHERE read = 1")}


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=120)


def streamtui(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "streamtui", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- two instances at once -----------------------------------------------------------------

MARKER = r"""
import sys, threading, time
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store
library = Library(Store.open(Path(sys.argv[1])))
hold = float(sys.argv[2])
ids = sys.argv[3:]

def refresh_like():
    # A long write transaction, as a refresh storing a large folder holds.
    with library.store._write() as db:
        db.execute("UPDATE sources SET last_error = 'refreshing'")
        time.sleep(hold)
        db.execute("UPDATE sources SET last_error = ''")

print("ready", flush=True)
sys.stdin.readline()  # start together
long = threading.Thread(target=refresh_like)
if hold:
    long.start()
for item_id in ids:
    assert library.mark_read([item_id]).ids == (item_id,), item_id
    time.sleep(0.002)
if hold:
    long.join()
library.close()
print("done", flush=True)
"""


def test_two_instances_marking_at_once_lose_nothing_and_never_say_locked(
    tmp_path: Path,
) -> None:
    """Two processes mark disjoint items one by one (as the app does, each mark its own
    commit) while one of them holds a refresh-like write for 1.5 s, and the command line
    marks a third set meanwhile: every mark is kept, none fails, nothing says "locked"."""
    data = tmp_path / "data"
    ids = stored(data, pages(tmp_path / "news", 150))
    db = data / "streamtui.db"
    first, second, third = ids[0::3], ids[1::3], ids[2::3]
    processes = [
        subprocess.Popen(
            [PYTHON, "-c", MARKER, str(db), hold, *chosen],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for hold, chosen in (("1.5", first), ("0", second))
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    cli_runs = [streamtui(data, "mark-read", *third[n : n + 10]) for n in range(0, len(third), 10)]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0 and out.endswith("done\n"), err
        assert err == ""
    for run in cli_runs:
        assert run.returncode == 0 and run.stderr == "", run.stderr
        assert run.stdout.startswith("marked ")
    assert read_ids(db) == set(ids)
    assert integrity(db) == "ok"


@contextmanager
def write_lock(db: Path) -> Iterator[None]:
    """Another connection holding the write lock (another instance writing)."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_write_that_waited_too_long_says_so_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sql, "BUSY_SECONDS", 0.2)
    data = tmp_path / "data"
    ids = stored(data, pages(tmp_path / "news", 3))
    db = data / "streamtui.db"
    with write_lock(db):
        code = cli.main(["--data-dir", str(data), "mark-read", ids[0]])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith(f"streamtui: {db}: cannot save (another streamtui kept the database")
    assert "locked" not in err and err.count("\n") == 1
    assert read_ids(db) == set()
    assert cli.main(["--data-dir", str(data), "mark-read", ids[0]]) == 0  # free again
    assert read_ids(db) == {ids[0]}


async def test_the_app_shows_a_failed_write_as_a_message_and_keeps_going(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamtui.ui.app import StreamApp

    monkeypatch.setattr(sql, "BUSY_SECONDS", 0.2)
    data = tmp_path / "data"
    stored(data, pages(tmp_path / "news", 3))
    db = data / "streamtui.db"
    library = Library(Store.open(db))
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        first = app.main.stream.current
        assert first is not None and not first.read
        with write_lock(db):
            await pilot.press("m")
            await pilot.pause()
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1
        message = str(errors[0].message)
        assert message.startswith(f"{db}: cannot save (another streamtui kept the database")
        assert "locked" not in message and "Traceback" not in message
        assert not app.library.row(first.id).read  # type: ignore[union-attr]
        await pilot.press("m")  # the lock is gone: saved
        await pilot.pause()
        assert app.library.row(first.id).read  # type: ignore[union-attr]
        assert app.is_running
    library.close()
    assert read_ids(db) == {first.id}


def test_opening_waits_for_another_instance_that_is_migrating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second instance started during an upgrade (23 s per 100k items) waits for it
    rather than failing after the busy timeout."""
    monkeypatch.setattr(sql, "BUSY_SECONDS", 0.2)
    db = tmp_path / "data" / "streamtui.db"
    v2_database(db, 10)
    with write_lock(db):
        opened: list[Store | BaseException] = []

        def open_it() -> None:
            try:
                opened.append(Store.open(db))
            except BaseException as error:
                opened.append(error)

        opener = threading.Thread(target=open_it)
        opener.start()
        time.sleep(1.0)  # five busy timeouts
        assert opener.is_alive() and not opened
    opener.join(10)
    (store,) = opened
    assert isinstance(store, Store)
    assert store.count(View()) == 10 and store.search("quokka3")[0].id == "i000003"
    store.close()


def test_two_first_runs_at_once_add_the_guide_once(tmp_path: Path) -> None:
    """Two instances started together on a new data directory: both find no guide, and
    each adds it (the second one failed on the unique name)."""
    db = tmp_path / "data" / "streamtui.db"
    libraries = [Library(Store.open(db)), Library(Store.open(db))]
    together = threading.Barrier(2, timeout=2)

    def in_step(method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: object, **kwargs: object) -> Any:
            result = method(*args, **kwargs)
            with suppress(threading.BrokenBarrierError):
                together.wait()  # both have read before either writes
            return result

        return wrapped

    for library in libraries:
        library.store.meta = in_step(library.store.meta)  # type: ignore[method-assign]
        library.store.sources = in_step(library.store.sources)  # type: ignore[method-assign]
    outcomes: list[object] = []

    def first_run(library: Library) -> None:
        try:
            outcomes.append(library.ensure_default_source())
        except StoreError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=first_run, args=(lib,)) for lib in libraries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not [o for o in outcomes if isinstance(o, StoreError)], outcomes
    assert sorted(o is None for o in outcomes) == [False, True]  # one added it
    for library in libraries:
        library.close()
    again = Store.open(db)
    assert [s.location for s in again.sources()] == ["bundled:"]
    again.close()


# -- a corrupt database at start-up --------------------------------------------------------


def launched(monkeypatch: pytest.MonkeyPatch, *args: str, rows: int = 0) -> object:
    """Run ``streamtui [args]`` (the app) as the command line does, with the app driven by
    a pilot instead of a terminal; returns the app after its first frames, and once its
    list shows ``rows`` rows (the start-up refresh runs in a process of its own: its rows
    come a moment after the first frame)."""
    from streamtui.ui.app import StreamApp
    from tests.support.pilot import until

    seen: list[StreamApp] = []

    async def drive(app: StreamApp) -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await pilot.pause(0.2)
            await until(pilot, lambda: app.main.stream.count >= rows)
            seen.append(app)
            app.shown = [  # type: ignore[attr-defined]
                (n.severity, str(n.message)) for n in app._notifications
            ]
            app.listed = [  # type: ignore[attr-defined]
                row.title
                for i in range(app.main.stream.count)
                if (row := app.main.stream.row_at(i))
            ]

    monkeypatch.setattr(StreamApp, "run", lambda self, **_: asyncio.run(drive(self)))
    monkeypatch.setattr("streamtui.stdio.terminal_problem", lambda: "")  # the pilot is one
    assert cli.main(list(args)) == 0
    (app,) = seen
    return app


def test_the_app_says_a_corrupt_database_was_moved_aside_and_starts_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled_dir: Path
) -> None:
    monkeypatch.setattr("streamtui.core.paths.bundled_content", lambda: bundled_dir)
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"not a database at all\x00" * 300
    (data / "streamtui.db").write_bytes(garbage)
    app = launched(monkeypatch, "--data-dir", str(data), rows=2)
    [aside] = data.glob("streamtui.db.corrupt-*")
    assert aside.read_bytes() == garbage
    warnings = [m for s, m in app.shown if s == "warning"]  # type: ignore[attr-defined]
    assert len(warnings) == 1 and aside.name in warnings[0] and "corrupt" in warnings[0]
    assert "fresh database" in warnings[0]
    assert app.listed == ["Tiny guide", "Tiny teaser"]  # type: ignore[attr-defined]


def test_a_database_damaged_inside_is_moved_aside_too(tmp_path: Path) -> None:
    """A valid header with a garbled schema page, not only a file of garbage."""
    data = tmp_path / "data"
    stored(data, pages(tmp_path / "news", 20))
    db = data / "streamtui.db"
    with db.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\xff" * 3000)
    store, message = Store.open_or_recover(db)
    assert "corrupt" in message and store.sources() == []
    store.close()
    assert len(list(data.glob("streamtui.db.corrupt-*"))) == 1


def test_recovering_twice_in_one_second_keeps_both_corrupt_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Frozen:
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(opening, "datetime", Frozen)
    db = tmp_path / "data" / "streamtui.db"
    db.parent.mkdir()
    for garbage in (b"first garbage\x00" * 300, b"second garbage\x00" * 300):
        db.write_bytes(garbage)
        store, message = Store.open_or_recover(db)
        store.close()
    names = sorted(p.name for p in db.parent.glob("streamtui.db.corrupt-*"))
    assert names == [
        "streamtui.db.corrupt-20260102T030405Z",
        "streamtui.db.corrupt-20260102T030405Z-2",
    ]
    assert (db.parent / names[0]).read_bytes().startswith(b"first")
    assert "corrupt-20260102T030405Z-2" in message


# -- a read-only data directory ------------------------------------------------------------


def read_only_runner() -> list[str] | None:
    """How to run a process that sees the data directory read-only: as a user who is not
    root, permissions do it (the caller removes write permission); root ignores them, so
    root runs the process in a user namespace with the directory bind-mounted read-only.
    None when neither works (root without user namespaces)."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run(
        [unshare, "-rm", "sh", "-c", "mount -t tmpfs none /mnt"], capture_output=True
    )
    return [unshare, "-rm"] if probe.returncode == 0 else None


def run_read_only(data: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with ``data`` (and the files in it) read-only to it."""
    runner = read_only_runner()
    if runner is None:
        pytest.skip("running as root without user namespaces: nothing makes a folder read-only")
    if not runner:
        modes = {p: p.stat().st_mode for p in [data, *data.iterdir()]}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=120)
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        [*runner, "sh", "-c", script, "sh", str(data), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


READ_ONLY_LIBRARY = r"""
import json, sys
from pathlib import Path
from streamtui.core.library import open_library
from streamtui.core.errors import ReadOnlyError
library, message = open_library(Path(sys.argv[1]))
rows = library.rows(library.view(), 0, 1000)
found = {"message": message, "read_only": library.read_only,
         "rows": [[row.id, row.read] for row in rows],
         "search": [row.id for row in library.search("story")],
         "article": library.article(rows[0].id).body}
for attempt in (lambda: library.mark_read([rows[-1].id]),
                lambda: library.set_starred([rows[-1].id], True),
                lambda: library.refresh()):
    try:
        attempt()
        found.setdefault("saved", []).append(True)
    except ReadOnlyError as error:
        found.setdefault("refused", []).append(str(error))
library.close()
print(json.dumps(found))
"""


@pytest.mark.parametrize("left", ["clean", "wal"], ids=["closed-cleanly", "wal-left-behind"])
def test_a_read_only_data_directory_browses_refuses_writes_and_changes_nothing(
    tmp_path: Path, left: str
) -> None:
    data = tmp_path / "data"
    ids = stored(data, pages(tmp_path / "news", 5))
    db = data / "streamtui.db"
    if left == "wal":  # a kill -9 left the -wal and -shm files, with a mark only there
        python(
            "import os, sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('PRAGMA wal_autocheckpoint=0')\n"
            "db.execute('UPDATE items SET read = 1, arrival = NULL WHERE id = ?', (sys.argv[2],))\n"
            "os._exit(0)\n",
            str(db),
            ids[0],
        )
        assert (data / "streamtui.db-wal").exists()
    before = digests(data)
    done = run_read_only(data, [PYTHON, "-c", READ_ONLY_LIBRARY, str(data)])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["read_only"] and "cannot save here (read-only)" in found["message"]
    assert str(data) in found["message"]
    assert [row_id for row_id, _ in found["rows"]] == ids
    assert {row_id for row_id, read in found["rows"] if read} == (
        {ids[0]} if left == "wal" else set()
    )
    assert sorted(found["search"]) == sorted(ids) and "Body" in found["article"]
    assert "saved" not in found and len(found["refused"]) == 3
    assert all("read-only" in reason for reason in found["refused"])
    assert digests(data) == before  # nothing written, nothing created


def test_the_command_line_lists_from_a_read_only_directory_and_refuses_to_mark(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    ids = stored(data, pages(tmp_path / "news", 3))
    before = digests(data)
    command = [PYTHON, "-m", "streamtui", "--data-dir", str(data)]
    listing = run_read_only(data, [*command, "list", "--json"])
    assert listing.returncode == 0, listing.stderr
    assert [json.loads(line)["id"] for line in listing.stdout.splitlines()] == ids
    assert listing.stderr.count("\n") == 1 and "read-only" in listing.stderr
    marking = run_read_only(data, [*command, "mark-read", ids[0]])
    assert marking.returncode == 1 and "Traceback" not in marking.stderr
    assert marking.stderr.splitlines()[-1].startswith("streamtui: ")
    assert "read-only" in marking.stderr.splitlines()[-1]
    assert digests(data) == before


def test_a_read_only_directory_without_a_database_shows_the_guide(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    listing = run_read_only(data, [PYTHON, "-m", "streamtui", "--data-dir", str(data), "list"])
    assert listing.returncode == 0, listing.stderr
    assert "streamtui guide" in listing.stdout
    assert "read-only" in listing.stderr and "nothing you do is kept" in listing.stderr
    assert list(data.iterdir()) == []


READ_ONLY_APP = r"""
import asyncio, json, sys
from streamtui import cli, stdio
from streamtui.ui.app import StreamApp
found = {}

async def drive(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.pause(0.3)
        stream = app.main.stream
        found["listed"] = [r.title for i in range(stream.count) if (r := stream.row_at(i))]
        await pilot.press("enter")  # opens the item, which marks it read
        found["article"] = app.main.article.article.row.title if app.main.article.article else None
        await pilot.press("escape", "m", "s", "A", "j", "enter")
        await pilot.pause(0.3)
        found["shown"] = [[n.severity, str(n.message)] for n in app._notifications]
        found["refreshing"] = app.main.refreshing.running
        found["running"] = app.is_running

StreamApp.run = lambda self, **_: asyncio.run(drive(self))
stdio.terminal_problem = lambda: ""  # the pilot is the terminal
code = cli.main(["--data-dir", sys.argv[1]])
print(json.dumps({**found, "code": code}))
"""


def test_the_app_on_a_read_only_directory_browses_and_says_so_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stored(data, pages(tmp_path / "news", 4))
    before = digests(data)
    done = run_read_only(data, [PYTHON, "-c", READ_ONLY_APP, str(data)])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["code"] == 0 and found["running"] and not found["refreshing"]
    assert found["listed"] == [f"Story {n}" for n in range(4)][::-1] or len(found["listed"]) == 4
    assert found["article"] == found["listed"][0]
    assert len(found["shown"]) == 1, found["shown"]  # once, whatever was pressed after
    severity, message = found["shown"][0]
    assert severity == "warning" and "cannot save here (read-only)" in message
    assert digests(data) == before


# -- a full disk ---------------------------------------------------------------------------

FULL_DISK = r"""
import resource, signal, sys
from pathlib import Path
from streamtui import cli
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
data = Path(sys.argv[1])
used = max(p.stat().st_size for p in data.iterdir())
resource.setrlimit(resource.RLIMIT_FSIZE, (used + 8192, resource.RLIM_INFINITY))
sys.exit(cli.main(["--data-dir", str(data), *sys.argv[2:]]))
"""


def test_a_full_disk_fails_the_write_with_a_message_and_keeps_the_previous_state(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    ids = stored(data, pages(tmp_path / "news", 5))
    db = data / "streamtui.db"
    marked = streamtui(data, "mark-read", ids[0])
    assert marked.returncode == 0
    big = pages(tmp_path / "big", 400, word="wombat " * 200)
    store = Store.open(db)
    before = {row.id: row.read for row in store.rows(View(), 0, 100)}
    sources = [s.name for s in store.sources()]
    store.close()

    done = python(FULL_DISK, str(data), "add", str(big))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"streamtui: {db}: cannot save (")
    assert "disk" in done.stderr and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr

    assert integrity(db) == "ok"
    store = Store.open(db)
    assert {row.id: row.read for row in store.rows(View(), 0, 1000)} == before
    assert [s.name for s in store.sources()] == sources  # no empty source left behind
    store.close()
    assert streamtui(data, "add", str(big)).returncode == 0  # room again: it works


# -- a migration killed half-way -----------------------------------------------------------


def kill_migration(pristine: Path, db: Path, delay: float) -> int:
    """Copy ``pristine`` to ``db``, start opening it (which migrates) and kill -9 the
    process ``delay`` seconds in; returns the version left."""
    fresh_copy(pristine, db)
    migrate_until(db, delay)
    with sqlite3.connect(db) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def test_a_migration_killed_at_random_moments_leaves_a_whole_version(tmp_path: Path) -> None:
    """kill -9 while migrations 3 onwards run over 20,000 items (about a second): the
    database is at a version its schema matches exactly (never half a step), with every
    item and read state, and opening it again finishes the upgrade."""
    count = 20_000
    pristine = tmp_path / "v2.db"
    v2_database(pristine, count)
    schemas = {v: schema_at(v, tmp_path) for v in range(2, len(MIGRATIONS) + 1)}
    db = tmp_path / "data" / "streamtui.db"
    db.parent.mkdir()
    chance = random.Random(6)
    versions = []
    for delay in [0.0, *(chance.uniform(0.05, 1.2) for _ in range(4))]:
        version = kill_migration(pristine, db, delay)
        versions.append(version)
        assert version in schemas
        assert integrity(db) == "ok"
        assert schema(db) == schemas[version], f"schema between versions at {version}"
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT count(*) FROM items").fetchone()[0] == count
            assert connection.execute("SELECT count(*) FROM bodies").fetchone()[0] == count
            assert connection.execute("SELECT count(*) FROM items WHERE read = 1").fetchone()[
                0
            ] == len(range(0, count, 3))
        store = Store.open(db)  # finishes the upgrade
        assert store.count(View()) == count and [r.id for r in store.search("quokka12345")] == [
            "i012345"
        ]
        store.close()
        assert schema(db) == schemas[len(MIGRATIONS)]
    assert 2 in versions  # killed before any step was done (the first, at once)


def test_a_read_only_error_is_a_store_error() -> None:
    """The app and the command line treat it as any failure to save (StreamtuiError)."""
    assert issubclass(ReadOnlyError, StoreError)
    store = Store.memory()
    store.read_only = True
    with pytest.raises(ReadOnlyError, match="read-only"):
        store.add_source("x", SourceKind.FOLDER, "/x")
    store.close()
