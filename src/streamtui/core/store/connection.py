"""The database's connections: one writes and one reads, transactions, and the file watched.

WAL journal, ``synchronous=NORMAL`` (a ``kill -9`` loses no acknowledged commit),
``busy_timeout`` so two instances wait for each other instead of failing, ``BEGIN IMMEDIATE``
for every write. Every part of the store (sources.py, items.py, marks.py, views.py,
retention.py) is a :class:`Database` and writes through :meth:`Database._write`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from streamtui.core.errors import DatabaseGoneError, ReadOnlyError, StoreError
from streamtui.core.store import sql
from streamtui.core.store.hits import SearchHits

CACHE_KIB = 16_384
"""The writing connection's page cache (see Database.__init__)."""
REFRESH_CACHE_KIB = 32_768
"""The page cache while a refresh or a sync writes (see Database.checkpoints_deferred)."""


class Database:
    """The database, shared by the UI thread and workers: one connection writes and one
    reads, each behind its own lock. In WAL mode a reader never waits for a writer, so the
    list keeps answering while a refresh stores feeds (measured at 100k items: key presses
    during a refresh waited up to 1.3 s for the one shared connection). Reads see every
    committed write. An in-memory store has one connection for both."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self._reader = connection
        self._read_lock = self._lock
        self.path = path
        self.read_only = False
        """Nothing can be saved (a read-only data directory): every write raises
        ReadOnlyError at once, and the file is never touched."""
        self.notices: list[str] = []
        """What opening did to the files' permissions, for the user (see paths.py)."""
        self.hits = SearchHits(self)
        """The ranked ids of the last query views (hits.py): every write that could add a
        row to one says so with ``hits.changed()``."""
        self._file: tuple[int, int] | None = None
        """(device, inode) of the database file as opened: see check_file."""
        self.gone: DatabaseGoneError | None = None
        """Set once the file was found deleted or replaced: nothing more is saved."""
        self._outside_version: int | None = None
        """PRAGMA data_version of the writing connection when last asked (changed_elsewhere)."""
        self.search_texts: dict[int, tuple[str, str, str]] = {}
        """The text of search entries not written yet, by key (store/search.py)."""

    def _open_reader(self, path: Path) -> None:
        reader = sql.connect(path)
        try:
            reader.execute(f"PRAGMA busy_timeout={int(sql.BUSY_SECONDS * 1000)}")
            reader.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.Error:
            reader.close()
            raise
        self._reader, self._read_lock = reader, threading.RLock()

    def _configure(self) -> None:
        # Space freed by retention goes back to the file system (retention.py). Set on a new
        # database only (on an existing one the pragma waits for the write lock and does
        # nothing): an existing one is switched over by a VACUUM at `cleanup`.
        if not self._db.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone():
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # After a checkpoint, a WAL that a long write grew is cut back to 64 MiB when the
        # next write starts it over (the file kept its largest size until the app closed).
        self._db.execute("PRAGMA journal_size_limit=67108864")
        self._db.execute(f"PRAGMA busy_timeout={int(sql.BUSY_SECONDS * 1000)}")
        self._db.execute("PRAGMA foreign_keys=ON")
        # The two order indexes of 100k items take about 9 MB. With SQLite's default 2 MB
        # cache, a change to every row (mark all read) re-reads index pages from the OS for
        # each row: 1.1 s at 100k against 0.6 s with 16 MB. Pages are only allocated when
        # read, so a small store stays small.
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")

    def _can_write(self) -> bool:
        """Whether a write can be made: one is made and rolled back (beginning a write
        transaction succeeds on a file opened read-only)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
                self._db.execute(f"PRAGMA user_version={version}")
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                self._rollback()
                return False
        return True

    def restore(self) -> None:
        """Write everything the open database holds back to its path, after the file was
        deleted while open (DatabaseGoneError with ``deleted``), and go on saving there.

        The copy is made under a name of its own and linked in only if nothing has taken the
        path meanwhile (another streamtui starting afresh): nothing is ever overwritten."""
        gone = self.gone
        if gone is None or not gone.deleted or self.path is None:
            raise StoreError(f"{self.path or 'database'}: nothing to restore")
        path = self.path
        with self._lock, self._read_lock:
            copy = path.with_name(f"{path.name}.restoring-{os.getpid()}")
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                remove_database_files(copy)
                os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private
                target = sqlite3.connect(copy)
                try:
                    self._db.backup(target)
                finally:
                    target.close()
                os.link(copy, path)  # fails if a file took the path meanwhile
            except FileExistsError as error:
                raise StoreError(
                    f"{path}: cannot restore, another database file is there now; quit and "
                    "start streamtui again to use it"
                ) from error
            except (OSError, sqlite3.Error) as error:
                raise StoreError(f"{path}: cannot restore ({sql.reason(error)})") from error
            finally:
                remove_database_files(copy)
            self._reopen(path)

    def _reopen(self, path: Path) -> None:
        """Swap the connections for new ones on ``path`` (call with both locks held)."""
        connection = sql.connect(path)
        old = (self._db, self._reader)
        self._db = connection
        self._configure()
        lock = self._read_lock
        self._open_reader(path)
        self._read_lock = lock  # the one held now: readers waiting on it stay in order
        for stale in old:
            with suppress(sqlite3.Error):
                stale.close()
        self.hits.reset()  # the query views' hits lived on the old reading connection
        self._file = file_id(path)
        self.gone = None

    def close(self) -> None:
        with self._lock, self._read_lock:
            if self._reader is not self._db:
                self._reader.close()
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a failure rolls back and surfaces as StoreError (a
        read-only store refuses at once with ReadOnlyError, and so does one whose file was
        deleted or replaced: DatabaseGoneError, also raised when that happened during the
        write, which then went to a file that no longer exists)."""
        self.check_writable()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._rollback()
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise StoreError(
                    f"{self.path or 'database'}: cannot save ({sql.reason(error)})"
                ) from error
        self.check_file()

    def check_writable(self) -> None:
        """Raise ReadOnlyError when nothing can be saved."""
        if self.read_only:
            raise ReadOnlyError(read_only_message(self.path, "nothing was saved"))
        self.check_file()

    def check_file(self) -> None:
        """Raise DatabaseGoneError when the database file was deleted, or replaced by another
        file, since it was opened (its folder removed, a cleanup tool, another program).
        SQLite goes on writing to the open file, which vanishes when it is closed: every save
        from then on would be lost without a word. A stat of the path against the device and
        inode seen at opening costs about a microsecond (sqlite3 does not expose the open
        file's descriptor to fstat)."""
        if self.gone is not None:
            raise self.gone
        if self._file is None or self.path is None:
            return
        try:
            now = file_id(self.path)
        except FileNotFoundError:
            deleted = True
        except OSError:  # cannot tell (a folder without permission): the writes will say
            return
        else:
            if now == self._file:
                return
            deleted = False
        what = "deleted" if deleted else "replaced by another file"
        self.gone = DatabaseGoneError(
            f"{self.path}: the database file was {what} while streamtui was running; "
            "nothing since then can be saved",
            deleted=deleted,
        )
        raise self.gone

    def _rollback(self) -> None:
        """Roll back the open transaction, if any. After a full disk or an I/O error SQLite
        may have rolled back already: a failing ROLLBACK must not hide the error that
        caused it."""
        if self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _read(self, query: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._read_lock:
            try:
                return self._reader.execute(query, params).fetchall()
            except sqlite3.Error as error:
                raise StoreError(f"{self.path or 'database'}: cannot read ({error})") from error

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The reading connection, held for a few statements in a row."""
        with self._read_lock:
            yield self._reader

    def meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def changed_elsewhere(self) -> bool:
        """Whether another process (the command line, another streamtui) has committed since
        the last call. Asked of the writing connection, whose data_version this process's
        own writes never change (the reading connection's would). False, to be asked again
        later, while this process is writing."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return False
        finally:
            self._lock.release()
        seen, self._outside_version = self._outside_version, version
        return seen is not None and seen != version

    # -- the file's size and the WAL -------------------------------------------------------

    def size_bytes(self) -> int:
        """The database's size in bytes as SQLite counts it (pages in use or free)."""
        with self._lock:
            count = int(self._db.execute("PRAGMA page_count").fetchone()[0])
            size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        return count * size

    def vacuum_mode(self) -> str:
        """SQLite's auto_vacuum: "none" (freed space stays in the file, for reuse),
        "full" or "incremental" (freed space goes back after a cleanup)."""
        with self._lock:
            mode = int(self._db.execute("PRAGMA auto_vacuum").fetchone()[0])
        return {0: "none", 1: "full", 2: "incremental"}.get(mode, "none")

    def enable_incremental_vacuum(self) -> int:
        """Switch a database made before retention to auto_vacuum=INCREMENTAL: SQLite does
        that only by rewriting the whole file once (VACUUM; measured 2.2 s at 100k items, and
        as much free disk as the database takes). Returns how many bytes it gave back."""
        self.check_writable()
        before = self.size_bytes()
        with self._lock:
            try:
                self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
                self._db.execute("VACUUM")
            except sqlite3.Error as error:
                raise StoreError(
                    f"{self.path or 'database'}: cannot rewrite the database ({sql.reason(error)})"
                ) from error
        self.check_file()
        return max(0, before - self.size_bytes())

    def _incremental_vacuum(self) -> None:
        """Give the free pages back to the file system (incremental auto_vacuum only; in
        other modes they stay in the file and new items reuse them)."""
        if self.vacuum_mode() != "incremental":
            return
        self.check_writable()
        with self._lock:
            try:
                # Each step of this pragma frees one page, and sqlite3's execute() takes a
                # statement without result columns for done after the first: executescript
                # steps it to the end (in a transaction of its own).
                self._db.executescript("PRAGMA incremental_vacuum;")
            except sqlite3.Error as error:
                raise StoreError(
                    f"{self.path or 'database'}: cannot save ({sql.reason(error)})"
                ) from error

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it (the file then shows the
        space a cleanup gave back); a reader in the way only makes it partial."""
        with self._lock, suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def checkpoint_aside(self) -> None:
        """Copy what the WAL holds into the database file, from a connection of its own so
        that neither the writer nor a reader waits for it (PASSIVE: what a reader still
        needs stays for the next one). The next write then starts the WAL from its start."""
        if self.path is None or self.gone is not None:
            return
        # mode=rw: a database file deleted meanwhile is never created again empty.
        with suppress(sqlite3.Error, StoreError):
            self.check_file()
            checkpointer = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=rw", uri=True, timeout=0.1
            )
            try:
                checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                checkpointer.close()

    @contextmanager
    def checkpoints_deferred(self) -> Iterator[None]:
        """Write without checkpointing the WAL until the block ends, then checkpoint once,
        from a connection of its own so that no reader waits for it. Measured on a cold
        refresh of 200 feeds x 100 items: storing took 4.3-7.4 s, 2.5 s with one checkpoint
        at the end (each automatic checkpoint syncs the database file). Commits stay as
        durable as before (the WAL is synced at each checkpoint either way).

        The page cache is REFRESH_CACHE_KIB meanwhile: a cold refresh's 20,000 items touch
        index pages all over a 72 MB file, and with 16 MB SQLite read them from the OS again
        and again (storing them took 3.35-3.46 s of CPU, 2.50-2.64 s with 32 MB, no less
        with 64 MB). The cache shrinks back after, for an app that stays open."""
        with self._lock:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.execute(f"PRAGMA cache_size=-{REFRESH_CACHE_KIB}")
        try:
            yield
        finally:
            with self._lock, suppress(sqlite3.Error):  # closed meanwhile
                self._db.execute("PRAGMA wal_autocheckpoint=1000")
                self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self.checkpoint_aside()


def file_id(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def read_only_message(path: Path | None, what: str) -> str:
    folder = path.parent if path is not None else "the data directory"
    return f"{folder}: cannot save here (read-only): {what}"
