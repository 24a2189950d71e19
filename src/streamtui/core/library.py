"""The one facade the UI and the command line call: sources, the stream, search, read state,
stars and undo."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from streamtui.core import paths
from streamtui.core.credentials import Credential, CredentialStore, login_from_url
from streamtui.core.errors import (
    FileReadError,
    SourceError,
    StreamtuiError,
    UnknownItemError,
    UnknownSourceError,
)
from streamtui.core.files import (
    STDIN,
    check_file_or_absent,
    check_folder_or_absent,
    read_input,
)
from streamtui.core.models import (
    Article,
    LoadProblem,
    LoadResult,
    Row,
    Source,
    SourceKind,
    Undone,
    View,
)
from streamtui.core.redact import redact_url, split_login, without_login
from streamtui.core.retention import CleanupReport, Retention, SourceRetention
from streamtui.core.sanitize import excerpt, sanitize
from streamtui.core.store import (
    DatabaseGoneError,
    DuplicateSourceError,
    NewSource,
    Store,
    SyncStats,
)
from streamtui.core.streamtext import load_source

if TYPE_CHECKING:  # feedparser and httpx load only when a feed is touched
    from streamtui.core.feeds import FeedParser, ParsedFeed
    from streamtui.core.fetch import Limits
    from streamtui.core.refresh import RefreshEvent, RefreshSummary

BUNDLED_LOCATION = "bundled:"
BUNDLED_NAME = "streamtui guide"
_DEFAULT_ADDED = "default_source_added"
_REMEMBERED = "remembered."
_URL_SCHEMES = ("http://", "https://", "feed:", "ftp://", "file:")


MAX_IMPORT_BYTES = 8 * 1024 * 1024
MIN_ID_PREFIX = 6
"""The shortest item id prefix accepted (ids are 20 hex digits; 6 tell 16 million apart)."""
AUTO_CLEANUP_LIMIT = 20_000
"""Items a refresh's own cleanup removes at most (about a second); the rest go next time."""
UNDO_DEPTH = 20
"""Bulk changes that can be undone, newest first; kept in memory for the Library's life."""


@dataclass(slots=True)
class ImportReport:
    added: list[Source] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Change:
    """A bulk change that can be undone: ``restore`` puts it back and says how many items."""

    description: str
    restore: Callable[[], int]


@dataclass(frozen=True, slots=True)
class SyncReport:
    source: Source
    stats: SyncStats | None = None
    problems: tuple[str, ...] = ()
    error: str = ""
    password_updated: bool = False
    """Adding a feed already subscribed, with a password: only its password was replaced."""


