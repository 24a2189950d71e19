"""Opening the database: creating and migrating it, a corrupt one moved aside, a read-only
folder opened read-only, the files kept private."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from streamtui.core import paths
from streamtui.core.errors import StoreError, StreamtuiError
from streamtui.core.store import schema, sql
from streamtui.core.store.connection import Database, file_id, read_only_message


class Opening(Database):
    """The ways a store comes to be (each returns the class it is called on)."""

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open (creating and migrating) the database at ``path``. The folder is made 0700
        and the files 0600 (see :func:`make_private`); ``notices`` says what was changed."""
        notices = make_private(path)
        store = cls._open(path)
        store.notices = notices
        return store

    @classmethod
    def _open(cls, path: Path) -> Self:
        try:
            _create_private(path)
            connection = sql.connect(path)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"{path}: cannot open the database ({sql.reason(error)})") from error
        store = cls(connection, path)
        try:
            store._configure()
            schema.migrate(store)
            schema.scrub_moved_secrets(store)
            store._open_reader(path)
            store._file = file_id(path)
        except sqlite3.DatabaseError as error:
            store.close()
            raise StoreError(f"{path}: {sql.reason(error)}") from error
        except StreamtuiError:
            store.close()
            raise
        return store

    @classmethod
    def open_read_only(cls, path: Path) -> Self:
        """Open the database at ``path`` to read only (a read-only data directory): nothing
        is written to the file or its folder, and every write raises ReadOnlyError.

        ``mode=ro`` sees what a -wal file left behind holds; without -wal and -shm files
        SQLite cannot open a WAL database that way in a folder it may not write, and
        ``immutable=1`` reads the file alone (which then holds everything)."""
        failure: BaseException | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                connection = sql.connect(f"{path.resolve().as_uri()}?{query}", uri=True)
                version = int(connection.execute("PRAGMA user_version").fetchone()[0])
                connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            except (OSError, ValueError, sqlite3.Error) as error:
                failure = error
                continue
            if version != schema.latest():
                connection.close()
                raise StoreError(
                    f"{path}: the database is at schema version {version} and this streamtui "
                    f"needs {schema.latest()}, but it cannot be saved here (read-only)"
                )
            store = cls(connection, path)
            store.read_only = True
            return store
        reason = sql.reason(failure) if failure is not None else "unknown"
        raise StoreError(f"{path}: cannot open the database read-only ({reason})") from failure

    @staticmethod
    def needs_upgrade(path: Path) -> bool:
        """True when the database at ``path`` has an older schema (see upgrade_size)."""
        return Opening.upgrade_size(path) is not None

    @staticmethod
    def upgrade_size(path: Path) -> int | None:
        """The number of items of the database at ``path`` when it has an older schema, so
        that opening it runs a migration that may take a while (building the search index:
        about 23 s per 100k items; an order index: 5 s per million), else None. The items
        are counted only then (an index's length: about 30 ms at a million items); -1 when
        they cannot be. Never raises: whatever is wrong shows when the store is opened."""
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would hang the connect
                return None
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except (OSError, RuntimeError, ValueError, sqlite3.Error):  # RuntimeError: a link loop
            return None
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if not 0 < version < schema.latest():
                return None
            try:
                return int(connection.execute("SELECT count(*) FROM items").fetchone()[0])
            except sqlite3.Error:
                return -1
        except sqlite3.Error:
            return None
        finally:
            connection.close()

    @classmethod
    def open_or_recover(cls, path: Path) -> tuple[Self, str]:
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
    def _open_or_recover(cls, path: Path) -> tuple[Self, str]:
        try:
            store = cls._open(path)
        except StoreError as error:
            if sql.corrupt(error.__cause__):
                return cls._recover(path)
            if not _unwritable(path):
                raise
            if not path.exists():  # nothing stored: a session in memory
                return cls.memory(), read_only_message(path, "nothing you do is kept")
            return cls.open_read_only(path), read_only_message(path, "browsing what is stored")
        if _unwritable(path) and not store._can_write():
            store.read_only = True  # it opened: a -wal and -shm were left there
            return store, read_only_message(path, "browsing what is stored")
        return store, ""

    @classmethod
    def _recover(cls, path: Path) -> tuple[Self, str]:
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
    def memory(cls) -> Self:
        store = cls(
            sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False), None
        )
        store._configure()
        schema.migrate(store)
        return store


def _unwritable(path: Path) -> bool:
    """The database at ``path`` (or its folder, or the nearest folder that exists) may not
    be written (a read-only mount, permissions)."""
    if path.exists():
        return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return not os.access(folder, os.W_OK)


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
