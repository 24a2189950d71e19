"""The Google Reader backend (FreshRSS and Miniflux dialects) and the Miniflux REST backend
against the repository's strict test servers (tests/support/servers), whose request logs
count what each operation costs and whose faults are injected per test."""

from __future__ import annotations

import pytest

from streamtui.core.dates import LATEST
from streamtui.core.sync.errors import AuthError, Refused, TokenExpired
from streamtui.core.sync.greader import MARKS_PER_REQUEST, GReaderBackend
from streamtui.core.sync.miniflux import MinifluxBackend
from streamtui.core.sync.models import MarkKind, SyncState
from support.servers._http import Answer, ApiRequest, json_answer
from support.servers.feeds import FeedSite
from support.servers.fixtures import (  # noqa: F401
    feed_site_fixture,
    greader_fixture,
    miniflux_fixture,
)
from support.servers.greader import GReaderServer
from support.servers.miniflux import MinifluxServer
from syncclient import FAST, FAULTS, check_message, credential, inject, marks, pull, push

EDIT_TAG = "/reader/api/0/edit-tag"


def backend_for(server: GReaderServer, *, password: str = "", token: str = "") -> GReaderBackend:
    secret = password if password or token else server.password
    login = credential(server.base_url, server.user, secret, token)
    return GReaderBackend("reader", server.base_url, login)


def path(server: GReaderServer, name: str) -> str:
    """A path as the server's log records it (FreshRSS's sit under /api/greader.php)."""
    return ("/api/greader.php" if server.dialect == "freshrss" else "") + name


@pytest.fixture
def reader(greader: GReaderServer, feed_site: FeedSite) -> GReaderServer:
    greader.store.subscribe(feed_site.feed_url(0), category="News")
    greader.store.subscribe(feed_site.feed_url(1))
    return greader


async def test_greader_logs_in_keeps_the_token_not_the_password(reader: GReaderServer) -> None:
    async with backend_for(reader) as backend:
        await backend.login()
        kept = backend.credential
    assert kept.secret == "" and kept.extra["token"] == reader.auth_token()
    async with backend_for(reader, password="wrong-password-9") as backend:
        with pytest.raises(AuthError) as caught:
            await backend.feeds()
    assert str(caught.value) == "reader: wrong user name or password"
    check_message(caught.value, "reader", "wrong-password-9")


async def test_greader_with_a_kept_token_alone_works_until_it_expires(
    reader: GReaderServer,
) -> None:
    token = reader.auth_token()
    async with backend_for(reader, token=token) as backend:
        await backend.login()
        assert len(await backend.feeds()) == 2
        assert reader.http.count(path(reader, "/accounts/ClientLogin")) == 0
        reader.expire_auth()  # the password changed there, say
        with pytest.raises(TokenExpired) as caught:
            await backend.categories()
    assert "give the password again" in check_message(caught.value, "reader", token)


async def test_greader_renews_an_expired_login_and_write_token_once(
    reader: GReaderServer,
) -> None:
    async with backend_for(reader) as backend:
        ids = sorted(await backend.unread_ids(), key=int)
        await push(backend, marks(MarkKind.READ, ids[:1]))
        reader.expire_token()  # the write token (Miniflux: the login too)
        reader.http.reset_log()
        await push(backend, marks(MarkKind.READ, ids[1:2]))
        logins = reader.http.count(path(reader, "/accounts/ClientLogin"))
        assert logins == (1 if reader.dialect == "miniflux" else 0)
        assert reader.http.count(path(reader, "/reader/api/0/token")) == 1 + logins
        reader.expire_auth()
        reader.http.reset_log()
        assert len(await backend.feeds()) == 2
        assert reader.http.count(path(reader, "/accounts/ClientLogin")) == 1
        assert [h.status for h in reader.http.log] == [401, 200, 200]
    assert {e.id for e in reader.store.entries.values() if e.read} == {int(i) for i in ids[:2]}


