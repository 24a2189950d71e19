"""Values that cross layers: items, sources and the rows of the stream list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    FOLDER = "folder"
    FILE = "file"
    BUNDLED = "bundled"
    FEED = "feed"


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A file attached to an item (a podcast episode, an image)."""

    url: str
    type: str = ""
    length: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One story as a loader produced it. Every text field is already sanitised."""

    id: str
    title: str
    summary: str
    body: str
    published: datetime
    teaser: bool = False
    truncated: bool = False
    link: str = ""
    path: str = ""
    encoding: str = "utf-8"
    aliases: tuple[str, ...] = ()
    """Ids this story would carry as a teaser on other pages (read state follows them)."""
    html: bool = False
    """The body (and summary) are HTML from a feed, not plain text."""
    enclosures: tuple[Enclosure, ...] = ()
    dated: bool = True
    """False when the source gave no usable date: ``published`` is when it was first seen."""
    text: str | None = None
    """The text the search index holds besides the title, when the loader made it already
    (feeds do, in the parser processes, so that the store's writer never converts HTML)."""


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A file inside a source that could not be read, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class LoadResult:
    items: tuple[Item, ...]
    problems: tuple[LoadProblem, ...] = ()
    fingerprint: str = ""
    """Changes whenever any file of the source changes; equal fingerprints mean nothing to do."""
    title: str = ""
    """The feed's own title, for a feed file (a name for the source when it is added)."""


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    name: str
    kind: SourceKind
    location: str
    unread: int = 0
    total: int = 0
    updated_at: datetime | None = None
    last_error: str = ""
    key: str = ""
    """Scopes item ids; stays when a feed's URL moves."""
    folder: str = ""
    warning: str = ""
    gone: bool = False
    retry_at: datetime | None = None
    login: bool = False
    """A password for this feed is in the credential store, under ("feed", key)."""
    scoped: bool = False
    """Its item ids were made from a key that held the password (a database older than the
    credential store): the credential keeps that key as its scope (secrets_migration.py)."""
    renaming: bool = False
    """The feed gives most of its items new ids at every fetch (its warning says more)."""


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the next conditional GET of a feed needs to know."""

    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    redirect_url: str = ""
    redirect_count: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the stream list: only the narrow columns, never the body."""

    id: str
    source_id: int
    title: str
    published: datetime
    teaser: bool
    truncated: bool
    read: bool
    starred: bool


@dataclass(frozen=True, slots=True)
class Article:
    """An item opened for reading: the row plus what lives in the bodies table."""

    row: Row
    source_name: str
    summary: str
    body: str
    link: str
    path: str
    encoding: str
    html: bool = False
    enclosures: tuple[Enclosure, ...] = ()
    base: str = ""
    """The source's location, against which relative links in an HTML body resolve."""


@dataclass(frozen=True, slots=True)
class View:
    """What the stream list shows: a source filter, the unread-only switch, starred items
    only, and a search query. Every filter applies together with the others."""

    source_id: int | None = None
    unread_only: bool = False
    since: float = field(default=0.0, compare=False)
    """Items read after this moment stay in an unread-only view until it is rebuilt."""
    starred: bool = False
    query: str = ""
    """What the user typed to search; a view with a query is ranked by relevance, not date."""


@dataclass(frozen=True, slots=True)
class Undone:
    """What :meth:`Library.undo` put back: its description and how many items it restored."""

    description: str
    count: int
