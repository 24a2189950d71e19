"""Store helpers only tests and benchmarks use (the app and the command line go through the
Library, which writes every read of a source as a typed Update: store.apply)."""

from __future__ import annotations

from collections.abc import Sequence

from streamtui.core.errors import StoreError
from streamtui.core.models import (
    FeedState,
    Item,
    NewSource,
    Source,
    SourceChange,
    SourceKind,
    SyncStats,
    Update,
    View,
)
from streamtui.core.store import Store


def set_read(
    store: Store, item_ids: Sequence[str], read: bool, *, at: float | None = None
) -> list[str]:
    """Mark items read or unread (read at ``at``, default now); returns the changed ids."""
    return [prior.item_id for prior in store.change_read(item_ids, read, at=at)]


def mark_view_read(store: Store, view: View, *, at: float | None = None) -> list[str]:
    """Mark every unread item of ``view`` read; returns their ids."""
    return list(store.change_view_read(view, at=at, listed=1 << 62).ids)


def last_error(store: Store, source_id: int) -> str:
    """The error line stored on a source ("" when none, or no such source)."""
    (source,) = store.sources(counted=False, only=[source_id]) or [None]
    return source.last_error if source is not None else ""


def apply_one(store: Store, update: Update) -> SyncStats:
    """Apply one update; its error is raised."""
    (outcome,) = store.apply([update])
    if isinstance(outcome, StoreError):
        raise outcome
    return outcome


def sync_items(
    store: Store, source_id: int, items: Sequence[Item], *, fingerprint: str, error: str = ""
) -> SyncStats:
    """Make a local source's stored items exactly ``items``, as reading its files does."""
    change = SourceChange(last_error=error, fingerprint=fingerprint)
    return apply_one(store, Update(source_id, change, tuple(items), exact=True))


def merge_items(
    store: Store, source_id: int, items: Sequence[Item], *, whole: bool = False, **state: object
) -> SyncStats:
    """Merge a feed's items with its fetch state (``state``: SourceChange's fields)."""
    change = SourceChange(**state)  # type: ignore[arg-type]
    return apply_one(store, Update(source_id, change, tuple(items), whole=whole))


def update_source(store: Store, source_id: int, **fields: object) -> None:
    """Change some of a source's stored state (SourceChange's fields)."""
    store.change_source(source_id, SourceChange(**fields))  # type: ignore[arg-type]


def feed_state(store: Store, source_id: int) -> FeedState:
    return store.feed_states([source_id]).get(source_id, FeedState())


def add_source_with_items(
    store: Store,
    name: str,
    kind: SourceKind,
    location: str,
    items: Sequence[Item],
    *,
    fingerprint: str,
    error: str = "",
) -> tuple[Source, SyncStats]:
    """Add a local source with its items, in one transaction, as adding one does."""
    change = SourceChange(last_error=error, fingerprint=fingerprint)
    update = Update(0, change, tuple(items), exact=True)
    return store.add_source_with(NewSource(name, kind, location), update)
