"""Read state and stars: marking items or a whole view read, putting a change back (undo),
starring. Each change returns what it changed, with the state before where undo needs it."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from streamtui.core.models import View
from streamtui.core.store import readstate
from streamtui.core.store.connection import Database
from streamtui.core.store.sql import CHUNK, select_in


class PriorRead(NamedTuple):
    """An item's read state before a change, to put back on undo."""

    item_id: str
    read: bool
    read_at: float | None
    source_id: int


class ViewMarked(NamedTuple):
    """What marking a view read changed: how many items, each source's change of unread
    count, and what undo needs: the state before of items marked one by one (``priors``), or
    the mark of everything read (``mark``, readstate.py). ``ids`` lists the items changed
    when they are few (up to the ``listed`` asked for)."""

    total: int
    unread: dict[int, int]
    priors: list[PriorRead]
    mark: int | None = None
    ids: tuple[str, ...] = ()


class MarksPart(Database):
    """Changing read state and stars."""

    def change_read(
        self,
        item_ids: Sequence[str],
        read: bool,
        *,
        at: float | None = None,
        when: float | None = None,
    ) -> list[PriorRead]:
        """Mark items read or unread (read at ``at``, default now); returns the state each
        changed item had before (for undo). A server account's item queues the mark for its
        server in the same transaction, made at ``when`` (default: ``at``, or now)."""
        now = (time.time() if at is None else at) if read else None
        made = when if when is not None else now if now is not None else time.time()
        kind = "read" if read else "unread"
        changed: list[PriorRead] = []
        arrival: int | None = None
        with self._write() as db:
            for item_id in item_ids:
                before = db.execute(
                    f"SELECT {readstate.is_read('i.')}, {readstate.read_at('i.')}, i.source_id, "
                    "r.account_id, r.remote_id "
                    "FROM items i LEFT JOIN remote_items r ON r.item_id = i.id WHERE i.id = ?",
                    (item_id,),
                ).fetchone()
                if before is None or bool(before[0]) == read:
                    continue
                if read:
                    db.execute(
                        "UPDATE items SET read = 1, read_at = ?, arrival = NULL WHERE id = ?",
                        (now, item_id),
                    )
                else:  # a new arrival number: no mark of everything read covers it
                    arrival = readstate.next_arrival(db) if arrival is None else arrival
                    db.execute(
                        "UPDATE items SET read = 0, read_at = NULL, arrival = ? WHERE id = ?",
                        (arrival, item_id),
                    )
                if before[3] is not None:
                    db.execute(
                        "INSERT INTO pending_marks (account_id, item_id, remote_id, kind, at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (before[3], item_id, before[4], kind, made),
                    )
                changed.append(PriorRead(item_id, bool(before[0]), before[1], before[2]))
            if changed and not read:
                self.hits.changed()  # an unread item joins unread-only views
        return changed

    def change_view_read(
        self, view: View, *, at: float | None = None, listed: int = 0
    ) -> ViewMarked:
        """Mark every unread item of ``view`` read in one transaction. Everything (a view
        of every source with no filter but unread-only) is one mark (readstate.py), whatever
        it holds; another view's items are marked one by one. ``ids`` lists the changed
        items when there are at most ``listed``."""
        moment = time.time() if at is None else at
        hits: list[tuple[object, ...]] = []
        with self._read_lock:
            table, where, params = self.hits.table(view, extra=readstate.unread())
            if table != "items":
                # A query view's hits live on the reading connection: its ids (at most
                # search_cap) are read there, then marked one by one, if still unread.
                hits = self._read(f"SELECT id, read_at, source_id FROM {table} {where}", params)
        if table == "items" and view.source_id is None and not view.starred:
            return self._mark_everything(moment, listed)
        with self._write() as db:
            if table == "items":
                found = db.execute(
                    f"SELECT id, 0, read_at, source_id FROM items {where}", params
                ).fetchall()
                if _has_accounts(db):  # their items' marks queue for their servers
                    db.execute(
                        "INSERT INTO pending_marks (account_id, item_id, remote_id, kind, at) "
                        "SELECT r.account_id, r.item_id, r.remote_id, 'read', ? FROM items "
                        f"JOIN remote_items r ON r.item_id = items.id {where}",
                        (moment, *params),
                    )
                db.execute(
                    f"UPDATE items SET read = 1, read_at = ?, arrival = NULL {where}",
                    (moment, *params),
                )
            else:
                one = (
                    "UPDATE items SET read = 1, read_at = ?, arrival = NULL "
                    f"WHERE id = ? AND {readstate.unread()}"
                )
                found = [
                    (item_id, 0, read_at, source_id)
                    for item_id, read_at, source_id in hits
                    if db.execute(
                        one,
                        (moment, item_id),
                    ).rowcount
                ]
                queue_marks(db, [str(row[0]) for row in found], "read", moment)
        # Rows as they come (text, 0, float or NULL): 100k objects made one by one with
        # conversions took 0.2 s of marking 100k items read.
        priors = list(map(PriorRead._make, found))
        unread_counts: Counter[int] = Counter()
        for prior in priors:
            unread_counts[prior.source_id] -= 1
        ids = tuple(p.item_id for p in priors) if len(priors) <= listed else ()
        return ViewMarked(len(priors), dict(unread_counts), priors, None, ids)

    def _mark_everything(self, moment: float, listed: int) -> ViewMarked:
        """Every unread item read, as one row of read_marks covering every arrival so far
        (none of the items' rows is written: their order index entries stay put)."""
        unread = "arrival > ?"
        with self._write() as db:
            before = readstate.covered(db)
            counts: dict[int, int] = {}
            highest = before
            for source_id, count, last in db.execute(
                "SELECT source_id, count(*), max(arrival) FROM items INDEXED BY items_by_source "
                f"WHERE {unread} GROUP BY source_id",
                (before,),
            ):
                counts[int(source_id)] = -int(count)
                highest = max(highest, int(last))
            total = -sum(counts.values())
            if not total:
                return ViewMarked(0, {}, [])
            counter = readstate.last_arrival(db)
            upto = max(highest, counter)
            if upto > counter:  # rows written past the counter (by hand)
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = ?", (str(upto), readstate.ARRIVALS)
                )
            ids: tuple[str, ...] = ()
            if total <= listed:
                found = db.execute(f"SELECT id FROM items WHERE {unread}", (before,))
                ids = tuple(str(row[0]) for row in found)
            if _has_accounts(db):  # their items' marks queue for their servers
                db.execute(
                    "INSERT INTO pending_marks (account_id, item_id, remote_id, kind, at) "
                    "SELECT r.account_id, r.item_id, r.remote_id, 'read', ? FROM remote_items r "
                    "JOIN items i ON i.id = r.item_id WHERE i.arrival > ?",
                    (moment, before),
                )
            # A mark's moment never goes below an earlier one's (a clock set back): the
            # unread-only views tell the marks made before them by it (readstate.py).
            db.execute(
                "INSERT INTO read_marks (upto, at) "
                "VALUES (?, max(?, coalesce((SELECT max(at) FROM read_marks), ?)))",
                (upto, moment, moment),
            )
        return ViewMarked(total, counts, [], upto, ids)

    def restore_view_read(self, marked: ViewMarked, *, at: float | None) -> int:
        """Undo :meth:`change_view_read`: every item it marked read is unread again unless
        something changed it since (marked unread and read again, or gone); returns how
        many (an account item's queues its mark, as any change of it does)."""
        if marked.mark is None:
            return self.restore_read(marked.priors, read=True, at=at)
        moment = time.time()
        with self._write() as db:
            if (
                db.execute("SELECT 1 FROM read_marks WHERE upto = ?", (marked.mark,)).fetchone()
                is None
            ):
                return 0
            before = db.execute(
                "SELECT coalesce(max(upto), -1) FROM read_marks WHERE upto < ?", (marked.mark,)
            ).fetchone()[0]
            # What the mark still covers: unread then, and neither marked unread (a new
            # arrival number) nor read on its own since.
            covered = "arrival > ? AND arrival <= ?"
            span = (before, marked.mark)
            count = int(
                db.execute(
                    f"SELECT count(*) FROM items INDEXED BY items_by_source WHERE {covered}", span
                ).fetchone()[0]
            )
            if _has_accounts(db):
                db.execute(
                    "INSERT INTO pending_marks (account_id, item_id, remote_id, kind, at) "
                    "SELECT r.account_id, r.item_id, r.remote_id, 'unread', ? FROM remote_items r "
                    "JOIN items i ON i.id = r.item_id "
                    "WHERE i.arrival > ? AND i.arrival <= ?",
                    (moment, *span),
                )
            if db.execute("SELECT 1 FROM read_marks WHERE upto > ?", (marked.mark,)).fetchone():
                # A later mark (another process's) covers them too: they leave it.
                db.execute(
                    f"UPDATE items SET arrival = ? WHERE {covered}",
                    (readstate.next_arrival(db), *span),
                )
            db.execute("DELETE FROM read_marks WHERE upto = ?", (marked.mark,))
            self.hits.changed()
        return count

    def restore_read(self, priors: Sequence[PriorRead], *, read: bool, at: float | None) -> int:
        """Put back the read state of items that a change left as (``read``, ``at``) and that
        nothing changed since; returns how many were put back (an account item's queues its
        mark, as any change of it does)."""
        moment = time.time()
        with self._write() as db:
            remote = (
                {
                    str(row[0])
                    for row in select_in(
                        db,
                        "SELECT item_id FROM remote_items",
                        "item_id",
                        [p.item_id for p in priors],
                    )
                }
                if _has_accounts(db)
                else set()
            )
            arrival = readstate.next_arrival(db)  # for those that become unread
            left = "arrival IS NULL AND read_at IS ?" if read else readstate.unread()
            restore = (
                "UPDATE items SET read = ?, read_at = ?, arrival = CASE WHEN ? THEN NULL "
                f"ELSE ? END WHERE id = ? AND {left}"
            )

            def values(prior: PriorRead) -> tuple[object, ...]:
                state = int(prior.read)
                return (state, prior.read_at, state, arrival, prior.item_id) + (
                    (at,) if read else ()
                )

            cursor = db.executemany(restore, [values(p) for p in priors if p.item_id not in remote])
            count = max(0, cursor.rowcount)
            for prior in priors:
                if prior.item_id in remote and db.execute(restore, values(prior)).rowcount:
                    count += 1
                    queue_marks(db, [prior.item_id], "read" if prior.read else "unread", moment)
            self.hits.changed()
        return count

    def set_starred(
        self, item_ids: Sequence[str], starred: bool, *, when: float | None = None
    ) -> list[str]:
        """Star or unstar items; returns the ids that changed (an account item's star
        queues for its server in the same transaction, made at ``when``, default now)."""
        made = time.time() if when is None else when
        changed: list[str] = []
        with self._write() as db:
            for item_id in item_ids:
                cursor = db.execute(
                    "UPDATE items SET starred = ? WHERE id = ? AND starred != ?",
                    (int(starred), item_id, int(starred)),
                )
                if cursor.rowcount:
                    changed.append(item_id)
                    queue_marks(db, [item_id], "star" if starred else "unstar", made)
            if changed:
                self.hits.changed()
        return changed

    def starred_count(self) -> int:
        return int(str(self._read("SELECT count(*) FROM items WHERE starred = 1")[0][0]))


def queue_marks(db: sqlite3.Connection, item_ids: Sequence[str], kind: str, at: float) -> None:
    """Queue ``kind`` for the server account items among ``item_ids``, in the caller's write
    transaction (with the mark itself): a mark acknowledged here is never lost to its
    server (store/accounts.py sends and settles the queue)."""
    for start in range(0, len(item_ids), CHUNK):
        chunk = item_ids[start : start + CHUNK]
        db.execute(
            "INSERT INTO pending_marks (account_id, item_id, remote_id, kind, at) "
            "SELECT account_id, item_id, remote_id, ?, ? FROM remote_items "
            f"WHERE item_id IN ({', '.join('?' * len(chunk))})",
            (kind, at, *chunk),
        )


def _has_accounts(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM remote_items LIMIT 1").fetchone() is not None
