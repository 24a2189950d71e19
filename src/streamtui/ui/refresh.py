"""The refresh as the app runs it: a worker thread calls ``Library.refresh_elsewhere`` (the
fetching, parsing and storing run in a process of its own, so that they never hold the GIL
the UI thread needs for every key) and posts each event as a message as it arrives (posting
never blocks the refresh on the screen); :class:`Progress` gathers
them, and :class:`Refreshing` says when the screen catches up (a few times a second for the
status, every few seconds for the sidebar, about once a second for the list) and what the
closing toast says. The main screen applies it (``screens/main/sources.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message
from textual.timer import Timer

from streamtui.core.errors import StreamtuiError

if TYPE_CHECKING:  # the refresh pulls in feedparser and httpx: not before the first paint
    from streamtui.core.library import Library
    from streamtui.core.models import Account, RefreshEvent, RefreshSummary, Source, View

FLUSH_SECONDS = 0.4
"""How often a running refresh's results are applied to the screen."""
SIDEBAR_SECONDS = 2.0
"""How often, at most, the sidebar's counts follow a running refresh."""
RELOAD_SECONDS = 1.0
"""How often, at most, the list takes in a running refresh's new items. Reloading "All" at
100k items (count, the cursor's rank, a window) takes 20-30 ms of the UI thread: every 0.4 s,
one key in twenty waited for it (p95 54 ms during a refresh). The count, most of it (47-64 ms
at 1M items, the rest under 1 ms), is taken on a worker thread (``Recounted``)."""


class RefreshProgressed(Message, bubble=False):  # the screen that runs the refresh reads it
    def __init__(self, event: RefreshEvent) -> None:
        super().__init__()
        self.event = event


class Recounted(Message, bubble=False):
    """The rows of ``view`` counted on a worker thread, for a running refresh's reload."""

    def __init__(self, view: View, count: int) -> None:
        super().__init__()
        self.view = view
        self.count = count


class SourcesCounted(Message, bubble=False):
    """Every source with its unread count, read on a worker thread after the first frame and
    at a refresh's end (at a million items the counts take 170-210 ms, which keys would have
    waited for). ``failed``: the worker could not read them (the UI thread reads them again,
    and says why it cannot)."""

    def __init__(
        self,
        sources: list[Source],
        starred: int = 0,
        accounts: list[Account] | None = None,
        *,
        since: int,
        failed: bool = False,
    ) -> None:
        super().__init__()
        self.since = since
        """The sidebar's ``updates`` when the count began."""
        self.failed = failed
        self.sources = sources
        self.starred = starred
        self.accounts = accounts or []


class RefreshFinished(Message, bubble=False):
    def __init__(self, outcome: RefreshSummary | str) -> None:
        super().__init__()
        self.outcome = outcome  # the summary, or why the refresh as a whole failed


def run_refresh(
    library: Library,
    sources: list[Source] | None,
    cancel: threading.Event,
    post: Callable[[Message], object],
) -> None:
    """The worker thread's body: fetch and store, posting progress and then the outcome
    (nothing once cancelled: the app is going, or a newer refresh replaced this one)."""

    def progressed(event: RefreshEvent) -> None:
        post(RefreshProgressed(event))

    try:
        summary = library.refresh_elsewhere(sources, progressed, cancel)
    except StreamtuiError as error:
        outcome: RefreshSummary | str = str(error)
    except Exception as error:  # shown, never a traceback
        outcome = f"internal error: {error}"
    else:
        outcome = summary
    if not cancel.is_set():
        post(RefreshFinished(outcome))


@dataclass(slots=True)
class Progress:
    """What a running refresh has done, gathered between two screen updates."""

    done: int = 0
    total: int = 0
    failing: int = 0
    pending: bool = False
    doing: str = "refreshing"
    """What the list's subtitle says it does: "refreshing", or "syncing" for an account."""
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

    @property
    def status(self) -> str:
        """The list's subtitle while the refresh runs."""
        status = f"{self.doing} {self.done}/{self.total}"
        return status + (f" · {self.failing} failing" if self.failing else "")


@dataclass(slots=True)
class Refreshing:
    """The refresh a screen runs (one at a time), and when it shows what arrived."""

    running: bool = False
    quiet: bool = False
    """Started by the app (at start-up, by the timer): a refresh that found nothing new
    ends without a toast."""
    progress: Progress = field(default_factory=Progress)
    cancel: threading.Event = field(default_factory=threading.Event)
    flusher: Timer | None = None
    sidebar_at: float = 0.0
    reloaded_at: float = 0.0

    def start(self, *, quiet: bool, doing: str = "refreshing") -> threading.Event:
        """A new refresh (``doing="syncing"``: an account's sync): returns the event that
        cancels it."""
        self.running, self.quiet = True, quiet
        self.progress = Progress(doing=doing)
        self.cancel = threading.Event()
        return self.cancel

    def stop(self) -> None:
        """Cancel a running refresh: it stops within a tenth of a second, saying nothing."""
        self.cancel.set()

    def due(self, source_id: int | None, *, final: bool = False) -> tuple[bool, bool]:
        """(sidebar, list): which to update now. The sidebar follows every few seconds, and
        only the entries of the sources that changed (every source counted and every entry
        rebuilt took 130 ms at 1,000 sources and 100k items); the list reloads only when
        its view (of ``source_id``) gained items."""
        progress, now = self.progress, time.monotonic()
        sidebar = progress.sources_changed and now - self.sidebar_at >= SIDEBAR_SECONDS
        reload = progress.items_added(source_id) and (
            now - self.reloaded_at >= RELOAD_SECONDS or final
        )
        if sidebar:
            self.sidebar_at = now
        if reload:
            self.reloaded_at = now
        return sidebar, reload

    def finish(self) -> None:
        if self.flusher is not None:
            self.flusher.stop()
        self.running = False


def summary_line(summary: RefreshSummary) -> str:
    """The toast at the end of a refresh (the network being down is said apart)."""
    return (
        f"Refreshed: {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.failed} failed"
        + (f", {summary.skipped} skipped" if summary.skipped else "")
        + f"; {summary.added} new item(s)"
        + (f", {summary.removed} old item(s) removed." if summary.removed else ".")
    )


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital first and a full stop."""
    return text[:1].upper() + text[1:] + "."
