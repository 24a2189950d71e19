"""An item's read state in SQL: read on its own, or covered by a mark of everything read.

Marking everything read used to set ``read`` on every unread row, and both order indexes
carried ``read`` and ``read_at`` (so that an unread-only window is read from an index alone):
each row moved in both, 1.3 s at 100k items and 81 s at a million (benchmarks/README.md).
Now such a mark is one row of ``read_marks``, and an item's ``arrival`` says the rest:

- NULL: read on its own, at ``read_at`` (``read`` is 1);
- a number: it was unread when it took that number (``read`` is 0); it still is unless a
  mark covers it (the mark's ``upto`` is at least the number), and then it was read at the
  mark's ``at``.

Numbers come from a counter in ``meta`` (``arrivals``): an item stored, or marked unread,
takes a number above every mark, so it arrives unread; a mark covers every number given so
far. The order indexes carry ``arrival`` where they carried ``read``, so that "unread" is one
comparison on an index entry with a constant (the marks' table is read once per statement),
as ``read = 0`` was. Undoing a mark deletes its row: what it covered is unread again, except
what changed since (read on its own, or unread with a new number). Marks of other views (a
source, the starred items, a search) still mark their items one by one: they hold few.

The expressions below take a column prefix (``"i."``) and are the only way the store reads
an item's read state.
"""

from __future__ import annotations

import sqlite3

ARRIVALS = "arrivals"
"""The meta key of the arrival counter: every stored item's ``arrival`` is at most it."""

COVERED = "(SELECT coalesce(max(upto), -1) FROM read_marks)"
"""The highest arrival that a mark of everything read covers (-1: none)."""

TABLE = """
CREATE TABLE IF NOT EXISTS read_marks (
    upto INTEGER PRIMARY KEY,  -- items that arrived up to here (and were unread) are read
    at REAL NOT NULL           -- when: their read_at (never less than an earlier mark's)
)
"""


def unread(prefix: str = "") -> str:
    """True for an unread item (NULL, not false, for one read on its own: wrap it in
    coalesce where a NULL would not count as false, as under NOT or in a sum)."""
    return f"({prefix}arrival > {COVERED})"


def is_read(prefix: str = "") -> str:
    """1 for a read item, 0 for an unread one."""
    return f"({prefix}arrival IS NULL OR {prefix}arrival <= {COVERED})"


def read_at(prefix: str = "") -> str:
    """When an item was read (NULL: unread): its own moment, or its mark's."""
    return (
        f"CASE WHEN {prefix}arrival IS NULL THEN {prefix}read_at "
        f"WHEN {prefix}arrival <= {COVERED} THEN "
        f"(SELECT at FROM read_marks WHERE upto >= {prefix}arrival ORDER BY upto LIMIT 1) END"
    )


def unread_or_since(prefix: str = "") -> str:
    """True for an item unread or read at or after a moment (an unread-only view keeps what
    was read after it was built); two parameters, the moment twice. The items of marks made
    before the moment are read; those of later marks are listed."""
    return (
        f"({prefix}arrival > (SELECT coalesce(max(upto), -1) FROM read_marks WHERE at < ?) "
        f"OR {prefix}read_at >= ?)"
    )


def covered(db: sqlite3.Connection) -> int:
    return int(db.execute(f"SELECT {COVERED}").fetchone()[0])


def last_arrival(db: sqlite3.Connection) -> int:
    found = db.execute("SELECT value FROM meta WHERE key = ?", (ARRIVALS,)).fetchone()
    return int(str(found[0])) if found else 0


def next_arrival(db: sqlite3.Connection) -> int:
    """A new arrival number, above every mark (in the caller's write transaction)."""
    number = last_arrival(db) + 1
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (ARRIVALS, str(number)))
    return number
