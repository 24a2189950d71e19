"""pytest fixtures over the sync servers (import them by their ``*_fixture`` names).

    from tests.support.servers.fixtures import feed_site_fixture, ttrss_fixture  # noqa: F401

    def test_x(ttrss: TinyTinyRss, feed_site: FeedSite) -> None: ...

The real servers (``ttrss``, ``coldsweat``) are session-scoped: one per pytest-xdist worker,
already subscribed to the session's ``feed_site`` feeds (feed 0 uncategorized, the others in
"News") and updated. Tests share them: a test that changes state should use items of its own
(``feed_site.add_feed(...)`` then subscribe) or assert only on what it changed. The test
servers (``greader``, ``miniflux``) are cheap and per test. A real server that cannot start
skips its tests with the reason, or fails them under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._common import ServerUnavailable, unavailable
from .coldsweat import Coldsweat
from .feeds import FeedSite
from .greader import GReaderServer
from .miniflux import MinifluxServer
from .newsboat import Newsboat
from .ttrss import TinyTinyRss

SESSION_FEEDS = 3
SESSION_ITEMS = 4


@pytest.fixture(scope="session", name="feed_site")
def feed_site_fixture() -> Iterator[FeedSite]:
    """The session's loopback feed site: 3 feeds of 4 items at first."""
    with FeedSite(feeds=SESSION_FEEDS, items=SESSION_ITEMS) as site:
        yield site


@pytest.fixture(scope="session", name="ttrss")
def ttrss_fixture(feed_site: FeedSite) -> Iterator[TinyTinyRss]:
    """A real Tiny Tiny RSS subscribed to the session's feeds, updated once."""
    try:
        server = TinyTinyRss.start()
    except ServerUnavailable as error:
        unavailable(f"Tiny Tiny RSS cannot start: {error}")
    try:
        for k in range(SESSION_FEEDS):
            server.subscribe(feed_site.feed_url(k), category="News" if k else None)
        server.update_feeds()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", name="coldsweat")
def coldsweat_fixture(feed_site: FeedSite) -> Iterator[Coldsweat]:
    """A real coldsweat subscribed to the session's feeds (fetched)."""
    try:
        server = Coldsweat.start()
    except ServerUnavailable as error:
        unavailable(f"coldsweat cannot start: {error}")
    try:
        server.subscribe(feed_site.feed_url(0))
        server.subscribe(feed_site.feed_urls[1:SESSION_FEEDS], category="News")
        yield server
    finally:
        server.stop()


@pytest.fixture(name="newsboat")
def newsboat_fixture(ttrss: TinyTinyRss) -> Iterator[Newsboat]:
    """A fresh newsboat (own home and cache) pointed at the session's Tiny Tiny RSS."""
    try:
        client = Newsboat(ttrss.base_url, ttrss.user, ttrss.password)
    except ServerUnavailable as error:
        unavailable(f"newsboat cannot run: {error}")
    with client:
        yield client


@pytest.fixture(name="greader", params=["freshrss", "miniflux"])
def greader_fixture(request: pytest.FixtureRequest) -> Iterator[GReaderServer]:
    """A Google Reader test server, once per dialect."""
    with GReaderServer(dialect=request.param) as server:
        yield server


@pytest.fixture(name="miniflux")
def miniflux_fixture() -> Iterator[MinifluxServer]:
    with MinifluxServer() as server:
        yield server
