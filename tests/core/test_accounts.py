"""Server accounts (issue 14) through the Library against the Google Reader test server (both
dialects) and the Miniflux test server: adding an account, its feeds under their categories,
read and star both ways, old items read elsewhere, conflicts, incremental syncs, the queue
while the server is down, errors as one line, identity with a feed subscribed directly.
The same cases against the real Tiny Tiny RSS and coldsweat: test_accounts_real.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamtui.core.errors import StreamtuiError
from streamtui.core.fetch import Limits
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from tests.support.accountsync import ServerThere, here, library_at, row, source_of
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import feed_site_fixture  # noqa: F401
from tests.support.servers.greader import GReaderServer
from tests.support.servers.miniflux import MinifluxServer

FAST = Limits(connect=2, read=2, total=4, max_bytes=512 * 1024)


@pytest.fixture(params=["freshrss", "greader-miniflux", "miniflux"])
def there(request: pytest.FixtureRequest, feed_site: FeedSite) -> Iterator[ServerThere]:
    server: GReaderServer | MinifluxServer
    if request.param == "miniflux":
        server = MinifluxServer()
    else:
        server = GReaderServer(dialect="freshrss" if request.param == "freshrss" else "miniflux")
    with server:
        yield ServerThere(server, feed_site)


def added(library: Library, there: ServerThere, name: str = "work") -> Library:
    _, report = library.add_account(there.kind, there.url, there.user, there.password, name)
    assert report.error == "", report.error
    return library


def test_an_account_brings_its_feeds_under_their_categories_with_their_items(
    there: ServerThere, tmp_path: Path
) -> None:
    news, plain = there.feed(3, "News"), there.feed(2)
    library = added(library_at(tmp_path), there)
    (account,) = library.accounts()
    assert (account.name, account.kind, account.user, account.last_error) == (
        "work",
        there.kind,
        there.user,
        "",
    )
    assert account.synced_at is not None and account.pending == 0
    feeds = {s.name: s for s in library.sources() if s.account == "work"}
    assert feeds[f"Feed {news}"].folder == "News"
    assert feeds[f"Feed {news}"].kind is SourceKind.ACCOUNT
    assert feeds[f"Feed {news}"].feed_url == there.site.feed_url(news)
    assert feeds[f"Feed {plain}"].folder != "News"
    assert (feeds[f"Feed {news}"].unread, feeds[f"Feed {news}"].total) == (3, 3)
    assert here(library, f"Feed {news} item 2") == (False, False)
    # ids stay the same at every sync
    before = row(library, f"Feed {news} item 2").id
    library.sync_accounts()
    assert row(library, f"Feed {news} item 2").id == before


def test_read_and_star_here_reach_the_server_and_changes_there_come_back(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(3, "News")
    library = added(library_at(tmp_path), there)
    first, second, third = (f"Feed {k} item {j}" for j in (1, 2, 3))
    changes = library.mark_read([row(library, first).id])
    assert changes.count == 1 and library.accounts()[0].pending == 1  # queued at once
    library.set_starred([row(library, second).id], True)
    (report,) = library.sync_accounts()
    assert report.error == "" and report.pushed == 2 and report.pending == 0
    assert there.state(first) == (True, False)
    assert there.state(second) == (False, True)
    there.mark(third, read=True, starred=True)
    there.mark(first, read=False)
    (report,) = library.sync_accounts()
    assert report.changed == 2
    assert here(library, third) == (True, True)
    assert here(library, first) == (False, False)
    assert library.accounts()[0].pending == 0


def test_old_items_read_and_starred_elsewhere_arrive_without_being_pulled_again(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(2)
    library = added(library_at(tmp_path), there)
    for _ in range(3):  # newer items come, the first ones are older than anything new
        there.grow(k, 5)
        library.sync_accounts()
    there.mark(f"Feed {k} item 1", read=True)
    there.mark(f"Feed {k} item 2", starred=True)
    library.sync_accounts()
    assert here(library, f"Feed {k} item 1") == (True, False)
    assert here(library, f"Feed {k} item 2") == (False, True)


def test_a_star_set_there_on_an_item_never_pulled_brings_the_item(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    entry = there.server.store.inject(there.feeds[k], "Injected long ago", published=1e9)
    state = library.store.account_state(library.accounts()[0].id)
    assert state  # the watermark is past the injected item's id on sequential servers too
    there.mark("Injected long ago", read=True, starred=True)
    library.sync_accounts()
    assert here(library, "Injected long ago") == (True, True)
    assert entry.starred


def test_marks_made_while_the_server_is_down_wait_and_all_arrive(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(4)
    library = added(library_at(tmp_path), there)
    titles = [f"Feed {k} item {j}" for j in range(1, 5)]
    there.down()
    try:
        library.mark_read([row(library, titles[0]).id, row(library, titles[1]).id])
        library.set_starred([row(library, titles[2]).id], True)
        library.mark_read([row(library, titles[1]).id], False)  # changed again, offline
        (report,) = library.sync_accounts(limits=FAST)
        assert "connection refused" in report.error and "\n" not in report.error
        assert report.error.startswith("work: ")
        (account,) = library.accounts()
        assert account.last_error == report.error and account.pending == 4
        assert here(library, titles[0]) == (True, False)  # what is here stays
    finally:
        there.up()
    (report,) = library.sync_accounts()
    assert report.error == "" and report.pending == 0
    assert [there.state(t) for t in titles] == [
        (True, False), (False, False), (False, True), (False, False)
    ]  # fmt: skip
    (account,) = library.accounts()
    assert account.last_error == "" and account.pending == 0


def test_a_sync_with_nothing_new_costs_the_same_few_requests_however_many_feeds(
    there: ServerThere, tmp_path: Path
) -> None:
    library = added(library_at(tmp_path), there)
    costs = []
    for _ in range(2):
        for _ in range(5):
            there.feed(3)
        library.sync_accounts()
        there.server.http.reset_log()
        (report,) = library.sync_accounts()
        costs.append((report.requests, len(there.server.http.log)))
    assert costs[0] == costs[1]
    assert costs[0][0] <= 6, costs


def test_a_thousand_marks_go_out_in_a_handful_of_requests(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    feed = there.feeds[k]
    for j in range(1000):
        there.server.store.inject(feed, f"bulk {j}")
    library.sync_accounts()
    ids = [
        r.id for r in library.store.rows(library.view(source_of(library, f"Feed {k}").id), 0, 2000)
    ]
    library.mark_read(ids)
    there.server.http.reset_log()
    (report,) = library.sync_accounts()
    assert report.pushed == 1001
    edits = [entry for entry in there.server.http.log if entry.method in ("POST", "PUT")]
    assert len(edits) <= 4, [(e.method, e.path) for e in edits]
    assert all(e.read for e in there.server.store.entries.values() if e.feed_id == feed)


def test_read_here_while_starred_there_keeps_both(there: ServerThere, tmp_path: Path) -> None:
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    title = f"Feed {k} item 1"
    there.down()
    library.mark_read([row(library, title).id])
    there.mark(title, starred=True)
    there.up()
    library.sync_accounts()
    assert here(library, title) == (True, True)
    assert there.state(title) == (True, True)


def test_unread_there_after_read_here_wins(there: ServerThere, tmp_path: Path) -> None:
    """Read on both; here it goes unread and read again (queued, the server down); then there
    it is marked unread: the change there is the newer, and both end unread."""
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    title = f"Feed {k} item 1"
    library.mark_read([row(library, title).id])
    library.sync_accounts()
    assert there.state(title) == (True, False)
    there.down()
    library.mark_read([row(library, title).id], False)
    library.mark_read([row(library, title).id], True)
    time.sleep(0.01)
    there.mark(title, read=False)
    there.up()
    (report,) = library.sync_accounts()
    assert here(library, title) == (False, False)
    assert there.state(title) == (False, False)
    assert report.pending == 0  # the losing marks were dropped, not sent


def test_a_change_here_newer_than_the_one_there_wins_where_the_server_says_when(
    tmp_path: Path, feed_site: FeedSite
) -> None:
    """Miniflux dates each change (changed_at): read on both; there it goes unread; then here
    unread and read again: here is newer, and the item ends read on both."""
    with MinifluxServer() as server:
        there = ServerThere(server, feed_site)
        k = there.feed(1)
        library = added(library_at(tmp_path), there)
        title = f"Feed {k} item 1"
        library.mark_read([row(library, title).id])
        library.sync_accounts()
        server.http.down()
        there.mark(title, read=False)
        time.sleep(1.1)  # Miniflux's times are in seconds
        library.mark_read([row(library, title).id], False)
        library.mark_read([row(library, title).id], True)
        server.http.up()
        library.sync_accounts()
        assert here(library, title) == (True, False)
        assert there.state(title) == (True, False)


def test_the_newer_star_wins_both_ways_on_one_item(there: ServerThere, tmp_path: Path) -> None:
    k = there.feed(2)
    library = added(library_at(tmp_path), there)
    a, b = f"Feed {k} item 1", f"Feed {k} item 2"
    # here: star then unstar (queued); there: starred after -> there wins (seen at sync)
    there.down()
    library.set_starred([row(library, a).id], True)
    library.set_starred([row(library, a).id], False)
    there.mark(a, starred=True)
    # there: unread marked on b while here b was starred: different axes, both kept
    library.set_starred([row(library, b).id], True)
    there.mark(b, read=True)
    there.up()
    library.sync_accounts()
    assert here(library, a) == (False, True) and there.state(a) == (False, True)
    assert here(library, b) == (True, True) and there.state(b) == (True, True)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("500", "HTTP 500"),
        ("503", "asks to wait"),
        ("malformed", "not valid JSON"),
        ("huge", "larger than"),
        ("slow", "timed out"),
        ("401", "password"),
    ],
)
def test_a_failing_server_is_one_line_on_the_account_and_loses_nothing(
    tmp_path: Path, feed_site: FeedSite, fault: str, words: str
) -> None:
    """Against the Miniflux test server (each backend's own handling of every fault is
    tested in test_sync_clients_api.py): one line on the account, the queue and what is
    stored kept, all sent once the server answers again."""
    with MinifluxServer() as miniflux:
        check_fault(ServerThere(miniflux, feed_site), tmp_path, fault, words)


def check_fault(there: ServerThere, tmp_path: Path, fault: str, words: str) -> None:
    k = there.feed(2)
    library = added(library_at(tmp_path), there)
    title = f"Feed {k} item 1"
    library.mark_read([row(library, title).id])
    server = there.server.http
    if fault in ("500", "503", "401"):
        server.inject(status=int(fault))
    elif fault == "malformed":
        server.inject(malformed=True)
    elif fault == "huge":
        server.inject(huge=FAST.max_bytes + 1)
    else:
        server.inject(delay=FAST.total + 1)
    try:
        (report,) = library.sync_accounts(limits=FAST)
    finally:
        server.clear_faults()
    assert words in report.error and "\n" not in report.error, report.error
    assert there.password not in report.error
    (account,) = library.accounts()
    assert account.last_error == report.error and account.pending == 1
    assert here(library, title) == (True, False)
    library.sync_accounts()
    assert there.state(title) == (True, False) and library.accounts()[0].last_error == ""


def test_an_expired_login_is_renewed_once_and_a_refused_one_says_so(
    tmp_path: Path, feed_site: FeedSite
) -> None:
    with GReaderServer(dialect="freshrss") as server:
        there = ServerThere(server, feed_site)
        there.feed(1)
        library = added(library_at(tmp_path), there)
        kept = library.credentials.get("account", "work")
        assert kept is not None and kept.secret == ""  # the token is kept, not the password
        server.expire_auth()  # the token expires: no password to log in again with
        (report,) = library.sync_accounts()
        assert "give the password again" in report.error
        # giving it again (account add, the same server and user) keeps the account
        account, report = library.add_account("greader", there.url, there.user, there.password)
        assert account.name == "work" and report.error == ""
        assert len(library.accounts()) == 1


def test_a_wrong_password_adds_nothing(there: ServerThere, tmp_path: Path) -> None:
    library = library_at(tmp_path)
    with pytest.raises(StreamtuiError) as caught:
        library.add_account(there.kind, there.url, there.user, "not-the-password", "work")
    message = str(caught.value)
    assert message.startswith("work: ") and "\n" not in message
    assert "not-the-password" not in message
    assert library.accounts() == [] and library.credentials.names("account") == []


def test_a_feed_subscribed_directly_and_through_an_account_is_read_once(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(2)
    library = library_at(tmp_path)
    library.add_source(there.site.feed_url(k), "direct copy")
    added(library, there)
    covered = source_of(library, "direct copy")
    assert covered.covered == "work"
    there.site.add_items(k, 1)
    there.server.store.refresh(there.feeds[k])
    summary = library.refresh()
    assert summary.failed == 0
    assert source_of(library, "direct copy").total == 2  # not fetched: its items stay
    assert source_of(library, f"Feed {k}").total == 3
    library.remove_account("work")
    assert source_of(library, "direct copy").covered == ""


def test_removing_an_account_removes_its_sources_items_queue_and_login_only(
    there: ServerThere, tmp_path: Path, write_page: object
) -> None:
    there.feed(2)
    library = library_at(tmp_path)
    local = tmp_path / "pages"
    local.mkdir()
    (local / "a.txt").write_text("Local page\n\nText.\n")
    library.add_source(str(local), "mine")
    added(library, there)
    library.mark_read([library.store.rows(library.view(None), 0, 1)[0].id])
    library.remove_account("work")
    assert [s.name for s in library.sources()] == ["mine"]
    assert library.credentials.names("account") == []
    db = library.store._db  # type: ignore[attr-defined]
    for table in ("remote_items", "pending_marks", "account_categories", "accounts"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_subscribing_and_unsubscribing_through_the_server(
    there: ServerThere, tmp_path: Path
) -> None:
    there.feed(1, "News")
    library = added(library_at(tmp_path), there)
    k = there.site.add_feed(items=2)
    source, report = library.subscribe("work", there.site.feed_url(k), "News")
    assert report.error == "" and source.folder == "News" and source.total == 2
    assert there.server.store.feed_by_url(there.site.feed_url(k)) is not None
    library.unsubscribe(str(source.id))
    assert there.server.store.feed_by_url(there.site.feed_url(k)) is None
    assert source.id not in library.source_names()


def test_a_refresh_syncs_accounts_beside_local_sources(there: ServerThere, tmp_path: Path) -> None:
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    there.grow(k, 2)
    summary = library.refresh()
    assert summary.failed == 0 and summary.added >= 2
    there.down()
    try:
        summary = library.refresh(limits=FAST)
    finally:
        there.up()
    assert summary.failed == 1 and summary.failures[0].startswith("work: ")


def test_adding_directly_a_feed_an_account_carries_says_so(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    with pytest.raises(StreamtuiError, match="account 'work' carries it already"):
        library.add_source(there.site.feed_url(k))
    assert [s.name for s in library.sources() if s.kind is SourceKind.FEED] == []


def test_removing_an_account_feed_unsubscribes_it_on_the_server(
    there: ServerThere, tmp_path: Path
) -> None:
    k = there.feed(1)
    library = added(library_at(tmp_path), there)
    removed = library.remove_source(f"Feed {k}")
    assert removed.account == "work"
    assert there.server.store.feed_by_url(there.site.feed_url(k)) is None
    library.sync_accounts()
    assert f"Feed {k}" not in library.source_names().values()
