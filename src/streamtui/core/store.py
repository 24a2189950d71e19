"""SQLite storage: sources, the narrow list table, bodies, and read state.

WAL journal, ``synchronous=NORMAL`` (a ``kill -9`` loses no acknowledged commit),
``busy_timeout`` so two instances wait for each other instead of failing, ``BEGIN IMMEDIATE``
for every write, and migrations that run in one transaction each, versioned by
``PRAGMA user_version``. The list columns live apart from the bodies so that listing 100k
items never reads a body.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from streamtui.core import dates, paths, retention, search
from streamtui.core.errors import StoreError, StreamtuiError
from streamtui.core.models import (
    Article,
    Enclosure,
    FeedState,
    Item,
    Row,
    Source,
    SourceKind,
    View,
)
from streamtui.core.naming import NamePicker, name_key
from streamtui.core.redact import without_login
from streamtui.core.retention import CleanupReport, Retention, Rules, SourceRetention
from streamtui.core.secrets_migration import LOGIN_SCOPED, SCRUB_PENDING, passwords_out
from streamtui.core.sql import select_in


def _search_and_stars(db: sqlite3.Connection) -> None:
    """3: full-text search (the index is filled here, so this step is Python: see
    core/search.py) and the starred view's index, holding only starred items (a handful
    among 100k) and every column the list reads, like the order indexes."""
    db.execute(
        "CREATE INDEX items_starred ON items (published DESC, seq, id, read, read_at, "
        "source_id) WHERE starred = 1"
    )
    search.create_and_fill(db)


def _names_and_retention(db: sqlite3.Connection) -> None:
    """Names compared without case are unique in the database itself, and what retention needs.

    ``sources.name_key`` is the case-folded name under a unique index, so that a name is
    chosen and saved in one transaction and two processes never take the same one (an older
    database may hold two names that differ only in case: the later one gets a number).
    Retention (core/retention.py): ``keep_days`` and ``max_items`` of a source (NULL: the
    config's), ``fetches`` counts the source's parsed fetches and an item's ``fetched`` is
    that count when a fetch last carried it (equal: the feed still carries it), ``churn``
    counts fetches in a row that replaced most of the items, and ``added_at`` is when an item
    arrived (0 for items stored before: they count as arrived at this migration, kept in meta
    as ``arrivals_since``). The columns are added without rewriting a row."""
    for statement in _statements(_RETENTION_COLUMNS):
        db.execute(statement)
    rows = db.execute("SELECT id, name FROM sources ORDER BY id").fetchall()
    used: set[str] = set()
    clashes = []
    for source_id, name in rows:
        if name_key(name) in used:
            clashes.append((source_id, name))
        used.add(name_key(name))
    picker = NamePicker(used.__contains__)
    renamed = {}
    for source_id, name in clashes:
        renamed[source_id] = picker.pick(name)
        used.add(name_key(renamed[source_id]))
    db.executemany(
        "UPDATE sources SET name = ?, name_key = ? WHERE id = ?",
        [(renamed.get(sid, name), name_key(renamed.get(sid, name)), sid) for sid, name in rows],
    )
    db.execute("CREATE UNIQUE INDEX sources_by_name_key ON sources (name_key)")
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('arrivals_since', ?)", (str(time.time()),)
    )


_RETENTION_COLUMNS = """
ALTER TABLE sources ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN keep_days INTEGER;
ALTER TABLE sources ADD COLUMN max_items INTEGER;
ALTER TABLE sources ADD COLUMN fetches INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN churn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN added_at REAL NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN fetched INTEGER NOT NULL DEFAULT 0;
"""


Migration = str | Callable[[sqlite3.Connection], None]
"""A script, or a function for a step that needs Python; each runs in one transaction."""

MIGRATIONS: list[Migration] = [
    # 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        location TEXT NOT NULL UNIQUE,
        added_at REAL NOT NULL,
        updated_at REAL,
        last_error TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        published REAL NOT NULL,
        seq INTEGER NOT NULL,
        teaser INTEGER NOT NULL DEFAULT 0,
        truncated INTEGER NOT NULL DEFAULT 0,
        read INTEGER NOT NULL DEFAULT 0,
        read_at REAL,
        starred INTEGER NOT NULL DEFAULT 0,
        digest TEXT NOT NULL DEFAULT ''  -- of the body row, to skip rewriting unchanged ones
    ) WITHOUT ROWID;
    -- Order indexes carry the filter columns, so that a window of the list is found from the
    -- index alone (see Store.rows) and only its rows are read from the table.
    CREATE INDEX items_by_date ON items (published DESC, seq, id, read, read_at);
    CREATE INDEX items_by_source ON items (source_id, published DESC, seq, id, read, read_at);
    -- Unread counts per source from the index alone (dropped in migration 4).
    CREATE INDEX items_state ON items (source_id, read);
    CREATE TABLE bodies (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT NOT NULL,
        path TEXT NOT NULL,
        encoding TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT ''  -- space-separated ids this story also goes by
    ) WITHOUT ROWID;
    -- Read and starred state of items that left their source, given back if they return.
    CREATE TABLE kept_state (
        item_id TEXT PRIMARY KEY,
        read INTEGER NOT NULL,
        read_at REAL,
        starred INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: feed sources. A stable key scopes item ids even after the URL changes; the fetch
    # state makes conditional GETs; HTML bodies and enclosures.
    """
    ALTER TABLE sources ADD COLUMN key TEXT NOT NULL DEFAULT '';
    UPDATE sources SET key = location;
    ALTER TABLE sources ADD COLUMN folder TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN site_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN warning TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN etag TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN retry_at REAL;
    ALTER TABLE sources ADD COLUMN redirect_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN redirect_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE bodies ADD COLUMN html INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE enclosures (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        type TEXT NOT NULL,
        length INTEGER NOT NULL,
        PRIMARY KEY (item_id, url)
    ) WITHOUT ROWID;
    """,
    _search_and_stars,
    # 4: measured at 100k items (benchmarks/README.md, issue 5). Bodies (about 1.2 KB a row)
    # move to a rowid table: in a WITHOUT ROWID b-tree a row that large takes a page of its
    # own, so the table held 460 MB where 130 MB do, and every write and checkpoint paid for
    # it. The per-source (source_id, read) index goes: the order index by source counts as
    # fast, and marking 100k items read rewrote one index fewer (2.2 s -> 1.3 s).
    """
    CREATE TABLE bodies_by_rowid (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT NOT NULL,
        path TEXT NOT NULL,
        encoding TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '',
        html INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO bodies_by_rowid (item_id, summary, body, link, path, encoding, aliases, html)
        SELECT item_id, summary, body, link, path, encoding, aliases, html FROM bodies;
    DROP TABLE bodies;
    ALTER TABLE bodies_by_rowid RENAME TO bodies;
    DROP INDEX items_state;
    """,
    # 5: passwords in feed URLs leave the database for the credential store (issue 12); a
    # source with one stored there has login = 1 (2: and its ids' scope). See
    # core/secrets_migration.py.
    passwords_out,
    # 6: unique case-folded names and the columns retention needs.
    _names_and_retention,
]

FEED_STATE_COLUMNS = (
    "etag",
    "last_modified",
    "content_hash",
    "gone",
    "retry_at",
    "redirect_url",
    "redirect_count",
    "warning",
    "last_error",
    "site_url",
    "location",
    "updated_at",
    "folder",
    "login",
)

_ORDER = "published DESC, seq, id"
SEQ_SPAN = 1 << 24
"""A source's items are numbered from ``source_id * SEQ_SPAN``, so that items of two sources
with the same date never interleave."""
SEARCH_CAP = 1000
"""The most rows a query view holds: the best-ranked matches (Library.search_cap)."""
SEARCH_WINDOW = 10_000
"""The most matches a query ranks: the newest stored. A word found in every item of a large
library ranks among its newest 10,000 matches; rarer words rank all of theirs. bm25 costs
about 1.5 us a match: ranking 10,000 is 15 ms of the 22 ms a new query view takes at 100k
items, and ranking all 100k matches of a common word took 100 ms."""
_ROW_COLUMNS = "id, source_id, title, published, teaser, truncated, read, starred"
BUSY_SECONDS = 5.0
"""How long a write waits for another instance's write to end (SQLite's busy timeout)."""
MIGRATION_WAIT = 600.0
"""How long opening waits for another instance that is migrating the database."""


class ReadOnlyError(StoreError):
    """Nothing can be saved: the database opened read-only (a read-only data directory)."""


class DatabaseGoneError(ReadOnlyError):
    """The database file was deleted or replaced while it was open: what is written to the
    open file would vanish with it, so nothing more is saved (see Store.check_file)."""

    def __init__(self, message: str, *, deleted: bool) -> None:
        super().__init__(message)
        self.deleted = deleted
        """The file is gone (it can be restored); False: another file took its place."""


class DuplicateSourceError(StoreError):
    """A source is already stored at this location (or one that names the same feed)."""

    def __init__(self, location: str, name: str) -> None:
        super().__init__(f"{location}: already added as {name!r}")
        self.location = location
        self.name = name


@dataclass(frozen=True, slots=True)
class NewSource:
    """A source to add; ``name`` is the one wanted (a number is added when it is taken)."""

    name: str
    kind: SourceKind
    location: str
    folder: str = ""
    key: str = ""
    login: bool = False
    """Its password is in the credential store, under ("feed", key)."""


@dataclass(frozen=True, slots=True)
class SyncStats:
    added: int = 0
    updated: int = 0
    removed: int = 0


@dataclass(frozen=True, slots=True)
class Merge:
    """One feed's parsed items and its new fetch state, for :meth:`Store.merge_many`.

    ``whole``: the items are everything the feed carries now (a parsed fetch), which
    retention must not remove and which tells whether the feed replaces most of its items at
    each fetch. ``rename``: given the source's name as stored when the merge is written, the
    name it should take ("" keeps it); the name is made unique in that same transaction."""

    source_id: int
    items: Sequence[Item]
    state: Mapping[str, object] = field(default_factory=dict)
    whole: bool = False
    rename: Callable[[str], str] | None = None


CLEANUP_BATCH = 1_000
"""Items removed in one transaction at most by a cleanup."""
CHURN_FETCHES = 3
"""Fetches in a row that replace most of a feed's items before its source says so."""
CHURN_SHARE = 0.8
"""The share of a fetch's items that must be new for the fetch to count as replacing them."""
CHURN_MIN_ITEMS = 10
"""Feeds carrying fewer items are never said to churn (one new item of one is normal)."""


class Store:
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
        self.search_cap = SEARCH_CAP
        self.search_window = SEARCH_WINDOW
        self.notices: list[str] = []
        """What opening did to the files' permissions, for the user (see paths.py)."""
        self._generation = 0
        """Bumped by every write that could add a row to a query view (see _hits)."""
        self._slots: OrderedDict[tuple[View, float], tuple[tuple[int, ...], int]] = OrderedDict()
        """Cached query views: (view, since) -> (what they were computed from, their slot)."""
        self._file: tuple[int, int] | None = None
        """(device, inode) of the database file as opened: see check_file."""
        self.gone: DatabaseGoneError | None = None
        """Set once the file was found deleted or replaced: nothing more is saved."""
        self._outside_version: int | None = None
        """PRAGMA data_version of the writing connection when last asked (changed_elsewhere)."""

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating and migrating) the database at ``path``. The folder is made 0700
        and the files 0600 (see :func:`make_private`); ``notices`` says what was changed."""
        notices = make_private(path)
        store = cls._open(path)
        store.notices = notices
        return store

    @classmethod
    def _open(cls, path: Path) -> Store:
        try:
            _create_private(path)
            connection = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
            )
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"{path}: cannot open the database ({_reason(error)})") from error
        store = cls(connection, path)
        try:
            store._configure()
            store._migrate()
            store._scrub_moved_secrets()
            store._open_reader(path)
            store._file = _file_id(path)
        except sqlite3.DatabaseError as error:
            store.close()
            raise StoreError(f"{path}: {_reason(error)}") from error
        except StreamtuiError:
            store.close()
            raise
        return store

    def _open_reader(self, path: Path) -> None:
        reader = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
        )
        try:
            reader.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
            reader.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.Error:
            reader.close()
            raise
        self._reader, self._read_lock = reader, threading.RLock()

    @classmethod
    def open_read_only(cls, path: Path) -> Store:
        """Open the database at ``path`` to read only (a read-only data directory): nothing
        is written to the file or its folder, and every write raises ReadOnlyError.

        ``mode=ro`` sees what a -wal file left behind holds; without -wal and -shm files
        SQLite cannot open a WAL database that way in a folder it may not write, and
        ``immutable=1`` reads the file alone (which then holds everything)."""
        failure: BaseException | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                connection = sqlite3.connect(
                    f"{path.resolve().as_uri()}?{query}",
                    uri=True,
                    isolation_level=None,
                    check_same_thread=False,
                    timeout=BUSY_SECONDS,
                )
                version = int(connection.execute("PRAGMA user_version").fetchone()[0])
                connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            except (OSError, ValueError, sqlite3.Error) as error:
                failure = error
                continue
            if version != len(MIGRATIONS):
                connection.close()
                raise StoreError(
                    f"{path}: the database is at schema version {version} and this streamtui "
                    f"needs {len(MIGRATIONS)}, but it cannot be saved here (read-only)"
                )
            store = cls(connection, path)
            store.read_only = True
            return store
        reason = _reason(failure) if failure is not None else "unknown"
        raise StoreError(f"{path}: cannot open the database read-only ({reason})") from failure

    @staticmethod
    def needs_upgrade(path: Path) -> bool:
        """True when the database at ``path`` has items and an older schema, so that opening
        it runs a migration that may take a while (building the search index: about 23 s per
        100k items). Never raises: whatever is wrong shows when the store is opened."""
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would hang the connect
                return False
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except (OSError, RuntimeError, ValueError, sqlite3.Error):  # RuntimeError: a link loop
            return False
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            return 0 < version < len(MIGRATIONS)
        except sqlite3.Error:
            return False
        finally:
            connection.close()

    @classmethod
    def open_or_recover(cls, path: Path) -> tuple[Store, str]:
        """Open the database; a corrupt one is moved aside and a fresh one started, and in a
        folder where nothing can be saved, what is stored opens read-only.

        Returns the store and a message for the user (empty when nothing happened): one line
        for each thing to say, permissions tightened first.
        """
        notices = make_private(path)
        store, message = cls._open_or_recover(path)
        store.notices = notices
        return store, "\n".join([*notices, message] if message else notices)

    @classmethod
    def _open_or_recover(cls, path: Path) -> tuple[Store, str]:
        try:
            store = cls._open(path)
        except StoreError as error:
            if _corrupt(error.__cause__):
                return cls._recover(path)
            if not _unwritable(path):
                raise
            if not path.exists():  # nothing stored: a session in memory
                return cls.memory(), _read_only_message(path, "nothing you do is kept")
            return cls.open_read_only(path), _read_only_message(path, "browsing what is stored")
        if _unwritable(path) and not store._can_write():
            store.read_only = True  # it opened: a -wal and -shm were left there
            return store, _read_only_message(path, "browsing what is stored")
        return store, ""

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

    @classmethod
    def _recover(cls, path: Path) -> tuple[Store, str]:
        """Move a corrupt database aside under a name of its own, then start afresh."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        number = 1
        while any(aside.with_name(aside.name + s).exists() for s in ("", "-wal", "-shm")):
            number += 1  # a rename would silently replace an earlier one
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
        try:
            # The companions first: a -wal must never stay to meet a fresh database.
            for suffix in ("-wal", "-shm", ""):
                companion = path.with_name(path.name + suffix)
                if companion.exists():
                    companion.rename(aside.with_name(aside.name + suffix))
        except OSError as error:
            raise StoreError(
                f"{path}: the database file is corrupt and could not be moved "
                f"aside ({error.strerror})"
            ) from error
        message = (
            f"{path}: the database file was corrupt; it was moved to {aside.name} and "
            "a fresh database started"
        )
        return cls._open(path), message

    @classmethod
    def memory(cls) -> Store:
        store = cls(
            sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False), None
        )
        store._configure()
        store._migrate()
        return store

    def _configure(self) -> None:
        # Space freed by retention goes back to the file system (core/retention.py). Set on
        # a new database only (on an existing one the pragma waits for the write lock and
        # does nothing): an existing one is switched over by a VACUUM at `cleanup`.
        if not self._db.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone():
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        self._db.execute("PRAGMA foreign_keys=ON")
        # The two order indexes of 100k items take about 9 MB. With SQLite's default 2 MB
        # cache, a change to every row (mark all read) re-reads index pages from the OS for
        # each row: 1.1 s at 100k against 0.6 s with 16 MB. Pages are only allocated when
        # read, so a small store stays small.
        self._db.execute("PRAGMA cache_size=-16384")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"the database is at schema version {version}, newer than this streamtui "
                f"knows ({len(MIGRATIONS)}); upgrade streamtui"
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            deadline = time.monotonic() + MIGRATION_WAIT
            while True:
                try:
                    self._migrate_to(number)
                    break
                except StoreError as error:
                    # Another instance migrating holds the lock for as long as it takes
                    # (about 23 s per 100k items): wait for it, then find the step done.
                    if not _busy(error.__cause__) or time.monotonic() > deadline:
                        raise

    def _migrate_to(self, number: int) -> None:
        with self._write() as db:
            # Re-read inside the lock: another instance may have migrated meanwhile.
            if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                return
            step = MIGRATIONS[number - 1]
            if callable(step):
                step(db)
            else:
                for statement in _statements(step):
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")

    def _scrub_moved_secrets(self) -> None:
        """After migration 5 moved passwords out of the database: rebuild the file (VACUUM,
        with secure_delete on), so that no old copy of a row that held one stays in free
        space, then empty the WAL (a checkpoint that truncates it: a WAL that is only reset
        keeps old frames past its new end). A step that cannot be done now (another instance
        reading) is tried again at the next start: the marker stays until it is done."""
        pending = self._db.execute("SELECT 1 FROM meta WHERE key = ?", (SCRUB_PENDING,))
        if pending.fetchone() is None:
            return
        try:
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute("VACUUM")
            if self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                return  # busy: another connection holds an old snapshot
            with self._write() as db:
                db.execute("DELETE FROM meta WHERE key = ?", (SCRUB_PENDING,))
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except (sqlite3.Error, StoreError):
            return
        finally:
            with suppress(sqlite3.Error):
                self._db.execute("PRAGMA secure_delete = OFF")

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
                _remove_database_files(copy)
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
                raise StoreError(f"{path}: cannot restore ({_reason(error)})") from error
            finally:
                _remove_database_files(copy)
            self._reopen(path)

    def _reopen(self, path: Path) -> None:
        """Swap the connections for new ones on ``path`` (call with both locks held)."""
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
        )
        old = (self._db, self._reader)
        self._db = connection
        self._configure()
        lock = self._read_lock
        self._open_reader(path)
        self._read_lock = lock  # the one held now: readers waiting on it stay in order
        for stale in old:
            with suppress(sqlite3.Error):
                stale.close()
        self._slots.clear()  # the query views' hits lived on the old reading connection
        self._generation += 1
        self._file = _file_id(path)
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
                    f"{self.path or 'database'}: cannot save ({_reason(error)})"
                ) from error
        self.check_file()

    def check_writable(self) -> None:
        """Raise ReadOnlyError when nothing can be saved."""
        if self.read_only:
            raise ReadOnlyError(_read_only_message(self.path, "nothing was saved"))
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
            now = _file_id(self.path)
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

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._read_lock:
            try:
                return self._reader.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise StoreError(f"{self.path or 'database'}: cannot read ({error})") from error

    # -- meta ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- sources -------------------------------------------------------------------------

    def add_source(
        self,
        name: str,
        kind: SourceKind,
        location: str,
        *,
        folder: str = "",
        key: str = "",
        identity: Callable[[str], str] | None = None,
        login: bool = False,
    ) -> Source:
        """Add a source named ``name`` or, when that is taken, ``name (2)``...; raises
        DuplicateSourceError when its location is stored already (or, with ``identity``, a
        feed whose location or first address has the same identity). Both are decided in
        the transaction that adds it: two processes adding at once never clash. ``login`` says
        that its password is in the credential store under ("feed", key); neither
        ``location`` nor ``key`` may hold a password."""
        (added,) = self.add_sources([NewSource(name, kind, location, folder, key, login)], identity)
        if isinstance(added, DuplicateSourceError):
            raise added
        return added

    def add_sources(
        self, wanted: Sequence[NewSource], identity: Callable[[str], str] | None = None
    ) -> list[Source | DuplicateSourceError]:
        """Add many sources in one transaction (an import): each gets a free name, and one
        already stored (or added earlier in ``wanted``) comes back as DuplicateSourceError.
        The feeds stored are read once, and a name's taken numbers are searched once: 20,000
        sources cost a few statements each, however many are stored or share a name."""
        results: list[Source | DuplicateSourceError] = []
        with self._write() as db:
            known: dict[str, str] = {}
            if identity is not None:
                for location, key, name in db.execute(
                    "SELECT location, key, name FROM sources WHERE kind = 'feed' ORDER BY id DESC"
                ):
                    known[identity(str(key))] = known[identity(str(location))] = str(name)
            picker = self._picker(db)
            for new in wanted:
                same = identity(new.location) if identity is not None else None
                if same is not None and same in known:
                    results.append(DuplicateSourceError(new.location, known[same]))
                    continue
                try:
                    source = self._insert_source(db, new, picker)
                except DuplicateSourceError as error:
                    results.append(error)
                    continue
                if identity is not None:
                    for address in (new.location, new.key or new.location):
                        known[identity(address)] = source.name
                results.append(source)
        return results

    def add_source_with_items(
        self,
        name: str,
        kind: SourceKind,
        location: str,
        items: Sequence[Item],
        *,
        fingerprint: str,
        error: str = "",
    ) -> tuple[Source, SyncStats]:
        """:meth:`add_source` then :meth:`sync_items`, in one transaction: a write that
        fails half-way (a full disk) leaves no empty source behind."""
        with self._write() as db:
            source = self._insert_source(db, NewSource(name, kind, location), self._picker(db))
            stats = self._sync(db, source.id, items, fingerprint, error)
        return source, stats

    def rename_source(self, source_id: int, wanted: str) -> str:
        """Rename a source to ``wanted`` or, when another source has that name, ``wanted
        (2)``...; chosen and saved in one transaction. Returns the name given."""
        with self._write() as db:
            name = self._picker(db, exclude=source_id).pick(wanted)
            db.execute(
                "UPDATE sources SET name = ?, name_key = ? WHERE id = ?",
                (name, name_key(name), source_id),
            )
        return name

    @staticmethod
    def _picker(db: sqlite3.Connection, *, exclude: int | None = None) -> NamePicker:
        """Free names as seen inside the write transaction on ``db`` (``exclude``: a source
        whose own name does not count, the one being renamed)."""
        return NamePicker(
            lambda key: (
                db.execute(
                    "SELECT 1 FROM sources WHERE name_key = ? AND id IS NOT ?", (key, exclude)
                ).fetchone()
                is not None
            )
        )

    @staticmethod
    def _insert_source(db: sqlite3.Connection, new: NewSource, picker: NamePicker) -> Source:
        found = db.execute("SELECT name FROM sources WHERE location = ?", (new.location,))
        taken = found.fetchone()
        if taken is not None:
            raise DuplicateSourceError(new.location, str(taken[0]))
        name = picker.pick(new.name)
        cursor = db.execute(
            "INSERT INTO sources (name, name_key, kind, location, key, folder, added_at, login) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                name_key(name),
                new.kind.value,
                new.location,
                new.key or new.location,
                new.folder,
                time.time(),
                int(new.login),
            ),
        )
        assert cursor.lastrowid is not None
        return Source(
            cursor.lastrowid,
            name,
            new.kind,
            new.location,
            key=new.key or new.location,
            folder=new.folder,
            login=new.login,
        )

    def add_source_once(
        self, marker: str, name: str, kind: SourceKind, location: str
    ) -> Source | None:
        """Add a source unless ``marker`` is set in meta (or the location is there), and set
        the marker, in one transaction; None when nothing was added."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = ?", (marker,)).fetchone():
                return None
            db.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (marker,))
            if db.execute("SELECT 1 FROM sources WHERE location = ?", (location,)).fetchone():
                return None
            return self._insert_source(db, NewSource(name, kind, location), self._picker(db))

    def remove_source(self, source_id: int) -> None:
        """Remove a source with its items and their search entries."""
        with self._write() as db:
            items = db.execute("SELECT id FROM items WHERE source_id = ?", (source_id,))
            search.forget(db, [str(found[0]) for found in items])
            db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            self._generation += 1

    def sources(self, *, counted: bool = True, only: Collection[int] | None = None) -> list[Source]:
        """Every source (or those in ``only``) with its unread and total counts (or none,
        zeros, without ``counted``: counting every source reads the whole source index,
        25 ms at 100k items)."""
        chosen = list(only or ())
        marks = ", ".join("?" * len(chosen))
        counts: dict[int, tuple[int, int]] = {}
        if counted:
            for source_id, unread, total in self._read(
                "SELECT source_id, sum(read = 0), count(*) FROM items INDEXED BY items_by_source "
                f"{'' if only is None else f'WHERE source_id IN ({marks})'} GROUP BY source_id",
                chosen,
            ):
                counts[int(str(source_id))] = (int(str(unread)), int(str(total)))
        result = []
        for found in self._read(
            "SELECT id, name, kind, location, updated_at, last_error, key, folder, warning, "
            f"gone, retry_at, login, churn FROM sources "
            f"{'' if only is None else f'WHERE id IN ({marks})'} "
            "ORDER BY id",
            chosen,
        ):
            source_id, name, kind, location, updated_at, last_error = found[:6]
            key, folder, warning, gone, retry_at, login, churn = found[6:]
            sid = int(str(source_id))
            unread, total = counts.get(sid, (0, 0))
            result.append(
                Source(
                    sid,
                    str(name),
                    SourceKind(str(kind)),
                    str(location),
                    unread,
                    total,
                    _datetime(updated_at),
                    str(last_error),
                    key=str(key) or str(location),
                    folder=str(folder),
                    warning=str(warning),
                    gone=bool(gone),
                    retry_at=_datetime(retry_at),
                    login=bool(login),
                    scoped=login == LOGIN_SCOPED,
                    renaming=int(str(churn)) >= CHURN_FETCHES,
                )
            )
        return result

    def feed_state(self, source_id: int) -> FeedState:
        rows = self._read(
            "SELECT etag, last_modified, content_hash, redirect_url, redirect_count "
            "FROM sources WHERE id = ?",
            (source_id,),
        )
        if not rows:
            return FeedState()
        etag, modified, digest, redirect_url, redirect_count = rows[0]
        return FeedState(
            str(etag), str(modified), str(digest), str(redirect_url), int(str(redirect_count))
        )

    def update_source(self, source_id: int, **fields: object) -> None:
        """Set some of a source's columns (names from FEED_STATE_COLUMNS)."""
        unknown = set(fields) - set(FEED_STATE_COLUMNS)
        if unknown:
            raise ValueError(f"not source columns: {sorted(unknown)}")
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._write() as db:
            db.execute(
                f"UPDATE sources SET {assignments} WHERE id = ?", (*fields.values(), source_id)
            )

    def feed_addresses(self) -> list[tuple[str, str, str]]:
        """(location, key, name) of every feed, without counting items."""
        return [
            (str(location), str(key), str(name))
            for location, key, name in self._read(
                "SELECT location, key, name FROM sources WHERE kind = 'feed'"
            )
        ]

    def source_names(self) -> dict[int, str]:
        """Names by id, without the counts (which cost a scan of the items)."""
        return {int(str(i)): str(n) for i, n in self._read("SELECT id, name FROM sources")}

    def last_error(self, source_id: int) -> str:
        rows = self._read("SELECT last_error FROM sources WHERE id = ?", (source_id,))
        return str(rows[0][0]) if rows else ""

    def fingerprint(self, source_id: int) -> str:
        rows = self._read("SELECT fingerprint FROM sources WHERE id = ?", (source_id,))
        return str(rows[0][0]) if rows else ""

    def set_source_error(self, source_id: int, error: str) -> None:
        """The source failed as a whole; its items stay, and its next read is a full one."""
        with self._write() as db:
            db.execute(
                "UPDATE sources SET last_error = ?, fingerprint = '' WHERE id = ?",
                (error, source_id),
            )

    def sync_items(
        self, source_id: int, items: Sequence[Item], *, fingerprint: str, error: str = ""
    ) -> SyncStats:
        """Make a local source's stored items exactly ``items``, keeping every read state.

        A starred item stays even when its file is gone: stars are never cleaned up."""
        with self._write() as db:
            return self._sync(db, source_id, items, fingerprint, error)

    def _sync(
        self,
        db: sqlite3.Connection,
        source_id: int,
        items: Sequence[Item],
        fingerprint: str,
        error: str,
    ) -> SyncStats:
        stats = self._write_items(db, source_id, items, remove_missing=True)
        db.execute(
            "UPDATE sources SET updated_at = ?, last_error = ?, fingerprint = ? WHERE id = ?",
            (time.time(), error, fingerprint, source_id),
        )
        return stats

    def merge_items(
        self, source_id: int, items: Sequence[Item], *, whole: bool = False, **state: object
    ) -> SyncStats:
        """Add a feed's new items and update changed ones; items the feed no longer carries
        stay (feeds drop old entries; retention removes them later). Undated items keep the
        date they were first seen. ``state`` updates the source's fetch state in the same
        transaction; ``whole``: the items are all the feed carries now (Merge.whole)."""
        (outcome,) = self.merge_many([Merge(source_id, items, state, whole=whole)])
        if isinstance(outcome, StoreError):
            raise outcome
        return outcome

    def merge_many(self, merges: Sequence[Merge]) -> list[SyncStats | StoreError]:
        """:meth:`merge_items` for several feeds in one transaction (one commit, one flush of
        the search index: a refresh stores what is ready together). A feed that fails is
        rolled back alone, to its savepoint, and its error takes its place in the result."""
        outcomes: list[SyncStats | StoreError] = []
        with self._write() as db:
            for merge in merges:
                db.execute("SAVEPOINT merge")
                try:
                    outcomes.append(self._merge(db, merge))
                except sqlite3.Error as error:
                    db.execute("ROLLBACK TO merge")
                    outcomes.append(StoreError(f"{self.path or 'database'}: cannot save ({error})"))
                db.execute("RELEASE merge")
        return outcomes

    def _merge(self, db: sqlite3.Connection, merge: Merge) -> SyncStats:
        found = db.execute(
            "SELECT name, fetches, churn FROM sources WHERE id = ?", (merge.source_id,)
        ).fetchone()
        if found is None:  # removed meanwhile: its items must not stay behind
            raise sqlite3.IntegrityError(f"source {merge.source_id} is gone")
        name, fetches, churn = str(found[0]), int(found[1]), int(found[2])
        fetched = fetches + 1 if merge.whole else None
        stats = self._write_items(
            db, merge.source_id, merge.items, remove_missing=False, fetched=fetched
        )
        fields: dict[str, object] = {"updated_at": time.time(), **merge.state}
        assert set(fields) <= set(FEED_STATE_COLUMNS)
        if fetched is not None:
            carried = len({item.id for item in merge.items})
            replaced = fetches and _replaced_most(stats.added, carried)
            if replaced:
                replaced = _replaced_most(self._repeats(db, merge, fetched), carried)
            churn = churn + 1 if replaced else 0
            note = _churn_note(churn, stats.added, carried)
            warning = str(fields.get("warning", ""))
            fields.update(
                fetches=fetched, churn=churn, warning="; ".join(w for w in (warning, note) if w)
            )
        wanted = merge.rename(name) if merge.rename is not None else ""
        if wanted and wanted != name:
            new_name = self._picker(db, exclude=merge.source_id).pick(wanted)
            fields.update(name=new_name, name_key=name_key(new_name))
        assignments = ", ".join(f"{column} = ?" for column in fields)
        db.execute(
            f"UPDATE sources SET {assignments} WHERE id = ?", (*fields.values(), merge.source_id)
        )
        return stats

    @staticmethod
    def _repeats(db: sqlite3.Connection, merge: Merge, fetched: int) -> int:
        """How many of a fetch's items repeat a story the source had before under another id
        (the same title or link as an item the fetch no longer carries): a feed whose new
        items are mostly repeats gives its stories new ids, where a busy feed has new
        stories. Read only for a fetch whose items are nearly all new (rare)."""
        titles, links = set(), set()
        for title, link in db.execute(
            "SELECT i.title, coalesce(b.link, '') FROM items i LEFT JOIN bodies b "
            "ON b.item_id = i.id WHERE i.source_id = ? AND i.fetched != ?",
            (merge.source_id, fetched),
        ):
            titles.add(title)
            links.add(link)
        titles.discard("")
        links.discard("")
        return sum(item.title in titles or item.link in links for item in merge.items)

    # -- retention (the rules: core/retention.py) --------------------------------------------

    def limits(self, source_id: int) -> SourceRetention:
        rows = self._read("SELECT keep_days, max_items FROM sources WHERE id = ?", (source_id,))
        if not rows:
            return SourceRetention()
        days, count = rows[0]
        return SourceRetention(
            None if days is None else int(str(days)), None if count is None else int(str(count))
        )

    def set_limits(self, source_id: int, limits: SourceRetention) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE sources SET keep_days = ?, max_items = ? WHERE id = ?",
                (limits.keep_days, limits.max_items, source_id),
            )

    def cleanup(
        self,
        defaults: Retention,
        *,
        only: Collection[int] | None = None,
        now: float | None = None,
        limit: int | None = None,
    ) -> CleanupReport:
        """Remove the feed items that retention lets go (of the sources in ``only``), at
        most ``limit`` of them, in transactions of at most CLEANUP_BATCH items (a key that
        marks an item read waits for one of them at most); then give the space back when
        the database can (auto_vacuum=INCREMENTAL). What is due is found on the reading
        connection, and what protects an item is checked again in the transaction that
        removes it: an item starred, marked unread or fetched meanwhile stays. A pass with
        nothing due writes nothing."""
        moment = time.time() if now is None else now
        arrivals = float(self.meta("arrivals_since") or 0)
        chosen = list(only or ())
        marks = ", ".join("?" * len(chosen))
        sources = self._read(
            "SELECT id, name, keep_days, max_items FROM sources WHERE kind = 'feed' "
            f"{'' if only is None else f'AND id IN ({marks})'} ORDER BY id",
            chosen,
        )
        report = CleanupReport()
        due: list[tuple[int, str, list[str]]] = []
        for source_id, name, days, count in sources:
            sid = int(str(source_id))
            limits = SourceRetention(
                None if days is None else int(str(days)), None if count is None else int(str(count))
            )
            with self._read_lock:
                try:
                    found = retention.candidates(self._reader, sid, *limits.over(defaults), moment)
                    rules = self._rules(self._reader, sid, defaults, moment, arrivals)
                    if found and rules is not None:
                        found = retention.removable(self._reader, found, rules)
                except sqlite3.Error as error:
                    raise StoreError(f"{self.path or 'database'}: cannot read ({error})") from error
            if found:
                due.append((sid, str(name), found))
        if not due:
            return report
        before = self.size_bytes()
        budget = limit
        with self.checkpoints_deferred():
            for batch in _batches(due, CLEANUP_BATCH):
                if budget is not None and budget <= 0:
                    report.pending = True
                    break
                with self._write() as db:
                    for sid, name, ids in batch:
                        rules = self._rules(db, sid, defaults, moment, arrivals)
                        going = [] if rules is None else retention.removable(db, ids, rules)
                        if budget is not None:
                            going = going[:budget]
                            budget -= len(going)
                        retention.remove(db, going)
                        if going:
                            report.removed[name] = report.removed.get(name, 0) + len(going)
                    self._generation += 1
        if report.total:
            self._incremental_vacuum()
            report.freed_bytes = max(0, before - self.size_bytes())
        return report

    @staticmethod
    def _rules(
        db: sqlite3.Connection, source_id: int, defaults: Retention, now: float, arrivals: float
    ) -> Rules | None:
        found = db.execute(
            "SELECT fetches, churn FROM sources WHERE id = ?", (source_id,)
        ).fetchone()
        if found is None:
            return None
        fetches, churn = int(found[0]), int(found[1])
        return Rules(
            fetches=fetches,
            protect_unread=defaults.unread_days > 0 and churn < CHURN_FETCHES,
            unread_since=now - defaults.unread_days * retention.DAY,
            arrivals_since=arrivals,
        )

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
                    f"{self.path or 'database'}: cannot rewrite the database ({_reason(error)})"
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
                    f"{self.path or 'database'}: cannot save ({_reason(error)})"
                ) from error

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it (the file then shows the
        space a cleanup gave back); a reader in the way only makes it partial."""
        with self._lock, suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @contextmanager
    def checkpoints_deferred(self) -> Iterator[None]:
        """Write without checkpointing the WAL until the block ends, then checkpoint once,
        from a connection of its own so that no reader waits for it. Measured on a cold
        refresh of 200 feeds x 100 items: storing took 4.3-7.4 s, 2.5 s with one checkpoint
        at the end (each automatic checkpoint syncs the database file). Commits stay as
        durable as before (the WAL is synced at each checkpoint either way)."""
        with self._lock:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
        try:
            yield
        finally:
            with self._lock, suppress(sqlite3.Error):  # closed meanwhile
                self._db.execute("PRAGMA wal_autocheckpoint=1000")
            if self.path is not None and self.gone is None:
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

    def _write_items(
        self,
        db: sqlite3.Connection,
        source_id: int,
        items: Sequence[Item],
        *,
        remove_missing: bool,
        fetched: int | None = None,
    ) -> SyncStats:
        """Store ``items`` for a source; ``fetched``: they are what a feed's fetch number
        ``fetched`` carried, each is marked with it (retention keeps what a feed carries)."""
        base = source_id * SEQ_SPAN
        wanted: dict[str, tuple[int, Item]] = {}
        for seq, item in enumerate(items):
            wanted.setdefault(item.id, (base + seq, item))
        existing: dict[str, tuple[object, ...]] = {}
        starred: set[str] = set()
        for row in self._stored(db, source_id, None if remove_missing else list(wanted)):
            existing[row[0]] = row[1:7]
            if row[7]:
                starred.add(row[0])
        missing = [i for i in existing if i not in wanted] if remove_missing else []
        gone = [item_id for item_id in missing if item_id not in starred]
        for item_id in missing:
            # A starred item stays; its read state still reaches its teaser, should it return.
            self._keep_state(db, item_id, staying=item_id in starred)
        search.forget(db, gone)
        db.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in gone])
        updated = 0
        reindex: list[Item] = []
        fresh: list[tuple[Item, tuple[object, ...]]] = []
        for item_id, (seq, item) in wanted.items():
            old = existing.get(item_id)
            published = dates.stamp(item.published)
            if old is not None and not remove_missing:
                seq = int(str(old[2]))  # a feed's order shifts as it grows: keep the first
                if not item.dated:
                    published = dates.stored_stamp(old[1])
            values = (
                item.title,
                published,
                seq,
                int(item.teaser),
                int(item.truncated),
                _digest(item),
            )
            if old is None:
                fresh.append((item, values))
                continue
            if tuple(old) == values:
                continue
            else:
                db.execute(
                    "UPDATE items SET title=?, published=?, seq=?, teaser=?, truncated=?, "
                    "digest=? WHERE id = ?",
                    (*values, item_id),
                )
                updated += 1
                if old[-1] == values[-1]:  # only the list columns changed
                    if old[0] != item.title:
                        reindex.append(item)
                    continue
            self._write_body(db, item)
            reindex.append(item)
        self._insert(db, source_id, fresh, fetched or 0)
        if fetched is not None:
            db.executemany(
                "UPDATE items SET fetched = ? WHERE id = ?", [(fetched, i) for i in existing]
            )
        added = len(fresh)
        reindex += [item for item, _ in fresh]
        self._index(db, reindex)
        if added or updated or gone:
            self._generation += 1
        return SyncStats(added, updated, len(gone))

    @staticmethod
    def _stored(
        db: sqlite3.Connection, source_id: int, ids: list[str] | None
    ) -> Iterator[tuple[Any, ...]]:
        """The stored list columns of a source's items: all of them, or only ``ids`` (a
        feed's merge looks up what it carries, not the source's whole history)."""
        columns = "id, title, published, seq, teaser, truncated, digest, starred"
        if ids is None:
            yield from db.execute(f"SELECT {columns} FROM items WHERE source_id = ?", (source_id,))
        else:
            yield from select_in(
                db,
                f"SELECT {columns} FROM items",
                "id",
                ids,
                where="source_id = ?",
                params=(source_id,),
            )

    @staticmethod
    def _index(db: sqlite3.Connection, items: Sequence[Item]) -> None:
        search.index_items(db, items)

    @staticmethod
    def _write_body(db: sqlite3.Connection, item: Item) -> None:
        db.execute(
            "INSERT OR REPLACE INTO bodies (item_id, summary, body, link, path, encoding,"
            " aliases, html) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _body_row(item),
        )
        db.execute("DELETE FROM enclosures WHERE item_id = ?", (item.id,))
        db.executemany(
            "INSERT OR IGNORE INTO enclosures (item_id, url, type, length) VALUES (?, ?, ?, ?)",
            [(item.id, e.url, e.type, e.length) for e in item.enclosures],
        )

    @staticmethod
    def _keep_state(db: sqlite3.Connection, item_id: str, *, staying: bool = False) -> None:
        """An item leaves its source: remember its state under its id and every alias, so
        that the story is still read when it comes back under either (article or teaser).
        A starred item ``staying`` in the store passes on only its read state, under its
        aliases: the story keeps one star."""
        found = db.execute(
            "SELECT i.read, i.read_at, i.starred, coalesce(b.aliases, '') FROM items i "
            "LEFT JOIN bodies b ON b.item_id = i.id WHERE i.id = ?",
            (item_id,),
        ).fetchone()
        if found is None:
            return
        read, read_at, starred, aliases = found
        own = () if staying else (item_id,)
        names = [(name,) for name in (*own, *str(aliases).split())]
        starred = 0 if staying else starred
        if read or starred:
            db.executemany(
                "INSERT OR REPLACE INTO kept_state (item_id, read, read_at, starred) "
                "VALUES (?, ?, ?, ?)",
                [(name, read, read_at, starred) for (name,) in names],
            )
        else:  # an unread departure overrides an older kept "read"
            db.executemany("DELETE FROM kept_state WHERE item_id = ?", names)

    def _insert(
        self,
        db: sqlite3.Connection,
        source_id: int,
        fresh: Sequence[tuple[Item, tuple[object, ...]]],
        fetched: int = 0,
    ) -> None:
        """Insert new items, each taking any state it left behind under its id or an alias,
        with their bodies. A few statements for all of them: one per item made a cold refresh
        spend 135 us an item in the writer, ten calls into SQLite each.

        The star of a story still stored (a starred article whose file is gone) stays on it:
        its teaser coming back takes only its read state, so the story is starred once."""
        if not fresh:
            return
        names = {item.id: (item.id, *item.aliases) for item, _ in fresh}
        kept: dict[str, tuple[Any, ...]] = {}
        if db.execute("SELECT 1 FROM kept_state LIMIT 1").fetchone():
            wanted = [name for group in names.values() for name in group]
            kept = {
                row[0]: row[1:]
                for row in select_in(
                    db, "SELECT item_id, read, read_at, starred FROM kept_state", "item_id", wanted
                )
            }
        aliases = [alias for item, _ in fresh for alias in item.aliases]
        stored = {
            row[0]: (*row[1:], 0)
            for row in select_in(db, "SELECT id, read, read_at FROM items", "id", aliases)
        }
        rows, taken = [], []
        now = time.time()
        for item, values in fresh:
            read, read_at, starred = 0, None, 0
            for candidate in names[item.id]:
                # Taken once, as if the items went in one by one (an earlier one in this
                # batch may be another's alias, or may have taken a kept state).
                found = kept.pop(candidate, None) or stored.get(candidate)
                if found is not None:
                    taken.append((candidate,))
                    read, read_at = max(read, found[0]), read_at or found[1]
                    starred = starred or found[2]
            stored[item.id] = (read, read_at, 0)
            rows.append((item.id, source_id, *values, read, read_at, starred, now, fetched))
        db.executemany(
            "INSERT INTO items (id, source_id, title, published, seq, teaser, truncated, digest,"
            " read, read_at, starred, added_at, fetched)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany("DELETE FROM kept_state WHERE item_id = ?", taken)
        db.executemany(
            "INSERT OR REPLACE INTO bodies (item_id, summary, body, link, path, encoding,"
            " aliases, html) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_body_row(item) for item, _ in fresh],
        )
        db.executemany(
            "INSERT OR IGNORE INTO enclosures (item_id, url, type, length) VALUES (?, ?, ?, ?)",
            [(item.id, e.url, e.type, e.length) for item, _ in fresh for e in item.enclosures],
        )

    # -- the stream list -----------------------------------------------------------------
    #
    # A view with a query is ranked, so its order comes from no index. Its ranked ids are
    # computed once into a temp table, search_hits (slot, pos, item_id), and every view
    # function joins that table to the items and applies the view's filters again: a window
    # of 128 rows, a position or the next unread item then costs at most search_cap lookups
    # (about a millisecond) rather than a new ranking per call (tens of milliseconds at 100k
    # items), and the list asks for a window at every page while scrolling. A temp table
    # rather than a list in Python: the same SQL then serves count, rows, rank, next unread,
    # marking read and the headless listing, and no call binds a thousand parameters.
    #
    # The hits are computed again when a write could have added a row to the view: items
    # stored or removed, stars, items marked unread, an undo, and any commit by another
    # connection (PRAGMA data_version). Marking read adds no row (an unread-only view keeps
    # what was read after its moment), and a row that leaves the view (a star taken off) is
    # filtered out at once by the join. The last few query views stay cached, so going back
    # to a search costs nothing.

    def count(self, view: View) -> int:
        with self._read_lock:
            table, where, params = self._source(view)
            return int(str(self._read(f"SELECT count(*) FROM {table} {where}", params)[0][0]))

    def rows(self, view: View, offset: int, limit: int) -> list[Row]:
        """A window of the view. The OFFSET walks the covering index only (measured: 3 ms at
        offset 99,000 against 28 ms when it walks table rows); then just ``limit`` rows are
        read."""
        with self._read_lock:
            slot = self._hits(view)
            if slot is not None:
                where, params = _where(view, prefix="i.", slot=slot)
                found = self._read(
                    f"SELECT {_prefixed(_ROW_COLUMNS)} FROM {_HITS} {where} "
                    "ORDER BY h.pos LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                )
                return [_row(r) for r in found]
        where, params = _where(view)
        return [
            _row(r)
            for r in self._read(
                f"SELECT {_ROW_COLUMNS} FROM items WHERE id IN (SELECT id FROM items {where} "
                f"ORDER BY {_ORDER} LIMIT ? OFFSET ?) ORDER BY {_ORDER}",
                (*params, limit, offset),
            )
        ]

    def row(self, item_id: str) -> Row | None:
        rows = self._read(f"SELECT {_ROW_COLUMNS} FROM items WHERE id = ?", (item_id,))
        return _row(rows[0]) if rows else None

    def position(self, view: View, item_id: str) -> int | None:
        """The index of ``item_id`` in ``view``, or None when the view does not hold it."""
        with self._read_lock:
            table, where, params = self._source(view, extra="id = ?")
            if not self._read(f"SELECT 1 FROM {table} {where}", (*params, item_id)):
                return None
            return self.rank(view, item_id)

    def rank(self, view: View, item_id: str) -> int | None:
        """How many rows of ``view`` come before ``item_id`` (held by the view or not; a
        query view places only the items that match its query)."""
        with self._read_lock:
            slot = self._hits(view)
            if slot is not None:
                pos = self._pos(slot, item_id)
                if pos is None:
                    return None
                where, params = _where(view, extra="h.pos < ?", prefix="i.", slot=slot)
                found = self._read(f"SELECT count(*) FROM {_HITS} {where}", (*params, pos))
                return int(str(found[0][0]))
        key = self._key(item_id)
        if key is None:
            return None
        total = 0
        for condition, extra in _before(key):
            where, params = _where(view, extra=condition)
            total += int(
                str(self._read(f"SELECT count(*) FROM items {where}", (*params, *extra))[0][0])
            )
        return total

    def next_unread(self, view: View, after: str | None, *, backwards: bool = False) -> str | None:
        """The id of the first unread item after (or before) ``after`` in view order."""
        with self._read_lock:
            slot = self._hits(view)
            if slot is not None:
                return self._next_unread_hit(view, slot, after, backwards)
        key = self._key(after) if after is not None else None
        if key is None:
            if backwards and after is not None:
                return None
            ranges: list[tuple[str, tuple[object, ...]]] = [("1", ())]
        else:
            ranges = _before(key)[::-1] if backwards else _after(key)
        order = "published ASC, seq DESC, id DESC" if backwards else _ORDER
        for condition, extra in ranges:
            where, params = _where(view, extra=f"read = 0 AND {condition}")
            rows = self._read(
                f"SELECT id FROM items {where} ORDER BY {order} LIMIT 1", (*params, *extra)
            )
            if rows:
                return str(rows[0][0])
        return None

    def _next_unread_hit(
        self, view: View, slot: int, after: str | None, backwards: bool
    ) -> str | None:
        pos = self._pos(slot, after) if after is not None else None
        if pos is None and backwards and after is not None:
            return None  # like an unknown item in a dated view
        condition = "1" if pos is None else "h.pos < ?" if backwards else "h.pos > ?"
        where, params = _where(view, extra=f"i.read = 0 AND {condition}", prefix="i.", slot=slot)
        found = self._read(
            f"SELECT i.id FROM {_HITS} {where} ORDER BY h.pos {'DESC' if backwards else ''} "
            "LIMIT 1",
            (*params, *(() if pos is None else (pos,))),
        )
        return str(found[0][0]) if found else None

    def _key(self, item_id: str) -> _Key | None:
        rows = self._read("SELECT published, seq FROM items WHERE id = ?", (item_id,))
        if not rows:
            return None
        # The value as stored, not as a float: an old database's "nan" text or 1e999 must
        # compare in SQL exactly as the ORDER BY sorted it.
        return rows[0][0], int(str(rows[0][1])), item_id

    def _source(self, view: View, *, extra: str = "") -> tuple[str, str, list[object]]:
        """The table a view's rows come from (the items, or a query view's hits joined to
        them) and its WHERE clause. Call under the lock: the hits' slot must stay put."""
        slot = self._hits(view)
        if slot is None:
            return "items", *_where(view, extra=extra)
        return _HITS, *_where(view, extra=extra, prefix="i.", slot=slot)

    # -- search --------------------------------------------------------------------------

    def search(self, query: str, *, source_id: int | None = None, limit: int = 50) -> list[Row]:
        """The ``limit`` best matches of ``query`` (of one source), best first; with no words
        to search, the newest items."""
        view = View(source_id, query=query)
        expression = search.match_expression(query)
        if expression is None:
            return self.rows(view, 0, limit)
        ranking, params = self._ranking(view, expression, limit)
        return [
            _row(r)
            for r in self._read(
                f"SELECT {_prefixed(_ROW_COLUMNS)} FROM ({ranking}) r "
                "JOIN items i ON i.id = r.item_id ORDER BY r.score, r.published DESC, r.seq, i.id",
                params,
            )
        ]

    def _ranking(self, view: View, expression: str, limit: int) -> tuple[str, list[object]]:
        """The query ranking a view's matches: its columns are item_id, score, published and
        seq, best first. Only the newest ``search_window`` matches that pass the view's filters
        (by rowid: the order items were stored) are ranked, so that a word in every item, or
        the first letter typed, costs no more than a rarer word. The filters are applied while
        the matches are read, newest first: a selective one (a small source, the starred
        items) reads more matches to fill the window, up to every match (50 ms at 100k)."""
        literals = search.literals(view.query)  # c++, c#, .net: as typed, not just "c"
        extra = "search_index MATCH ?" + (
            " AND instr(lower(search_index.title || ' ' || search_index.text), ?)" * len(literals)
        )
        where, params = _where(view, extra=extra, prefix="i.")
        sql = (
            "SELECT item_id, score, published, seq FROM ("
            f"SELECT k.item_id AS item_id, {search.RANK} AS score, i.published AS published, "
            "i.seq AS seq FROM search_index JOIN search_keys k ON k.num = search_index.rowid "
            f"JOIN items i ON i.id = k.item_id {where} "
            "ORDER BY search_index.rowid DESC LIMIT ?"
            ") ORDER BY score, published DESC, seq, item_id LIMIT ?"
        )
        return sql, [*params, expression, *literals, self.search_window, limit]

    def _hits(self, view: View) -> int | None:
        """The slot of search_hits that holds ``view``'s ranked ids (computed again if a write
        may have changed them), or None for a view without a query."""
        expression = search.match_expression(view.query) if view.query else None
        if expression is None:
            return None
        with self._read_lock:
            stamp = (self._generation, self._data_version(), self.search_cap, self.search_window)
            key = (view, view.since if view.unread_only else 0.0)  # since matters only there
            cached = self._slots.pop(key, None)
            if cached is not None and cached[0] == stamp:
                self._slots[key] = cached
                return cached[1]
            if cached is not None:
                slot = cached[1]
            elif len(self._slots) < _SLOTS:
                slot = min(set(range(_SLOTS)) - {taken for _, taken in self._slots.values()})
            else:
                _, (_, slot) = self._slots.popitem(last=False)  # the least recently used
            ranking, params = self._ranking(view, expression, self.search_cap)
            try:
                self._reader.execute(_HITS_TABLE)
                self._reader.execute("DELETE FROM temp.search_hits WHERE slot = ?", (slot,))
                self._reader.execute(
                    "INSERT INTO temp.search_hits (slot, pos, item_id) SELECT ?, row_number() "
                    "OVER (ORDER BY score, published DESC, seq, item_id), item_id "
                    f"FROM ({ranking})",
                    (slot, *params),
                )
            except sqlite3.Error as error:
                # The slot is out of the cache, so a half-written one is never read.
                raise StoreError(f"{self.path or 'database'}: cannot search ({error})") from error
            self._slots[key] = (stamp, slot)
            return slot

    def _pos(self, slot: int, item_id: str) -> int | None:
        found = self._read(
            "SELECT pos FROM temp.search_hits WHERE slot = ? AND item_id = ?", (slot, item_id)
        )
        return int(str(found[0][0])) if found else None

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

    def _data_version(self) -> int:
        """Changes whenever another connection commits (another streamtui, say)."""
        return int(str(self._read("PRAGMA data_version")[0][0]))

    def article(self, item_id: str) -> Article | None:
        """The item with its body: the one query that reads the bodies table."""
        rows = self._read(
            f"SELECT {_prefixed(_ROW_COLUMNS)}, s.name, b.summary, b.body, b.link, b.path, "
            "b.encoding, coalesce(b.html, 0), s.location FROM items i "
            "JOIN sources s ON s.id = i.source_id "
            "LEFT JOIN bodies b ON b.item_id = i.id WHERE i.id = ?",
            (item_id,),
        )
        if not rows:
            return None
        found = rows[0]
        name, summary, body, link, path, encoding = (str(v or "") for v in found[8:14])
        enclosures = tuple(
            Enclosure(str(url), str(kind), int(str(length)))
            for url, kind, length in self._read(
                "SELECT url, type, length FROM enclosures WHERE item_id = ?", (item_id,)
            )
        )
        return Article(
            _row(found[:8]),
            name,
            summary,
            body,
            link,
            path,
            encoding,
            html=bool(found[14]),
            enclosures=enclosures,
            base=without_login(str(found[15] or "")),
        )

    def iter_articles(self, view: View) -> Iterator[tuple[Row, str, str]]:
        """Every item of ``view`` in order with its summary and link (for headless output)."""
        with self._read_lock:
            slot = self._hits(view)
            if slot is None:
                where, params = _where(view, prefix="i.")
                table, order = "items i", _prefixed(_ORDER)
            else:
                where, params = _where(view, prefix="i.", slot=slot)
                table, order = _HITS, "h.pos"
            rows = self._read(
                f"SELECT {_prefixed(_ROW_COLUMNS)}, b.summary, b.link FROM {table} "
                f"LEFT JOIN bodies b ON b.item_id = i.id {where} ORDER BY {order}",
                params,
            )
        for found in rows:
            yield _row(found[:8]), str(found[8] or ""), str(found[9] or "")

    def ids_with_prefix(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [
            str(r[0])
            for r in self._read(
                "SELECT id FROM items WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (escaped + "%",)
            )
        ]

    # -- read state and stars ------------------------------------------------------------

    def set_read(
        self, item_ids: Sequence[str], read: bool, *, at: float | None = None
    ) -> list[str]:
        """Mark items read or unread (read at ``at``, default now); returns the changed ids."""
        return [prior.item_id for prior in self.change_read(item_ids, read, at=at)]

    def change_read(
        self, item_ids: Sequence[str], read: bool, *, at: float | None = None
    ) -> list[PriorRead]:
        """:meth:`set_read`, returning the state each changed item had before (for undo)."""
        now = (time.time() if at is None else at) if read else None
        changed: list[PriorRead] = []
        with self._write() as db:
            for item_id in item_ids:
                before = db.execute(
                    "SELECT read, read_at FROM items WHERE id = ? AND read != ?",
                    (item_id, int(read)),
                ).fetchone()
                if before is None:
                    continue
                db.execute(
                    "UPDATE items SET read = ?, read_at = ? WHERE id = ?", (int(read), now, item_id)
                )
                changed.append(PriorRead(item_id, bool(before[0]), before[1]))
            if changed and not read:
                self._generation += 1  # an unread item joins unread-only views
        return changed

    def mark_view_read(self, view: View, *, at: float | None = None) -> list[str]:
        """Mark every unread item of ``view`` read in one transaction; returns their ids."""
        return [prior.item_id for prior in self.change_view_read(view, at=at)]

    def change_view_read(self, view: View, *, at: float | None = None) -> list[PriorRead]:
        """:meth:`mark_view_read`, returning the state each item had before (for undo)."""
        moment = time.time() if at is None else at
        hits: list[tuple[object, ...]] = []
        with self._read_lock:
            table, where, params = self._source(view, extra="read = 0")
            if table != "items":
                # A query view's hits live on the reading connection: its ids (at most
                # search_cap) are read there, then marked one by one, if still unread.
                hits = self._read(f"SELECT id, read_at FROM {table} {where}", params)
        with self._write() as db:
            if table == "items":
                found = db.execute(f"SELECT id, 0, read_at FROM items {where}", params).fetchall()
                db.execute(f"UPDATE items SET read = 1, read_at = ? {where}", (moment, *params))
            else:
                found = [
                    (item_id, 0, read_at)
                    for item_id, read_at in hits
                    if db.execute(
                        "UPDATE items SET read = 1, read_at = ? WHERE id = ? AND read = 0",
                        (moment, item_id),
                    ).rowcount
                ]
        # Rows as they come (text, 0, float or NULL): 100k objects made one by one with
        # conversions took 0.2 s of marking 100k items read.
        return list(map(PriorRead._make, found))

    def restore_read(self, priors: Sequence[PriorRead], *, read: bool, at: float | None) -> int:
        """Put back the read state of items that a change left as (``read``, ``at``) and that
        nothing changed since; returns how many were put back."""
        with self._write() as db:
            cursor = db.executemany(
                "UPDATE items SET read = ?, read_at = ? WHERE id = ? AND read = ? AND read_at IS ?",
                [(int(p.read), p.read_at, p.item_id, int(read), at) for p in priors],
            )
            self._generation += 1
        return max(0, cursor.rowcount)

    def set_starred(self, item_ids: Sequence[str], starred: bool) -> list[str]:
        """Star or unstar items; returns the ids that changed."""
        changed: list[str] = []
        with self._write() as db:
            for item_id in item_ids:
                cursor = db.execute(
                    "UPDATE items SET starred = ? WHERE id = ? AND starred != ?",
                    (int(starred), item_id, int(starred)),
                )
                if cursor.rowcount:
                    changed.append(item_id)
            if changed:
                self._generation += 1
        return changed

    def starred_count(self) -> int:
        return int(str(self._read("SELECT count(*) FROM items WHERE starred = 1")[0][0]))


class PriorRead(NamedTuple):
    """An item's read state before a change, to put back on undo."""

    item_id: str
    read: bool
    read_at: float | None


_SLOTS = 4
"""Query views whose hits stay cached (the one shown, and a few to go back to)."""
_HITS = "temp.search_hits h JOIN items i ON i.id = h.item_id"
_HITS_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_hits (slot INTEGER NOT NULL, pos INTEGER NOT NULL,"
    " item_id TEXT NOT NULL, PRIMARY KEY (slot, pos), UNIQUE (slot, item_id)) WITHOUT ROWID"
)


def _where(
    view: View, *, extra: str = "", prefix: str = "", slot: int | None = None
) -> tuple[str, list[object]]:
    """The WHERE clause of a view's filters (and ``extra``); ``slot`` for a query view's
    hits. ``starred = 1`` is written literally so that the planner can use the partial
    index of starred items."""
    conditions: list[str] = []
    params: list[object] = []
    if slot is not None:
        conditions.append("h.slot = ?")
        params.append(slot)
    if view.source_id is not None:
        conditions.append(f"{prefix}source_id = ?")
        params.append(view.source_id)
    if view.unread_only:
        conditions.append(f"({prefix}read = 0 OR {prefix}read_at >= ?)")
        params.append(view.since)
    if view.starred:
        conditions.append(f"{prefix}starred = 1")
    if extra:
        conditions.append(extra)
    return ("WHERE " + " AND ".join(conditions) if conditions else ""), params


_Key = tuple[object, int, str]
"""Where an item is in list order: its published value as stored, its seq, its id."""


def _before(key: _Key) -> list[tuple[str, tuple[object, ...]]]:
    """The rows before ``key`` in list order, as three index ranges (one OR of them is not
    an index range: measured 150 ms at 100k items against a few ms for the three)."""
    published, seq, item_id = key
    return [
        ("published > ?", (published,)),
        ("published = ? AND seq < ?", (published, seq)),
        ("published = ? AND seq = ? AND id < ?", (published, seq, item_id)),
    ]


def _after(key: _Key) -> list[tuple[str, tuple[object, ...]]]:
    """The rows after ``key`` in list order, nearest range first."""
    published, seq, item_id = key
    return [
        ("published = ? AND seq = ? AND id > ?", (published, seq, item_id)),
        ("published = ? AND seq > ?", (published, seq)),
        ("published < ?", (published,)),
    ]


def _batches(
    due: Sequence[tuple[int, str, list[str]]], size: int
) -> Iterator[list[tuple[int, str, list[str]]]]:
    """``due`` (source id, name, item ids) cut into batches of about ``size`` items, a
    source's ids split across batches when they are many."""
    batch: list[tuple[int, str, list[str]]] = []
    held = 0
    for sid, name, ids in due:
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            batch.append((sid, name, part))
            held += len(part)
            if held >= size:
                yield batch
                batch, held = [], 0
    if batch:
        yield batch


def _replaced_most(new: int, carried: int) -> bool:
    """Whether ``new`` items (never seen, or repeating a story under a new id) are most of a
    fetch that carried ``carried`` items."""
    return carried >= CHURN_MIN_ITEMS and new >= CHURN_SHARE * carried


def _churn_note(churn: int, new: int, carried: int) -> str:
    if churn < CHURN_FETCHES:
        return ""
    return (
        f"the feed gives most of its items new ids at every fetch ({new} of {carried} new, "
        f"{churn} fetches in a row): the copies it drops are removed even unread"
    )


def _digest(item: Item) -> str:
    parts = (item.summary, item.body, item.link, item.path, item.encoding, *item.aliases)
    return hashlib.blake2b(
        "\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=12
    ).hexdigest()


def _prefixed(columns: str) -> str:
    return ", ".join("i." + column.strip() for column in columns.split(","))


def _row(values: Sequence[object]) -> Row:
    item_id, source_id, title, published, teaser, truncated, read, starred = values
    return Row(
        str(item_id),
        int(str(source_id)),
        str(title),
        dates.from_stamp(published),  # an old database may hold any REAL, even NaN
        bool(teaser),
        bool(truncated),
        bool(read),
        bool(starred),
    )


def _body_row(item: Item) -> tuple[object, ...]:
    return (
        item.id,
        item.summary,
        item.body,
        item.link,
        item.path,
        item.encoding,
        " ".join(item.aliases),
        int(item.html),
    )


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def _datetime(value: object) -> datetime | None:
    return None if value is None else dates.from_stamp(value)


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (a ``;`` inside a string stays)."""
    statements, pending = [], ""
    for fragment in script.split(";"):
        pending += fragment + ";"
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                statements.append(pending.strip())
            pending = ""
    if _has_sql(pending.rstrip(";")):
        statements.append(pending.rstrip(";").strip())
    return statements


def _has_sql(text: str) -> bool:
    return any(
        line.strip() and not line.strip().startswith("--") for line in text.rstrip(";").splitlines()
    )


def _code(error: BaseException | None) -> int | None:
    """SQLite's primary result code of an error (None for errors SQLite did not raise)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _corrupt(error: BaseException | None) -> bool:
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    text = str(error)
    return _code(error) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
        "file is not a database" in text or "malformed" in text
    )


