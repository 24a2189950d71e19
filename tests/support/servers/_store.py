"""The data behind the Google Reader and Miniflux test servers: categories, feeds, entries.

Feeds are fetched from 127.0.0.1 only (anything else is refused, so no test reaches out);
RSS 2.0 and Atom are read with the standard library. Entries can also be injected directly,
marked, and "forgotten" (they vanish, as on a server that purged them).

Entry ids are ``"sequential"`` (1, 2, 3..., as Miniflux) or ``"timestamp"`` (microseconds of
the crawl, always increasing, as FreshRSS), so that clients meet both sizes of id.
"""

from __future__ import annotations

import email.utils
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ATOM = "{http://www.w3.org/2005/Atom}"


class StoreError(ValueError):
    """A feed that cannot be subscribed (not loopback, unreachable, not a feed)."""


@dataclass
class Category:
    id: int
    title: str


@dataclass
class Feed:
    id: int
    url: str
    title: str
    site_url: str
    category_id: int
    icon_url: str = ""
    etag: str = ""
    checked_at: float = 0.0


@dataclass
class Entry:
    id: int
    feed_id: int
    guid: str
    title: str
    url: str
    content: str
    author: str
    published: float
    created: float
    changed: float
    read: bool = False
    starred: bool = False


@dataclass
class Parsed:
    title: str
    site_url: str
    icon_url: str
    items: list[dict[str, str | float]] = field(default_factory=list)


