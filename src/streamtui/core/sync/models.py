"""The values every sync backend returns: what a server holds, where a sync stopped, what a
server can do, and the read/starred marks sent to it.

Ids are strings as the server gives them (numbers written in decimal), stable across syncs:
an item is keyed by (account, :attr:`RemoteItem.id`), never by its feed's guid, which several
APIs do not expose. Times are aware UTC datetimes, clamped into the range every local time
zone can show (core/dates.py's rule). Text fields are the server's text as it came (titles, HTML
bodies): the pipeline that stores them sanitises them once, as it does a feed's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from streamtui.core.dates import from_stamp
from streamtui.core.models import Enclosure

__all__ = [
    "Capabilities",
    "Enclosure",
    "ItemPage",
    "Mark",
    "MarkKind",
    "Pushed",
    "RemoteCategory",
    "RemoteFeed",
    "RemoteItem",
    "SyncState",
]


@dataclass(frozen=True, slots=True)
class RemoteCategory:
    """A server's folder of feeds (tt-rss category, Miniflux category, Google Reader label,
    Fever group)."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class RemoteFeed:
    """A subscription on the server. ``category_ids`` name :class:`RemoteCategory` ids
    (Fever and Google Reader allow several; most servers give one or none)."""

    id: str
    title: str
    url: str
    site_url: str = ""
    category_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """One item as the server holds it.

    ``content`` is HTML as the server gives it (tt-rss: as the feed gave it, so relative URLs
    are relative to ``link``); ``summary`` a shorter text where the API has one besides.
    ``published`` is the item's date (or when the server first saw it, when it gives none);
    ``updated`` is a later date the feed gave, when the API says one. ``changed`` is when the
    server says the item's read or starred state last changed: only Miniflux gives it
    (``changed_at``); elsewhere it is None and a conflict is decided by when this side first
    saw the change (see the package's docstring)."""

    id: str
    feed_id: str
    title: str
    link: str
    published: datetime
    content: str = ""
    summary: str = ""
    guid: str | None = None
    author: str | None = None
    updated: datetime | None = None
    enclosures: tuple[Enclosure, ...] = ()
    read: bool = False
    starred: bool = False
    changed: datetime | None = None


class MarkKind(StrEnum):
    READ = "read"
    UNREAD = "unread"
    STAR = "star"
    UNSTAR = "unstar"

    @property
    def axis(self) -> str:
        """ "read" for read/unread, "starred" for star/unstar: two marks on one axis of one
        item cancel each other, the later wins."""
        return "read" if self in (MarkKind.READ, MarkKind.UNREAD) else "starred"

    @property
    def sets(self) -> bool:
        """The state the mark sets on its axis (read or starred: True)."""
        return self in (MarkKind.READ, MarkKind.STAR)


@dataclass(frozen=True, slots=True)
class Mark:
    """One change to send: an item id (as the server gave it) and what to set."""

    item_id: str
    kind: MarkKind


@dataclass(frozen=True, slots=True)
class Pushed:
    """Marks the server acknowledged in one request (or one bounded group of requests).

    ``marks`` may be dropped from the queue: they are applied, or superseded by a later mark
    of the same item and axis that was applied. ``missing`` are ids among them that the server
    says it does not have (forgotten, purged): nothing more can be done about those."""

    marks: tuple[Mark, ...]
    requests: int
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where the last sync of an account stopped: persisted per account after each page.

    ``last_item_id`` is the highest item id pulled (decimal; ids grow on every server here);
    ``last_sync`` is when the last complete pull ended (this machine's clock);
    ``cursors`` are the backend's own values (a page in progress, a server time watermark,
    a fingerprint of the read/starred counts), opaque to the caller. :meth:`to_json` /
    :meth:`from_json` give the text to store.

    ``marks_changed`` (on the last page of a pull, not stored) is False when the backend
    could tell, cheaply, that no read or starred state of an item pulled before changed on the
    server since the previous pull (tt-rss: its counters; Miniflux: the changes came in the
    pages), so :meth:`Backend.unread_ids` and :meth:`Backend.starred_ids` may be skipped; True
    when it may have (or the backend cannot tell)."""

    last_item_id: str = ""
    last_sync: datetime | None = None
    cursors: tuple[tuple[str, str], ...] = ()
    marks_changed: bool = True

    def cursor(self, name: str, default: str = "") -> str:
        return dict(self.cursors).get(name, default)

    def with_cursors(self, **values: str | None) -> SyncState:
        """A copy with these cursors set (None removes one)."""
        merged = dict(self.cursors)
        for name, value in values.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return replace(self, cursors=tuple(sorted(merged.items())))

    def to_json(self) -> str:
        data: dict[str, object] = {"last_item_id": self.last_item_id}
        if self.last_sync is not None:
            data["last_sync"] = self.last_sync.timestamp()
        data["cursors"] = dict(self.cursors)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SyncState:
        """The state stored by :meth:`to_json`; a fresh state for anything unreadable (the
        next sync then pulls everything again, which the store takes as updates)."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(data, Mapping):
            return cls()
        last_id = data.get("last_item_id")
        stamp = data.get("last_sync")
        raw = data.get("cursors")
        cursors = raw if isinstance(raw, Mapping) else {}
        return cls(
            last_item_id=last_id if isinstance(last_id, str) and last_id.isdigit() else "",
            last_sync=from_stamp(stamp) if isinstance(stamp, int | float) else None,
            cursors=tuple(
                sorted((str(k), str(v)) for k, v in cursors.items() if isinstance(v, str))
            ),
        )


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of :meth:`Backend.items_since`: store ``items``, then persist ``state`` (in
    one transaction), and a sync stopped at any point resumes from there."""

    items: tuple[RemoteItem, ...]
    state: SyncState


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an account's API allows, for the integration and the UI to say plainly.

    ``changes_since``: :meth:`Backend.items_since` also yields older items whose read or
    starred state changed since the last sync, with :attr:`RemoteItem.changed` times, so
    :meth:`Backend.unread_ids` and :meth:`Backend.starred_ids` are only needed now and then.
    ``marks_per_request``: how many item ids one mark request carries.
    ``marks_per_push``: the most marks one :meth:`Backend.push` sends (the rest stay queued
    for the next sync), or None for no bound.
    ``why_no_subscriptions``: the sentence to show when subscribing is not possible."""

    subscribe: bool = True
    unsubscribe: bool = True
    changes_since: bool = False
    change_times: bool = False
    marks_per_request: int = 1
    marks_per_push: int | None = None
    why_no_subscriptions: str = ""
    notes: tuple[str, ...] = field(default=())
