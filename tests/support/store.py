"""Store helpers only tests use (the app and the command line go through Library)."""

from __future__ import annotations

from collections.abc import Sequence

from streamtui.core.models import View
from streamtui.core.store import Store


def set_read(
    store: Store, item_ids: Sequence[str], read: bool, *, at: float | None = None
) -> list[str]:
    """Mark items read or unread (read at ``at``, default now); returns the changed ids."""
    return [prior.item_id for prior in store.change_read(item_ids, read, at=at)]


def mark_view_read(store: Store, view: View, *, at: float | None = None) -> list[str]:
    """Mark every unread item of ``view`` read; returns their ids."""
    return [prior.item_id for prior in store.change_view_read(view, at=at)]


def last_error(store: Store, source_id: int) -> str:
    """The error line stored on a source ("" when none, or no such source)."""
    rows = store._read("SELECT last_error FROM sources WHERE id = ?", (source_id,))
    return str(rows[0][0]) if rows else ""
