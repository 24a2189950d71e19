"""What every part of the Library shares: the store, the credential store, the clock, the
fetcher and the parser (the worker pool, started when first needed and stopped a minute
after its last job)."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streamtui.core import paths
from streamtui.core.credentials import CredentialStore
from streamtui.core.errors import DatabaseGoneError, StreamtuiError
from streamtui.core.models import ParsedFeed, Retention
from streamtui.core.store import StoreProtocol

if TYPE_CHECKING:  # feedparser and httpx load only when a feed is touched
    from streamtui.core.fetch import Fetcher, Limits
    from streamtui.core.parse.pool import FeedParser, Parser
    from streamtui.core.sources.feedurl import FeedUrls

_REMEMBERED = "remembered."
UNDO_DEPTH = 20
"""Bulk changes that can be undone, newest first; kept in memory for the Library's life."""
POOL_LINGER_SECONDS = 60.0
"""How long the parser's workers stay after the last job that used them ended. Starting
them costs 0.6-1 s on the 2-core machine (and their first extraction 0.4 s of imports),
so reading full articles one after the other took that at every article when they stopped
at once; kept, an extraction of a small page takes 10 ms. Then they go: two idle workers
hold about 50 MB."""


@dataclass(frozen=True, slots=True)
class Undoable:
    """A bulk change that can be undone: ``restore`` puts it back and says how many items."""

    description: str
    restore: Callable[[], int]


