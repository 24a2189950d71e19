"""kill -9 during the marks and syncs of a server account: shared by tests/test_accounts_kill.py
and benchmarks/sync_kills.py.

A child process (``python -m tests.support.account_kills DATA SEED``) marks random items of
the account read or unread, starred or not, and syncs every few marks; it prints ``ACK item
axis state`` once each mark has returned (committed, and queued for the server in the same
transaction). The parent kills it with SIGKILL at a random moment (between marks, during a
pull of hundreds of new items, during a push), then checks what the next process finds: every
acknowledged mark is the state stored here. After the last trial, one sync: the queue is
empty and the server holds exactly the state stored here, item by item (no change lost, none
sent twice to a wrong effect), every server item is stored once, and the database is sound.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store

ROOT = Path(__file__).resolve().parents[2]
SYNC_EVERY = 7


@dataclass
class Outcome:
    trials: int = 0
    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    """Acknowledged marks not stored afterwards, and server states that differ at the end."""
    crashes: list[str] = field(default_factory=list)
    killed_in_sync: int = 0


def child(data: Path, seed: int) -> None:
    """The marking process: never returns (the parent kills it)."""
    library = Library(Store.open(data / "streamtui.db"), bundled=data)
    rng = random.Random(seed)
    ids = [row.id for row in library.store.rows(library.view(None), 0, 1_000_000)]
    print("READY", flush=True)
    count = 0
    while True:
        item = rng.choice(ids)
        state = rng.random() < 0.5
        if rng.random() < 0.5:
            library.mark_read([item], state)
            axis = "read"
        else:
            library.set_starred([item], state)
            axis = "starred"
        print(f"ACK {item} {axis} {int(state)}", flush=True)
        count += 1
        if count % SYNC_EVERY == 0:
            print("SYNC", flush=True)
            library.sync_accounts()
            print("SYNCED", flush=True)


def trial(data: Path, seed: int, env: dict[str, str], outcome: Outcome) -> None:
    """One child, killed at a random moment; the acknowledged marks are then checked."""
    rng = random.Random(seed)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.account_kills", str(data), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    acked: dict[tuple[str, str], bool] = {}
    assert process.stdout is not None
    wanted = rng.randint(1, 40)
    count = 0
    in_sync = False
    try:
        line = process.stdout.readline()
        if line.strip() != "READY":
            outcome.crashes.append(f"seed {seed}: no READY ({process.stderr.read()[-300:]!r})")
            return
        deadline = time.monotonic() + rng.uniform(0.02, 3.0)
        while time.monotonic() < deadline and count < wanted:
            line = process.stdout.readline()
            if not line:
                outcome.crashes.append(f"seed {seed}: died ({process.stderr.read()[-300:]!r})")
                return
            words = line.split()
            if words[0] == "ACK":
                acked[(words[1], words[2])] = words[3] == "1"
                outcome.acknowledged += 1
                count += 1
            in_sync = words[0] == "SYNC" or (in_sync and words[0] != "SYNCED")
            if words[0] == "SYNC" and rng.random() < 0.5:
                time.sleep(rng.uniform(0, 0.3))  # into the sync
                break
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout.read().splitlines():  # written before the kill
            words = line.split()
            if words and words[0] == "ACK":
                acked[(words[1], words[2])] = words[3] == "1"
                outcome.acknowledged += 1
            in_sync = (words[:1] == ["SYNC"]) or (in_sync and words[:1] != ["SYNCED"])
        process.stdout.close()
        process.stderr.close()
    outcome.trials += 1
    outcome.killed_in_sync += in_sync
    rows = {r.id: r for r in stored_rows(data)}
    for (item, axis), state in acked.items():
        found = getattr(rows[item], axis)
        if found != state:
            outcome.lost.append(f"seed {seed}: {item} {axis} acknowledged {state}, stored {found}")


def stored_rows(data: Path) -> list:  # type: ignore[type-arg]
    library = Library(Store.open(data / "streamtui.db"), bundled=data)
    try:
        return library.store.rows(library.view(None), 0, 1_000_000)
    finally:
        library.close()


def check_end(data: Path, entries: dict[str, tuple[bool, bool]], outcome: Outcome) -> None:
    """After one more sync: the server (``entries``: title -> (read, starred), read after the
    sync by the caller's ``server_state``) holds what is stored here; nothing waits."""
    library = Library(Store.open(data / "streamtui.db"), bundled=data)
    try:
        rows = library.store.rows(library.view(None), 0, 1_000_000)
        titles = [r.title for r in rows if r.title in entries]
        if len(titles) != len(set(titles)) or set(titles) != set(entries):
            outcome.lost.append(
                f"stored {len(titles)} of the server's {len(entries)} items "
                f"({len(titles) - len(set(titles))} twice)"
            )
        for row in rows:
            if row.title in entries and entries[row.title] != (row.read, row.starred):
                outcome.lost.append(
                    f"{row.title}: here {(row.read, row.starred)}, there {entries[row.title]}"
                )
        if any(account.pending for account in library.accounts()):
            outcome.lost.append("marks still wait after the last sync")
    finally:
        library.close()
    with sqlite3.connect(data / "streamtui.db") as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            outcome.crashes.append("integrity_check failed")


if __name__ == "__main__":
    child(Path(sys.argv[1]), int(sys.argv[2]))
