"""Secrets and the user's files: a password in feed URLs against every way out, and the files
streamtui writes.

Run: .venv/bin/python benchmarks/secrets_files.py [--quick]

- every command line verb (add, preview, sources, list, search, refresh, rename, export,
  import, remove, mark-read, and their error paths) against feeds on 127.0.0.1 that answer only
  to the password, a redirect to another origin, a failing feed: every output, error line,
  exported file and database file (with its -wal) is searched for the password, and so is what
  the other origin received (tests/support/secrets_scenario.py);
- the real app in a pseudo-terminal over the same feeds: a refresh with a failure, a feed
  added by typing its URL with the password, the palette, an article and its links;
- migration 5 from a version-4 database holding passwords: item ids, read and starred state
  kept, the password gone from every byte of the database and its -wal;
- the data folder and database modes: created private whatever the umask, loose ones
  tightened with a notice, a read-only folder still browsed;
- ``export FILE`` into each kind of target: a symlink, a dangling symlink, a FIFO, a 0600 and
  a 0644 file, a new file, a folder, a device, a socket, a symlink loop, a read-only folder,
  the database itself.

tried = outputs, sessions, databases or cases; escapes = a password shown (or a file left
readable by others, or a target clobbered); lost = item ids or states that changed; crashes =
a traceback, a hang or a process that died. ``--quick`` runs each once (about 40 s),
``--smoke`` once without the verbs and the app (a few seconds); the full run takes about 90 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._reliability import Row, report
from tests.support.secrets_scenario import (
    SecretServers,
    app_session,
    database_bytes,
    environment,
    every_verb,
    leaks,
    old_database,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

PYTHON = sys.executable


def _without_proxies() -> dict[str, str]:
    return {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}


def verbs_row(runs: int) -> Row:
    row = Row("secrets: every CLI verb, its errors, export, database files", 0, 0)
    started = time.perf_counter()
    failures: list[str] = []
    for _ in range(runs):
        with (
            tempfile.TemporaryDirectory(prefix="streamtui-secrets-") as folder,
            SecretServers() as servers,
        ):
            result = every_verb(Path(folder), servers)
        row.tried += len(result.outcomes)
        leaked = {label for label, _ in result.leaked()}
        crashed = {o.label for o in result.outcomes if "Traceback" in str(o.data)}
        row.escapes += len(leaked)
        row.crashes += len(crashed)
        row.survived += len(result.outcomes) - len(leaked | crashed)
        failures += result.failures
    if failures:
        row.crashes += len(failures)
        row.survived -= len(failures)
    row.seconds = time.perf_counter() - started
    row.note = f"secrets shown: {row.escapes}" + (f"; {failures[0][:50]}" if failures else "")
    return row


def app_row(runs: int) -> Row:
    row = Row("secrets: the real app in a pty (refresh, add, palette, article)", 0, 0)
    started = time.perf_counter()
    note = ""
    for _ in range(runs):
        row.tried += 1
        with (
            tempfile.TemporaryDirectory(prefix="streamtui-secrets-app-") as folder,
            SecretServers() as servers,
        ):
            try:
                output = app_session(Path(folder), servers)
            except AssertionError as error:  # a step that never showed, or a bad exit
                row.crashes += 1
                note = str(error)[:60]
                continue
        if leaks(output):
            row.escapes += 1
        elif b"Traceback" in output:
            row.crashes += 1
        else:
            row.survived += 1
    row.seconds = time.perf_counter() - started
    row.note = note or f"secrets shown: {row.escapes}; typed password drawn as dots"
    return row


def migration_row(count: int) -> Row:
    """Version-4 databases with passwords in a feed's location and key, and in the key only
    (a feed that moved): opened (migration 5), refreshed against the real server."""
    from streamtui.core.fetch import Limits
    from streamtui.core.library import Library
    from streamtui.core.store import Store

    row = Row("secrets: migration 5 from a version-4 database", 0, 0)
    started = time.perf_counter()
    with SecretServers() as servers:
        for _ in range(count):
            row.tried += 1
            with tempfile.TemporaryDirectory(prefix="streamtui-migrate-") as folder:
                data = Path(folder) / "data"
                feed, second = servers.url("/feed.xml"), servers.url("/second.xml")
                moved = servers.home.url("/feed.xml")  # moved here; its key held the password
                ids = old_database(
                    data / "streamtui.db", [("private", feed, feed), ("moved", moved, second)]
                )
                try:
                    library = Library(
                        Store.open(data / "streamtui.db"), bundled=Path(folder) / "no-guide"
                    )
                    summary = library.refresh(limits=Limits(connect=5, read=10, total=20))
                    rows = library.rows(library.view(), 0, 1000)
                    open_bytes = database_bytes(data)
                    library.close()
                except Exception as error:
                    row.crashes += 1
                    row.note = f"{type(error).__name__}: {error}"[:60]
                    continue
                expected = sorted(i for found in ids.values() for i in found)
                states = {r.id: (r.read, r.starred) for r in rows}
                kept = sorted(states) == expected and sum(r for r, _ in states.values()) == 2
                if not kept or summary.added:
                    row.lost += 1
                leaked = bool(leaks(open_bytes) or leaks(database_bytes(data)))
                row.escapes += leaked
                if kept and not summary.added and not leaked:
                    row.survived += 1
    row.seconds = time.perf_counter() - started
    row.note = row.note or "ids, read and starred kept; the password in no byte of db or -wal"
    return row


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _streamtui(
    data: Path, *args: str, umask: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = environment(data, data.parent / "home")
    return subprocess.run(
        [PYTHON, "-m", "streamtui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )


def private_row() -> Row:
    """The data folder and database, created or found open to others."""
    from streamtui.core.store import Store

    row = Row("private files: data folder 0700, database and companions 0600", 0, 0)
    started = time.perf_counter()

    def case(prepare: Callable[[Path], None], umask: int | None) -> tuple[bool, bool]:
        """(ran cleanly, everything private now and every loosened file named)."""
        with tempfile.TemporaryDirectory(prefix="streamtui-private-") as folder:
            data = Path(folder) / "data"
            prepare(data)
            before = (
                [p for p in [data, *data.iterdir()] if _mode(p) & 0o077] if data.exists() else []
            )
            done = _streamtui(data, "sources", umask=umask)
            after = [p for p in [data, *data.iterdir()] if _mode(p) & 0o077]
            told = all(f"{p}: other users could read it" in done.stderr for p in before)
            return done.returncode == 0 and "Traceback" not in done.stderr, not after and told

    def loose(data: Path) -> None:
        Store.open(data / "streamtui.db").close()
        data.chmod(0o777)
        (data / "streamtui.db").chmod(0o666)
        (data / "credentials.json").write_text('{"version": 1, "entries": {}}')
        (data / "credentials.json").chmod(0o644)

    cases = [
        ("fresh, umask 0", lambda data: None, 0),
        ("fresh, umask 022", lambda data: None, 0o022),
        ("open to others", loose, None),
    ]
    for _, prepare, umask in cases:
        row.tried += 1
        ran, private = case(prepare, umask)
        if not ran:
            row.crashes += 1
        elif not private:
            row.escapes += 1
        else:
            row.survived += 1
    row.seconds = time.perf_counter() - started
    row.note = "fresh (umask 0 and 022), tightened with a notice"
    return row


def _read_only(folder: Path, argv: list[str]) -> subprocess.CompletedProcess[str] | None:
    """Run ``argv`` with ``folder`` read-only to it (a bind mount in a user namespace when
    root, permissions otherwise); None when nothing can make it read-only here."""
    from tests.reliability.test_faults import read_only_runner

    runner = read_only_runner()
    if runner is None:
        return None
    if not runner:
        folder.chmod(0o555)
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=60)
        finally:
            folder.chmod(0o755)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        [*runner, "sh", "-c", script, "sh", str(folder), *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )


def export_row() -> Row:
    """``export FILE`` into every kind of target."""
    row = Row("export FILE: symlink, dangling, FIFO, modes, special files, read-only", 0, 0)
    started = time.perf_counter()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="streamtui-export-") as folder:
        base = Path(folder)
        data = base / "data"
        with SecretServers() as servers:
            _streamtui(data, "add", servers.url("/feed.xml"))
        for name, check in _export_cases(base, data).items():
            row.tried += 1
            try:
                ok, clobbered = check()
            except subprocess.TimeoutExpired:
                ok, clobbered = False, False
                row.crashes += 1
                notes.append(f"{name}: hung")
                continue
            if clobbered:
                row.escapes += 1
                notes.append(f"{name}: clobbered")
            elif ok:
                row.survived += 1
            else:
                notes.append(f"{name}: wrong outcome")
    row.seconds = time.perf_counter() - started
    row.note = "; ".join(notes)[:80] or "written through, modes kept, special files refused"
    return row


def _export_cases(base: Path, data: Path) -> dict[str, Callable[[], tuple[bool, bool]]]:
    """Each case: (did what it should, clobbered what it must not)."""

    def export(target: Path) -> subprocess.CompletedProcess[str]:
        return _streamtui(data, "export", str(target))

    def refused(done: subprocess.CompletedProcess[str]) -> bool:
        lines = done.stderr.strip().splitlines()
        return done.returncode == 1 and len(lines) == 1 and "internal error" not in lines[0]

    def opml(path: Path) -> bool:
        return path.is_file() and "xmlUrl=" in path.read_text(encoding="utf-8")

    def symlink() -> tuple[bool, bool]:
        real, link = base / "real.opml", base / "link.opml"
        real.write_text("old")
        real.chmod(0o640)
        link.symlink_to(real)
        done = export(link)
        return (
            done.returncode == 0 and opml(real) and _mode(real) == 0o640,
            not link.is_symlink(),
        )

    def dangling() -> tuple[bool, bool]:
        target, link = base / "later.opml", base / "dangling.opml"
        link.symlink_to(target)
        done = export(link)
        return done.returncode == 0 and opml(target) and _mode(
            target
        ) == 0o600, not link.is_symlink()

    def fifo() -> tuple[bool, bool]:
        pipe = base / "pipe.opml"
        os.mkfifo(pipe)
        done = export(pipe)
        return refused(done), not stat.S_ISFIFO(pipe.lstat().st_mode)

    def kept(mode: int) -> Callable[[], tuple[bool, bool]]:
        def check() -> tuple[bool, bool]:
            target = base / f"kept-{mode:o}.opml"
            target.write_text("old")
            target.chmod(mode)
            done = export(target)
            return done.returncode == 0 and opml(target), _mode(target) != mode

        return check

    def new() -> tuple[bool, bool]:
        target = base / "new.opml"
        done = export(target)
        return done.returncode == 0 and opml(target), _mode(target) & 0o077 != 0

    def folder() -> tuple[bool, bool]:
        target = base / "folder.opml"
        target.mkdir()
        done = export(target)
        return refused(done), not target.is_dir()

    def device() -> tuple[bool, bool]:
        done = export(Path("/dev/null"))
        return refused(done), not stat.S_ISCHR(Path("/dev/null").stat().st_mode)

    def unix_socket() -> tuple[bool, bool]:
        target = base / "socket.opml"
        server = socket.socket(socket.AF_UNIX)
        here = os.getcwd()
        os.chdir(base)  # bound by a relative name: a long folder path would not fit
        try:
            server.bind(target.name)
        finally:
            os.chdir(here)
        try:
            done = export(target)
        finally:
            server.close()
        return refused(done), not stat.S_ISSOCK(target.lstat().st_mode)

    def loop() -> tuple[bool, bool]:
        one, two = base / "loop-1.opml", base / "loop-2.opml"
        one.symlink_to(two)
        two.symlink_to(one)
        done = export(one)
        return refused(done), not one.is_symlink()

    def read_only() -> tuple[bool, bool]:
        shelf = base / "shelf"
        shelf.mkdir()
        (shelf / "out.opml").write_text("old")
        argv = [PYTHON, "-m", "streamtui", "--data-dir", str(data), "export",
                str(shelf / "out.opml")]  # fmt: skip
        done = _read_only(shelf, argv)
        if done is None:
            return True, False  # nothing makes a folder read-only here: nothing to try
        return refused(done), (shelf / "out.opml").read_text() != "old"

    def database() -> tuple[bool, bool]:
        before = (data / "streamtui.db").read_bytes()
        done = export(data / "streamtui.db")
        return refused(done), (data / "streamtui.db").read_bytes() != before

    return {
        "symlink": symlink,
        "dangling symlink": dangling,
        "FIFO": fifo,
        "0600 file": kept(0o600),
        "0644 file": kept(0o644),
        "new file": new,
        "folder": folder,
        "device": device,
        "socket": unix_socket,
        "symlink loop": loop,
        "read-only folder": read_only,
        "the database": database,
    }


def rows(quick: bool, *, smoke: bool = False) -> list[Row]:
    """Every row; ``smoke`` leaves out every verb and the app in a pty (tests/reliability/
    test_secrets.py runs both: ``every_verb`` and ``app_session``)."""
    saved = _without_proxies()
    try:
        runs = 1 if quick or smoke else 3
        return [
            *([] if smoke else [verbs_row(runs), app_row(runs)]),
            migration_row(1 if smoke else 2 if quick else 20),
            private_row(),
            export_row(),
        ]
    finally:
        os.environ.update(saved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each case once")
    parser.add_argument("--smoke", action="store_true", help="once, without the verbs and the app")
    args = parser.parse_args()
    print("secrets and files: a password in feed URLs against every way out; export targets")
    return report(rows(args.quick, smoke=args.smoke))


if __name__ == "__main__":
    sys.exit(main())