def _busy(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.Error) and (
        _code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "database is locked" in str(error)
    )


def _reason(error: BaseException) -> str:
    """What went wrong, in words for the user."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    text = str(error)
    code = _code(error)
    if _corrupt(error):
        return "the database file is corrupt"
    if _busy(error):
        return (
            f"another streamtui kept the database busy for over {BUSY_SECONDS:g} s; "
            "nothing was changed, try again"
        )
    if code == sqlite3.SQLITE_FULL:
        return "the disk is full"
    if code == sqlite3.SQLITE_IOERR or "disk I/O error" in text:
        return f"{text}: is the disk full?"
    if code == sqlite3.SQLITE_READONLY:
        return "the database file or its folder is read-only"
    return text


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def _file_id(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _unwritable(path: Path) -> bool:
    """The database at ``path`` (or its folder, or the nearest folder that exists) may not
    be written (a read-only mount, permissions)."""
    if path.exists():
        return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return not os.access(folder, os.W_OK)


def _read_only_message(path: Path | None, what: str) -> str:
    folder = path.parent if path is not None else "the data directory"
    return f"{folder}: cannot save here (read-only): {what}"


def make_private(path: Path) -> list[str]:
    """The database's folder created 0700 (or an existing one that others can read
    tightened), and the database and its -wal and -shm tightened to 0600 where others can
    read them; the notices, one line each, of what was changed or could not be."""
    notices = [paths.private_folder(path.parent)]
    notices += [paths.private_file(path.with_name(path.name + s)) for s in ("", "-wal", "-shm")]
    return [notice for notice in notices if notice]


def _create_private(path: Path) -> None:
    """Create the database file empty with mode 0600 before SQLite opens it (SQLite would
    make it 0644, and gives the -wal and -shm the database's mode). One that exists, or a
    folder where it cannot be created, is left to SQLite (which says why)."""
    if path.exists():
        return
    with suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, paths.PRIVATE_FILE))
