"""Read state, stars and undo: each change returns what it changed (models.Changes), so that
the screen redraws only that."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from streamtui.core.errors import StreamtuiError
from streamtui.core.library.base import LibraryBase, Undoable
from streamtui.core.models import Changes, Row, Undone, View
from streamtui.core.store import PriorRead
from streamtui.core.text.sanitize import sanitize

ROWS_LISTED = 100
"""A change of more items is bulk: the list reads its rows again rather than get them all."""


class MarksPart(LibraryBase):
    """Marking read and unread, starring, undoing."""

    def mark_read(self, item_ids: Sequence[str], read: bool = True) -> Changes:
        """Mark items read or unread; returns what changed (one write, then the changed
        rows read back: the same few statements whatever the library holds). Several ids at
        once can be undone (one item's toggle is its own undo)."""
        now = self._clock()
        at = now if read else None
        priors = self.store.change_read(item_ids, read, at=at, when=now)
        if len(item_ids) > 1 and priors:
            self._remember(
                f"mark {_items(len(priors))} {'read' if read else 'unread'}",
                lambda: self.store.restore_read(priors, read=read, at=at),
            )
        return self._read_changes(priors, read)

    def mark_view_read(self, view: View) -> Changes:
        """Mark every unread item of ``view`` read (one undoable change)."""
        at = self._clock()
        marked = self.store.change_view_read(view, at=at, listed=ROWS_LISTED)
        if marked.total:
            self._remember(
                f"mark all read{self._place(view)}",
                lambda: self.store.restore_view_read(marked, at=at),
            )
        bulk = marked.total > ROWS_LISTED
        return Changes(
            marked.total, marked.ids, self._rows_of(marked.ids), marked.unread, bulk=bulk
        )

    def mark_source_read(self, source_id: int) -> Changes:
        return self.mark_view_read(View(source_id, since=self._clock()))

    def set_starred(self, item_ids: Sequence[str], starred: bool) -> Changes:
        """Star or unstar items; returns what changed. Starred items are never cleaned up
        (a local item whose file is gone stays). Several ids can be undone."""
        changed = self.store.set_starred(item_ids, starred, when=self._clock())
        if len(item_ids) > 1 and changed:
            self._remember(
                f"{'star' if starred else 'unstar'} {_items(len(changed))}",
                # Items changed again since keep their new state.
                lambda: len(self.store.set_starred(changed, not starred, when=self._clock())),
            )
        count = len(changed)
        return Changes(
            count,
            tuple(changed),
            self._rows_of(changed),
            starred=count if starred else -count,
            bulk=count > ROWS_LISTED,
        )

    def _read_changes(self, priors: Sequence[PriorRead], read: bool) -> Changes:
        unread: Counter[int] = Counter()
        for prior in priors:
            unread[prior.source_id] += -1 if read else 1
        ids = tuple(prior.item_id for prior in priors)
        bulk = len(ids) > ROWS_LISTED
        return Changes(len(ids), ids, () if bulk else self._rows_of(ids), dict(unread), bulk=bulk)

    def _rows_of(self, ids: Sequence[str]) -> tuple[Row, ...]:
        return tuple(self.store.rows_of(ids)) if ids and len(ids) <= ROWS_LISTED else ()

    def starred_count(self) -> int:
        return self.store.starred_count()

    def undo(self) -> Undone | None:
        """Undo the last bulk change (None when there is none).

        Each item gets back exactly the state it had (read and when, or its star), unless
        it has changed since (read again, marked unread, starred again) or has gone: such
        items keep their present state, and ``count`` tells how many were put back.
        """
        with self._changes_lock:
            if not self._changes:
                return None
            change = self._changes.pop()
        try:
            count = change.restore()
        except StreamtuiError:
            with self._changes_lock:
                self._changes.append(change)  # still there to try again
            raise
        return Undone(change.description, count, Changes(count, bulk=True))

    def undo_description(self) -> str | None:
        """What :meth:`undo` would undo ("mark all read in news"), or None."""
        with self._changes_lock:
            return self._changes[-1].description if self._changes else None

    def _remember(self, description: str, restore: Callable[[], int]) -> None:
        with self._changes_lock:
            self._changes.append(Undoable(description, restore))

    def _place(self, view: View) -> str:
        """Where a view is, for an undo description: " in news", " in Starred"..."""
        places = []
        if view.query.strip():
            places.append(f"search {sanitize(view.query.strip())!r}")
        if view.starred:
            places.append("Starred")
        if view.source_id is not None:
            places.append(self.store.source_names().get(view.source_id, "a removed source"))
        return " in " + ", ".join(places) if places else ""


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
