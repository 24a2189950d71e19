"""The sync backends (core/sync) against the real servers: Tiny Tiny RSS (JSON API), coldsweat
(Fever API) and newsboat as a reference client of the same Tiny Tiny RSS. Requests are
counted through an httpx event hook (tt-rss) and the backends' own counter; faults are
injected by a relay in front of the real server (tests/support/syncclient.py)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from streamtui.core.fetch import Limits
from streamtui.core.sync.errors import (
    AuthError,
    NotSupported,
    Refused,
)
from streamtui.core.sync.fever import MARKS_PER_PUSH, WHY_NO_SUBSCRIPTIONS, FeverBackend, api_key
from streamtui.core.sync.models import MarkKind, SyncState
from streamtui.core.sync.ttrss import TtrssBackend
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
from tests.support.syncclient import (
    FAST,
    FAULTS,
    Counter,
    Relay,
    check_message,
    credential,
    inject,
    marks,
    pull,
    push,
)

REAL = pytest.mark.xdist_group("sync-servers")
pytestmark = REAL


@contextlib.asynccontextmanager
async def ttrss_backend(
    server: TinyTinyRss, *, url: str = "", password: str = "", limits: Limits | None = None
) -> AsyncIterator[tuple[TtrssBackend, Counter]]:
    counter = Counter()
    login = credential(url or server.base_url, server.user, password or server.password)
    where = url or server.base_url
    limits = limits or Limits()
    backend = TtrssBackend("work", where, login, limits=limits, event_hooks=counter.hooks)
    async with backend:
        yield backend, counter


def fever_backend(server: Coldsweat, *, url: str = "", password: str = "") -> FeverBackend:
    login = credential(url or server.fever_url, server.email, password or server.password)
    return FeverBackend("home", url or server.fever_url, login)


def own_feed(ttrss: TinyTinyRss, site: FeedSite, items: int, category: str = "Clients") -> int:
    """A feed of this test's own in ``category``, fetched: its tt-rss feed id."""
    k = site.add_feed(items=items)
    feed_id = ttrss.subscribe(site.feed_url(k), category=category)
    ttrss.update_feeds()
    return feed_id


# --- Tiny Tiny RSS: login, lists, pulls ----------------------------------------------------


async def test_ttrss_logs_in_and_says_so_in_one_line_when_the_password_is_wrong(
    ttrss: TinyTinyRss,
) -> None:
    async with ttrss_backend(ttrss) as (backend, counter):
        await backend.login()
        assert counter.seen == [("POST", "/api/")]
    async with ttrss_backend(ttrss, password="not-the-password-42") as (backend, _):
        with pytest.raises(AuthError) as caught:
            await backend.feeds()
    text = check_message(caught.value, "work", "not-the-password-42", ttrss.password)
    assert text == "work: wrong user name or password"


