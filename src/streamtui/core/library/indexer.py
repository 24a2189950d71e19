"""The search entries of a big refresh, written by a process of its own (issue 15).

In a cold refresh from the command line (200 feeds x 100 items), writing the 20,000 new
items' search entries took about 1.8 s of the refresh process's 5.5 s of CPU, on the same two
cores that the parser processes kept busy. So ``streamtui refresh`` stores the items alone
(``entries_later``, refresh/writer.py: past ENTRIES_NOW pending entries the writer leaves
them pending, under store/search.py's watermark) and, as it returns, starts this process,
which writes them a chunk per transaction and ends. The items are listed as soon as the
command returns, and found by search a few seconds later; ``streamtui search`` writes
whatever is still pending before it searches, and the app's next refresh does too. The
library also starts this process when a sync, a feed added or a stopped refresh leaves
entries pending, and the app once it has drawn its first frame when an earlier run left
some (``LibraryBase.index_left_entries``).

The process is detached (a session of its own, its standard streams on /dev/null: nothing it
does can reach the user's terminal), runs at a lower priority, and one at a time: it holds a
lock file beside the database (``<database>.indexing``) while it writes. One that finds the
lock taken ends at once; the one holding it looks again after letting it go, so entries that
a refresh stored meanwhile are never left behind. It never creates a database, and whatever
fails ends it quietly: the entries stay pending for the next refresh or search.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from streamtui.core import paths
from streamtui.core.errors import StreamtuiError
from streamtui.core.store import Store

LOCK_SUFFIX = ".indexing"
PAUSE = 0.02
"""Seconds between two chunks of entries. A write of another process (a refresh, the app's
marks) waits in SQLite's busy handler, which tries again after 1, 2, 5... up to 100 ms, and
found the write lock taken again at nearly every try while chunks followed back to back.
Measured: a warm refresh started while the indexer of a 20,000-item refresh ran spent
2.26 s in its run against 0.63 s alone, 0.66-1.19 s with the pause; the indexer takes
3.5-4 s instead of 2.2-2.4 s."""
_STARTED: list[subprocess.Popen[bytes]] = []
"""The indexers this process started, until they are seen ended."""
ATTEMPTS = 3
RETRY_SECONDS = 1.0
"""A store error (another process kept the database busy past its timeout, a full disk)
is tried again this many times, this long apart, before the entries are left pending."""
NICENESS = 10
"""Added to the process's nice value: the user's next command or the app comes first."""


def start(database: Path) -> bool:
    """Start writing the pending entries of ``database`` in a detached process; whether it
    started (when it did not, the entries stay pending)."""
    for earlier in list(_STARTED):  # reaped once ended: no zombie in a long-lived process
        if earlier.poll() is not None:
            _STARTED.remove(earlier)
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(database)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError:
        return False
    _STARTED.append(child)  # kept: a Popen dropped while its process runs warns
    return True


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + LOCK_SUFFIX)


@contextlib.contextmanager
def holding(database: Path) -> Iterator[bool]:
    """The lock of ``database``'s indexer, without waiting: whether this process holds it.
    OSError when the lock file cannot be opened (a read-only folder; a link in its place is
    never followed)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(lock_path(database), flags, paths.PRIVATE_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process is writing them
            yield False
            return
        yield True
    finally:
        os.close(fd)  # lets the lock go


def write_pending(database: Path) -> int:
    """Write the pending entries of ``database`` unless another process is at it; returns
    how many this process wrote."""
    if not database.is_file():
        return 0
    with holding(database) as held:  # the one that finds it taken opens nothing
        if not held:
            return 0
    store = Store.open(database)
    try:
        written, idle = 0, 0
        while True:
            with holding(database) as held:
                if not held:
                    return written
                with store.checkpoints_deferred():  # one checkpoint, not one a 1,000 pages
                    count = store.index_all_pending(PAUSE)
            written += count
            idle = 0 if count else idle + 1
            # Looked at again with the lock let go, even after a round with nothing to
            # write: a refresh whose indexer found the lock taken counts on this one.
            if idle > 1 or not store.pending_entries():
                return written
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        return 2
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    for attempt in range(ATTEMPTS):
        try:
            write_pending(Path(args[0]))
        except StreamtuiError:  # busy for long (a cleanup's VACUUM), a full disk...
            if attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_SECONDS)
        except Exception:  # nobody to tell: the entries stay pending, for the next refresh
            return 1
        else:
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
