"""Keeping the library: refreshing it, retention and cleanup, the database file's size."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from streamtui.core.errors import SourceError
from streamtui.core.library.base import PoolParser
from streamtui.core.library.sources import SourcesPart
from streamtui.core.models import (
    CleanupReport,
    RefreshEvent,
    RefreshSummary,
    Source,
    SourceKind,
    SourceRetention,
)
from streamtui.core.sources.local import LocalPages
from streamtui.core.text.sanitize import sanitize

if TYPE_CHECKING:
    from streamtui.core.fetch import Limits

AUTO_CLEANUP_LIMIT = 20_000


class MaintenancePart(SourcesPart):
    """Refreshing, retention and the database's upkeep."""

    def refresh(
        self,
        sources: Sequence[Source] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
        *,
        limits: Limits | None = None,
    ) -> RefreshSummary:
        """Re-read local sources and fetch feeds (refresh/run.py); each result is stored as
        it arrives. ``limits`` bounds the fetches (tests and benchmarks pass short ones)."""
        self.store.check_writable()  # read-only: nothing fetched could be kept
        from streamtui.core.refresh.run import Refresh

        chosen = list(
            {s.id: s for s in (self.store.sources() if sources is None else sources)}.values()
        )  # each source once, however often it was named
        with self._feed_urls(limits) as feeds:
            readers = (LocalPages(self._bundled, PoolParser(self)), feeds)
            summary = Refresh(self.store, readers, clock=self._clock).run(
                chosen, progress or (lambda event: None), cancel
            )
        fed = [source.id for source in chosen if source.kind is SourceKind.FEED]
        if fed:
            self.store.check_writable()  # the file went away during the refresh: say so
            if cancel is None or not cancel.is_set():
                summary.removed = self.cleanup(fed, limit=AUTO_CLEANUP_LIMIT).total
        return summary

    def cleanup(
        self, only: Collection[int] | None = None, *, limit: int | None = None
    ) -> CleanupReport:
        """Remove the feed items that retention lets go (of the sources in ``only``)."""
        return self.store.cleanup(self.retention, only=only, now=self._clock(), limit=limit)

    def limits(self, reference: str) -> tuple[Source, SourceRetention]:
        """A feed's own retention limits (None where the config's apply)."""
        source = self._feed(reference)
        return source, self.store.limits(source.id)

    def set_limits(self, reference: str, limits: SourceRetention) -> Source:
        source = self._feed(reference)
        self.store.set_limits(source.id, limits)
        return source

    def feed(self, reference: str) -> Source:
        """A feed source by reference; SourceError for a folder or file source."""
        return self._feed(reference)

    def _feed(self, reference: str) -> Source:
        source = self.find_source(reference)
        if source.kind is not SourceKind.FEED:
            raise SourceError(
                sanitize(source.name),
                "retention applies to feeds; a folder or file source holds exactly its files",
            )
        return source

    def database_size(self) -> int:
        """The database's size in bytes (pages in use and free)."""
        return self.store.size_bytes()

    def vacuum_mode(self) -> str:
        return self.store.vacuum_mode()

    def enable_incremental_vacuum(self) -> int:
        return self.store.enable_incremental_vacuum()

    def checkpoint(self) -> None:
        self.store.checkpoint()
