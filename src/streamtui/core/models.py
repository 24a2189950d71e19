"""Values that cross layers: items, sources and the rows of the stream list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum


class SourceKind(StrEnum):
    FOLDER = "folder"
    FILE = "file"
    BUNDLED = "bundled"
    FEED = "feed"
    ACCOUNT = "account"
    """A feed of a server account: the server fetches it, streamtui syncs it."""


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A file attached to an item (a podcast episode, an image)."""

    url: str
    type: str = ""
    length: int = 0
    """Bytes, as the feed said (0: not said)."""
    duration: int = 0
    """Seconds of playing time, from ``itunes:duration`` or JSON Feed's
    ``duration_in_seconds`` (0: not said)."""


SUMMARY_CHARS = 280
"""The longest summary an item keeps (a page's first paragraph, a feed's description)."""


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
    author: str = ""
    """Who wrote it, as the feed names them (several joined with ", "; "" when unnamed)."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed holds, as parsed (parse/feed.py): its title, site link and items."""

    title: str
    link: str
    items: tuple[Item, ...]
    warning: str = ""
    """Why the feed is ill-formed although it loaded (feedparser's bozo message)."""
    version: str = ""
    """feedparser's format name (rss20, atom10...) or json1/json11 for JSON Feed."""


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
    credential store): the credential keeps that key as its scope (store/passwords.py)."""
    renaming: bool = False
    """The feed gives most of its items new ids at every fetch (its warning says more)."""
    account_id: int | None = None
    """The server account whose feed this is (kind ACCOUNT); None for every other source."""
    account: str = ""
    """That account's name."""
    feed_url: str = ""
    """An account feed's own URL, as the server gives it (its location is the account's)."""
    covered: str = ""
    """A feed URL subscribed here that an account also carries: that account's name. It is
    not fetched while the account carries it (its items would come twice)."""
    full_text: bool = False
    """Each new item's web page is fetched and its article kept, after a refresh (for
    feeds that carry only a summary)."""


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the next read of a source needs to know: a feed's validators for a conditional
    GET, the hash of the body it last parsed and a permanent redirect seen; a local source's
    fingerprint."""

    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    redirect_url: str = ""
    redirect_count: int = 0
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class NewSource:
    """A source to add; ``name`` is the one wanted (a number is added when it is taken)."""

    name: str
    kind: SourceKind
    location: str
    folder: str = ""
    key: str = ""
    login: bool = False
    """Its password is in the credential store, under ("feed", key)."""


class Keep(Enum):
    """A field of a :class:`SourceChange` left as it is stored."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class SourceChange:
    """What a read of a source changes of its stored state (KEEP: left as it is)."""

    etag: str | Keep = KEEP
    last_modified: str | Keep = KEEP
    content_hash: str | Keep = KEEP
    redirect_url: str | Keep = KEEP
    redirect_count: int | Keep = KEEP
    warning: str | Keep = KEEP
    last_error: str | Keep = KEEP
    site_url: str | Keep = KEEP
    location: str | Keep = KEEP
    """A feed that moved for good (a permanent redirect seen a few refreshes in a row)."""
    gone: bool | Keep = KEEP
    retry_at: float | Keep | None = KEEP
    updated_at: float | Keep = KEEP
    """When the source was read (an update with items is stamped as it is written)."""
    fingerprint: str | Keep = KEEP
    login: bool | Keep = KEEP


@dataclass(frozen=True, slots=True)
class Update:
    """One write decided for one source (refresh/decide.py), applied by the store: the
    changes to its state and, when it was read, its items."""

    source_id: int
    change: SourceChange = field(default_factory=SourceChange)
    items: tuple[Item, ...] | None = None
    """The items read (None: nothing was read, the stored items stay as they are)."""
    exact: bool = False
    """The items are all the source holds (a local source): the others go, starred ones stay."""
    whole: bool = False
    """The items are all a feed carries now (a parsed fetch): retention keeps them, and a
    fetch whose items are nearly all new counts towards churn."""
    rename: Callable[[str], str] | None = None
    """Given the source's name as stored when the update is written, the name it should
    take ("" keeps it); the store makes it unique in that transaction."""


@dataclass(frozen=True, slots=True)
class SyncStats:
    """What an update did to a source's items."""

    added: int = 0
    updated: int = 0
    removed: int = 0


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
    author: str = ""


@dataclass(frozen=True, slots=True)
class FullArticle:
    """The article extracted from an item's web page (reader/extract.py), as stored: clean
    HTML for the article renderer, which sanitises it and numbers its links; or, when there
    is none, ``error``: one line saying why (not a web page, a paywall stub, a 404...)."""

    item_id: str
    url: str
    """The page fetched (the item's link); the base of the article's relative links."""
    fetched_at: datetime
    title: str = ""
    html: str = ""
    error: str = ""
    words: int = 0

    @property
    def ok(self) -> bool:
        return not self.error


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
class RefreshEvent:
    """One source finished. ``outcome`` is updated, unchanged, failed or skipped; ``done``
    counts the sources finished so far of ``total``."""

    source: Source
    outcome: str
    added: int = 0
    message: str = ""
    done: int = 0
    total: int = 0
    network: bool = False
    """Failed without a connection (see FetchError.network)."""


