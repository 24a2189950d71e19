"""Small SQLite helpers of the store: connecting, telling errors apart and saying them in a
user's words, splitting scripts, and selecting by many keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

BUSY_SECONDS = 5.0
"""How long a write waits for another instance's write to end (SQLite's busy timeout)."""
CHUNK = 500
"""Keys bound per statement: well under SQLite's parameter limit (999 before 3.32)."""


def connect(target: Path | str, *, uri: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun by hand), shared by threads."""
    return sqlite3.connect(
        target,
        uri=uri,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_SECONDS,
    )


def select_in(
    db: sqlite3.Connection,
    select: str,
    column: str,
    keys: Sequence[object],
    *,
    where: str = "",
    params: Sequence[object] = (),
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``select`` whose ``column`` is one of ``keys`` (and, with ``where``, that
    condition on ``params`` too), a chunk of keys per statement."""
    extra = f"{where} AND " if where else ""
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        yield from db.execute(
            f"{select} WHERE {extra}{column} IN ({', '.join('?' * len(chunk))})",
            (*params, *chunk),
        )


def statements(script: str) -> list[str]:
    """Split a script into complete statements (a ``;`` inside a string or a trigger stays)."""
    found, pending = [], ""
    for fragment in script.split(";"):
        pending += fragment + ";"
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                found.append(pending.strip())
            pending = ""
    if _has_sql(pending.rstrip(";")):
        found.append(pending.rstrip(";").strip())
    return found


def _has_sql(text: str) -> bool:
    return any(
        line.strip() and not line.strip().startswith("--") for line in text.rstrip(";").splitlines()
    )


def _code(error: BaseException | None) -> int | None:
    """SQLite's primary result code of an error (None for errors SQLite did not raise)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def corrupt(error: BaseException | None) -> bool:
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    text = str(error)
    return _code(error) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
        "file is not a database" in text or "malformed" in text
    )


def busy(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.Error) and (
        _code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "database is locked" in str(error)
    )


def reason(error: BaseException) -> str:
    """What went wrong, in words for the user."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    text = str(error)
    code = _code(error)
    if corrupt(error):
        return "the database file is corrupt"
    if busy(error):
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