async def test_greader_lists_folders_and_subscriptions(
    reader: GReaderServer, feed_site: FeedSite
) -> None:
    async with backend_for(reader) as backend:
        folders = {c.title: c.id for c in await backend.categories()}
        feeds = {f.url: f for f in await backend.feeds()}
    assert folders["News"] == "user/-/label/News"  # Miniflux's user/1/... made the same
    assert feeds[feed_site.feed_url(0)].category_ids == ("user/-/label/News",)
    assert feeds[feed_site.feed_url(0)].site_url == feed_site.url("/site/0/")


async def test_greader_pulls_all_then_only_the_new_items(
    reader: GReaderServer, feed_site: FeedSite
) -> None:
    async with backend_for(reader) as backend:
        first = await pull(backend)
        assert sorted(first.by_title()) == sorted(
            f"Feed {k} item {j}" for k in (0, 1) for j in range(1, 5)
        )
        assert set(first.ids) == await backend.unread_ids()  # long ids and short: one form
        assert first.state.marks_changed is False  # every state came with the items
        k = feed_site.add_feed(items=3)
        reader.store.subscribe(feed_site.feed_url(k))
        reader.http.reset_log()
        second = await pull(backend, first.state)
        assert sorted(i.title for i in second.items) == [f"Feed {k} item {j}" for j in (1, 2, 3)]
        assert second.state.marks_changed is True  # the API cannot tell: list the ids
        feeds = {f.url: f.id for f in await backend.feeds()}
        assert {i.feed_id for i in second.items} == {feeds[feed_site.feed_url(k)]}
        feed_site.add_items(k, 2)  # the feed grows, the server fetches it
        assert reader.store.refresh() == 2
        third = await pull(backend, second.state)
        assert sorted(i.title for i in third.items) == [f"Feed {k} item {j}" for j in (4, 5)]
        reader.http.reset_log()
        nothing = await pull(backend, third.state)
    assert nothing.items == [] and nothing.state.last_item_id == third.state.last_item_id
    assert len(reader.http.log) == 1  # FreshRSS: stream/contents from ot; Miniflux: all ids


async def test_greader_marks_go_there_and_changes_there_come_back(
    reader: GReaderServer,
) -> None:
    async with backend_for(reader) as backend:
        items = (await pull(backend)).items
        a, b, c, d = (i.id for i in items[:4])
        sent = await push(backend, [*marks(MarkKind.READ, [a, b]), *marks(MarkKind.STAR, [c]),
                                    *marks(MarkKind.UNREAD, [b])])  # fmt: skip
        assert {m.item_id for p in sent for m in p.marks} == {a, b, c}
        entries = reader.store.entries
        assert entries[int(a)].read and not entries[int(b)].read and entries[int(c)].starred
        reader.store.mark([int(d)], read=True, starred=True)  # there, as another client
        reader.store.mark([int(a)], read=False)
        unread, starred = await backend.unread_ids(), await backend.starred_ids()
        assert a in unread and d not in unread and starred == {c, d}
        again = {i.id: i for batch in [x async for x in backend.items([c, d])] for i in batch}
    assert again[d].read and again[d].starred and again[c].starred and not again[c].read


async def test_greader_sends_1000_marks_in_two_requests(reader: GReaderServer) -> None:
    feed = next(iter(reader.store.feeds))
    injected = [str(reader.store.inject(feed, f"Bulk {n}").id) for n in range(1000)]
    async with backend_for(reader) as backend:
        await backend.login()
        reader.http.reset_log()
        sent = await push(backend, marks(MarkKind.READ, injected))
        assert sum(len(p.marks) for p in sent) == 1000
        assert reader.http.count(path(reader, EDIT_TAG)) == 1000 // MARKS_PER_REQUEST == 2
        assert reader.http.count(path(reader, "/reader/api/0/token")) == 1
        assert not set(injected) & await backend.unread_ids()