class Library:
    """Everything a user can do, over one :class:`Store`."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        bundled: Path | None = None,
        credentials: CredentialStore | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials or (
            CredentialStore.beside(store.path) if store.path else CredentialStore.in_memory()
        )
        """Where feed passwords live (beside the database): never in the database itself."""
        self._clock = clock
        self.retention = retention or Retention()
        """The config's limits on stored feed items (core/retention.py)."""
        self._bundled = bundled or paths.bundled_content()
        self._parser: FeedParser | None = None
        self._parser_lock = threading.Lock()
        self._parser_users = 0
        self._changes: deque[_Change] = deque(maxlen=UNDO_DEPTH)
        self._changes_lock = threading.Lock()

    # -- sources -------------------------------------------------------------------------

    def ensure_default_source(self) -> Source | None:
        """On the very first run, subscribe to the bundled guide (never again after)."""
        if self.store.meta(_DEFAULT_ADDED):
            return None
        # One transaction: two instances started together on a new data directory add it
        # once (checked, then added, it was added twice and the second failed).
        return self.store.add_source_once(
            _DEFAULT_ADDED, BUNDLED_NAME, SourceKind.BUNDLED, BUNDLED_LOCATION
        )

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

    def sources(self, *, counted: bool = True, only: Collection[int] | None = None) -> list[Source]:
        return self.store.sources(counted=counted, only=only)

    def add_source(self, target: str, name: str | None = None) -> tuple[Source, SyncReport]:
        """Subscribe to a feed URL, a local folder or a stream file; returns what it gave.

        Everything is fetched or read and parsed before anything is stored."""
        target = _local_target(target)
        if _looks_like_url(target):
            return self.add_feed(target, name)
        location, kind = self._local_location(target)
        existing = {s.location: s for s in self.store.sources()}
        if str(location) in existing:
            raise SourceError(excerpt(target), f"already added as {existing[str(location)].name!r}")
        result = self._load_all(str(location))  # fails before anything is stored
        wanted = sanitize(name or result.title or location.stem or location.name) or "source"
        problems = _problem_lines(result)
        try:  # the name is made unique, and the place checked again, as it is saved
            source, stats = self.store.add_source_with_items(
                wanted,
                kind,
                str(location),
                result.items,
                fingerprint=result.fingerprint,
                error=_error_line(problems),
            )
        except DuplicateSourceError as error:  # added meanwhile by another streamtui
            raise SourceError(excerpt(target), f"already added as {error.name!r}") from None
        return source, SyncReport(source, stats, problems)

    def add_feed(self, url: str, name: str | None = None) -> tuple[Source, SyncReport]:
        """Subscribe to a feed URL. A password in it goes to the credential store, never to
        the database: the source is stored (and its ids scoped) by the URL without it."""
        from streamtui.core.subscribe import check_url, default_name, fetch_feed

        given = check_url(url)
        url, login = login_from_url(given)
        if login is not None:
            self.store.check_writable()  # said as for any save, before the password is kept
        if login is not None:
            updated = self._new_password(url, login, given)
            if updated is not None:
                return updated, SyncReport(updated, password_updated=True)
        self._refuse_duplicate(url)
        with self._parsing() as parser:
            got = fetch_feed(url, parser, source_key=url, login=login)
        # A feed that has moved for good is stored at its new address (ids keep the old).
        location = got.fetched.permanent_redirect or url
        if location != url:
            self._refuse_duplicate(location)
        wanted = sanitize(name or default_name(got.feed, url)) or "feed"
        if login is not None:  # before the source: a store that cannot keep it adds nothing
            self.credentials.put("feed", url, login)
        try:
            source = self.store.add_source(
                wanted,
                SourceKind.FEED,
                location,
                key=url,
                identity=_url_identity,
                login=bool(login),
            )
        except StreamtuiError as error:
            if login is not None:
                self.credentials.delete("feed", url)
            if isinstance(error, DuplicateSourceError):  # subscribed meanwhile elsewhere
                raise SourceError(excerpt(url), f"already subscribed as {error.name!r}") from None
            raise
        try:
            stats = self.store.merge_items(
                source.id,
                got.feed.items,
                whole=True,
                etag=got.fetched.etag,
                last_modified=got.fetched.last_modified,
                warning=got.feed.warning,
                site_url=got.feed.link,
                content_hash=_hash(got.fetched.body),
            )
        except StreamtuiError:
            self._forget(source)  # never leave an empty source behind
            raise
        problems = (f"feed warning: {got.feed.warning}",) if got.feed.warning else ()
        return source, SyncReport(source, stats, problems)

    def _new_password(self, url: str, login: Credential, given: str) -> Source | None:
        """A URL with a password for a feed already subscribed at that URL: the stored
        password is replaced (a changed password, or one lost with the credential file);
        None when no such feed exists. The ids stay: the source and its key do not change.
        A feed whose ids were made from its URL with the password in it (``scoped``) and
        whose credential was lost gets ``given`` as its scope: the URL as first added, when
        the user gives it as they did then."""
        wanted = _url_identity(url)
        for source in self.store.sources(counted=False):
            if source.kind is SourceKind.FEED and wanted == _url_identity(source.location):
                kept = self._credential(source) if source.login else None
                scope = kept.scope if kept is not None else given if source.scoped else ""
                self.credentials.put(
                    "feed", source.key, Credential(login.user, login.secret, login.origin, scope)
                )
                if not source.login:
                    self.store.update_source(source.id, login=1)
                return self.find_source(str(source.id))
        return None

    def _credential(self, source: Source) -> Credential | None:
        """The stored credential of a source with a login (None when it is missing); a
        credential file that cannot be read raises CredentialError."""
        return self.credentials.get("feed", source.key)

    def _forget(self, source: Source) -> None:
        """Remove a source and its password."""
        self.store.remove_source(source.id)
        if source.login:
            self.credentials.delete("feed", source.key)

    def rename_source(self, reference: str, name: str) -> Source:
        source = self.find_source(reference)
        wanted = sanitize(name)
        if not wanted:
            raise SourceError(excerpt(name), "a source needs a name")
        self.store.rename_source(source.id, wanted)  # made unique as it is saved
        return self.find_source(str(source.id))

    def _start_parser(self) -> FeedParser:
        """The feed parser (call under the parser lock); its worker processes start at the
        first parse, so a refresh that gets only 304s starts none."""
        if self._parser is None:
            from streamtui.core.feeds import FeedParser

            self._parser = FeedParser(on_start=_start_resource_tracker)
        return self._parser

    @contextmanager
    def _parsing(self) -> Iterator[FeedParser]:
        """The parser for one job (a refresh, an added feed). When the last job running ends,
        the workers stop: two idle workers hold about 50 MB between refreshes."""
        with self._parser_lock:
            parser = self._start_parser()
            self._parser_users += 1
        try:
            yield parser
        finally:
            with self._parser_lock:
                self._parser_users -= 1
                if not self._parser_users:
                    parser.release()

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()
            self._parser = None
        self.store.close()

    def refresh(
        self,
        sources: Sequence[Source] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
        *,
        limits: Limits | None = None,
    ) -> RefreshSummary:
        """Re-read local sources and fetch feeds; each result is stored as it arrives.
        ``limits`` bounds the fetches (tests and benchmarks pass short deadlines)."""
        self.store.check_writable()  # read-only: nothing fetched could be kept
        from streamtui.core.refresh import Refresher, RefreshEvent, RefreshSummary

        chosen = list(
            {s.id: s for s in (self.store.sources() if sources is None else sources)}.values()
        )  # each source once, however often it was named
        feeds = [s for s in chosen if s.kind is SourceKind.FEED]
        local = [s for s in chosen if s.kind is not SourceKind.FEED]
        summary, total = RefreshSummary(), len(chosen)
        notify = progress or (lambda event: None)
        for done, source in enumerate(local, 1):
            if cancel is not None and cancel.is_set():
                return summary
            report = self.sync(source, cancel=cancel)
            changed = bool(
                report.stats
                and (report.stats.added or report.stats.updated or report.stats.removed)
            )
            outcome = "failed" if report.error else "updated" if changed else "unchanged"
            event = RefreshEvent(
                source,
                outcome,
                report.stats.added if report.stats else 0,
                report.error,
                done,
                total,
            )
            summary.count(event)
            notify(event)
        if feeds:
            offset = len(local)

            def shifted(event: RefreshEvent) -> None:
                summary.count(event)
                notify(replace(event, done=offset + event.done, total=total))

            with self._parsing() as parser:
                fetched = Refresher(
                    self.store,
                    parser,
                    limits=limits,
                    clock=self._clock,
                    credentials=self.credentials,
                ).run(feeds, shifted, cancel)
            summary.network_down = fetched.network_down
            self.store.check_writable()  # the file went away during the refresh: say so
            if cancel is None or not cancel.is_set():
                summary.removed = self.cleanup(
                    [source.id for source in feeds], limit=AUTO_CLEANUP_LIMIT
                ).total
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

    def database_size(self) -> int:
        """The database's size in bytes (pages in use and free)."""
        return self.store.size_bytes()

    def vacuum_mode(self) -> str:
        return self.store.vacuum_mode()

    def enable_incremental_vacuum(self) -> int:
        return self.store.enable_incremental_vacuum()

    def checkpoint(self) -> None:
        self.store.checkpoint()

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

    def import_subscriptions(self, path: str) -> ImportReport:
        """Add every http(s) feed of an OPML file or URL list; they are fetched on refresh.
        ``path`` may be a pipe, or ``-`` for standard input."""
        from streamtui.core.opml import read_subscriptions
        from streamtui.core.subscribe import check_url

        try:
            data = read_input(path, max_bytes=MAX_IMPORT_BYTES)
        except FileReadError as error:
            raise SourceError(error.path, error.reason) from error
        shown = "standard input" if path == STDIN else excerpt(path)
        listing = read_subscriptions(data, name=shown)
        report = ImportReport(
            duplicates=listing.duplicates,
            rejected=[f"{r.entry}: {r.reason}" for r in listing.rejected],
        )
        wanted: list[NewSource] = []
        logins: dict[str, Credential] = {}
        for subscription in listing.subscriptions:
            try:
                url, login = login_from_url(check_url(subscription.url))
            except SourceError as error:
                report.rejected.append(str(error))
                continue
            name = sanitize(subscription.title) or urlsplit(without_login(url)).netloc
            wanted.append(
                NewSource(name, SourceKind.FEED, url, subscription.folder, login=login is not None)
            )
            if login is not None:
                logins[url] = login
        # One transaction: names made unique and subscriptions compared with what is stored
        # as they are saved (two imports at once both complete), each in constant time.
        for added in self.store.add_sources(wanted, identity=_url_identity):
            if isinstance(added, DuplicateSourceError):
                report.duplicates += 1  # a stored feed keeps its own password
            else:
                report.added.append(added)
        self._keep_logins([s for s in report.added if s.location in logins], logins)
        return report

    def _keep_logins(self, added: list[Source], logins: dict[str, Credential]) -> None:
        """Store the passwords of feeds just added; when the credential store cannot keep
        them, those feeds go again (a feed must never stay without the password it needs)."""
        try:
            for source in added:
                self.credentials.put("feed", source.key, logins[source.location])
        except StreamtuiError:
            for source in added:
                self.credentials.delete("feed", source.key)
                self.store.remove_source(source.id)
            raise

    def export_subscriptions(self) -> str:
        """OPML of every feed, by its stored location: never a password (those stay in the
        credential store; see :meth:`passwords_left_out`)."""
        from streamtui.core.opml import Subscription, write_opml

        feeds = sorted(
            (s for s in self.store.sources() if s.kind is SourceKind.FEED),
            key=lambda s: (s.folder, s.name.casefold()),
        )  # one outline per folder
        return write_opml(Subscription(s.location, s.name, s.folder) for s in feeds)

    def passwords_left_out(self) -> int:
        """How many feeds have a password that an export leaves out."""
        sources = self.store.sources(counted=False)
        return sum(1 for s in sources if s.kind is SourceKind.FEED and s.login)

    def _refuse_duplicate(
        self, url: str, known: Sequence[tuple[str, str, str]] | None = None
    ) -> None:
        """Refuse a feed already subscribed at this address, or first added at it."""
        wanted = _url_identity(url)
        for location, key, name in self.store.feed_addresses() if known is None else known:
            if wanted in (_url_identity(location), _url_identity(key)):
                raise SourceError(excerpt(url), f"already subscribed as {excerpt(name, 60)!r}")

    def remove_source(self, reference: str) -> Source:
        """Remove a source with its items, and its password if it has one."""
        source = self.find_source(reference)
        self._forget(source)
        return source

    def find_source(self, reference: str) -> Source:
        """A source by its number, its name (case-insensitive) or its location (given with
        or without its password)."""
        sources = self.store.sources()
        if reference.lower().startswith("file:"):
            reference = _local_target(reference)
        location = split_login(reference)[0]
        for source in sources:
            if reference == str(source.id) or location == source.location:
                return source
        folded = reference.casefold()
        for source in sources:
            if source.name.casefold() == folded:
                return source
        if not _looks_like_url(reference):
            resolved = str(Path(reference).expanduser().resolve())
            for source in sources:
                if source.location == resolved:
                    return source
        raise UnknownSourceError(f"{excerpt(reference)}: no such source (see 'streamtui sources')")

    def preview(self, target: str) -> LoadResult:
        """Parse a source without storing anything."""
        target = _local_target(target)
        if _looks_like_url(target):
            from streamtui.core.subscribe import check_url, fetch_feed

            url, login = login_from_url(check_url(target))
            with self._parsing() as parser:
                got = fetch_feed(url, parser, source_key=url, login=login)
            shown = sanitize(redact_url(url))
            warning = (LoadProblem(shown, got.feed.warning),) if got.feed.warning else ()
            return LoadResult(got.feed.items, warning)
        location, _ = self._local_location(target)
        return self._load_all(str(location))

    def sync(
        self, source: Source, *, force: bool = False, cancel: threading.Event | None = None
    ) -> SyncReport:
        """Re-read a local source and bring the store up to date; errors stay on the source.

        An unchanged source (same names, sizes and times) is not read at all. ``cancel``
        stops the parse of a feed file (nothing is stored then).
        """
        known = None if force else self.store.fingerprint(source.id)
        try:
            result = self._load(source.location, unless=known, cancel=cancel)
        except SourceError as error:
            if cancel is not None and cancel.is_set():
                return SyncReport(source)
            self.store.set_source_error(source.id, error.reason)
            return SyncReport(source, error=str(error))
        if result is None:
            return SyncReport(source, SyncStats())
        return self._store_result(source, result)

    def sync_all(self) -> Iterator[SyncReport]:
        """Re-read every local source (feeds are fetched by :meth:`refresh`)."""
        for source in self.store.sources():
            if source.kind is not SourceKind.FEED:
                yield self.sync(source)

    def _store_result(self, source: Source, result: LoadResult) -> SyncReport:
        problems = _problem_lines(result)
        stats = self.store.sync_items(
            source.id, result.items, fingerprint=result.fingerprint, error=_error_line(problems)
        )
        return SyncReport(source, stats, problems)

    def _load(
        self,
        location: str,
        *,
        unless: str | None = None,
        cancel: threading.Event | None = None,
    ) -> LoadResult | None:
        folder = self._bundled if location == BUNDLED_LOCATION else Path(location)
        if location != BUNDLED_LOCATION and folder.is_file():
            return self._load_file(location, folder, unless=unless, cancel=cancel)
        return load_source(location, folder, unless=unless)

    def _load_file(
        self, location: str, path: Path, *, unless: str | None, cancel: threading.Event | None
    ) -> LoadResult | None:
        """One file, judged by its content (core/feedfile.py): a feed is parsed in the
        worker pool like a fetched one."""
        from streamtui.core.feedfile import load_file

        def parse(data: bytes, seen_at: datetime) -> ParsedFeed:
            with self._parsing() as parser:
                return parser.parse(
                    data, source_key=location, url="", seen_at=seen_at, cancel=cancel
                )

        return load_file(location, path, parse, unless=unless)

    def _load_all(self, location: str) -> LoadResult:
        result = self._load(location)
        assert result is not None  # only a fingerprint to compare can skip the load
        return result

    def _local_location(self, target: str) -> tuple[Path, SourceKind]:
        shown = excerpt(target)
        path = Path(target).expanduser()
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError) as error:
            raise SourceError(shown, "no such file or folder") from error
        if resolved.is_dir():
            return resolved, SourceKind.FOLDER
        if resolved.is_file():
            return resolved, SourceKind.FILE
        raise SourceError(shown, "not a folder or a regular file")

    # -- the stream ----------------------------------------------------------------------

    def view(
        self,
        source_id: int | None = None,
        *,
        unread_only: bool = False,
        starred: bool = False,
        query: str = "",
    ) -> View:
        """A view built now: the filters apply together. With a query that has words, the
        view holds the best ``search_cap`` matches, best first (title above text, then
        newest); otherwise newest first."""
        return View(source_id, unread_only, self._clock(), starred=starred, query=query)

    @property
    def search_cap(self) -> int:
        """The most items a view with a query holds (the best matches)."""
        return self.store.search_cap

    @search_cap.setter
    def search_cap(self, cap: int) -> None:
        self.store.search_cap = cap

    def search(self, query: str, *, source_id: int | None = None, limit: int = 50) -> list[Row]:
        """The ``limit`` best matches of ``query`` (in one source), best first; for the
        command line and the command palette. A query with no words gives the newest items."""
        return self.store.search(query, source_id=source_id, limit=limit)

    def count(self, view: View) -> int:
        return self.store.count(view)

    def rows(self, view: View, offset: int, limit: int) -> list[Row]:
        return self.store.rows(view, offset, limit)

    def position(self, view: View, item_id: str) -> int | None:
        return self.store.position(view, item_id)

    def rank(self, view: View, item_id: str) -> int | None:
        """Where ``item_id`` is, or would be, in ``view``: the row to keep the cursor near."""
        return self.store.rank(view, item_id)

    def row(self, item_id: str) -> Row | None:
        return self.store.row(item_id)

    def next_unread(self, view: View, after: str | None, *, backwards: bool = False) -> str | None:
        return self.store.next_unread(view, after, backwards=backwards)

    def article(self, item_id: str) -> Article:
        found = self.store.article(item_id)
        if found is None:
            raise UnknownItemError(f"{item_id}: no such item")
        return found

    def iter_articles(self, view: View) -> Iterator[tuple[Row, str, str]]:
        return self.store.iter_articles(view)

    def source_names(self) -> dict[int, str]:
        return self.store.source_names()

    def changed_elsewhere(self) -> bool:
        """Whether another process changed the library since the last call (a source added
        or removed with the command line, items marked in another streamtui)."""
        return self.store.changed_elsewhere()

    # -- read state ----------------------------------------------------------------------

    def mark_read(self, item_ids: Sequence[str], read: bool = True) -> list[str]:
        """Mark items read or unread; returns the ids that changed. Several ids at once can
        be undone (one item's toggle is its own undo)."""
        at = self._clock() if read else None
        priors = self.store.change_read(item_ids, read, at=at)
        if len(item_ids) > 1 and priors:
            self._remember(
                f"mark {_items(len(priors))} {'read' if read else 'unread'}",
                lambda: self.store.restore_read(priors, read=read, at=at),
            )
        return [prior.item_id for prior in priors]

    def mark_view_read(self, view: View) -> list[str]:
        """Mark every unread item of ``view`` read (one undoable change); returns their ids."""
        at = self._clock()
        priors = self.store.change_view_read(view, at=at)
        if priors:
            self._remember(
                f"mark all read{self._place(view)}",
                lambda: self.store.restore_read(priors, read=True, at=at),
            )
        return [prior.item_id for prior in priors]

    def mark_source_read(self, source_id: int) -> list[str]:
        return self.mark_view_read(self.view(source_id))

    # -- stars ---------------------------------------------------------------------------

    def set_starred(self, item_ids: Sequence[str], starred: bool) -> list[str]:
        """Star or unstar items; returns the ids that changed. Starred items are never
        cleaned up (a local item whose file is gone stays). Several ids can be undone."""
        changed = self.store.set_starred(item_ids, starred)
        if len(item_ids) > 1 and changed:
            self._remember(
                f"{'star' if starred else 'unstar'} {_items(len(changed))}",
                # Items changed again since keep their new state.
                lambda: len(self.store.set_starred(changed, not starred)),
            )
        return changed

    def starred_count(self) -> int:
        return self.store.starred_count()

    # -- undo ----------------------------------------------------------------------------

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
        return Undone(change.description, count)

    def undo_description(self) -> str | None:
        """What :meth:`undo` would undo ("mark all read in news"), or None."""
        with self._changes_lock:
            return self._changes[-1].description if self._changes else None

    def _remember(self, description: str, restore: Callable[[], int]) -> None:
        with self._changes_lock:
            self._changes.append(_Change(description, restore))

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

    def resolve_ids(self, references: Sequence[str]) -> list[str]:
        """Full item ids from ids or unique prefixes (at least MIN_ID_PREFIX characters)."""
        resolved = []
        for reference in references:
            shown = excerpt(reference, 40)
            if len(reference) < MIN_ID_PREFIX:
                raise UnknownItemError(
                    f"{shown}: too short for an item id (give at least {MIN_ID_PREFIX} characters)"
                )
            # Longer than any id: no item (SQLite refuses LIKE patterns of 50,000 bytes).
            matches = self.store.ids_with_prefix(reference) if len(reference) <= 1000 else []
            if len(matches) != 1:
                reason = "ambiguous id prefix" if matches else "no such item"
                raise UnknownItemError(f"{shown}: {reason}")
            resolved.append(matches[0])
        return resolved