@dataclass(slots=True)
class RefreshSummary:
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    added: int = 0
    failures: list[str] = field(default_factory=list)
    removed: int = 0
    """Items the cleanup after the refresh removed (retention)."""
    network_down: str = ""
    """Set when nearly every feed failed without a connection (refresh/decide.py): one line
    to show instead of a failure per feed."""
    indexing: int = 0
    """Items whose search entries a process of its own writes after the refresh returned
    (core/library/indexer.py): found by search a few seconds later."""

    def count(self, event: RefreshEvent) -> None:
        if event.outcome == "updated":
            self.updated += 1
        elif event.outcome == "unchanged":
            self.unchanged += 1
        elif event.outcome == "failed":
            self.failed += 1
            self.failures.append(f"{event.source.name}: {event.message}")
        else:
            self.skipped += 1
        self.added += event.added


@dataclass(frozen=True, slots=True)
class Changes:
    """What a mark or a star changed, so that the screen redraws only that."""

    count: int = 0
    """How many items changed."""
    ids: tuple[str, ...] = ()
    """The items changed (none listed after an undo)."""
    rows: tuple[Row, ...] = ()
    """Those items as they are now; none when ``bulk``."""
    unread: Mapping[int, int] = field(default_factory=dict)
    """Each source's change of unread count, by source id."""
    starred: int = 0
    """The change of the number of starred items."""
    bulk: bool = False
    """Too many to list (a whole view marked read, an undo): the list reads its rows again."""


@dataclass(frozen=True, slots=True)
class Undone:
    """What :meth:`Library.undo` put back: its description and how many items it restored."""

    description: str
    count: int
    changes: Changes = field(default_factory=Changes, compare=False)
    """The change itself (bulk: the screen reads what it shows again)."""


# -- server accounts (issue 14: core/sources/accounts, store/accounts.py) -----------------


@dataclass(frozen=True, slots=True)
class Account:
    """A server account (Tiny Tiny RSS, Miniflux, a Google Reader or Fever server): its feeds
    are sources of kind ACCOUNT, and read state and stars go both ways. Its secret is in the
    credential store under ("account", name), never here."""

    id: int
    name: str
    kind: str
    """greader, ttrss, miniflux or fever (core/sync.KINDS)."""
    url: str
    user: str
    key: str
    """What its item ids are made from (its kind, URL and user as first added)."""
    synced_at: datetime | None = None
    """When its last complete sync ended."""
    last_error: str = ""
    """Why its last sync failed, one line ("" once one succeeds)."""
    note: str = ""
    """What its last sync has to say besides (marks dropped for items the server forgot)."""
    pending: int = 0
    """Marks and stars made here and not yet acknowledged by the server."""


@dataclass(slots=True)
class AccountReport:
    """What syncing one account did."""

    account: Account
    added: int = 0
    """Items new here (on feeds new or old)."""
    changed: int = 0
    """Items whose read or starred state changed here because it changed there."""
    pushed: int = 0
    """Marks acknowledged by the server."""
    pending: int = 0
    """Marks still waiting (the server was down, or a push has a bound)."""
    requests: int = 0
    error: str = ""
    note: str = ""
    feeds: int = 0
    """Feeds the account has after the sync."""
    covered: tuple[str, ...] = ()
    """Names of sources subscribed directly that this account carries too."""


# -- retention: how many of a feed's items are kept (the rules: store/retention.py) ----------

DAY = 86_400.0
MAX_DAYS = 36_500
"""SourceRetention above a hundred years (or that many items) are refused as typing mistakes."""
MAX_ITEMS = 10_000_000


@dataclass(frozen=True, slots=True)
class Retention:
    """The config's limits, for every feed without its own (0: no limit)."""

    keep_days: int = 0
    """Items older than this many days go (newsboat's keep-articles-days; 0 keeps all)."""
    max_items: int = 1000
    """At most this many items a feed (newsboat's max-items, which keeps all by default)."""
    unread_days: int = 14
    """Unread items stay at least this many days after they arrived, whatever the limits."""


@dataclass(frozen=True, slots=True)
class SourceRetention:
    """One source's limits: its own, or None where the config's apply."""

    keep_days: int | None = None
    max_items: int | None = None

    def over(self, defaults: Retention) -> tuple[int, int]:
        """(keep_days, max_items) in force for the source."""
        return (
            defaults.keep_days if self.keep_days is None else self.keep_days,
            defaults.max_items if self.max_items is None else self.max_items,
        )


@dataclass(slots=True)
class CleanupReport:
    removed: dict[str, int] = field(default_factory=dict)
    """Items removed, by source name, in source order."""
    freed_bytes: int = 0
    """How much smaller the database became (after an incremental vacuum)."""
    pending: bool = False
    """The pass stopped at its limit: more items are due to go (at the next pass)."""

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def check_limit(value: int, what: str) -> str:
    """Why ``value`` cannot be a limit for ``what`` ("" when it can)."""
    highest = MAX_DAYS if what == "days" else MAX_ITEMS
    if value < 0 or value > highest:
        return f"must be a whole number of {what} from 0 to {highest:,}"
    return ""
