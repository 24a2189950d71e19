"""The far side of a sync in the account tests: one small interface over the four servers
(:class:`There`), so that each "Done when" case of issue 14 runs the same against Tiny Tiny
RSS and coldsweat (real servers, behind a :class:`~syncclient.Relay` that can go down) and
the Google Reader and Miniflux test servers (which go down themselves).

``there.state(title)`` is (read, starred) on the server; ``there.mark(title, read=...,
starred=...)`` changes it as another client would; ``there.down()``/``up()`` stop and start
answering; ``there.feed(items, category)`` subscribes the server to a new loopback feed of
this test's own and fetches it; ``there.grow(k)`` adds an item and has the server fetch it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from streamtui.core.library import Library
from streamtui.core.models import Row, Source
from streamtui.core.store import Store
from tests.support.servers.coldsweat import Coldsweat
from tests.support.servers.feeds import FeedSite
from tests.support.servers.greader import GReaderServer
from tests.support.servers.miniflux import MinifluxServer
from tests.support.servers.ttrss import TinyTinyRss
from tests.support.syncclient import Relay


class There(Protocol):
    kind: str
    url: str
    user: str
    password: str
    site: FeedSite

    def feed(self, items: int, category: str | None = None) -> int: ...
    def grow(self, k: int, count: int = 1) -> None: ...
    def state(self, title: str) -> tuple[bool, bool]: ...
    def mark(
        self, title: str, *, read: bool | None = None, starred: bool | None = None
    ) -> None: ...
    def down(self) -> None: ...
    def up(self) -> None: ...
    def requests(self) -> int: ...


@dataclass
class ServerThere:
    """The Google Reader (either dialect) or Miniflux test server."""

    server: GReaderServer | MinifluxServer
    site: FeedSite
    kind: str = ""
    password: str = ""
    feeds: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kind = "greader" if isinstance(self.server, GReaderServer) else "miniflux"
        self.password = self.server.password

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def user(self) -> str:
        return self.server.user

    def feed(self, items: int, category: str | None = None) -> int:
        k = self.site.add_feed(items=items)
        self.feeds[k] = self.server.store.subscribe(self.site.feed_url(k), category).id
        return k

    def grow(self, k: int, count: int = 1) -> None:
        self.site.add_items(k, count)
        self.server.store.refresh(self.feeds[k])

    def _entry(self, title: str) -> Any:
        (entry,) = [e for e in self.server.store.entries.values() if e.title == title]
        return entry

    def state(self, title: str) -> tuple[bool, bool]:
        entry = self._entry(title)
        return entry.read, entry.starred

    def mark(self, title: str, *, read: bool | None = None, starred: bool | None = None) -> None:
        self.server.store.mark([self._entry(title).id], read=read, starred=starred)

    def down(self) -> None:
        self.server.http.down()

    def up(self) -> None:
        self.server.http.up()

    def requests(self) -> int:
        return len(self.server.http.log)


@dataclass
class TtrssThere:
    """The real Tiny Tiny RSS, reached through a relay that can go down."""

    ttrss: TinyTinyRss
    relay: Relay
    site: FeedSite
    kind: str = "ttrss"
    feeds: dict[int, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.relay.url("/")

    @property
    def user(self) -> str:
        return self.ttrss.user

    @property
    def password(self) -> str:
        return self.ttrss.password

    def feed(self, items: int, category: str | None = None) -> int:
        k = self.site.add_feed(items=items)
        self.feeds[k] = self.ttrss.subscribe(self.site.feed_url(k), category=category)
        self.ttrss.update_feeds()
        return k

    def grow(self, k: int, count: int = 1) -> None:
        self.site.add_items(k, count)
        self.ttrss.update_feeds()

    def _headline(self, title: str) -> dict[str, Any]:
        for feed_id in self.feeds.values():
            for row in self.ttrss.api.headlines(feed_id, view_mode="all_articles"):
                if row["title"] == title:
                    return row
        raise AssertionError(f"no article {title!r} on tt-rss")

    def state(self, title: str) -> tuple[bool, bool]:
        article = self.ttrss.api.article(int(self._headline(title)["id"]))
        return not article["unread"], bool(article["marked"])

    def mark(self, title: str, *, read: bool | None = None, starred: bool | None = None) -> None:
        article_id = int(self._headline(title)["id"])
        if read is not None:
            self.ttrss.api.set_read([article_id], read)
        if starred is not None:
            self.ttrss.api.set_starred([article_id], starred)

    def down(self) -> None:
        self.relay.http.down()

    def up(self) -> None:
        self.relay.http.up()

    def requests(self) -> int:
        return len(self.relay.http.log)


@dataclass
class FeverThere:
    """The real coldsweat (Fever API), reached through a relay that can go down."""

    coldsweat: Coldsweat
    relay: Relay
    site: FeedSite
    kind: str = "fever"

    @property
    def url(self) -> str:
        return self.relay.url("/fever/")

    @property
    def user(self) -> str:
        return self.coldsweat.email

    @property
    def password(self) -> str:
        return self.coldsweat.password

    def feed(self, items: int, category: str | None = None) -> int:
        k = self.site.add_feed(items=items)
        self.coldsweat.subscribe(self.site.feed_url(k), category=category)
        return k

    def grow(self, k: int, count: int = 1) -> None:
        self.site.add_items(k, count)
        self.coldsweat.fetch()

    def _item(self, title: str) -> dict[str, Any]:
        (item,) = [i for i in self.coldsweat.fever.items() if i["title"] == title]
        return item

    def state(self, title: str) -> tuple[bool, bool]:
        item_id = int(self._item(title)["id"])
        return (
            item_id not in self.coldsweat.fever.unread_item_ids(),
            item_id in self.coldsweat.fever.saved_item_ids(),
        )

    def mark(self, title: str, *, read: bool | None = None, starred: bool | None = None) -> None:
        item_id = int(self._item(title)["id"])
        if read is not None:
            self.coldsweat.fever.mark_item(item_id, "read" if read else "unread")
        if starred is not None:
            self.coldsweat.fever.mark_item(item_id, "saved" if starred else "unsaved")

    def down(self) -> None:
        self.relay.http.down()

    def up(self) -> None:
        self.relay.http.up()

    def requests(self) -> int:
        return len(self.relay.http.log)


# -- the near side ----------------------------------------------------------------------------


def library_at(folder: Path, clock: Any = time.time) -> Library:
    return Library(Store.open(folder / "streamtui.db"), bundled=folder, clock=clock)


def row(library: Library, title: str) -> Row:
    """The one stored row titled ``title``."""
    found = [r for r in library.store.rows(library.view(None), 0, 100_000) if r.title == title]
    assert len(found) == 1, (title, found)
    return found[0]


def here(library: Library, title: str) -> tuple[bool, bool]:
    found = row(library, title)
    return found.read, found.starred


def source_of(library: Library, name: str) -> Source:
    (found,) = [s for s in library.sources() if s.name == name]
    return found


@contextmanager
def relayed(target: str) -> Iterator[Relay]:
    with Relay(target) as relay:
        yield relay
