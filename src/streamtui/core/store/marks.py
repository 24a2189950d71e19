"""Read state and stars: marking items or a whole view read, putting a change back (undo),
starring. Each change returns what it changed, with the state before where undo needs it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

from streamtui.core.models import View
from streamtui.core.store.connection import Database


class PriorRead(NamedTuple):
    """An item's read state before a change, to put back on undo."""

    item_id: str
    read: bool
    read_at: float | None
    source_id: int


class MarksPart(Database):
    """Changing read state and stars."""

    def change_read(
        self, item_ids: Sequence[str], read: bool, *, at: float | None = None
    ) -> list[PriorRead]:
        """Mark items read or unread (read at ``at``, default now); returns the state each
        changed item had before (for undo)."""
        now = (time.time() if at is None else at) if read else None
        changed: list[PriorRead] = []
        with self._write() as db:
            for item_id in item_ids:
                before = db.execute(
                    "SELECT read, read_at, source_id FROM items WHERE id = ? AND read != ?",
                    (item_id, int(read)),
                ).fetchone()
                if before is None:
                    continue
                db.execute(
                    "UPDATE items SET read = ?, read_at = ? WHERE id = ?", (int(read), now, item_id)
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
        # Rows as they come (text, 0, float or NULL): 100k objects made one by one with
        # conversions took 0.2 s of marking 100k items read.
        return list(map(PriorRead._make, found))

    def restore_read(self, priors: Sequence[PriorRead], *, read: bool, at: float | None) -> int:
        """Put back the read state of items that a change left as (``read``, ``at``) and that
        nothing changed since; returns how many were put back."""
        with self._write() as db:
            cursor = db.executemany(
                "UPDATE items SET read = ?, read_at = ? WHERE id = ? AND read = ? AND read_at IS ?",
                [(int(p.read), p.read_at, p.item_id, int(read), at) for p in priors],
            )
            self.hits.changed()
        return max(0, cursor.rowcount)

    def set_starred(self, item_ids: Sequence[str], starred: bool) -> list[str]:
        """Star or unstar items; returns the ids that changed."""
        changed: list[str] = []
        with self._write() as db:
            for item_id in item_ids:
                cursor = db.execute(
                    "UPDATE items SET starred = ? WHERE id = ? AND starred != ?",
                    (int(starred), item_id, int(starred)),
                )
                if cursor.rowcount:
                    changed.append(item_id)
            if changed:
                self.hits.changed()
        return changed

    def starred_count(self) -> int:
        return int(str(self._read("SELECT count(*) FROM items WHERE starred = 1")[0][0]))