async def test_ttrss_lists_categories_and_feeds_in_them(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    async with ttrss_backend(ttrss) as (backend, counter):
        categories = {c.title: c.id for c in await backend.categories()}
        feeds = {f.url: f for f in await backend.feeds()}
    assert "News" in categories
    assert feeds[feed_site.feed_url(0)].category_ids == ()
    assert feeds[feed_site.feed_url(1)].category_ids == (categories["News"],)
    assert feeds[feed_site.feed_url(2)].title == "Feed 2"
    assert len(counter) == 3  # login, getCategories, getFeeds: not one per feed


async def test_ttrss_pulls_everything_then_only_what_is_new(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    async with ttrss_backend(ttrss) as (backend, counter):
        first = await pull(backend)
        assert {f"Feed 0 item {j}" for j in range(1, 5)} <= set(first.by_title())
        assert len(set(first.ids)) == len(first.ids)
        assert first.state.last_item_id == max(first.ids, key=int)
        assert first.state.marks_changed is False  # every state came with the items
        feed_id = own_feed(ttrss, feed_site, items=2)
        second = await pull(backend, first.state)
        assert sorted(i.title for i in second.items) == [f"Feed {feed_site.feed_count - 1} "
                                                         f"item {j}" for j in (1, 2)]  # fmt: skip
        assert {i.feed_id for i in second.items} == {str(feed_id)}
        feed_site.add_items(feed_site.feed_count - 1, 3)
        ttrss.update_feeds()
        counter.reset()
        third = await pull(backend, second.state)
        assert len(third.items) == 3 and min(third.ids, key=int) > second.state.last_item_id
        counter.reset()
        nothing = await pull(backend, third.state)
    assert nothing.items == [] and nothing.state.last_item_id == third.state.last_item_id
    assert len(counter) == 4  # the counters check (3) and one empty page
    assert nothing.state.marks_changed is False


async def test_a_first_ttrss_pull_goes_feed_by_feed_and_resumes_after_the_last_feed_done(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    own_feed(ttrss, feed_site, items=3)
    async with ttrss_backend(ttrss) as (backend, counter):
        feeds = await backend.feeds()
        counter.reset()
        whole = await pull(backend)
        assert len(set(whole.ids)) == len(whole.ids) and whole.state.marks_changed is False
        assert whole.pages == len(feeds) + 1 + 1  # each feed, the archived articles, the end
        assert len(counter) >= len(feeds) + 1 + 5  # and counters (3), newest, feed list
        pages = backend.items_since(SyncState())
        taken = [await anext(pages) for _ in range(3)]
        await pages.aclose()  # cut short after three feeds
        assert taken[-1].state.last_item_id == "" and taken[-1].state.cursor("first_feed")
        rest = await pull(backend, taken[-1].state)
    assert sorted([*(i.id for p in taken for i in p.items), *rest.ids]) == sorted(whole.ids)
    assert rest.state.last_item_id == whole.state.last_item_id == max(whole.ids, key=int)


# --- Tiny Tiny RSS: marks both ways --------------------------------------------------------


async def test_ttrss_marks_go_there_and_marks_made_there_come_back(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    feed_id = own_feed(ttrss, feed_site, items=4)
    a, b, c, d = sorted(str(h["id"]) for h in ttrss.api.headlines(feed_id))
    async with ttrss_backend(ttrss) as (backend, _):
        state = (await pull(backend)).state
        sent = await push(backend, [*marks(MarkKind.READ, [a, b]), *marks(MarkKind.STAR, [c]),
                                    *marks(MarkKind.UNREAD, [b])])  # fmt: skip
        assert sum(p.requests for p in sent) == 3  # read a, unread b (the last wins), star c
        assert {m.item_id for p in sent for m in p.marks} == {a, b, c}
        assert ttrss.api.article(int(a))["unread"] is False
        assert ttrss.api.article(int(b))["unread"] is True
        assert ttrss.api.article(int(c))["marked"] is True
        unread, starred = await backend.unread_ids(), await backend.starred_ids()
        assert a not in unread and {b, c, d} <= unread and c in starred
        ttrss.api.set_read([int(d)])  # there, as another client
        ttrss.api.set_starred([int(a)])
        changed = await pull(backend, state)
        assert changed.items == [] and changed.state.marks_changed is True
        unread, starred = await backend.unread_ids(), await backend.starred_ids()
        assert d not in unread and a in starred
        again = await pull(backend, changed.state)
        assert again.state.marks_changed is False
        items = {i.id: i for batch in [x async for x in backend.items([a, c, d])] for i in batch}
    assert items[a].starred and items[a].read and items[d].read and items[c].starred


async def test_newsboat_agrees_with_marks_sent_and_made(
    ttrss: TinyTinyRss, feed_site: FeedSite, newsboat: Newsboat
) -> None:
    feed_id = own_feed(ttrss, feed_site, items=3, category="Newsboat")
    first, second, _ = sorted(str(h["id"]) for h in ttrss.api.headlines(feed_id))
    titles = {str(h["id"]): h["title"] for h in ttrss.api.headlines(feed_id)}
    async with ttrss_backend(ttrss) as (backend, _):
        await push(backend, marks(MarkKind.READ, [first]))
        newsboat.reload()
        assert int(first) in newsboat.read_ids()  # here, then in newsboat after its reload
        assert int(second) not in newsboat.read_ids()
        newsboat.mark_read(titles[second])  # in newsboat, then here after a sync
        assert second not in await backend.unread_ids()


# --- Tiny Tiny RSS: sessions, subscriptions, faults ----------------------------------------


async def test_an_expired_ttrss_session_is_renewed_by_one_login(ttrss: TinyTinyRss) -> None:
    async with ttrss_backend(ttrss) as (backend, counter):
        await backend.categories()
        ttrss.sql("delete from ttrss_sessions")  # the server forgot every session
        counter.reset()
        await backend.categories()
        assert len(counter) == 3  # refused (NOT_LOGGED_IN), login, the call again
        digest = ttrss.sql(f"select pwd_hash from ttrss_users where login = '{ttrss.user}'")
        ttrss.sql("update ttrss_users set pwd_hash = 'SHA1:0' where login = 'tester'")
        try:  # the password changed there: the session ends and the login fails, once
            counter.reset()
            with pytest.raises(AuthError) as caught:
                await backend.feeds()
            assert len(counter) == 2
        finally:
            ttrss.sql(f"update ttrss_users set pwd_hash = '{digest}' where login = 'tester'")
    check_message(caught.value, "work", ttrss.password, backend._sid)


async def test_ttrss_with_api_access_off_says_how_to_turn_it_on(ttrss: TinyTinyRss) -> None:
    ttrss.sql("update ttrss_user_prefs set value = 'false' where pref_name = 'ENABLE_API_ACCESS'")
    try:
        async with ttrss_backend(ttrss) as (backend, _):
            with pytest.raises(AuthError) as caught:
                await backend.login()
    finally:
        ttrss.sql(
            "update ttrss_user_prefs set value = 'true' where pref_name = 'ENABLE_API_ACCESS'"
        )
    assert "Enable API" in check_message(caught.value, "work", ttrss.password)


async def test_ttrss_subscribes_and_unsubscribes(ttrss: TinyTinyRss, feed_site: FeedSite) -> None:
    k = feed_site.add_feed(items=1)
    news = str(ttrss.category_id("News"))
    async with ttrss_backend(ttrss) as (backend, _):
        feed_id = await backend.subscribe(feed_site.feed_url(k), news)
        assert await backend.subscribe(feed_site.feed_url(k), news) == feed_id  # already there
        added = {f.id: f for f in await backend.feeds()}[feed_id]
        assert added.url == feed_site.feed_url(k) and added.category_ids == (news,)
        with pytest.raises(Refused) as caught:
            await backend.subscribe(feed_site.url("/site/0/"), news)  # a page, not a feed
        await backend.unsubscribe(feed_id)
        await backend.unsubscribe(feed_id)  # gone already: nothing to do
        assert feed_id not in {f.id for f in await backend.feeds()}
    assert "no feed was found" in check_message(caught.value, "work", ttrss.password)


@pytest.mark.parametrize(("fault", "kind", "words"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_a_fault_in_front_of_ttrss_ends_in_its_typed_error(
    ttrss: TinyTinyRss, fault: str, kind: type[Exception], words: str
) -> None:
    with Relay(ttrss.base_url) as relay:
        async with ttrss_backend(ttrss, url=relay.url("/"), limits=FAST) as (backend, _):
            await backend.login()
            inject(relay.http, fault)
            with pytest.raises(kind) as caught:
                await backend.feeds()
    assert words in check_message(caught.value, "work", ttrss.password, backend._sid)
    assert ttrss.trap.attempts == []


# --- Tiny Tiny RSS: a feed of 1,000 items (last: the tests above pull and list less) ------


@dataclass(frozen=True)
class BigFeed:
    feed_id: int
    ids: list[int]  # its articles' ids, ascending


@pytest.fixture(scope="module")
def big_feed(ttrss: TinyTinyRss, feed_site: FeedSite) -> Iterator[BigFeed]:
    """A feed of 1,000 items (tt-rss takes about 2 s to fetch it), its article ids read from
    tt-rss's database (one psql call, where the API took ten pages of 200). Unsubscribed at the
    end: the other tests of the session's server list and pull less."""
    k = feed_site.add_feed(items=1000)
    feed_id = ttrss.subscribe(feed_site.feed_url(k), category="Big")
    ttrss.update_feeds()
    ids = ttrss.sql(f"select ref_id from ttrss_user_entries where feed_id = {feed_id} order by 1")
    yield BigFeed(feed_id, [int(line) for line in ids.split()])
    ttrss.api.call("unsubscribeFeed", feed_id=feed_id)


async def test_ttrss_pages_of_200_and_a_pull_cut_short_resumes(
    ttrss: TinyTinyRss, big_feed: BigFeed
) -> None:
    everything = set(big_feed.ids)
    assert len(everything) == 1000
    since = SyncState(str(min(everything) - 1))  # the big feed and what came after
    async with ttrss_backend(ttrss) as (backend, counter):
        whole = await pull(backend, since)
        assert {int(i) for i in whole.ids} >= everything and len(set(whole.ids)) == len(whole.ids)
        assert whole.pages == len(whole.items) // 200 + 1
        sent = len(counter)
        # A page still asked for would be a task already started: its request hook runs
        # within a few turns of the loop, well inside this wait.
        await asyncio.sleep(0.3)
        assert len(counter) == sent  # no page still asked for once the pull is over
        pages = backend.items_since(since)
        first = await anext(pages)
        await pages.aclose()  # the sync stops after one page (kill -9, network gone...)
        sent = len(counter)
        await asyncio.sleep(0.3)
        assert len(counter) == sent
        assert len(first.items) == 200 and first.state.last_item_id == since.last_item_id
        rest = await pull(backend, first.state)
    assert {*(i.id for i in first.items), *rest.ids} == set(whole.ids)
    assert rest.state.last_item_id == whole.state.last_item_id


async def test_ttrss_1000_marks_go_in_one_request_per_kind(
    ttrss: TinyTinyRss, big_feed: BigFeed
) -> None:
    ids = [str(i) for i in big_feed.ids]
    async with ttrss_backend(ttrss) as (backend, counter):
        await backend.login()
        counter.reset()
        sent = await push(backend, [*marks(MarkKind.READ, ids), *marks(MarkKind.STAR, ids)])
        assert len(counter) == 2 and sum(len(p.marks) for p in sent) == 2000
        assert not (set(ids) & await backend.unread_ids())
        assert set(ids) <= await backend.starred_ids()
        counter.reset()
        await push(backend, [*marks(MarkKind.UNREAD, ids), *marks(MarkKind.UNSTAR, ids)])
        assert len(counter) == 2
    # tt-rss's own rows (where the API took ten pages of its all-articles feed): every one
    # of the thousand unread and unstarred again
    left = ttrss.sql(
        "select count(*) from ttrss_user_entries "
        f"where feed_id = {big_feed.feed_id} and unread and not marked"
    )
    assert int(left) == 1000


# --- coldsweat (Fever) ---------------------------------------------------------------------


async def test_fever_logs_in_with_the_key_and_refuses_a_wrong_password(
    coldsweat: Coldsweat,
) -> None:
    async with fever_backend(coldsweat) as backend:
        await backend.login()
        assert backend.credential.secret == ""  # the key is kept, never the password
        assert backend.credential.extra["token"] == api_key(coldsweat.email, coldsweat.password)
    async with fever_backend(coldsweat, password="wrong-password-7") as backend:
        with pytest.raises(AuthError) as caught:
            await backend.categories()
    check_message(caught.value, "home", "wrong-password-7", backend.credential.extra["token"])


async def test_fever_lists_groups_feeds_and_pulls_by_since_id(
    coldsweat: Coldsweat, feed_site: FeedSite
) -> None:
    async with fever_backend(coldsweat) as backend:
        groups = {c.title: c.id for c in await backend.categories()}
        feeds = {f.url: f for f in await backend.feeds()}
        assert feeds[feed_site.feed_url(1)].category_ids == (groups["News"],)
        first = await pull(backend)
        assert {f"Feed 2 item {j}" for j in range(1, 5)} <= set(first.by_title())
        k = feed_site.add_feed(items=60)
        coldsweat.subscribe(feed_site.feed_url(k))
        assert first.state.marks_changed is False  # every state came with the items
        second = await pull(backend, first.state)
        assert len(second.items) == 60 and second.pages == 3  # 50 a request, then none
        assert second.state.marks_changed is True  # Fever cannot tell: list the ids
        assert second.requests == 3
        feed_site.add_items(k, 2)  # the feed grows, coldsweat fetches it
        coldsweat.fetch()
        third = await pull(backend, second.state)
        assert sorted(i.title for i in third.items) == [f"Feed {k} item {j}" for j in (61, 62)]
        nothing = await pull(backend, third.state)
    assert nothing.items == [] and nothing.requests == 1


async def test_fever_marks_one_item_a_request_bounded_per_push(
    coldsweat: Coldsweat, feed_site: FeedSite
) -> None:
    n = MARKS_PER_PUSH // 2 + 5  # a read and a star each: a few marks past one push's bound
    k = feed_site.add_feed(items=n)
    coldsweat.subscribe(feed_site.feed_url(k))
    async with fever_backend(coldsweat) as backend:
        feed = next(f.id for f in await backend.feeds() if f.url == feed_site.feed_url(k))
        items = [i for i in (await pull(backend)).items if i.feed_id == feed]
        ids = [i.id for i in items]
        queue = [*marks(MarkKind.READ, ids), *marks(MarkKind.STAR, ids)]
        first = await push(backend, queue)
        assert len(first) == MARKS_PER_PUSH and sum(p.requests for p in first) == MARKS_PER_PUSH
        done = {m for p in first for m in p.marks}
        second = await push(backend, [m for m in queue if m not in done])
        assert len(second) == 2 * n - MARKS_PER_PUSH
        assert not set(ids) & await backend.unread_ids()
        assert set(ids) <= await backend.starred_ids()
        coldsweat.fever.mark_item(int(ids[0]), "unread")  # there, as another client
        coldsweat.fever.mark_item(int(ids[1]), "unsaved")
        assert ids[0] in await backend.unread_ids()
        assert ids[1] not in await backend.starred_ids()


async def test_fever_says_it_cannot_subscribe_and_forgotten_items_are_missing(
    coldsweat: Coldsweat, feed_site: FeedSite
) -> None:
    assert not FeverBackend.capabilities.subscribe
    assert FeverBackend.capabilities.why_no_subscriptions == WHY_NO_SUBSCRIPTIONS
    k = feed_site.add_feed(items=2)
    coldsweat.subscribe(feed_site.feed_url(k))
    async with fever_backend(coldsweat) as backend:
        with pytest.raises(NotSupported) as caught:
            await backend.subscribe(feed_site.feed_url(0))
        assert str(caught.value) == f"home: {WHY_NO_SUBSCRIPTIONS}"
        with pytest.raises(NotSupported):
            await backend.unsubscribe("1")
        feed = next(f.id for f in await backend.feeds() if f.url == feed_site.feed_url(k))
        gone, kept = sorted(i.id for i in (await pull(backend)).items if i.feed_id == feed)
        with contextlib.closing(sqlite3.connect(coldsweat.root / "coldsweat.db")) as db:
            db.execute("delete from entries where id = ?", (int(gone),))  # the server forgot
            db.commit()
        sent = await push(backend, marks(MarkKind.READ, [gone, kept]))
        assert [p.missing for p in sent] == [(gone,), ()]
        found = [i.id for batch in [x async for x in backend.items([gone, kept])] for i in batch]
    assert found == [kept]


@pytest.mark.parametrize(("fault", "kind", "words"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_a_fault_in_front_of_coldsweat_ends_in_its_typed_error(
    coldsweat: Coldsweat, fault: str, kind: type[Exception], words: str
) -> None:
    with Relay(coldsweat.base_url) as relay:
        login = credential(relay.url("/fever/"), coldsweat.email, coldsweat.password)
        async with FeverBackend("home", relay.url("/fever/"), login, limits=FAST) as backend:
            await backend.login()
            inject(relay.http, fault)
            with pytest.raises(kind) as caught:
                await backend.feeds()
    assert words in check_message(caught.value, "home", coldsweat.password, backend.token)
    assert coldsweat.trap.attempts == []
