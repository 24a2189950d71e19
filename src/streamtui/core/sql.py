"""Small SQLite helpers shared by the store and the search index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

CHUNK = 500
"""Keys bound per statement: well under SQLite's parameter limit (999 before 3.32)."""


def select_in(
    db: sqlite3.Connection,
    select: str,
    column: str,
    keys: Sequence[str],
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
