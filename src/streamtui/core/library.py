"""The one facade the UI and the command line call: sources, the stream, read state."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from streamtui.core import paths
from streamtui.core.errors import SourceError, UnknownItemError, UnknownSourceError
from streamtui.core.files import display_path
from streamtui.core.models import Article, LoadResult, Row, Source, SourceKind, View
from streamtui.core.sanitize import sanitize
from streamtui.core.store import Store, SyncStats
from streamtui.core.streamtext import load_source

BUNDLED_LOCATION = "bundled:"
BUNDLED_NAME = "streamtui guide"
_DEFAULT_ADDED = "default_source_added"
_URL_SCHEMES = ("http://", "https://", "feed:", "ftp://", "file:")


@dataclass(frozen=True, slots=True)
class SyncReport:
    source: Source
    stats: SyncStats | None = None
    problems: tuple[str, ...] = ()
    error: str = ""


class Library:
    """Everything a user can do, over one :class:`Store`."""

    def __init__(
        self, store: Store, *, clock: Callable[[], float] = time.time, bundled: Path | None = None
    ) -> None:
        self.store = store
        self._clock = clock
        self._bundled = bundled or paths.bundled_content()

    # -- sources -------------------------------------------------------------------------

    def ensure_default_source(self) -> Source | None:
        """On the very first run, subscribe to the bundled guide (never again after)."""
        if self.store.meta(_DEFAULT_ADDED):
            return None
        self.store.set_meta(_DEFAULT_ADDED, "1")
        if any(s.location == BUNDLED_LOCATION for s in self.store.sources()):
            return None
        return self.store.add_source(BUNDLED_NAME, SourceKind.BUNDLED, BUNDLED_LOCATION)

    def sources(self) -> list[Source]:
        return self.store.sources()

    def add_source(self, target: str, name: str | None = None) -> tuple[Source, SyncReport]:
        """Subscribe to a local folder or stream file, load it, and return what it gave."""
        location, kind = self._local_location(target)
        existing = {s.location: s for s in self.store.sources()}
        if str(location) in existing:
            raise SourceError(
                display_path(target), f"already added as {existing[str(location)].name!r}"
            )
        result = self._load_all(str(location))  # fails before anything is stored
        wanted = sanitize(name or location.stem or location.name) or "source"
        source = self.store.add_source(self._unique_name(wanted), kind, str(location))
        return source, self._store_result(source, result)

    def remove_source(self, reference: str) -> Source:
        source = self.find_source(reference)
        self.store.remove_source(source.id)
        return source

    def find_source(self, reference: str) -> Source:
        """A source by its number, its name (case-insensitive) or its location."""
        sources = self.store.sources()
        for source in sources:
            if reference == str(source.id) or reference == source.location:
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
        raise UnknownSourceError(
            f"{display_path(reference)}: no such source (see 'streamtui sources')"
        )

    def preview(self, target: str) -> LoadResult:
        """Parse a source without storing anything."""
        location, _ = self._local_location(target)
        return self._load_all(str(location))

    def sync(self, source: Source, *, force: bool = False) -> SyncReport:
        """Re-read a local source and bring the store up to date; errors stay on the source.

        An unchanged source (same names, sizes and times) is not read at all.
        """
        known = None if force else self.store.fingerprint(source.id)
        try:
            result = self._load(source.location, unless=known)
        except SourceError as error:
            self.store.set_source_error(source.id, error.reason)
            return SyncReport(source, error=str(error))
        if result is None:
            return SyncReport(source, SyncStats())
        return self._store_result(source, result)

    def sync_all(self) -> Iterator[SyncReport]:
        for source in self.store.sources():
            yield self.sync(source)

    def _store_result(self, source: Source, result: LoadResult) -> SyncReport:
        problems = _problem_lines(result)
        stats = self.store.sync_items(
            source.id, result.items, fingerprint=result.fingerprint, error=_error_line(problems)
        )
        return SyncReport(source, stats, problems)

    def _load(self, location: str, *, unless: str | None = None) -> LoadResult | None:
        folder = self._bundled if location == BUNDLED_LOCATION else Path(location)
        return load_source(location, folder, unless=unless)

    def _load_all(self, location: str) -> LoadResult:
        result = self._load(location)
        assert result is not None  # only a fingerprint to compare can skip the load
        return result

    def _local_location(self, target: str) -> tuple[Path, SourceKind]:
        shown = display_path(target)
        if _looks_like_url(target):
            raise SourceError(
                shown,
                "feed URLs are not supported yet (RSS, Atom and JSON Feed "
                "come with the next release); add a local folder or "
                "stream file instead",
            )
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

    def _unique_name(self, wanted: str) -> str:
        taken = {s.name.casefold() for s in self.store.sources()}
        name, number = wanted, 2
        while name.casefold() in taken:
            name, number = f"{wanted} ({number})", number + 1
        return name

    # -- the stream ----------------------------------------------------------------------

    def view(self, source_id: int | None = None, *, unread_only: bool = False) -> View:
        return View(source_id, unread_only, self._clock())

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

    # -- read state ----------------------------------------------------------------------

    def mark_read(self, item_ids: Sequence[str], read: bool = True) -> list[str]:
        return self.store.set_read(item_ids, read, at=self._clock())

    def mark_view_read(self, view: View) -> list[str]:
        return self.store.mark_view_read(view, at=self._clock())

    def resolve_ids(self, references: Sequence[str]) -> list[str]:
        """Full item ids from ids or unique prefixes (at least 6 characters)."""
        resolved = []
        for reference in references:
            matches = self.store.ids_with_prefix(reference) if len(reference) >= 6 else []
            if len(matches) != 1:
                reason = "ambiguous id prefix" if matches else "no such item"
                raise UnknownItemError(f"{display_path(reference)}: {reason}")
            resolved.append(matches[0])
        return resolved


def open_library(data_dir: Path) -> tuple[Library, str]:
    """Open the library in ``data_dir``; returns it and a message for the user, if any."""
    store, message = Store.open_or_recover(data_dir / paths.DB_NAME)
    return Library(store), message


def _looks_like_url(target: str) -> bool:
    return target.lower().startswith(_URL_SCHEMES) or "://" in target


def _error_line(problems: tuple[str, ...]) -> str:
    return f"{len(problems)} file(s) skipped: {problems[0]}" if problems else ""


def _problem_lines(result: LoadResult) -> tuple[str, ...]:
    return tuple(f"{problem.path}: {problem.reason}" for problem in result.problems)
