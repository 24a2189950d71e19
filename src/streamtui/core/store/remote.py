"""Server accounts' items in the store (issue 14): each item's server id and the state the
server was last seen to hold, and the queue of marks made here that the server has not
acknowledged.

Every write a sync makes is one transaction with what it depends on: a page of items with
the watermark that says it was stored (a sync killed at any moment resumes after the last
page kept), the server's states with the conflicts they settle against the queue (the user
marking meanwhile waits for the transaction, or comes after it), an acknowledged push with
the marks it settles. The queue itself is written by marks.py, in the transaction of each
mark or star (marks.queue_marks)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from streamtui.core.models import Item
from streamtui.core.store import readstate, search
from streamtui.core.store.items import ItemsPart
from streamtui.core.store.sql import select_in

if TYPE_CHECKING:  # the sync package loads when an account is synced, not with every store
    from streamtui.core.sync.conflicts import Pending

AXES = ("read", "starred")
KINDS = {"read": ("read", "unread"), "starred": ("star", "unstar")}
"""The mark kinds of each axis (the first sets it)."""


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    """An account item as a sync pulled it: the item (sanitised, its id made), its feed's
    source, the server's id and state, and when the server says that state changed."""

    source_id: int
    item: Item
    remote_id: str
    read: bool
    starred: bool
    changed: float | None = None


@dataclass(slots=True)
class RemoteStats:
    """What storing a sync's page or listing did here."""

    added: dict[int, int] = field(default_factory=dict)
    """New items, by source id."""
    updated: int = 0
    changed: int = 0
    """Items whose read or starred state changed here because it changed there."""
    dropped: int = 0
    """Queued marks dropped: they lost a conflict, or the server agreed already."""
    missing: frozenset[str] = frozenset()
    """Ids a listing named that are not stored here (to pull)."""


@dataclass(frozen=True, slots=True)
class Queued:
    """A mark waiting to be sent."""

    seq: int
    remote_id: str
    kind: str
    at: float


