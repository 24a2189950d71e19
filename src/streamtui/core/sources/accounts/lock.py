"""One sync of an account at a time, across threads and processes.

Two syncs of one account at once (the app's and a command's) could each send a mark the
other had already settled, the older last, and the server would keep the older state. So a
sync holds its account's lock from its first request to its last write: a thread lock within
the process, and a POSIX record lock on one byte (the account's id) of a file beside the
database, ``streamtui.db.sync-lock``, which the system drops when the process dies (a sync
killed with -9 never leaves an account locked). The file stays open for the process's life:
closing any descriptor of it would drop every lock the process holds on it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from streamtui.core import paths
from streamtui.core.errors import StreamtuiError

_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_FILES: dict[str, int | None] = {}
_GUARD = threading.Lock()
POLL = 0.05


class AccountBusy(StreamtuiError):
    """Another sync of the account did not end in time."""


def hold(database: Path | None, account_id: int, timeout: float) -> Callable[[], None]:
    """Take the account's lock (``database``: the store's file; None for one in memory) and
    return what releases it (from any thread); AccountBusy when another sync holds it for
    longer than ``timeout`` seconds."""
    key = (str(database), account_id)
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=timeout):
        raise AccountBusy("another sync of this account is under way; try again when it ends")
    fd = _file(database) if database is not None else None
    if fd is not None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, account_id)
                break
            except OSError:
                if time.monotonic() > deadline:
                    lock.release()
                    raise AccountBusy(
                        "another streamtui is syncing this account; try again when it ends"
                    ) from None
                time.sleep(POLL)

    def release() -> None:
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, account_id)
        lock.release()

    return release


def _file(database: Path) -> int | None:
    """The process's descriptor of the lock file (None: it cannot be made, as in a
    read-only folder: the thread lock alone then)."""
    path = str(database.with_name(database.name + ".sync-lock"))
    with _GUARD:
        if path not in _FILES:
            try:
                _FILES[path] = os.open(
                    path,
                    os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0),
                    paths.PRIVATE_FILE,
                )
            except OSError:
                _FILES[path] = None
        return _FILES[path]
