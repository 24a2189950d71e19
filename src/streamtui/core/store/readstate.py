"""An item's read state in SQL: its own flag, or a mark of everything read (a watermark).

Marking everything read used to set ``read`` on every unread row, and both order indexes
carry ``read`` and ``read_at`` (so that an unread-only window is read from an index alone):
each row moved in both, 1.3 s at 100k items and 81 s at a million (benchmarks/README.md).
Now such a mark is one row of ``read_marks``: every item whose ``arrival`` is at most its
``upto`` and whose own ``read`` is 0 counts as read, at the mark's ``at``. ``arrival`` comes
from a counter in ``meta`` (``arrivals``): new items take a number above every mark, so they
arrive unread, and an item marked unread after a mark takes a new number (the exception to
the mark). The order indexes carry ``arrival`` next to ``read``, so a view's filters are still
read from an index alone; the marks' table is read once per statement (a constant subquery).
Undoing a mark deletes its row: what it covered is unread again, except what was marked
since (read on its own, or unread with a new number). Marks of other views (a source, the
starred items, a search) still set ``read`` on their rows: they hold few items.

The expressions below take a column prefix (``"i."``) and are the only way the store reads
an item's read state; ``read`` alone is only the item's own flag.
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
    """True for an unread item."""
    return f"({prefix}read = 0 AND {prefix}arrival > {COVERED})"


def is_read(prefix: str = "") -> str:
    """1 for a read item, 0 for an unread one."""
    return f"({prefix}read OR {prefix}arrival <= {COVERED})"


def read_at(prefix: str = "") -> str:
    """When an item was read (NULL: unread): its own moment, or its mark's."""
    return (
        f"CASE WHEN {prefix}read THEN {prefix}read_at WHEN {prefix}arrival <= {COVERED} THEN "
        f"(SELECT at FROM read_marks WHERE upto >= {prefix}arrival ORDER BY upto LIMIT 1) END"
    )


def unread_or_since(prefix: str = "") -> str:
    """True for an item unread or read at or after a moment (an unread-only view keeps what
    was read after it was built); two parameters, the moment twice. The items of marks made
    before the moment are read; those of later marks are listed."""
    return (
        f"(({prefix}read = 0 AND {prefix}arrival > "
        "(SELECT coalesce(max(upto), -1) FROM read_marks WHERE at < ?)) "
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
