"""Read state and stars: marking items or a whole view read, putting a change back (undo),
starring. Each change returns what it changed, with the state before where undo needs it."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import NamedTuple

from streamtui.core.models import View
from streamtui.core.store.connection import Database
from streamtui.core.store.sql import CHUNK, select_in


class PriorRead(NamedTuple):
    """An item's read state before a change, to put back on undo."""

    item_id: str
    read: bool
    read_at: float | None
    source_id: int


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
        with self._write() as db:
            for item_id in item_ids:
                before = db.execute(
                    "SELECT i.read, i.read_at, i.source_id, r.account_id, r.remote_id "
                    "FROM items i LEFT JOIN remote_items r ON r.item_id = i.id "
                    "WHERE i.id = ? AND i.read != ?",
                    (item_id, int(read)),
                ).fetchone()
                if before is None:
                    continue
                db.execute(
                    "UPDATE items SET read = ?, read_at = ? WHERE id = ?", (int(read), now, item_id)
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

    def change_view_read(self, view: View, *, at: float | None = None) -> list[PriorRead]:
        """Mark every unread item of ``view`` read in one transaction; returns the state each
        had before (for undo)."""
        moment = time.time() if at is None else at
        hits: list[tuple[object, ...]] = []
        with self._read_lock:
            table, where, params = self.hits.table(view, extra="read = 0")
            if table != "items":
                # A query view's hits live on the reading connection: its ids (at most
                # search_cap) are read there, then marked one by one, if still unread.
                hits = self._read(f"SELECT id, read_at, source_id FROM {table} {where}", params)
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
                db.execute(f"UPDATE items SET read = 1, read_at = ? {where}", (moment, *params))
            else:
                found = [
                    (item_id, 0, read_at, source_id)
                    for item_id, read_at, source_id in hits
                    if db.execute(
                        "UPDATE items SET read = 1, read_at = ? WHERE id = ? AND read = 0",
                        (moment, item_id),
                    ).rowcount
                ]
                queue_marks(db, [str(row[0]) for row in found], "read", moment)
        # Rows as they come (text, 0, float or NULL): 100k objects made one by one with
        # conversions took 0.2 s of marking 100k items read.
        return list(map(PriorRead._make, found))

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
            restore = (
                "UPDATE items SET read = ?, read_at = ? WHERE id = ? AND read = ? AND read_at IS ?"
            )
            cursor = db.executemany(
                restore,
                [
                    (int(p.read), p.read_at, p.item_id, int(read), at)
                    for p in priors
                    if p.item_id not in remote
                ],
            )
            count = max(0, cursor.rowcount)
            for prior in priors:
                if (
                    prior.item_id in remote
                    and db.execute(
                        restore, (int(prior.read), prior.read_at, prior.item_id, int(read), at)
                    ).rowcount
                ):
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
