"""A loopback feed site for the sync servers: N feeds of M items, each naming an icon on
127.0.0.1, so that no server under test looks for one elsewhere.

    with FeedSite(feeds=3, items=5) as site:
        site.feed_url(0)              # http://127.0.0.1:PORT/feeds/0.xml
        site.add_items(0, 2)          # two newer items in feed 0 (its ETag changes)
        site.count("/feeds/0.xml")    # requests served for that path

Feed ``k`` is "Feed k"; its item ``j`` (1-based, newer as j grows) has the guid
``feed-k-item-j``, the title "Feed k item j" and a link under ``/site/k/``. Each channel has an
RSS ``<image>`` of 16x16 pixels at ``/icon.png`` (coldsweat keeps a square image as the feed's
icon, and otherwise asks a public favicon service), and the site pages name the same icon.
Feeds send an ETag and a Last-Modified (their newest item's date) and answer 304 to a
matching If-None-Match or a recent enough If-Modified-Since. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import email.utils
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

BASE_TIME = 1_767_225_600  # 2026-01-01 00:00 UTC: item j of a feed is published j minutes later


@dataclass(frozen=True)
class Hit:
    """One request the site answered: method, path (with query), status, User-Agent."""

    method: str
    path: str
    status: int
    agent: str


def icon_png() -> bytes:
    """A valid 16x16 PNG (one colour)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\x20\x80\xc0" * 16) * 16)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
    return png + chunk(b"IEND", b"")


class FeedSite:
    """The site; a context manager (or :meth:`start`/:meth:`stop`)."""

    def __init__(self, feeds: int = 2, items: int = 3) -> None:
        self._lock = threading.Lock()
        self._items = [items] * feeds
        self._versions = [1] * feeds
        self._cache: dict[int, tuple[int, bytes]] = {}
        self.hits: list[Hit] = []
        self._icon = icon_png()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.site = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- addresses ---

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed_url(self, k: int) -> str:
        return self.url(f"/feeds/{k}.xml")

    @property
    def feed_urls(self) -> list[str]:
        return [self.feed_url(k) for k in range(len(self._items))]

    @property
    def icon_url(self) -> str:
        return self.url("/icon.png")

    # --- content ---

    @property
    def feed_count(self) -> int:
        return len(self._items)

    def items_in(self, k: int) -> int:
        with self._lock:
            return self._items[k]

    def add_feed(self, items: int) -> int:
        """A new feed with ``items`` items; returns its index."""
        with self._lock:
            self._items.append(items)
            self._versions.append(1)
            return len(self._items) - 1

    def add_items(self, k: int, count: int = 1) -> list[str]:
        """``count`` newer items in feed ``k``; returns their guids."""
        with self._lock:
            first = self._items[k] + 1
            self._items[k] += count
            self._versions[k] += 1
            return [guid(k, j) for j in range(first, first + count)]

    def feed_body(self, k: int) -> tuple[str, bytes]:
        """Feed ``k``'s ETag and RSS bytes (built once per version)."""
        with self._lock:
            version, count = self._versions[k], self._items[k]
            cached = self._cache.get(k)
            if cached and cached[0] == version:
                return f'"{k}-{version}"', cached[1]
        body = rss(k, count, self.url(f"/site/{k}/"), self.icon_url).encode()
        with self._lock:
            self._cache[k] = (version, body)
        return f'"{k}-{version}"', body

    # --- log ---

    def count(self, path: str | None = None) -> int:
        """How many requests were served (to ``path``, query ignored)."""
        with self._lock:
            return sum(1 for hit in self.hits if path is None or hit.path.split("?")[0] == path)

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()

    # --- life ---

    def start(self) -> FeedSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)


def guid(k: int, j: int) -> str:
    return f"feed-{k}-item-{j}"


def rss(k: int, count: int, site: str, icon: str) -> str:
    """RSS 2.0 for feed ``k`` with items 1..count, newest first."""
    items = "".join(_item(k, j, site) for j in range(count, 0, -1))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Feed {k}</title><link>{escape(site)}</link>"
        f"<description>Test feed {k}</description>"
        f"<image><url>{escape(icon)}</url><title>Feed {k}</title><link>{escape(site)}</link>"
        "<width>16</width><height>16</height></image>"
        f"{items}</channel></rss>\n"
    )


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def _item(k: int, j: int, site: str) -> str:
    date = _http_date(BASE_TIME + 60 * j)
    return (
        f"<item><title>Feed {k} item {j}</title><link>{escape(site)}{j}</link>"
        f'<guid isPermaLink="false">{guid(k, j)}</guid><pubDate>{date}</pubDate>'
        f"<description>&lt;p&gt;Text of item {j} of feed {k}.&lt;/p&gt;</description></item>"
    )


def _page(k: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>Site {escape(k)}</title>"
        '<link rel="icon" href="/icon.png"></head><body>A test page.</body></html>'
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: FeedSite


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("?", 1)[0]
        status, headers, body = self._answer(site, path)
        site._record(Hit(self.command, self.path, status, self.headers.get("User-Agent", "")))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def _answer(self, site: FeedSite, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if path in ("/icon.png", "/favicon.ico"):
            return 200, [("Content-Type", "image/png")], site._icon
        if path.startswith("/feeds/") and path.endswith(".xml"):
            number = path[len("/feeds/") : -len(".xml")]
            if number.isdigit() and int(number) < site.feed_count:
                etag, body = site.feed_body(int(number))
                stamp = BASE_TIME + 60 * site.items_in(int(number))  # its newest item's date
                validators = [("ETag", etag), ("Last-Modified", _http_date(stamp))]
                if self._not_modified(etag, stamp):
                    return 304, validators, b""
                kind = "application/rss+xml; charset=utf-8"
                return 200, [("Content-Type", kind), *validators], body
        if path == "/" or path.startswith("/site/"):
            return 200, [("Content-Type", "text/html; charset=utf-8")], _page(path)
        return 404, [("Content-Type", "text/plain")], b"not found"

    def _not_modified(self, etag: str, stamp: int) -> bool:
        if self.headers.get("If-None-Match"):
            return self.headers.get("If-None-Match") == etag
        since = self.headers.get("If-Modified-Since")
        try:
            return bool(since) and email.utils.parsedate_to_datetime(since).timestamp() >= stamp
        except (TypeError, ValueError):
            return False

    def log_message(self, format: str, *args: Any) -> None:
        pass


def items_of(k: int, count: int) -> Iterator[str]:
    """The titles of feed ``k``'s items 1..count (oldest first), for assertions."""
    for j in range(1, count + 1):
        yield f"Feed {k} item {j}"