async def test_a_no_change_greader_sync_costs_the_same_with_2_or_40_feeds(
    reader: GReaderServer, feed_site: FeedSite
) -> None:
    async def sync(backend: GReaderBackend, state: SyncState) -> tuple[SyncState, int]:
        reader.http.reset_log()
        await backend.categories()
        await backend.feeds()
        state = (await pull(backend, state)).state
        await backend.unread_ids()
        await backend.starred_ids()
        return state, len(reader.http.log)

    async with backend_for(reader) as backend:
        state, _ = await sync(backend, (await pull(backend)).state)
        state, few = await sync(backend, state)
        for _ in range(38):
            reader.store.subscribe(feed_site.feed_url(feed_site.add_feed(items=2)))
        state, _ = await sync(backend, state)  # the new items
        state, many = await sync(backend, state)
    assert few == many == 5


async def test_greader_subscribes_into_a_folder_and_unsubscribes(
    reader: GReaderServer, feed_site: FeedSite
) -> None:
    async with backend_for(reader) as backend:
        feed_id = await backend.subscribe(feed_site.feed_url(2), "user/-/label/News")
        added = {f.id: f for f in await backend.feeds()}[feed_id]
        assert added.url == feed_site.feed_url(2) and added.category_ids == ("user/-/label/News",)
        with pytest.raises(Refused) as caught:
            await backend.subscribe("http://127.0.0.1:9/nothing.xml")
        await backend.unsubscribe(feed_id)
        assert feed_id not in {f.id for f in await backend.feeds()}
    assert "no feed was found" in check_message(caught.value, "reader", reader.password)


async def test_greader_forgets_items_without_an_error(reader: GReaderServer) -> None:
    async with backend_for(reader) as backend:
        ids = sorted(await backend.unread_ids(), key=int)
        reader.store.forget([int(ids[0])])  # the server purged it
        sent = await push(backend, marks(MarkKind.READ, ids[:2]))
        assert {m.item_id for p in sent for m in p.marks} == set(ids[:2])
        found = [i.id for batch in [x async for x in backend.items(ids[:2])] for i in batch]
        assert found == [ids[1]] and ids[0] not in await backend.unread_ids()


async def test_greader_clamps_dates_from_the_end_of_time(reader: GReaderServer) -> None:
    feed = next(iter(reader.store.feeds))
    far = reader.store.inject(feed, "Far future", published=4e12)
    async with backend_for(reader) as backend:
        item = next(i for b in [x async for x in backend.items([str(far.id)])] for i in b)
    assert item.published == LATEST


