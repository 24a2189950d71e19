"""The Library's sources: adding one (read or fetched, then stored as a refresh stores it),
finding, renaming and removing them, and re-reading local ones."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from streamtui.core.credentials import Credential, login_from_url
from streamtui.core.errors import (
    DuplicateSourceError,
    SourceError,
    StreamtuiError,
    UnknownSourceError,
)
from streamtui.core.library.base import LibraryBase, PoolParser
from streamtui.core.models import (
    FeedState,
    LoadProblem,
    LoadResult,
    NewSource,
    Source,
    SourceChange,
    SourceKind,
    SyncStats,
)
from streamtui.core.refresh.decide import decide, problem_lines
from streamtui.core.refresh.readers import Failed, Job, Loaded, Skipped
from streamtui.core.sources.local import BUNDLED_LOCATION, LocalPages
from streamtui.core.text.redact import redact_url, split_login
from streamtui.core.text.sanitize import excerpt, sanitize
from streamtui.core.urls import feed_identity

BUNDLED_NAME = "streamtui guide"
_DEFAULT_ADDED = "default_source_added"
_URL_SCHEMES = ("http://", "https://", "feed:", "ftp://", "file:")


@dataclass(frozen=True, slots=True)
class SyncReport:
    source: Source
    stats: SyncStats | None = None
    problems: tuple[str, ...] = ()
    error: str = ""
    password_updated: bool = False
    """Adding a feed already subscribed, with a password: only its password was replaced."""


class SourcesPart(LibraryBase):
    """Adding, finding, renaming, removing and re-reading sources."""

    def ensure_default_source(self) -> Source | None:
        """On the very first run, subscribe to the bundled guide (never again after)."""
        if self.store.meta(_DEFAULT_ADDED):
            return None
        # One transaction: two instances started together on a new data directory add it
        # once (checked, then added, it was added twice and the second failed).
        return self.store.add_source_once(
            _DEFAULT_ADDED, BUNDLED_NAME, SourceKind.BUNDLED, BUNDLED_LOCATION
        )

    def sources(self, *, counted: bool = True, only: Collection[int] | None = None) -> list[Source]:
        return self.store.sources(counted=counted, only=only)

    def add_source(self, target: str, name: str | None = None) -> tuple[Source, SyncReport]:
        """Subscribe to a feed URL, a local folder or a stream file; returns what it gave.

        Everything is fetched or read and parsed before anything is stored, and stored as a
        refresh stores it (the same decision, the same write)."""
        target = _local_target(target)
        if _looks_like_url(target):
            return self.add_feed(target, name)
        location, kind = self._local_location(target)
        existing = {s.location: s for s in self.store.sources()}
        if str(location) in existing:
            raise SourceError(excerpt(target), f"already added as {existing[str(location)].name!r}")
        result = self._load_local(str(location))  # fails before anything is stored
        assert result is not None  # only a fingerprint to compare can skip the load
        wanted = sanitize(name or result.title or location.stem or location.name) or "source"
        job = Job(Source(0, wanted, kind, str(location)), FeedState())
        decision = decide(job, Loaded(result), self._clock(), ())
        assert decision.update is not None
        try:  # the name is made unique, and the place checked again, as it is saved
            source, stats = self.store.add_source_with(
                NewSource(wanted, kind, str(location)), decision.update
            )
        except DuplicateSourceError as error:  # added meanwhile by another streamtui
            raise SourceError(excerpt(target), f"already added as {error.name!r}") from None
        self.index_left_entries()
        return source, SyncReport(source, stats, problem_lines(result))

    def add_feed(self, url: str, name: str | None = None) -> tuple[Source, SyncReport]:
        """Subscribe to a feed URL. A password in it goes to the credential store, never to
        the database: the source is stored (and its ids scoped) by the URL without it."""
        from streamtui.core.sources.feedurl import check_url, default_name

        given = check_url(url)
        url, login = login_from_url(given)
        if login is not None:
            self.store.check_writable()  # said as for any save, before the password is kept
        if login is not None:
            updated = self._new_password(url, login, given)
            if updated is not None:
                return updated, SyncReport(updated, password_updated=True)
        self._refuse_duplicate(url)
        with self._feed_urls() as reader:
            got = reader.read_one(url, login=login)
        assert got.feed is not None
        # A feed that has moved for good is stored at its new address (ids keep the old).
        location = got.fetched.permanent_redirect or url
        if location != url:
            self._refuse_duplicate(location)
        wanted = sanitize(name or default_name(got.feed, url)) or "feed"
        new = NewSource(wanted, SourceKind.FEED, location, key=url, login=bool(login))
        job = Job(Source(0, wanted, SourceKind.FEED, location, key=url), FeedState())
        decided = decide(job, got, self._clock(), ())
        assert decided.update is not None
        update = replace(decided.update, rename=None)  # the name just chosen stays
        if login is not None:  # before the source: a store that cannot keep it adds nothing
            self.credentials.put("feed", url, login)
        try:  # added and stored in one transaction: never an empty source left behind
            source, stats = self.store.add_source_with(new, update, identity=feed_identity)
        except StreamtuiError as error:
            if login is not None:
                self.credentials.delete("feed", url)
            if isinstance(error, DuplicateSourceError):  # subscribed meanwhile elsewhere
                raise SourceError(excerpt(url), f"already subscribed as {error.name!r}") from None
            raise
        problems = (f"feed warning: {got.feed.warning}",) if got.feed.warning else ()
        self.index_left_entries()
        return source, SyncReport(source, stats, problems)

    def _new_password(self, url: str, login: Credential, given: str) -> Source | None:
        """A URL with a password for a feed already subscribed at that URL: the stored
        password is replaced (a changed password, or one lost with the credential file);
        None when no such feed exists. The ids stay: the source and its key do not change.
        A feed whose ids were made from its URL with the password in it (``scoped``) and
        whose credential was lost gets ``given`` as its scope: the URL as first added, when
        the user gives it as they did then."""
        wanted = feed_identity(url)
        for source in self.store.sources(counted=False):
            if source.kind is SourceKind.FEED and wanted == feed_identity(source.location):
                kept = self._credential(source) if source.login else None
                scope = kept.scope if kept is not None else given if source.scoped else ""
                self.credentials.put(
                    "feed", source.key, Credential(login.user, login.secret, login.origin, scope)
                )
                if not source.login:
                    self.store.change_source(source.id, SourceChange(login=True))
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
            from streamtui.core.sources.feedurl import check_url

            url, login = login_from_url(check_url(target))
            with self._feed_urls() as reader:
                feed = reader.read_one(url, login=login).feed
            assert feed is not None
            shown = sanitize(redact_url(url))
            warning = (LoadProblem(shown, feed.warning),) if feed.warning else ()
            return LoadResult(feed.items, warning)
        location, _ = self._local_location(target)
        result = self._load_local(str(location))
        assert result is not None  # only a fingerprint to compare can skip the load
        return result

    def sync(
        self, source: Source, *, force: bool = False, cancel: threading.Event | None = None
    ) -> SyncReport:
        """Re-read a local source and bring the store up to date, as a refresh does (the
        same reader, decision and write); errors stay on the source.

        An unchanged source (same names, sizes and times) is not read at all. ``cancel``
        stops the parse of a feed file (nothing is stored then).
        """
        state = FeedState() if force else self.store.feed_states([source.id]).get(source.id)
        job = Job(source, state or FeedState())
        got = LocalPages(self._bundled, PoolParser(self)).read(job, cancel)
        decision = decide(job, got, self._clock(), ())
        stats = SyncStats()
        if decision.update is not None:
            (outcome,) = self.store.apply([decision.update])
            if isinstance(outcome, StreamtuiError):
                raise outcome
            stats = outcome
        if isinstance(got, Failed):
            return SyncReport(source, error=decision.message)
        if isinstance(got, Skipped):
            return SyncReport(source)
        problems = problem_lines(got.result) if isinstance(got, Loaded) and got.result else ()
        return SyncReport(source, stats, problems)

    def sync_all(self) -> Iterator[SyncReport]:
        """Re-read every local source (feeds are fetched and accounts synced by
        :meth:`refresh`)."""
        local = (SourceKind.FOLDER, SourceKind.FILE, SourceKind.BUNDLED)
        for source in self.store.sources():
            if source.kind in local:
                yield self.sync(source)

    def _load_local(self, location: str) -> LoadResult | None:
        """A local source's items, read now (SourceError when it cannot be)."""
        return LocalPages(self._bundled, PoolParser(self)).load(location)

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

    def _refuse_duplicate(
        self, url: str, known: Sequence[tuple[str, str, str]] | None = None
    ) -> None:
        """Refuse a feed already subscribed at this address, or first added at it."""
        wanted = feed_identity(url)
        for location, key, name in self.store.feed_addresses() if known is None else known:
            if wanted in (feed_identity(location), feed_identity(key)):
                raise SourceError(excerpt(url), f"already subscribed as {excerpt(name, 60)!r}")
        if known is None:  # a feed a server account carries: its items would come twice
            for source in self.store.sources(counted=False):
                if source.feed_url and feed_identity(source.feed_url) == wanted:
                    raise SourceError(
                        excerpt(url),
                        f"account {excerpt(source.account, 40)!r} carries it already "
                        f"(as {excerpt(source.name, 60)!r})",
                    )


def _local_target(target: str) -> str:
    """A ``file:`` URL as the path it names (SourceError for another host); else as it is."""
    if not target.strip().lower().startswith("file:"):
        return target
    from streamtui.core.sources.feedfile import local_path

    return local_path(target)


def _looks_like_url(target: str) -> bool:
    return target.lower().startswith(_URL_SCHEMES) or "://" in target
