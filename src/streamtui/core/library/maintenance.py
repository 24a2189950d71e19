"""Keeping the library: refreshing it, retention and cleanup, the database file's size."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from streamtui.core.errors import SourceError, StreamtuiError
from streamtui.core.library.accounts import AccountsPart
from streamtui.core.library.base import PoolParser
from streamtui.core.models import (
    AccountReport,
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
    from streamtui.core.sources.accounts.reader import AccountReader

AUTO_CLEANUP_LIMIT = 20_000


class MaintenancePart(AccountsPart):
    """Refreshing, retention and the database's upkeep."""

    def refresh(
        self,
        sources: Sequence[Source] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
        *,
        limits: Limits | None = None,
        entries_later: bool = False,
    ) -> RefreshSummary:
        """Re-read local sources, fetch feeds and sync server accounts (refresh/run.py);
        each result is stored as it arrives. A whole refresh syncs every account (one with
        no feed yet too), one of some sources the accounts of those. An account that
        failed counts as one failure, its line in ``failures``. ``limits`` bounds the
        fetches (tests and benchmarks pass short ones).

        With ``entries_later`` (the command line's refresh), the search entries of many new
        items are left to a process of its own, started as this returns (indexer.py)."""
        self.store.check_writable()  # read-only: nothing fetched could be kept
        from streamtui.core.refresh.run import Refresh

        chosen = list(
            {s.id: s for s in (self.store.sources() if sources is None else sources)}.values()
        )  # each source once, however often it was named
        wanted = {s.account_id for s in chosen if s.account_id is not None}
        accounts = [a for a in self.store.accounts() if sources is None or a.id in wanted]
        with self._feed_urls(limits) as feeds:
            accounts_reader = self.account_reader(accounts, limits, feeds.parser)
            readers = (LocalPages(self._bundled, PoolParser(self)), feeds, accounts_reader)
            later = entries_later and self.store.path is not None
            summary = Refresh(self.store, readers, clock=self._clock, entries_later=later).run(
                chosen, progress or (lambda event: None), cancel
            )
        counted = {s.id for s in chosen}
        for report in accounts_reader.reports.values():
            if report.error:
                summary.failed += 1
                summary.failures.append(report.error)
            else:  # items of feeds new to this refresh (the others were in its events)
                new = sum(
                    n for sid, n in _added(accounts_reader, report).items() if sid not in counted
                )
                summary.added += new
        fed = [source.id for source in chosen if source.kind is SourceKind.FEED]
        if fed:
            self.store.check_writable()  # the file went away during the refresh: say so
            if cancel is None or not cancel.is_set():
                summary.removed = self.cleanup(fed, limit=AUTO_CLEANUP_LIMIT).total
        summary.indexing = self.index_left_entries()
        return summary

    def write_search_entries(self) -> int:
        """Write every search entry still pending (a big refresh from the command line
        leaves them to a process of its own), a chunk per transaction; returns how many. A
        store that cannot be written is searched as it is."""
        if self.store.read_only or self.store.gone is not None:
            return 0
        return self.store.index_all_pending()

    def refresh_elsewhere(
        self,
        sources: Sequence[Source] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> RefreshSummary:
        """:meth:`refresh` in a process of its own (refresh/apart.py), for the app: its
        fetching, parsing and writing never hold this process's GIL, which the UI thread
        needs for every key. The same events and summary; a library that a process of its
        own could not open again (in memory, or given a fake) refreshes here instead."""
        progress, cancel = progress or (lambda event: None), cancel or threading.Event()
        request = self._elsewhere_request()
        if request is None:  # the refresh alone (ReaderPart adds the full articles)
            return MaintenancePart.refresh(self, sources, progress, cancel)
        request |= {
            "job": "refresh",
            "sources": None if sources is None else [s.id for s in sources],
        }
        result = self._run_elsewhere(request, progress, cancel)
        from streamtui.core.refresh.apart import decode  # the app's: not the CLI's refresh

        return decode(RefreshSummary, result) if result is not None else RefreshSummary()

    def sync_elsewhere(
        self,
        references: Sequence[str],
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[AccountReport]:
        """:meth:`sync_accounts` of these accounts in a process of its own, as
        :meth:`refresh_elsewhere`."""
        progress, cancel = progress or (lambda event: None), cancel or threading.Event()
        request = self._elsewhere_request()
        if request is None:
            return self.sync_accounts(references, progress, cancel)
        request |= {"job": "sync", "accounts": list(references)}
        result = self._run_elsewhere(request, progress, cancel)
        from streamtui.core.refresh.apart import decode

        return [decode(AccountReport, report) for report in result or ()]

    def _elsewhere_request(self) -> dict[str, Any] | None:
        """What a process of its own needs to open this library again (None: it cannot)."""
        path = self.store.path
        if not self._reopenable or path is None:
            return None
        self.store.check_writable()  # read-only, or the file went away: nothing to start
        return {
            "database": str(path),
            "bundled": str(self._bundled),
            "retention": dataclasses.asdict(self.retention),
        }

    def _run_elsewhere(
        self,
        request: dict[str, Any],
        progress: Callable[[RefreshEvent], None],
        cancel: threading.Event,
    ) -> Any:
        from streamtui.core.refresh.apart import Stopped, run_elsewhere

        try:
            return run_elsewhere(request, progress, cancel)
        except Stopped:
            return None
        except StreamtuiError:
            self.store.check_file()  # the file went away: DatabaseGoneError says so
            raise

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


def _added(reader: AccountReader, report: AccountReport) -> dict[int, int]:
    return reader.added.get(report.account.id, {})
