"""Messages from worker threads to the app (posting them never blocks the worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the refresh module pulls in feedparser and httpx: not before first paint
    from streamtui.core.models import RefreshEvent, RefreshSummary


class RefreshProgressed(Message):
    def __init__(self, event: RefreshEvent) -> None:
        super().__init__()
        self.event = event


class RefreshFinished(Message):
    def __init__(self, outcome: RefreshSummary | str) -> None:
        super().__init__()
        self.outcome = outcome  # the summary, or why the refresh as a whole failed


@dataclass(slots=True)
class Progress:
    """What a running refresh has done, gathered between two screen updates."""

    done: int = 0
    total: int = 0
    failing: int = 0
    pending: bool = False
    updated: set[int] = field(default_factory=set)
    """Sources that gained or changed items since the last flush."""
    changed: set[int] = field(default_factory=set)
    """Sources whose sidebar entry (count, error) changed since the sidebar was updated."""

    @property
    def sources_changed(self) -> bool:
        return bool(self.changed)

    def add(self, event: RefreshEvent) -> None:
        self.done, self.total = event.done, event.total
        self.failing += event.outcome == "failed"
        self.pending = True
        if event.outcome in ("updated", "failed"):
            self.changed.add(event.source.id)
        if event.outcome == "updated":
            self.updated.add(event.source.id)

    def items_added(self, source_id: int | None) -> bool:
        """Whether the view of ``source_id`` (None: every source) may have new rows."""
        return bool(self.updated) if source_id is None else source_id in self.updated

    def flushed(self, *, sources: bool, items: bool = True) -> None:
        """What was applied; what was put off stays pending for a later flush."""
        if items:
            self.updated.clear()
        if sources:
            self.changed.clear()
        self.pending = bool(self.updated or self.changed)
