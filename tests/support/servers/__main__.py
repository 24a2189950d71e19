"""Start each sync server once and print how long things take (for the report and the later
benchmarks/sync.py): ``cd tests && ../.venv/bin/python -m support.servers --feeds 200
--items 100``. Every server listens on 127.0.0.1 and stops at the end."""

from __future__ import annotations

import argparse
import time

from ._common import ServerUnavailable
from .coldsweat import Coldsweat, ensure_venv
from .feeds import FeedSite
from .greader import GReaderServer
from .miniflux import MinifluxServer
from .newsboat import Newsboat
from .ttrss import TinyTinyRss


def line(name: str, seconds: float, note: str = "") -> None:
    print(f"{name:<50} {seconds:8.2f} s  {note}", flush=True)


def ttrss(site: FeedSite) -> None:
    server = TinyTinyRss.start()
    try:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in server.timings.items())
        line("tt-rss: start", server.started_in, f"({parts})")
        began = time.monotonic()
        for k in range(site.feed_count):
            server.subscribe(site.feed_url(k), category=f"Group {k % 5}")
        line(f"tt-rss: subscribe {site.feed_count} feeds (API)", time.monotonic() - began)
        line("tt-rss: update_feeds (API updateFeed, 4 at once)", server.update_feeds())
        articles = server.sql("select count(*) from ttrss_entries")
        line("tt-rss: update_feeds again (nothing new)", server.update_feeds(), f"{articles} arts")
        line("tt-rss: update.php --force-update --feeds", server.run_update_daemon_once())
        try:
            with Newsboat(server.base_url, server.user, server.password) as newsboat:
                line("newsboat: first reload (-x reload)", newsboat.reload(),
                     f"{len(newsboat.items())} articles")  # fmt: skip
                line("newsboat: reload, nothing new", newsboat.reload())
        except ServerUnavailable as error:
            print(f"newsboat: {error}")
        print(f"tt-rss: requests that tried to leave 127.0.0.1: {len(server.trap.attempts)}")
    finally:
        server.stop()


def coldsweat(site: FeedSite) -> None:
    began = time.monotonic()
    ensure_venv()
    line("coldsweat: virtual environment ready", time.monotonic() - began)
    with Coldsweat.start() as server:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in server.timings.items())
        line("coldsweat: start", server.started_in, f"({parts})")
        line(f"coldsweat: import + fetch {site.feed_count} feeds", server.subscribe(site.feed_urls))
        line("coldsweat: fetch, nothing new", server.fetch(),
             f"{len(server.fever.unread_item_ids())} unread")  # fmt: skip
        print(f"coldsweat: requests that tried to leave 127.0.0.1: {len(server.trap.attempts)}")


def test_servers(site: FeedSite) -> None:
    for dialect in ("freshrss", "miniflux"):
        began = time.monotonic()
        with GReaderServer(dialect=dialect) as server:
            line(f"greader ({dialect}): start", time.monotonic() - began)
            began = time.monotonic()
            for url in site.feed_urls:
                server.store.subscribe(url)
            line(
                f"greader ({dialect}): subscribe {site.feed_count} feeds", time.monotonic() - began
            )
    began = time.monotonic()
    with MinifluxServer():
        line("miniflux REST: start", time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=3)
    parser.add_argument("--items", type=int, default=4)
    args = parser.parse_args()
    with FeedSite(feeds=args.feeds, items=args.items) as site:
        print(f"loopback feed site: {args.feeds} feeds x {args.items} items at {site.url()}")
        for part in (ttrss, coldsweat, test_servers):
            try:
                part(site)
            except ServerUnavailable as error:
                print(f"{part.__name__}: unavailable: {error}")


if __name__ == "__main__":
    main()