class Store:
    def __init__(
        self, ids: Literal["sequential", "timestamp"] = "sequential", first_category: str = "All"
    ) -> None:
        self.lock = threading.RLock()
        self.ids = ids
        self.categories: dict[int, Category] = {}
        self.feeds: dict[int, Feed] = {}
        self.entries: dict[int, Entry] = {}
        self.forgotten: set[int] = set()
        self._forgotten_guids: dict[int, set[str]] = {}
        self._next = {"category": 1, "feed": 1, "entry": 1}
        self._last_stamp = 0
        self.category(first_category)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # --- categories and feeds ---

    def category(self, title: str) -> Category:
        """The category ``title``, made when missing."""
        with self.lock:
            for category in self.categories.values():
                if category.title == title:
                    return category
            made = Category(self._take("category"), title)
            self.categories[made.id] = made
            return made

    @property
    def first_category(self) -> Category:
        with self.lock:
            return self.categories[min(self.categories)]

    def feed_by_url(self, url: str) -> Feed | None:
        with self.lock:
            return next((f for f in self.feeds.values() if f.url == url), None)

    def subscribe(self, url: str, category: str | None = None, title: str = "") -> Feed:
        """Subscribe to ``url`` (fetched now); an existing subscription is returned as is."""
        found = self.feed_by_url(url)
        if found is not None:
            return found
        parsed, etag = self._fetch(url, "")
        if parsed is None:
            raise StoreError(f"{url}: not modified on first fetch")
        with self.lock:
            cat = self.category(category) if category else self.first_category
            feed = Feed(self._take("feed"), url, title or parsed.title or url, parsed.site_url,
                        cat.id, parsed.icon_url, etag, time.time())  # fmt: skip
            self.feeds[feed.id] = feed
            self._add_items(feed, parsed.items)
            return feed

    def unsubscribe(self, feed_id: int) -> bool:
        with self.lock:
            if self.feeds.pop(feed_id, None) is None:
                return False
            for entry_id in [e.id for e in self.entries.values() if e.feed_id == feed_id]:
                del self.entries[entry_id]
            return True

    def refresh(self, feed_id: int | None = None) -> int:
        """Fetch ``feed_id`` (or every feed) now; how many entries are new."""
        with self.lock:
            feeds = [self.feeds[feed_id]] if feed_id is not None else list(self.feeds.values())
        added = 0
        for feed in feeds:
            parsed, etag = self._fetch(feed.url, feed.etag)
            with self.lock:
                feed.checked_at = time.time()
                if parsed is not None:
                    feed.etag = etag
                    added += self._add_items(feed, parsed.items)
        return added

    # --- entries ---

    def inject(
        self,
        feed_id: int,
        title: str,
        *,
        guid: str = "",
        url: str = "",
        content: str = "",
        published: float | None = None,
    ) -> Entry:
        """Add one entry to ``feed_id`` directly (no fetch)."""
        with self.lock:
            now = time.time()
            entry = Entry(self._entry_id(), feed_id, guid or f"injected-{time.time_ns()}", title,
                          url, content, "", published or now, now, now)  # fmt: skip
            self.entries[entry.id] = entry
            return entry

    def mark(
        self, ids: Iterable[int], *, read: bool | None = None, starred: bool | None = None
    ) -> int:
        """Set read and/or starred on the known ids among ``ids``; how many changed."""
        changed = 0
        with self.lock:
            now = time.time()
            for entry_id in ids:
                entry = self.entries.get(entry_id)
                if entry is None:
                    continue
                before = (entry.read, entry.starred)
                if read is not None:
                    entry.read = read
                if starred is not None:
                    entry.starred = starred
                if (entry.read, entry.starred) != before:
                    entry.changed = now
                    changed += 1
        return changed

    def forget(self, ids: Iterable[int]) -> None:
        """Drop these entries, as a server that purged them (a refresh will not bring them
        back: their guids are remembered)."""
        with self.lock:
            for entry_id in ids:
                entry = self.entries.pop(entry_id, None)
                if entry is not None:
                    self.forgotten.add(entry_id)
                    self._forgotten_guids.setdefault(entry.feed_id, set()).add(entry.guid)

    def sorted_entries(self, *, newest_first: bool = True) -> list[Entry]:
        with self.lock:
            return sorted(self.entries.values(), key=lambda e: e.id, reverse=newest_first)

    # --- inside ---

    def _take(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    def _entry_id(self) -> int:
        if self.ids == "sequential":
            return self._take("entry")
        stamp = max(time.time_ns() // 1000, self._last_stamp + 1)
        self._last_stamp = stamp
        return stamp

    def _add_items(self, feed: Feed, items: list[dict[str, str | float]]) -> int:
        known = {e.guid for e in self.entries.values() if e.feed_id == feed.id}
        known |= self._forgotten_guids.get(feed.id, set())
        added = 0
        now = time.time()
        for item in reversed(items):  # oldest first: ids grow with age
            guid = str(item["guid"])
            if guid in known:
                continue
            entry = Entry(self._entry_id(), feed.id, guid, str(item["title"]), str(item["url"]),
                          str(item["content"]), str(item["author"]),
                          float(item["published"]) or now, now, now)  # fmt: skip
            self.entries[entry.id] = entry
            known.add(guid)
            added += 1
        return added

    def _fetch(self, url: str, etag: str) -> tuple[Parsed | None, str]:
        host = urllib.parse.urlsplit(url).hostname or ""
        if not (host.startswith("127.") or host == "localhost"):
            raise StoreError(f"{url}: the test servers fetch loopback feeds only")
        request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
        try:
            with self._opener.open(request, timeout=10) as answer:
                data = answer.read(16 * 1024 * 1024)
                new_etag = answer.headers.get("ETag", "")
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return None, etag
            raise StoreError(f"{url}: HTTP {error.code}") from error
        except OSError as error:
            raise StoreError(f"{url}: {error}") from error
        return parse_feed(url, data), new_etag


def parse_feed(url: str, data: bytes) -> Parsed:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise StoreError(f"{url}: not a feed ({error})") from error
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise StoreError(f"{url}: an RSS document without a channel")
        parsed = Parsed(_text(channel, "title"), _text(channel, "link"),
                        _text(channel, "image/url"))  # fmt: skip
        for item in channel.findall("item"):
            link = _text(item, "link")
            parsed.items.append({
                "guid": _text(item, "guid") or link or _text(item, "title"),
                "title": _text(item, "title"), "url": link,
                "content": _text(item, "description"), "author": _text(item, "author"),
                "published": _date(_text(item, "pubDate")),
            })  # fmt: skip
        return parsed
    if root.tag == f"{ATOM}feed":
        parsed = Parsed(_text(root, f"{ATOM}title"), _link(root), _text(root, f"{ATOM}icon"))
        for item in root.findall(f"{ATOM}entry"):
            stamp = _text(item, f"{ATOM}published") or _text(item, f"{ATOM}updated")
            parsed.items.append({
                "guid": _text(item, f"{ATOM}id") or _link(item),
                "title": _text(item, f"{ATOM}title"), "url": _link(item),
                "content": _text(item, f"{ATOM}content") or _text(item, f"{ATOM}summary"),
                "author": _text(item, f"{ATOM}author/{ATOM}name"),
                "published": _iso(stamp),
            })  # fmt: skip
        return parsed
    raise StoreError(f"{url}: not RSS or Atom (root element {root.tag})")


def _text(node: ElementTree.Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def _link(node: ElementTree.Element) -> str:
    for link in node.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return link.get("href", "")
    return ""


def _date(text: str) -> float:
    try:
        return email.utils.parsedate_to_datetime(text).timestamp() if text else 0.0
    except (TypeError, ValueError):
        return 0.0


def _iso(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else 0.0
    except ValueError:
        return 0.0
