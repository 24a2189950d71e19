"""kill -9 at random moments while an account's items are marked and synced (a real child
process, SIGKILL): no acknowledged mark is lost, none is sent twice to a wrong effect, and the
server ends holding exactly what is stored here (tests/support/account_kills.py; the long
run: benchmarks/sync_kills.py)."""

from __future__ import annotations

import os
from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store
from tests.support.account_kills import Outcome, check_end, trial
from tests.support.feedserver import PROXY_VARIABLES
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import feed_site_fixture  # noqa: F401
from tests.support.servers.greader import GReaderServer

TRIALS = 12


def test_kill_9_during_marks_and_syncs_loses_nothing(tmp_path: Path, feed_site: FeedSite) -> None:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    with GReaderServer(dialect="freshrss") as server:
        k = feed_site.add_feed(items=20)
        feed = server.store.subscribe(feed_site.feed_url(k)).id
        data = tmp_path / "data"
        data.mkdir()
        library = Library(Store.open(data / "streamtui.db"), bundled=data)
        library.add_account("greader", server.base_url, server.user, server.password, "work")
        library.close()
        outcome = Outcome()
        for seed in range(TRIALS):
            if seed % 3 == 1:  # new items: the next child's sync pulls pages when killed
                for j in range(300):
                    server.store.inject(feed, f"trial {seed} item {j}")
            trial(data, seed, env, outcome)
        library = Library(Store.open(data / "streamtui.db"), bundled=data)
        (report,) = library.sync_accounts()
        library.close()
        assert report.error == ""
        entries = {e.title: (e.read, e.starred) for e in server.store.entries.values()}
        check_end(data, entries, outcome)
    assert outcome.trials == TRIALS and outcome.acknowledged > TRIALS
    assert outcome.crashes == [] and outcome.lost == []
