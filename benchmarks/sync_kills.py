"""Server accounts under kill -9 (issue 14), many times over: a child process marks an
account's items read, unread, starred and unstarred and syncs every few marks against the
Google Reader test server (FreshRSS dialect), and is killed with SIGKILL at a random moment
(between marks, during a pull of hundreds of new items, during a push); after each kill every
acknowledged mark must be stored here, and after the last trial one sync must leave the
server holding exactly what is stored here, nothing waiting, every item once, the database
sound (tests/support/account_kills.py; tests/reliability/test_accounts_kill.py is the short form).

Run: .venv/bin/python benchmarks/sync_kills.py [--trials 100] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._reliability import Row, report
from streamtui.core.library import Library
from streamtui.core.store import Store
from tests.support.account_kills import Outcome, check_end, trial
from tests.support.feedserver import PROXY_VARIABLES
from tests.support.servers.feeds import FeedSite
from tests.support.servers.greader import GReaderServer


def kills(trials: int) -> Row:
    began = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    outcome = Outcome()
    with (
        tempfile.TemporaryDirectory(prefix="streamtui-kills-") as top,
        FeedSite(feeds=1, items=30) as site,
        GReaderServer(dialect="freshrss") as server,
    ):
        feed = server.store.subscribe(site.feed_url(0)).id
        data = Path(top) / "data"
        data.mkdir()
        library = Library(Store.open(data / "streamtui.db"), bundled=data)
        library.add_account("greader", server.base_url, server.user, server.password, "work")
        library.close()
        for seed in range(trials):
            if seed % 3 == 1:
                for j in range(300):
                    server.store.inject(feed, f"trial {seed} item {j}")
            trial(data, seed, env, outcome)
        library = Library(Store.open(data / "streamtui.db"), bundled=data)
        (synced,) = library.sync_accounts()
        library.close()
        if synced.error:
            outcome.crashes.append(f"the last sync failed: {synced.error}")
        entries = {e.title: (e.read, e.starred) for e in server.store.entries.values()}
        check_end(data, entries, outcome)
    for line in (outcome.crashes + outcome.lost)[:5]:
        print(f"  {line}")
    return Row(
        "kill -9 during an account's marks, pulls and pushes (real child, SIGKILL)",
        outcome.trials,
        outcome.trials - min(outcome.trials, len(outcome.lost) + len(outcome.crashes)),
        crashes=len(outcome.crashes),
        lost=len(outcome.lost),
        seconds=time.perf_counter() - began,
        note=(
            f"{outcome.acknowledged:,} marks acknowledged; {outcome.killed_in_sync} killed "
            "in a sync; the server ends equal to the store"
        ),
    )


def rows(quick: bool, *, trials: int | None = None) -> list[Row]:
    return [kills(trials or (10 if quick else 100))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    return report(rows(args.quick, trials=args.trials))


if __name__ == "__main__":
    sys.exit(main())
