"""Issue 14's "Done when" against the real servers: Debian's Tiny Tiny RSS and coldsweat (the
Fever API), each reached through a relay that can go down: add the account, see its feeds under
their categories, read and star here and see it there, change it there and see it here, stop
the server, keep marking, start it again and see every change arrive; newsboat, reading the same
Tiny Tiny RSS, agrees. The servers are shared by the tests of one worker (xdist group): each
test uses feeds of its own. Under CI=true a server that cannot start fails these tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streamtui.core.errors import StreamtuiError
from streamtui.core.fetch import Limits
from streamtui.core.library import Library
from tests.support.accountsync import (
    FeverThere,
    There,
    TtrssThere,
    here,
    library_at,
    row,
    source_of,
)
from tests.support.servers.coldsweat import Coldsweat
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import (  # noqa: F401
    coldsweat_fixture,
    feed_site_fixture,
    newsboat_fixture,
    ttrss_fixture,
)
from tests.support.servers.newsboat import Newsboat
from tests.support.servers.ttrss import TinyTinyRss
from tests.support.syncclient import Relay

pytestmark = pytest.mark.xdist_group("sync-servers")
FAST = Limits(connect=2, read=5, total=10)


@pytest.fixture(scope="module")
def ttrss_relay(ttrss: TinyTinyRss) -> Iterator[Relay]:
    with Relay(ttrss.base_url) as relay:
        yield relay


@pytest.fixture(scope="module")
def coldsweat_relay(coldsweat: Coldsweat) -> Iterator[Relay]:
    with Relay(coldsweat.base_url) as relay:
        yield relay


@pytest.fixture(params=["ttrss", "fever"])
def there(request: pytest.FixtureRequest, feed_site: FeedSite) -> Iterator[There]:
    found: There
    if request.param == "ttrss":
        server = request.getfixturevalue("ttrss")
        found = TtrssThere(server, request.getfixturevalue("ttrss_relay"), feed_site)
    else:
        server = request.getfixturevalue("coldsweat")
        found = FeverThere(server, request.getfixturevalue("coldsweat_relay"), feed_site)
    yield found
    found.up()


def account(library: Library, there: There) -> Library:
    _, report = library.add_account(there.kind, there.url, there.user, there.password, "home")
    assert report.error == "", report.error
    return library


def test_done_when_add_read_star_both_ways_offline_and_back(there: There, tmp_path: Path) -> None:
    k = there.feed(4, category=f"Cat {there.kind}")
    library = account(library_at(tmp_path), there)
    feed = source_of(library, f"Feed {k}")
    assert feed.folder == f"Cat {there.kind}" and feed.account == "home"
    assert (feed.unread, feed.total) == (4, 4)
    t1, t2, t3, t4 = (f"Feed {k} item {j}" for j in range(1, 5))
    # read and star here: there
    library.mark_read([row(library, t1).id])
    library.set_starred([row(library, t2).id], True)
    (report,) = library.sync_accounts()
    assert report.error == "" and report.pushed == 2
    assert there.state(t1) == (True, False) and there.state(t2) == (False, True)
    # changed there: here
    there.mark(t3, read=True, starred=True)
    there.mark(t2, starred=False)
    library.sync_accounts()
    assert here(library, t3) == (True, True) and here(library, t2) == (False, False)
    # offline: keep reading and marking, the server is stopped
    there.down()
    library.mark_read([row(library, t4).id])
    library.set_starred([row(library, t4).id], True)
    library.mark_read([row(library, t1).id], False)
    (report,) = library.sync_accounts(limits=FAST)
    assert report.error.startswith("home: ") and "\n" not in report.error
    assert library.accounts()[0].pending == 3
    assert here(library, t4) == (True, True)  # here at once, whatever the server
    there.up()
    (report,) = library.sync_accounts()
    assert report.error == "" and report.pending == 0
    assert there.state(t4) == (True, True) and there.state(t1) == (False, False)
    # new items there come here, by the watermark
    there.grow(k, 2)
    (report,) = library.sync_accounts()
    assert report.added == 2 and source_of(library, f"Feed {k}").total == 6


def test_old_items_read_there_and_stars_set_there_come_here(there: There, tmp_path: Path) -> None:
    k = there.feed(3)
    library = account(library_at(tmp_path), there)
    there.grow(k, 3)
    library.sync_accounts()
    there.mark(f"Feed {k} item 1", read=True)
    there.mark(f"Feed {k} item 2", starred=True)
    library.sync_accounts()
    assert here(library, f"Feed {k} item 1") == (True, False)
    assert here(library, f"Feed {k} item 2") == (False, True)


def test_a_sync_with_nothing_new_costs_a_constant_number_of_requests(
    there: There, tmp_path: Path
) -> None:
    there.feed(2)
    library = account(library_at(tmp_path), there)
    library.sync_accounts()
    costs = []
    for _ in range(2):
        before = there.requests()
        (report,) = library.sync_accounts()
        costs.append((report.requests, there.requests() - before))
        there.feed(2)  # one more feed: the cost stays
        library.sync_accounts()
    assert costs[0] == costs[1] and costs[0][0] <= 8, costs


def test_unread_there_after_read_here_wins(there: There, tmp_path: Path) -> None:
    k = there.feed(1)
    library = account(library_at(tmp_path), there)
    title = f"Feed {k} item 1"
    library.mark_read([row(library, title).id])
    library.sync_accounts()
    there.down()
    library.mark_read([row(library, title).id], False)
    library.mark_read([row(library, title).id], True)
    there.up()
    there.mark(title, read=False)
    library.sync_accounts()
    assert here(library, title) == (False, False) and there.state(title) == (False, False)


def test_read_here_while_starred_there_keeps_both(there: There, tmp_path: Path) -> None:
    k = there.feed(1)
    library = account(library_at(tmp_path), there)
    title = f"Feed {k} item 1"
    there.down()
    library.mark_read([row(library, title).id])
    there.up()
    there.mark(title, starred=True)
    library.sync_accounts()
    assert here(library, title) == (True, True) and there.state(title) == (True, True)


def test_newsboat_agrees_with_streamtui_on_tiny_tiny_rss(
    ttrss: TinyTinyRss, ttrss_relay: Relay, feed_site: FeedSite, newsboat: Newsboat, tmp_path: Path
) -> None:
    there = TtrssThere(ttrss, ttrss_relay, feed_site)
    k = there.feed(2, category="Newsboat")
    library = account(library_at(tmp_path), there)
    mine, theirs = f"Feed {k} item 1", f"Feed {k} item 2"
    library.mark_read([row(library, mine).id])
    library.sync_accounts()
    newsboat.reload()
    seen = {item.title: item for item in newsboat.items()}
    assert not seen[mine].unread and seen[theirs].unread
    newsboat.mark_read(theirs)
    library.sync_accounts()
    assert here(library, theirs) == (True, False)


def test_fever_says_plainly_that_it_cannot_add_or_remove_feeds(
    coldsweat: Coldsweat, coldsweat_relay: Relay, feed_site: FeedSite, tmp_path: Path
) -> None:
    there = FeverThere(coldsweat, coldsweat_relay, feed_site)
    k = there.feed(1)
    library = account(library_at(tmp_path), there)
    why = library.why_no_subscriptions("home")
    assert "cannot add or remove feeds" in why
    with pytest.raises(StreamtuiError, match="cannot add or remove feeds"):
        library.subscribe("home", feed_site.feed_url(0))
    with pytest.raises(StreamtuiError, match="cannot add or remove feeds"):
        library.remove_source(f"Feed {k}")
    assert f"Feed {k}" in library.source_names().values()