class LibraryBase:
    """The state of a :class:`~streamtui.core.library.Library`."""

    def __init__(
        self,
        store: StoreProtocol,
        *,
        clock: Callable[[], float] = time.time,
        bundled: Path | None = None,
        credentials: CredentialStore | None = None,
        retention: Retention | None = None,
        fetcher: Fetcher | None = None,
        parser: Parser | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials or (
            CredentialStore.beside(store.path) if store.path else CredentialStore.in_memory()
        )
        """Where feed passwords live (beside the database): never in the database itself."""
        self._clock = clock
        self.retention = retention or Retention()
        """The config's limits on stored feed items (store/retention.py)."""
        self._bundled = bundled or paths.bundled_content()
        self._fetcher = fetcher
        """What fetches feeds (None: httpx, within every limit; tests give a fake)."""
        self._given_parser = parser
        """What parses feeds (None: the worker pool, started when first needed)."""
        self._reopenable = (
            fetcher is None and parser is None and credentials is None and clock is time.time
        )
        """Whether a process of its own opening the same database would be this library: a
        refresh then runs there (maintenance.py); with a fake given, it runs here."""
        self._parser: FeedParser | None = None
        self._parser_lock = threading.Lock()
        self._parser_users = 0
        self.pool_linger = POOL_LINGER_SECONDS
        """Seconds the workers stay once idle (0: they stop when the last job ends)."""
        self._lingering: threading.Timer | None = None
        self._changes: deque[Undoable] = deque(maxlen=UNDO_DEPTH)
        self._changes_lock = threading.Lock()

    def index_left_entries(self) -> int:
        """Start the indexer (indexer.py) when a write left search entries pending: a big
        refresh from the command line, a write that joined that backlog (store/search.py's
        catch_up), a refresh stopped before its entries, an indexer killed before it was
        done (the app looks once it has drawn its first frame). A library in memory has none
        to leave, and one that cannot be written leaves them to the next that can. Returns
        how many entries the indexer it started has to write (0: none started)."""
        path = self.store.path
        if path is None or self.read_only:
            return 0
        try:
            left = self.store.pending_entries()
        except (StreamtuiError, sqlite3.Error):
            return 0
        if not left:
            return 0
        from streamtui.core.library import indexer

        return left if indexer.start(path) else 0

    def remembered(self, setting: str) -> str:
        """A setting the app kept from an earlier run (the theme picked in the palette, the
        list width), or "". Kept in the database's meta table, never in config.toml."""
        return self.store.meta(_REMEMBERED + setting) or ""

    def remember(self, setting: str, value: str) -> None:
        """Keep a setting for the next run (a read-only library keeps nothing)."""
        if not self.read_only and self.remembered(setting) != value:
            self.store.set_meta(_REMEMBERED + setting, value)

    @property
    def read_only(self) -> bool:
        """Nothing can be saved (a read-only data directory, or the database file deleted
        or replaced while open): browse only."""
        return self.store.read_only or self.store.gone is not None

    @property
    def gone(self) -> DatabaseGoneError | None:
        """Why nothing more is saved, once the database file was found deleted or replaced."""
        return self.store.gone

    @property
    def database_path(self) -> Path | None:
        return self.store.path

    def check_database(self) -> None:
        """Raise DatabaseGoneError when the database file was deleted or replaced since it
        was opened (the app asks every few seconds; every save asks too)."""
        self.store.check_file()

    def restore_database(self) -> None:
        """Write what the open database holds back to its deleted file; saving goes on."""
        self.store.restore()

    def _start_parser(self) -> FeedParser:
        """The feed parser (call under the parser lock); its worker processes start at the
        first parse, so a refresh that gets only 304s starts none."""
        if self._parser is None:
            from streamtui.core.parse.pool import FeedParser

            self._parser = FeedParser(on_start=_start_resource_tracker)
        return self._parser

    @contextmanager
    def _parsing(self) -> Iterator[Parser]:
        """The parser for one job (a refresh, an added feed). When the last job running ends,
        the workers stop: two idle workers hold about 50 MB between refreshes."""
        if self._given_parser is not None:
            yield self._given_parser
            return
        with self._counted_pool() as parser:
            yield parser

    @contextmanager
    def _counted_pool(self) -> Iterator[FeedParser]:
        """The worker pool, counted: started when the first job using it begins, its workers
        stopped when the last one ends (parses and extractions alike)."""
        with self._parser_lock:
            self._stay()
            parser = self._start_parser()
            self._parser_users += 1
        try:
            yield parser
        finally:
            with self._parser_lock:
                self._parser_users -= 1
                if not self._parser_users:
                    self._linger(parser)

    def _linger(self, parser: FeedParser) -> None:
        """Stop the idle workers after ``pool_linger`` seconds (under the parser lock)."""
        if self.pool_linger <= 0:
            parser.release()
            return
        self._lingering = threading.Timer(self.pool_linger, self._let_go, (parser,))
        self._lingering.daemon = True
        self._lingering.start()

    def _let_go(self, parser: FeedParser) -> None:
        with self._parser_lock:
            if self._lingering is not threading.current_thread() or self._parser is not parser:
                return  # a job began meanwhile (this timer was cancelled), or the library closed
            self._lingering = None
            parser.release()

    def _stay(self) -> None:
        """A job begins: the idle workers stay (under the parser lock)."""
        if self._lingering is not None:
            self._lingering.cancel()
            self._lingering = None

    @contextmanager
    def _feed_urls(self, limits: Limits | None = None) -> Iterator[FeedUrls]:
        """The reader of feed URLs for one job, with this library's fetcher and parser."""
        from streamtui.core.fetch import HttpFetcher
        from streamtui.core.sources.feedurl import FeedUrls

        fetcher = self._fetcher or HttpFetcher()
        with self._parsing() as parser:
            yield FeedUrls(fetcher, parser, self.credentials, limits)

    def close(self) -> None:
        with self._parser_lock:
            self._stay()
        if self._parser is not None:
            self._parser.close()
            self._parser = None
        self.store.close()


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real standard error.

    The tracker is handed ``sys.stderr.fileno()``; inside the app Textual has replaced
    sys.stderr with an object whose descriptor is not valid, and every worker process then
    fails to start ("bad value(s) in fds_to_keep"). Started once here, it is reused.
    """
    from multiprocessing import resource_tracker

    saved = sys.stderr
    try:
        try:
            valid = saved.fileno() >= 0
        except (AttributeError, OSError, ValueError):
            valid = False
        if not valid and sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = saved


class PoolParser:
    """The library's worker pool as a parser, entered for each parse (a local source that
    holds no feed file never starts it)."""

    def __init__(self, library: LibraryBase) -> None:
        self._library = library

    def parse(
        self,
        data: bytes,
        *,
        source_key: str,
        url: str = "",
        seen_at: datetime,
        cancel: threading.Event | None = None,
    ) -> ParsedFeed:
        with self._library._parsing() as parser:
            return parser.parse(
                data, source_key=source_key, url=url, seen_at=seen_at, cancel=cancel
            )
