"""Messages from worker threads to the app (posting them never blocks the worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the refresh module pulls in feedparser and httpx: not before first paint
    from streamtui.core.refresh import RefreshEvent, RefreshSummary


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
    sources_changed: bool = False
    items_added: bool = False

    def add(self, event: RefreshEvent) -> None:
        self.done, self.total = event.done, event.total
        self.failing += event.outcome == "failed"
        self.pending = True
        self.sources_changed |= event.outcome in ("updated", "failed")
        self.items_added |= event.outcome == "updated"

    def flushed(self) -> None:
        self.pending = self.sources_changed = self.items_added = False