@pytest.mark.parametrize(("fault", "kind", "words"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_a_greader_fault_ends_in_its_typed_error(
    reader: GReaderServer, fault: str, kind: type[Exception], words: str
) -> None:
    login = credential(reader.base_url, reader.user, reader.password)
    async with GReaderBackend("reader", reader.base_url, login, limits=FAST) as backend:
        await backend.login()
        inject(reader.http, fault)
        with pytest.raises(kind) as caught:
            await backend.feeds()
    text = check_message(caught.value, "reader", reader.password, reader.auth_token(),
                         reader.write_token())  # fmt: skip
    assert words in text


# --- Miniflux REST -------------------------------------------------------------------------

ENTRIES = "/v1/entries"


def mini_backend(server: MinifluxServer, *, token: str = "", password: str = "") -> MinifluxBackend:
    login = credential(server.base_url, server.user, password, token)
    return MinifluxBackend("mini", server.base_url, login)


@pytest.fixture
def mini(miniflux: MinifluxServer, feed_site: FeedSite) -> MinifluxServer:
    miniflux.store.subscribe(feed_site.feed_url(0), category="News")
    miniflux.store.subscribe(feed_site.feed_url(1))
    return miniflux


async def test_miniflux_takes_a_token_or_the_password_and_says_which_was_refused(
    mini: MinifluxServer,
) -> None:
    async with mini_backend(mini, token=mini.api_token) as backend:
        await backend.login()
        assert backend.credential.extra["token"] == mini.api_token
    async with mini_backend(mini, password=mini.password) as backend:
        await backend.login()
    async with mini_backend(mini, password="wrong-password-3") as backend:
        with pytest.raises(AuthError) as caught:
            await backend.login()
    assert str(caught.value) == "mini: wrong user name or password"
    revoked = mini.api_token
    mini.expire_token()
    async with mini_backend(mini, token=revoked) as backend:
        with pytest.raises(AuthError) as caught:
            await backend.feeds()
    assert "API token" in check_message(caught.value, "mini", revoked)
    async with mini_backend(mini, token=revoked, password=mini.password) as backend:
        mini.http.reset_log()
        assert len(await backend.feeds()) == 2  # the token went: the password still works
        assert [h.status for h in mini.http.log] == [401, 200]


async def test_miniflux_lists_categories_and_feeds(
    mini: MinifluxServer, feed_site: FeedSite
) -> None:
    async with mini_backend(mini, token=mini.api_token) as backend:
        categories = {c.title: c.id for c in await backend.categories()}
        feeds = {f.url: f for f in await backend.feeds()}
    assert feeds[feed_site.feed_url(0)].category_ids == (categories["News"],)
    assert feeds[feed_site.feed_url(1)].site_url == feed_site.url("/site/1/")


async def test_miniflux_pulls_new_entries_and_changes_made_there_with_their_times(
    mini: MinifluxServer, feed_site: FeedSite
) -> None:
    async with mini_backend(mini, token=mini.api_token) as backend:
        first = await pull(backend)
        assert len(first.items) == 8 and first.state.marks_changed is False
        assert all(i.changed is not None for i in first.items)
        k = feed_site.add_feed(items=300)
        mini.store.subscribe(feed_site.feed_url(k))
        old = first.items[0]
        for entry in mini.store.entries.values():  # changed long ago, as far as a sync goes
            entry.changed -= 3600
        first = SyncState(first.state.last_item_id, first.state.last_sync,
                          (("changed_after", str(int(old.changed.timestamp()) - 60)),))  # fmt: skip
        mini.store.mark([int(old.id)], read=True, starred=True)  # there, as another client
        mini.http.reset_log()
        second = await pull(backend, first)
        new = [i for i in second.items if int(i.id) > int(first.last_item_id)]
        assert len(new) == 300 and second.pages == 2 + 1 + 1  # 250 a page, changes, the end
        changed = [i for i in second.items if i.id == old.id]
        assert changed and changed[0].read and changed[0].starred
        assert changed[0].changed is not None and changed[0].changed > old.changed
        again = await pull(backend, second.state)  # within 10 s: the change comes again
        assert [i.id for i in again.items] == [old.id]
        for entry in mini.store.entries.values():  # and once that is long past, not
            entry.changed -= 3600
        mini.http.reset_log()
        nothing = await pull(backend, second.state)
    assert nothing.items == [] and mini.http.count(ENTRIES) == 2  # new ones, changed ones
    assert nothing.state.marks_changed is False


async def test_miniflux_sends_1000_marks_of_a_kind_in_one_request(mini: MinifluxServer) -> None:
    feed = next(iter(mini.store.feeds))
    ids = [str(mini.store.inject(feed, f"Bulk {n}").id) for n in range(1000)]
    async with mini_backend(mini, token=mini.api_token) as backend:
        mini.http.reset_log()
        sent = await push(backend, [*marks(MarkKind.READ, ids), *marks(MarkKind.STAR, ids[:10])])
        assert sum(len(p.marks) for p in sent) == 1010
        assert mini.http.count(ENTRIES, "PUT") == 2
        assert not set(ids) & await backend.unread_ids()
        assert await backend.starred_ids() == set(ids[:10])
        mini.store.mark([int(ids[0])], read=False)  # there
        assert ids[0] in await backend.unread_ids()


class OldMiniflux(MinifluxServer):
    """A Miniflux before 2.3.2: no /v1/entries/ids, no "starred" in PUT /v1/entries."""

    def _handle(self, req: ApiRequest) -> Answer:
        if req.path == "/v1/entries/ids":
            return Answer(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if req.path == ENTRIES and req.method == "PUT" and "status" not in req.json():
            message = 'invalid entry status, valid status values are: "read" and "unread"'
            return json_answer({"error_message": message}, 400)
        return super()._handle(req)


async def test_an_older_miniflux_gets_stars_as_toggles_sent_only_where_needed(
    feed_site: FeedSite,
) -> None:
    with OldMiniflux() as old:
        old.store.subscribe(feed_site.feed_url(0))
        ids = sorted(str(e) for e in old.store.entries)
        old.store.mark([int(ids[0])], starred=True)  # starred there already
        async with mini_backend(old, token=old.api_token) as backend:
            old.http.reset_log()
            sent = await push(backend, marks(MarkKind.STAR, ids[:3]))
            assert {m.item_id for p in sent for m in p.marks} == set(ids[:3])
            toggles = [h for h in old.http.log if h.path.endswith("/bookmark")]
            assert len(toggles) == 2  # ids[0] was starred: not toggled off
            assert await backend.starred_ids() == set(ids[:3])
            await push(backend, marks(MarkKind.STAR, ids[:1]))  # again: a toggle would undo it
            assert await backend.starred_ids() == set(ids[:3])


async def test_miniflux_subscribes_refuses_twice_and_unsubscribes(
    mini: MinifluxServer, feed_site: FeedSite
) -> None:
    async with mini_backend(mini, token=mini.api_token) as backend:
        news = next(c.id for c in await backend.categories() if c.title == "News")
        feed_id = await backend.subscribe(feed_site.feed_url(2), news)
        assert {f.id: f for f in await backend.feeds()}[feed_id].category_ids == (news,)
        with pytest.raises(Refused) as caught:
            await backend.subscribe(feed_site.feed_url(2))
        await backend.unsubscribe(feed_id)
        await backend.unsubscribe(feed_id)  # already gone
    assert "already exists" in check_message(caught.value, "mini", mini.api_token)


async def test_miniflux_items_of_forgotten_ids_are_skipped(mini: MinifluxServer) -> None:
    ids = sorted(str(e) for e in mini.store.entries)
    mini.store.forget([int(ids[0])])
    async with mini_backend(mini, token=mini.api_token) as backend:
        found = [i.id for batch in [x async for x in backend.items(ids[:2])] for i in batch]
        sent = await push(backend, marks(MarkKind.READ, ids[:2]))
    assert found == [ids[1]] and len(sent) == 1


@pytest.mark.parametrize(("fault", "kind", "words"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_a_miniflux_fault_ends_in_its_typed_error(
    mini: MinifluxServer, fault: str, kind: type[Exception], words: str
) -> None:
    login = credential(mini.base_url, mini.user, mini.password)
    async with MinifluxBackend("mini", mini.base_url, login, limits=FAST) as backend:
        await backend.login()
        inject(mini.http, fault)
        with pytest.raises(kind) as caught:
            await backend.feeds()
    assert words in check_message(caught.value, "mini", mini.password)


async def test_a_greader_login_that_does_not_help_ends_after_one_try(
    reader: GReaderServer,
) -> None:
    async with backend_for(reader) as backend:
        await backend.login()
        reader.http.inject(status=401, path=path(reader, "/reader/api/0"))
        reader.http.reset_log()
        with pytest.raises(TokenExpired) as caught:
            await backend.feeds()
    assert reader.http.count(path(reader, "/accounts/ClientLogin")) == 1
    assert len(reader.http.log) == 3  # refused, a new login, refused again: no loop
    check_message(caught.value, "reader", reader.password, reader.auth_token())