DATABASE_FILES = ("", "-wal", "-shm", "-journal")
"""The database file and the companions SQLite keeps beside it."""


def open_library(data_dir: Path) -> tuple[Library, str]:
    """Open the library in ``data_dir``; returns it and a message for the user, if any.

    A data folder that is not one, or a database (or companion) that is not a regular file
    (a folder, a FIFO, /dev/null, a link that loops or points nowhere), is refused with what
    it is: SQLite would hang on a FIFO or call the rest a disk I/O error."""
    database = data_dir / paths.DB_NAME
    check_folder_or_absent(data_dir)
    for suffix in DATABASE_FILES:
        check_file_or_absent(database.with_name(database.name + suffix), "a database file")
    store, message = Store.open_or_recover(database)
    notice = paths.private_file(data_dir / paths.CREDENTIALS_NAME)
    return Library(store), "\n".join(line for line in (message, notice) if line)


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


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _url_identity(url: str) -> str:
    """URLs that name the same feed compare equal: scheme and host case, a trailing slash."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}?{parts.query}"


def _local_target(target: str) -> str:
    """A ``file:`` URL as the path it names (SourceError for another host); else as it is."""
    if not target.strip().lower().startswith("file:"):
        return target
    from streamtui.core.feedfile import local_path

    return local_path(target)


def _looks_like_url(target: str) -> bool:
    return target.lower().startswith(_URL_SCHEMES) or "://" in target


def _error_line(problems: tuple[str, ...]) -> str:
    return f"{len(problems)} file(s) skipped: {problems[0]}" if problems else ""


def _problem_lines(result: LoadResult) -> tuple[str, ...]:
    return tuple(f"{problem.path}: {problem.reason}" for problem in result.problems)
