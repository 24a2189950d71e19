"""The list's columns and a view's filters in SQL, shared by the views, the search hits and
marking a view read."""

from __future__ import annotations

from collections.abc import Sequence

from streamtui.core import dates
from streamtui.core.models import Row, View
from streamtui.core.store import readstate


def row_columns(prefix: str = "") -> str:
    """The list's columns of an item (``prefix``: its table's alias with a dot), its read
    state as readstate.py reads it."""
    columns = ("id", "source_id", "title", "published", "teaser", "truncated")
    return ", ".join(
        (*(prefix + column for column in columns), readstate.is_read(prefix), prefix + "starred")
    )


ROW_COLUMNS = row_columns()
ORDER = "published DESC, seq, id"
HITS = "temp.search_hits h JOIN items i ON i.id = h.item_id"
"""A query view's ranked ids (hits.py) joined to the items: ``h.pos`` is the rank."""


def filters(
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
        conditions.append(readstate.unread_or_since(prefix))
        params += [view.since, view.since]
    if view.starred:
        conditions.append(f"{prefix}starred = 1")
    if extra:
        conditions.append(extra)
    return ("WHERE " + " AND ".join(conditions) if conditions else ""), params


def prefixed(columns: str) -> str:
    """Plain column names (not ROW_COLUMNS: see :func:`row_columns`) with the ``i.`` alias."""
    return ", ".join("i." + column.strip() for column in columns.split(","))


def to_row(values: Sequence[object]) -> Row:
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