class RemotePart(ItemsPart):
    """Account items' server state, and the queue."""

    # -- its items ----------------------------------------------------------------------------

    def store_remote(
        self,
        account_id: int,
        entries: Sequence[RemoteEntry],
        *,
        seen_at: float,
        state: str | None = None,
    ) -> RemoteStats:
        """Store a page of pulled items and, in the same transaction, ``state`` (the
        watermark saying the page is in). A new item takes the server's state; a stored one
        settles each axis against the queue (core/sync/conflicts.py); ``seen_at``: when a
        change there with no time of its own counts as made."""
        stats = RemoteStats()
        with self._write() as db:
            if entries:
                where = self._item_sources(db, [e.item.id for e in entries])
                by_source: dict[int, list[Item]] = defaultdict(list)
                for entry in entries:
                    by_source[where.get(entry.item.id, entry.source_id)].append(entry.item)
                for source_id, items in by_source.items():
                    written = self._write_items(db, source_id, items, remove_missing=False)
                    if written.added:
                        stats.added[source_id] = written.added
                    stats.updated += written.updated
                there = {e.item.id: (e.remote_id, e.read, e.starred, e.changed) for e in entries}
                self._settle(db, account_id, there, seen_at, stats)
                # Their search entries in the same transaction (a refresh's writer defers
                # its own; a page stored here is searchable as soon as it is in), unless a
                # big refresh left a backlog to its indexer.
                search.catch_up(db, self.search_texts)
            if state is not None:
                db.execute("UPDATE accounts SET state = ? WHERE id = ?", (state, account_id))
        return stats

    def apply_listing(
        self,
        account_id: int,
        unread: Collection[str],
        starred: Collection[str],
        *,
        seen_at: float,
        keep: Collection[str] = (),
    ) -> RemoteStats:
        """The server's lists of every unread and every starred item: each stored item of
        the account settles its state against them (an item in neither is read and not
        starred there), except those in ``keep`` (items the server forgot: what is here
        stays). ``missing``: the listed ids not stored here."""
        stats = RemoteStats()
        unread_set, starred_set = set(unread), set(starred)
        with self._write() as db:
            queued = {
                str(row[0])
                for row in db.execute(
                    "SELECT DISTINCT remote_id FROM pending_marks WHERE account_id = ?",
                    (account_id,),
                )
            }
            known: set[str] = set()
            there: dict[str, tuple[str, bool, bool, float | None]] = {}
            for item_id, remote, seen_read, seen_starred, read, starred_here in db.execute(
                "SELECT r.item_id, r.remote_id, r.server_read, r.server_starred, "
                f"{readstate.is_read('i.')}, i.starred FROM remote_items r "
                "JOIN items i ON i.id = r.item_id "
                "WHERE r.account_id = ?",
                (account_id,),
            ):
                remote = str(remote)
                known.add(remote)
                if remote in keep:
                    continue
                now = (remote not in unread_set, remote in starred_set)
                # only what changed there, drifted here, or waits to be sent is settled:
                # a listing of 20,000 ids where nothing changed reads each row once
                if (
                    now != (bool(seen_read), bool(seen_starred))
                    or remote in queued
                    or now
                    != (
                        bool(read),
                        bool(starred_here),
                    )
                ):
                    there[str(item_id)] = (remote, *now, None)
            self._settle(db, account_id, there, seen_at, stats)
            db.execute("UPDATE accounts SET relist = 0 WHERE id = ?", (account_id,))
        stats.missing = frozenset((unread_set | starred_set) - known)
        return stats

    def vanished_stars(self, account_id: int, starred: Collection[str]) -> list[str]:
        """Remote ids seen starred there last time and missing from ``starred`` now: unstarred
        there, or forgotten by the server (the caller asks which)."""
        wanted = set(starred)
        return [
            str(remote)
            for (remote,) in self._read(
                "SELECT remote_id FROM remote_items WHERE account_id = ? AND server_starred = 1",
                (account_id,),
            )
            if str(remote) not in wanted
        ]

    def _settle(
        self,
        db: sqlite3.Connection,
        account_id: int,
        there: Mapping[str, tuple[str, bool, bool, float | None]],
        seen_at: float,
        stats: RemoteStats,
    ) -> None:
        """Settle every item of ``there`` (item id -> remote id, read, starred, change time)
        against its last seen state and the queue, and keep the outcome."""
        from streamtui.core.sync.conflicts import settle

        ids = list(there)
        seen = {
            str(row[0]): (bool(row[1]), bool(row[2]))
            for row in select_in(
                db, "SELECT item_id, server_read, server_starred FROM remote_items", "item_id", ids
            )
        }
        here = {
            str(row[0]): (bool(row[1]), bool(row[2]))
            for row in select_in(
                db, f"SELECT id, {readstate.is_read()}, starred FROM items", "id", ids
            )
        }
        pending = _pending(db, account_id, [there[i][0] for i in ids if i in seen])
        new_rows, seen_rows, drops, reads, stars = [], [], [], [], []
        for item_id, (remote_id, read, starred, changed) in there.items():
            if item_id not in here:
                continue
            now_here = here[item_id]
            if item_id not in seen:  # new here: the server's state, as it is
                new_rows.append((item_id, account_id, remote_id, int(read), int(starred)))
                outcome = [(read, read), (starred, starred)]
                drop = [False, False]
            else:
                queued = pending.get(remote_id, {})
                results = [
                    settle(
                        here=now_here[n],
                        seen=seen[item_id][n],
                        there=(read, starred)[n],
                        pending=queued.get(axis),
                        there_at=changed if changed is not None else seen_at,
                    )
                    for n, axis in enumerate(AXES)
                ]
                outcome = [(r.here, r.seen) for r in results]
                drop = [r.drop for r in results]
                seen_rows.append((int(outcome[0][1]), int(outcome[1][1]), item_id))
            for n, axis in enumerate(AXES):
                if drop[n]:
                    drops.append((account_id, remote_id, *KINDS[axis]))
            if outcome[0][0] != now_here[0]:
                # read elsewhere: when it changed there, else (a new item) at no known time
                at = changed if changed is not None else seen_at if item_id in seen else 0.0
                reads.append((int(outcome[0][0]), at, item_id))
            if outcome[1][0] != now_here[1]:
                stars.append((int(outcome[1][0]), item_id))
            if outcome[0][0] != now_here[0] or outcome[1][0] != now_here[1]:
                stats.changed += 1
        db.executemany(
            "INSERT OR REPLACE INTO remote_items (item_id, account_id, remote_id, server_read,"
            " server_starred) VALUES (?, ?, ?, ?, ?)",
            new_rows,
        )
        db.executemany(
            "UPDATE remote_items SET server_read = ?, server_starred = ? WHERE item_id = ?",
            seen_rows,
        )
        for dropped in drops:
            cursor = db.execute(
                "DELETE FROM pending_marks WHERE account_id = ? AND remote_id = ? "
                "AND kind IN (?, ?)",
                dropped,
            )
            stats.dropped += max(0, cursor.rowcount)
        # Read: no arrival number; unread: a new one, above any mark (readstate.py).
        arrival = readstate.next_arrival(db) if any(not r[0] for r in reads) else 0
        db.executemany(
            "UPDATE items SET read = ?, read_at = CASE WHEN ? > 0 THEN ? END, "
            "arrival = CASE WHEN ? > 0 THEN NULL ELSE ? END WHERE id = ?",
            [(state, state, at, state, arrival, item_id) for state, at, item_id in reads],
        )
        db.executemany("UPDATE items SET starred = ? WHERE id = ?", stars)
        if reads or stars:
            self.hits.changed()

    @staticmethod
    def _item_sources(db: sqlite3.Connection, item_ids: Sequence[str]) -> dict[str, int]:
        """The source each of these items is stored under now (an item stays where it is)."""
        return {
            str(item_id): int(source_id)
            for item_id, source_id in select_in(
                db, "SELECT id, source_id FROM items", "id", list(item_ids)
            )
        }

    # -- the queue ----------------------------------------------------------------------------

    def pending(self, account_id: int, limit: int | None = None) -> list[Queued]:
        """The marks waiting for the account, oldest first."""
        rows = self._read(
            "SELECT seq, remote_id, kind, at FROM pending_marks WHERE account_id = ? "
            "ORDER BY seq LIMIT ?",
            (account_id, -1 if limit is None else limit),
        )
        return [Queued(int(str(r[0])), str(r[1]), str(r[2]), float(str(r[3]))) for r in rows]

    def mark_sent(self, account_id: int, up_to: int) -> None:
        """The queued marks up to ``up_to`` are about to be sent (see conflicts.Pending)."""
        with self._write() as db:
            db.execute(
                "UPDATE pending_marks SET sent = 1 WHERE account_id = ? AND seq <= ?",
                (account_id, up_to),
            )

    def settle_pushed(
        self,
        account_id: int,
        up_to: int,
        settled: Iterable[tuple[str, str, bool]],
    ) -> int:
        """The server acknowledged marks: for each (remote id, axis, state it now has) the
        queued marks of that item and axis up to ``up_to`` go, and the state is remembered as
        the server's. Marks queued after ``up_to`` stay. Returns how many marks went."""
        went = 0
        with self._write() as db:
            db.execute("UPDATE accounts SET relist = 1 WHERE id = ?", (account_id,))
            for remote_id, axis, state in settled:
                cursor = db.execute(
                    "DELETE FROM pending_marks WHERE account_id = ? AND remote_id = ? "
                    "AND kind IN (?, ?) AND seq <= ?",
                    (account_id, remote_id, *KINDS[axis], up_to),
                )
                went += max(0, cursor.rowcount)
                db.execute(
                    f"UPDATE remote_items SET server_{axis} = ? "
                    "WHERE account_id = ? AND remote_id = ?",
                    (int(state), account_id, remote_id),
                )
        return went

    def remote_ids(self, item_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """(account id, remote id) of the account items among ``item_ids``."""
        with self._read_lock:
            rows = list(
                select_in(
                    self._reader,
                    "SELECT item_id, account_id, remote_id FROM remote_items",
                    "item_id",
                    list(item_ids),
                )
            )
        return {str(item): (int(account), str(remote)) for item, account, remote in rows}


def _pending(
    db: sqlite3.Connection, account_id: int, remote_ids: Sequence[str]
) -> dict[str, dict[str, Pending]]:
    """The latest queued mark of each axis of these items."""
    from streamtui.core.sync.conflicts import Pending

    found: dict[str, dict[str, Pending]] = {}
    if not db.execute(
        "SELECT 1 FROM pending_marks WHERE account_id = ? LIMIT 1", (account_id,)
    ).fetchone():
        return found
    rows = select_in(
        db,
        "SELECT remote_id, kind, at, seq, sent FROM pending_marks",
        "remote_id",
        list(remote_ids),
        where="account_id = ?",
        params=(account_id,),
    )
    sent: dict[tuple[str, str], frozenset[bool]] = defaultdict(frozenset)
    for remote_id, kind, at, _, was_sent in sorted(rows, key=lambda r: int(r[3])):
        axis = "read" if kind in KINDS["read"] else "starred"
        state = kind in ("read", "star")
        key = (str(remote_id), axis)
        if was_sent:
            sent[key] = sent[key] | {state}
        found.setdefault(str(remote_id), {})[axis] = Pending(state, float(at), sent[key])
    return found
