"""Retention: which stored items of a feed go, so that no feed grows the store without bound.

An item of a feed source is removed when it is older than ``keep_days`` (by its date) or is
not among the ``max_items`` newest of its source, unless

- it is starred (stars are never cleaned up);
- the feed carried it at its latest fetch (removed, it would come back as new and unread);
- it is unread and arrived less than ``unread_days`` ago; except on a feed that replaces most
  of its items at every fetch (its source says so, Store.CHURN_FETCHES): what such a feed
  dropped are its stories under old ids, and keeping them is what grew the store.

Local sources (folders, files, the guide) hold exactly their files and are left alone.
The limits follow newsboat's ``keep-articles-days`` (by date) and ``max-items`` (per feed,
flagged articles kept beyond it, unread ones not); newsboat keeps everything by default, which
is how a feed that renames its items every fetch grew a store by 95 MiB a refresh, so the
count has a default here, high enough to keep years of an ordinary feed.

A source's own limits (``streamtui retention``) override the config's. The SQL reads one
source at a time through the order index by source (``source_id, published DESC, seq, id``):
the age rule is a range of it, the count rule an OFFSET along it, so a pass that removes
nothing reads the index once and no table row (measured in benchmarks/state_cases.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from streamtui.core import search
from streamtui.core.sql import select_in

DAY = 86_400.0
MAX_DAYS = 36_500
"""SourceRetention above a hundred years (or that many items) are refused as typing mistakes."""
MAX_ITEMS = 10_000_000


@dataclass(frozen=True, slots=True)
class Retention:
    """The config's limits, for every feed without its own (0: no limit)."""

    keep_days: int = 0
    """Items older than this many days go (newsboat's keep-articles-days; 0 keeps all)."""
    max_items: int = 1000
    """At most this many items a feed (newsboat's max-items, which keeps all by default)."""
    unread_days: int = 14
    """Unread items stay at least this many days after they arrived, whatever the limits."""


@dataclass(frozen=True, slots=True)
class SourceRetention:
    """One source's limits: its own, or None where the config's apply."""

    keep_days: int | None = None
    max_items: int | None = None

    def over(self, defaults: Retention) -> tuple[int, int]:
        """(keep_days, max_items) in force for the source."""
        return (
            defaults.keep_days if self.keep_days is None else self.keep_days,
            defaults.max_items if self.max_items is None else self.max_items,
        )


@dataclass(slots=True)
class CleanupReport:
    removed: dict[str, int] = field(default_factory=dict)
    """Items removed, by source name, in source order."""
    freed_bytes: int = 0
    """How much smaller the database became (after an incremental vacuum)."""
    pending: bool = False
    """The pass stopped at its limit: more items are due to go (at the next pass)."""

    @property
    def total(self) -> int:
        return sum(self.removed.values())


@dataclass(frozen=True, slots=True)
class Rules:
    """What protects an item of one source at one moment (see removable)."""

    fetches: int
    """The source's fetch count: an item marked with it is carried by the feed now."""
    protect_unread: bool
    unread_since: float
    """Unread items that arrived at or after this moment stay."""
    arrivals_since: float
    """Items stored before arrivals were recorded count as arrived at this moment."""


def candidates(
    db: sqlite3.Connection, source_id: int, keep_days: int, max_items: int, now: float
) -> list[str]:
    """Ids of the source's items past its limits (older than ``keep_days``, or beyond its
    ``max_items`` newest), before what protects them is looked at."""
    query = candidate_query(source_id, keep_days, max_items, now)
    return [] if query is None else [str(row[0]) for row in db.execute(*query)]


def candidate_query(
    source_id: int, keep_days: int, max_items: int, now: float
) -> tuple[str, list[object]] | None:
    """The SQL of :func:`candidates` and its parameters (None: no limit applies)."""
    parts: list[str] = []
    params: list[object] = []
    if max_items:
        parts.append(
            "SELECT id FROM items INDEXED BY items_by_source WHERE source_id = ? "
            "ORDER BY published DESC, seq, id LIMIT -1 OFFSET ?"
        )
        params += [source_id, max_items]
    if keep_days:
        parts.append(
            "SELECT id FROM items INDEXED BY items_by_source WHERE source_id = ? AND published < ?"
        )
        params += [source_id, now - keep_days * DAY]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0], params
    return " UNION ".join(f"SELECT * FROM ({part})" for part in parts), params


_PROTECTED = "starred = 0 AND fetched != ? AND NOT (read = 0 AND ? AND max(added_at, ?) >= ?)"


def removable(db: sqlite3.Connection, ids: Sequence[str], rules: Rules) -> list[str]:
    """Those of ``ids`` that nothing protects (starred, carried, unread and recent)."""
    params = (rules.fetches, int(rules.protect_unread), rules.arrivals_since, rules.unread_since)
    return [
        str(row[0])
        for row in select_in(db, "SELECT id FROM items", "id", ids, where=_PROTECTED, params=params)
    ]


def remove(db: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Delete items with everything that hangs on them: search entries, kept state, bodies
    and enclosures (the last two by their foreign keys)."""
    search.forget(db, ids)
    db.executemany("DELETE FROM kept_state WHERE item_id = ?", [(i,) for i in ids])
    db.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in ids])


def check_limit(value: int, what: str) -> str:
    """Why ``value`` cannot be a limit for ``what`` ("" when it can)."""
    highest = MAX_DAYS if what == "days" else MAX_ITEMS
    if value < 0 or value > highest:
        return f"must be a whole number of {what} from 0 to {highest:,}"
    return ""
