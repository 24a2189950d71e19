"""A fetcher and a parser to give a Library (``Library(store, fetcher=..., parser=...)``), so
that a refresh runs without a server and without a process pool. The real ones stay tested
(test_fetch, test_feed_sources, test_hostile_network, test_feeds...)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from streamtui.core.credentials import Credential
from streamtui.core.errors import SourceError
from streamtui.core.fetch import Conditional, Fetched, FetchError, Limits
from streamtui.core.models import ParsedFeed
from streamtui.core.parse.feed import parse_feed
from streamtui.core.parse.pool import CANCELLED

K = TypeVar("K")


@dataclass(slots=True)
class FakeFetcher:
    """Answers from ``pages`` (URL -> bytes, or a FetchError to raise for it); a URL whose
    validators match the ones ``etags`` gives it answers 304. Every request is recorded."""

    pages: dict[str, bytes | FetchError] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, Conditional, Credential | None]] = field(default_factory=list)

    def answer(self, url: str, conditional: Conditional, login: Credential | None) -> Fetched:
        self.requests.append((url, conditional, login))
        page = self.pages.get(url)
        if page is None:
            raise FetchError(url, "http", "HTTP 404 Not Found", status=404)
        if isinstance(page, FetchError):
            raise page
        etag = self.etags.get(url, "")
        if etag and conditional.etag == etag:
            return Fetched(url, url, 304, b"", etag=etag)
        return Fetched(url, url, 200, page, etag=etag, content_type="application/rss+xml")

    async def many(
        self,
        requests: Iterable[tuple[K, str, Conditional]],
        *,
        limits: Limits,
        logins: Callable[[K], Credential | None] | None = None,
    ) -> AsyncIterator[tuple[K, Fetched | FetchError]]:
        for key, url, conditional in requests:
            try:
                yield key, self.answer(url, conditional, logins(key) if logins else None)
            except FetchError as error:
                yield key, error

    def one(self, url: str, *, limits: Limits, login: Credential | None = None) -> Fetched:
        return self.answer(url, Conditional(), login)


@dataclass(slots=True)
class InProcessParser:
    """parse_feed on the caller's thread (the pool runs the same function in a worker)."""

    calls: int = 0

    def parse(
        self,
        data: bytes,
        *,
        source_key: str,
        url: str = "",
        seen_at: datetime,
        cancel: threading.Event | None = None,
    ) -> ParsedFeed:
        self.calls += 1
        if cancel is not None and cancel.is_set():
            raise SourceError(url or "feed", CANCELLED)
        return parse_feed(data, source_key=source_key, url=url, seen_at=seen_at)

    def release(self) -> None:
        """Nothing to stop."""

    def close(self) -> None:
        """Nothing to stop."""
