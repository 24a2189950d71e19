"""The sync backends (core/sync) against the real Tiny Tiny RSS and the Google Reader test
server (FreshRSS and Miniflux dialects), N feeds x M items: a first sync, a sync with nothing
new, 1,000 marks pushed (time and requests each); newsboat's first and no-change reload of the
same Tiny Tiny RSS (time, and its requests counted once through a relay), as ratios.

Run: .venv/bin/python benchmarks/sync_clients.py [--feeds 200 --items 100] [--repeat 3]
     [--no-newsboat] [--only greader|ttrss] [--smoke]

A sync here is what the integration will do: categories, feeds, every page of
``items_since``, and the lists of unread and starred ids unless the last page says no mark
changed (tt-rss's counters; Miniflux's changes). Nothing is stored: the figures are the
protocol's (requests, server and transfer time, JSON decoding).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import _bench as bench

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from streamtui.core.credentials import Credential
from streamtui.core.sync.backend import Backend
from streamtui.core.sync.greader import GReaderBackend
from streamtui.core.sync.models import Mark, MarkKind, SyncState
from streamtui.core.sync.ttrss import TtrssBackend
from streamtui.core.text.redact import origin
from support.servers import _http
from support.servers._common import ServerUnavailable
from support.servers.feeds import FeedSite
from support.servers.greader import GReaderServer
from support.servers.newsboat import Newsboat
from support.servers.ttrss import TinyTinyRss
from syncclient import Relay


@dataclass
class Synced:
    seconds: float
    requests: int
    items: int
    state: SyncState


async def sync(backend: Backend, state: SyncState) -> Synced:
    """One whole sync (see the module's docstring)."""
    began, before = time.perf_counter(), backend.requests
    await backend.categories()
    await backend.feeds()
    items = 0
    async for page in backend.items_since(state):
        items += len(page.items)
        state = page.state
    if state.marks_changed:
        await backend.unread_ids()
        await backend.starred_ids()
    return Synced(time.perf_counter() - began, backend.requests - before, items, state)


async def measure(backend: Backend, repeat: int) -> dict[str, tuple[bench.Figures, int, int]]:
    """First sync (``repeat`` times from a fresh state), no-change sync, 1,000 marks."""
    figures: dict[str, tuple[bench.Figures, int, int]] = {}
    runs = [await sync(backend, SyncState()) for _ in range(repeat)]
    figures["first sync"] = (
        bench.Figures(tuple(r.seconds for r in runs)),
        runs[-1].requests,
        runs[-1].items,
    )
    await sync(backend, runs[-1].state)  # the fingerprint of a state reached by a pull
    state = runs[-1].state
    again = []
    for _ in range(max(repeat, 3)):
        done = await sync(backend, state)
        state = done.state
        again.append(done)
    figures["no-change sync"] = (
        bench.Figures(tuple(r.seconds for r in again)),
        again[-1].requests,
        again[-1].items,
    )
    ids = sorted(await backend.unread_ids(), key=int)[:1000]
    for kind, name in ((MarkKind.READ, "1,000 marks read"), (MarkKind.UNREAD, "and unread")):
        began, before = time.perf_counter(), backend.requests
        async for _ in backend.push([Mark(i, kind) for i in ids]):
            pass
        figures[name] = (
            bench.Figures((time.perf_counter() - began,)),
            backend.requests - before,
            len(ids),
        )
    return figures


def show(server: str, figures: dict[str, tuple[bench.Figures, int, int]]) -> None:
    for name, (times, requests, items) in figures.items():
        shown = times.ms() if times.median < 1 else times.s()
        print(f"  {server:<18} {name:<18} {shown:<26} {requests:>6} requests  {items} items")


def ttrss(site: FeedSite, repeat: int, newsboat: bool) -> None:
    server = TinyTinyRss.start()
    try:
        for k in range(site.feed_count):
            server.subscribe(site.feed_url(k), category=f"Group {k % 5}")
        print(f"  tt-rss: {site.feed_count} feeds fetched in {server.update_feeds():.1f} s")
        login = Credential(server.user, server.password, origin(server.base_url))
        backend = TtrssBackend("bench", server.base_url, login)
        figures = asyncio.run(run(backend, repeat))
        show("tt-rss", figures)
        if newsboat:
            compare(server, figures, repeat)
    finally:
        server.stop()


async def run(backend: Backend, repeat: int) -> dict[str, tuple[bench.Figures, int, int]]:
    try:
        return await measure(backend, repeat)
    finally:
        await backend.aclose()


def compare(
    server: TinyTinyRss, ours: dict[str, tuple[bench.Figures, int, int]], repeat: int
) -> None:
    try:
        first, again = [], []
        for _ in range(repeat):
            with Newsboat(server.base_url, server.user, server.password) as client:
                first.append(client.reload())
                again += [client.reload() for _ in range(max(repeat, 3))]
        with (
            Relay(server.base_url) as relay,
            Newsboat(relay.url("/"), server.user, server.password) as client,
        ):
            client.reload()
            first_requests = len(relay.http.log)
            relay.http.reset_log()
            client.reload()
            again_requests = len(relay.http.log)
    except ServerUnavailable as error:
        print(f"  newsboat: {error}")
        return
    theirs = {
        "first sync": (bench.Figures(tuple(first)), first_requests),
        "no-change sync": (bench.Figures(tuple(again)), again_requests),
    }
    for name, (times, requests) in theirs.items():
        print(f"  {'newsboat reload':<18} {name:<18} {times.s():<24} {requests:>6} requests")
        mine = ours[name]
        print(
            f"  {'ratio':<18} {name:<18} {bench.ratio(mine[0], times)} "
            f"(requests {mine[1] / max(requests, 1):.2f}x)"
        )


def no_delay() -> None:
    """TCP_NODELAY on the test servers' connections: each answer goes out in two writes
    (headers, body), and without it the second waits about 40 ms for the client's delayed
    ACK, which would be most of the figures here (45 ms a request instead of 1.4)."""
    setup = _http._Handler.setup

    def with_no_delay(handler: _http._Handler) -> None:
        setup(handler)
        handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    _http._Handler.setup = with_no_delay  # type: ignore[method-assign]


def greader(site: FeedSite, repeat: int) -> None:
    no_delay()
    for dialect in ("freshrss", "miniflux"):
        with GReaderServer(dialect=dialect) as server:
            for url in site.feed_urls:
                server.store.subscribe(url)
            login = Credential(server.user, server.password, origin(server.base_url))
            backend = GReaderBackend("bench", server.base_url, login)
            show(f"greader {dialect}", asyncio.run(run(backend, repeat)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument("--only", choices=("greader", "ttrss"), help="one server only")
    parser.add_argument("--smoke", action="store_true", help="3 feeds x 4 items, test servers")
    args = parser.parse_args()
    if args.smoke:
        args.feeds, args.items, args.repeat = 3, 4, 1
    with FeedSite(feeds=args.feeds, items=args.items) as site:
        print(f"{args.feeds} feeds x {args.items} items, repeat {args.repeat}")
        if args.only != "ttrss":
            greader(site, args.repeat)
        if not args.smoke and args.only != "greader":
            try:
                ttrss(site, args.repeat, not args.no_newsboat)
            except ServerUnavailable as error:
                print(f"  tt-rss: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
