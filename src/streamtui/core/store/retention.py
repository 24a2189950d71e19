"""Retention: which stored items of a feed go, so that no feed grows the store without bound.

An item of a feed source is removed when it is older than ``keep_days`` (by its date) or is
not among the ``max_items`` newest of its source, unless

- it is starred (stars are never cleaned up);
- the feed carried it at its latest fetch (removed, it would come back as new and unread);
- it is unread and arrived less than ``unread_days`` ago; except on a feed that replaces most
  of its items at every fetch (its source says so, sources.CHURN_FETCHES): what such a feed
  dropped are its stories under old ids, and keeping them is what grew the store.

Local sources (folders, files, the guide) hold exactly their files and are left alone.
The limits follow newsboat's ``keep-articles-days`` (by date) and ``max-items`` (per feed,
flagged articles kept beyond it, unread ones not); newsboat keeps everything by default, which
is how a feed that renames its items every fetch grew a store by 95 MiB a refresh, so the
count has a default here, high enough to keep years of an ordinary feed.

A source's own limits (``streamtui retention``) override the config's. The SQL reads one
source at a time through the order index by source (``source_id, published DESC, seq, id``):
the age rule is a range of it, the count rule an OFFSET along it, and the index carries what
says an item is unread and recent, so a pass that removes nothing reads the index once and no
table row (measured in benchmarks/state_cases.py and, at a million items, state.py).
The limits themselves are values (models.py).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from streamtui.core.errors import StoreError
from streamtui.core.models import DAY, CleanupReport, Retention, SourceRetention
from streamtui.core.store import readstate, search
from streamtui.core.store.connection import Database
from streamtui.core.store.sources import CHURN_FETCHES
from streamtui.core.store.sql import select_in


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
    db: sqlite3.Connection,
    source_id: int,
    keep_days: int,
    max_items: int,
    now: float,
    rules: Rules | None = None,
) -> list[str]:
    """Ids of the source's items past its limits (older than ``keep_days``, or beyond its
    ``max_items`` newest), less those that ``rules`` keep as unread and recent (read from
    the order index: see candidate_query); what else protects them is looked at later."""
    query = candidate_query(source_id, keep_days, max_items, now, rules)
    return [] if query is None else [str(row[0]) for row in db.execute(*query)]


def candidate_query(
    source_id: int, keep_days: int, max_items: int, now: float, rules: Rules | None = None
) -> tuple[str, list[object]] | None:
    """The SQL of :func:`candidates` and its parameters (None: no limit applies).

    The order index by source carries each item's arrival and ``added_at`` (migration 12),
    so that the unread recent items, what a store that just arrived holds (a year of feeds
    synced at once: 500,000 candidates at a million items), are passed over on the index
    alone: a pass with nothing due read and checked each in the table (6.8 s there)."""
    parts: list[str] = []
    params: list[object] = []
    columns = "SELECT id, arrival, added_at FROM items INDEXED BY items_by_source"
    if max_items:
        parts.append(
            f"{columns} WHERE source_id = ? ORDER BY published DESC, seq, id LIMIT -1 OFFSET ?"
        )
        params += [source_id, max_items]
    if keep_days:
        parts.append(f"{columns} WHERE source_id = ? AND published < ?")
        params += [source_id, now - keep_days * DAY]
    if not parts:
        return None
    union = " UNION ".join(f"SELECT * FROM ({part})" for part in parts)
    if rules is None or not rules.protect_unread:
        return f"SELECT id FROM ({union})", params
    return f"SELECT id FROM ({union}) WHERE NOT {_UNREAD_AND_RECENT}", [
        *params, rules.arrivals_since, rules.unread_since
    ]  # fmt: skip


_UNREAD_AND_RECENT = f"(coalesce({readstate.unread()}, 0) AND max(added_at, ?) >= ?)"
"""An unread item that arrived at or after a moment (two parameters: when arrivals began
to be recorded, and the moment)."""

_PROTECTED = (
    "starred = 0 AND fetched != ? "
    f"AND NOT (coalesce({readstate.unread()}, 0) AND ? AND max(added_at, ?) >= ?)"
)
"""Nothing protects the item (the same rule as _UNREAD_AND_RECENT for unread items)."""


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


CLEANUP_BATCH = 1_000
"""Items removed in one transaction at most by a cleanup."""

CHECKPOINT_BATCHES = 20
"""A long cleanup checkpoints after this many transactions: a pass that removed half of a
million-item store (3.4 GB) with every checkpoint deferred to its end grew the WAL to 13 GB."""


class RetentionPart(Database):
    """A source's limits, and the cleanup that applies them."""

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
                    rules = self._rules(self._reader, sid, defaults, moment, arrivals)
                    found = candidates(self._reader, sid, *limits.over(defaults), moment, rules)
                    if found and rules is not None:
                        found = removable(self._reader, found, rules)
                except sqlite3.Error as error:
                    raise StoreError(f"{self.path or 'database'}: cannot read ({error})") from error
            if found:
                due.append((sid, str(name), found))
        if not due:
            return report
        before = self.size_bytes()
        budget = limit
        with self.checkpoints_deferred():
            for number, batch in enumerate(_batches(due, CLEANUP_BATCH), start=1):
                if number % CHECKPOINT_BATCHES == 0:
                    self.checkpoint_aside()  # the WAL stays bounded however much goes
                if budget is not None and budget <= 0:
                    report.pending = True
                    break
                with self._write() as db:
                    for sid, name, ids in batch:
                        rules = self._rules(db, sid, defaults, moment, arrivals)
                        going = [] if rules is None else removable(db, ids, rules)
                        if budget is not None:
                            going = going[:budget]
                            budget -= len(going)
                        remove(db, going)
                        if going:
                            report.removed[name] = report.removed.get(name, 0) + len(going)
                    self.hits.changed()
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
            unread_since=now - defaults.unread_days * DAY,
            arrivals_since=arrivals,
        )


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
