"""The sync servers of tests/support/servers start, log in, serve loopback feeds, and keep
read and starred marks; newsboat agrees with Tiny Tiny RSS; the test servers are strict and
inject their faults. Real servers are shared per session (see support/servers/fixtures.py)."""

from __future__ import annotations

import json
import socket
import urllib.parse
from typing import Any

import httpx
import pytest

from tests.support.servers.coldsweat import Coldsweat
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import (  # noqa: F401
    coldsweat_fixture,
    feed_site_fixture,
    greader_fixture,
    miniflux_fixture,
    newsboat_fixture,
    ttrss_fixture,
)
from tests.support.servers.greader import GReaderServer, long_id
from tests.support.servers.miniflux import MinifluxServer
from tests.support.servers.newsboat import Newsboat
from tests.support.servers.ttrss import TinyTinyRss

REAL = pytest.mark.xdist_group("sync-servers")  # one worker, one of each real server per run
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING_LIST = "user/-/state/com.google/reading-list"


def client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=30)


# --- Tiny Tiny RSS -------------------------------------------------------------------------


@REAL
def test_ttrss_serves_the_loopback_feeds_with_their_ports_and_items(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    feeds = {f["feed_url"]: f for f in ttrss.api.feeds()}
    for k in range(3):
        assert feed_site.feed_url(k) in feeds  # the port survived (urlhelper's build_url)
    news = next(c["id"] for c in ttrss.api.categories() if c["title"] == "News")
    assert feeds[feed_site.feed_url(1)]["cat_id"] == news
    titles = {h["title"] for h in ttrss.api.headlines(feeds[feed_site.feed_url(0)]["id"])}
    assert {f"Feed 0 item {j}" for j in range(1, 5)} <= titles
    assert ttrss.trap.attempts == []


@REAL
def test_ttrss_keeps_read_and_starred_set_through_its_api(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    k = feed_site.add_feed(items=2)
    feed_id = ttrss.subscribe(feed_site.feed_url(k), category="Marks")
    ttrss.update_feeds()
    first, second = sorted(h["id"] for h in ttrss.api.headlines(feed_id))
    ttrss.api.set_read([first])
    ttrss.api.set_starred([first, second])
    assert ttrss.api.article(first)["unread"] is False
    assert ttrss.api.article(second)["unread"] is True
    assert ttrss.api.article(second)["marked"] is True
    ttrss.api.set_read([first], read=False)
    ttrss.api.set_starred([second], starred=False)
    assert ttrss.api.article(first)["unread"] is True
    assert ttrss.api.article(second)["marked"] is False


@REAL
def test_ttrss_fetches_new_items_on_demand_by_api_and_by_its_updater(
    ttrss: TinyTinyRss, feed_site: FeedSite
) -> None:
    k = feed_site.add_feed(items=1)
    feed_id = ttrss.subscribe(feed_site.feed_url(k))
    ttrss.update_feeds()
    assert len(ttrss.api.headlines(feed_id)) == 1
    feed_site.add_items(k, 2)
    ttrss.update_feeds()
    assert len(ttrss.api.headlines(feed_id)) == 3
    feed_site.add_items(k, 1)
    ttrss.run_update_daemon_once()
    assert len(ttrss.api.headlines(feed_id)) == 4
    assert ttrss.trap.attempts == []


# --- coldsweat (Fever) ---------------------------------------------------------------------


@REAL
def test_coldsweat_serves_the_feeds_over_fever_and_keeps_marks(
    coldsweat: Coldsweat, feed_site: FeedSite
) -> None:
    feeds = {f["url"]: f for f in coldsweat.fever.feeds()}
    assert set(feed_site.feed_urls[:3]) <= set(feeds)
    assert "News" in {g["title"] for g in coldsweat.fever.groups()}
    items = [
        i for i in coldsweat.fever.items() if i["feed_id"] == feeds[feed_site.feed_url(2)]["id"]
    ]
    assert sorted(i["title"] for i in items) == [f"Feed 2 item {j}" for j in range(1, 5)]
    first, second = items[0]["id"], items[1]["id"]
    coldsweat.fever.mark_item(first, "read")
    coldsweat.fever.mark_item(second, "saved")
    assert first not in coldsweat.fever.unread_item_ids()
    assert second in coldsweat.fever.saved_item_ids()
    coldsweat.fever.mark_item(first, "unread")
    coldsweat.fever.mark_item(second, "unsaved")
    assert first in coldsweat.fever.unread_item_ids()


@REAL
def test_coldsweat_asked_only_loopback_for_icons(coldsweat: Coldsweat, feed_site: FeedSite) -> None:
    assert coldsweat.trap.attempts == []  # no favicon service, no update check
    assert any(hit.path == "/icon.png" and "Coldsweat" in hit.agent for hit in feed_site.hits)


@REAL
def test_fever_refuses_a_wrong_api_key(coldsweat: Coldsweat) -> None:
    with client() as http:
        answer = http.post(coldsweat.fever_url + "?api", data={"api_key": "0" * 32})
    assert answer.json()["auth"] == 0


# --- newsboat against Tiny Tiny RSS --------------------------------------------------------


@REAL
def test_newsboat_sees_what_ttrss_has_and_marks_go_both_ways(
    ttrss: TinyTinyRss, newsboat: Newsboat, feed_site: FeedSite
) -> None:
    k = feed_site.add_feed(items=3)
    feed_id = ttrss.subscribe(feed_site.feed_url(k), category="Newsboat")
    ttrss.update_feeds()
    newsboat.reload()
    server = {h["id"]: h["title"] for h in ttrss.api.headlines(-4, limit=200)}
    mine = {int(i.guid): i.title for i in newsboat.items()}
    assert mine == server
    first, second, _ = sorted(h["id"] for h in ttrss.api.headlines(feed_id))
    ttrss.api.set_read([first])  # there, then here after a reload
    newsboat.reload()
    assert first in newsboat.read_ids()
    newsboat.mark_read(server[second])  # here (newsboat's screen), then there at once
    assert ttrss.api.article(second)["unread"] is False


# --- the Google Reader test server ---------------------------------------------------------


class Reader:
    """Just enough of a Google Reader client to drive the test server."""

    def __init__(self, server: GReaderServer) -> None:
        self.server = server
        self.http = client()
        answer = self.http.post(
            server.base_url + "/accounts/ClientLogin",
            data={"Email": server.user, "Passwd": server.password},
        )
        assert answer.status_code == 200, answer.text
        self.auth = dict(line.split("=", 1) for line in answer.text.split())["Auth"]
        self.headers = {"Authorization": f"GoogleLogin auth={self.auth}"}
        self.token = self.get("token").text.strip()

    def get(self, name: str, **params: Any) -> httpx.Response:
        return self.http.get(f"{self.server.api_url}/{name}", params=params, headers=self.headers)

    def post(self, name: str, data: list[tuple[str, str]]) -> httpx.Response:
        body = urllib.parse.urlencode([*data, ("T", self.token)])
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        return self.http.post(f"{self.server.api_url}/{name}", content=body, headers=headers)

    def ids(self, stream: str = READING_LIST, **params: Any) -> list[int]:
        answer = self.get("stream/items/ids", output="json", s=stream, n=1000, **params)
        assert answer.status_code == 200, answer.text
        return [int(ref["id"]) for ref in answer.json()["itemRefs"]]


@pytest.fixture
def reader(greader: GReaderServer, feed_site: FeedSite) -> Reader:
    greader.store.subscribe(feed_site.feed_url(0), category="News")
    greader.store.subscribe(feed_site.feed_url(1))
    return Reader(greader)


def test_greader_logs_in_and_lists_subscriptions_and_tags(
    reader: Reader, feed_site: FeedSite
) -> None:
    subscriptions = reader.get("subscription/list", output="json").json()["subscriptions"]
    assert [s["url"] for s in subscriptions] == feed_site.feed_urls[:2]
    assert subscriptions[0]["categories"][0]["label"] == "News"
    tags = {t["id"].rsplit("/", 1)[1] for t in reader.get("tag/list", output="json").json()["tags"]}
    assert {"starred", "News"} <= tags


def test_greader_marks_read_and_starred_in_batches_of_long_and_short_ids(reader: Reader) -> None:
    ids = reader.ids()
    assert len(ids) == 8
    batch = [("i", long_id(ids[0])), ("i", str(ids[1])), ("i", f"{ids[2]:016x}")]
    if reader.server.dialect == "freshrss":
        batch[2] = ("i", long_id(ids[2]))  # FreshRSS reads a bare 16-digit number as decimal
    assert reader.post("edit-tag", [*batch, ("a", READ)]).text == "OK"
    assert reader.post("edit-tag", [("i", str(ids[3])), ("a", STARRED)]).text == "OK"
    assert set(reader.ids(xt=READ)) == set(ids[3:])
    assert reader.ids(STARRED) == [ids[3]]
    contents = reader.http.post(
        f"{reader.server.api_url}/stream/items/contents", params={"output": "json"},
        data={"i": [str(ids[3])], "T": reader.token}, headers=reader.headers,
    ).json()  # fmt: skip
    assert contents["items"][0]["id"] == long_id(ids[3])
    assert any(c.endswith("/state/com.google/starred") for c in contents["items"][0]["categories"])
    assert reader.post("edit-tag", [("i", str(ids[0])), ("r", READ)]).text == "OK"
    assert ids[0] in reader.ids(xt=READ)


def test_greader_pages_with_continuation_and_filters_by_time(reader: Reader) -> None:
    everything = reader.ids()
    seen: list[int] = []
    token = ""
    for _ in range(10):
        params = {"output": "json", "s": READING_LIST, "n": 3, **({"c": token} if token else {})}
        page = reader.get("stream/items/ids", **params).json()
        seen += [int(r["id"]) for r in page["itemRefs"]]
        token = page.get("continuation", "")
        if not token:
            break
    assert seen == everything
    assert reader.ids(nt=1) == []  # nothing before 1970-01-01 00:00:01
    assert reader.ids(ot=1) == everything


def test_greader_refuses_writes_without_a_valid_token(reader: Reader) -> None:
    ids = reader.ids()
    reader.token = "not-the-token"
    refused = reader.post("edit-tag", [("i", str(ids[0])), ("a", READ)])
    assert refused.status_code == 401
    assert "true" in (refused.headers.get("Google-Bad-Token", "") +
                      refused.headers.get("X-Reader-Google-Bad-Token", ""))  # fmt: skip
    reader.token = reader.get("token").text.strip()
    reader.server.expire_token()
    assert reader.post("edit-tag", [("i", str(ids[0])), ("a", READ)]).status_code == 401
    if reader.server.dialect == "miniflux":  # token == auth: log in again
        reader = Reader(reader.server)
    reader.token = reader.get("token").text.strip()
    assert reader.post("edit-tag", [("i", str(ids[0])), ("a", READ)]).text == "OK"
    no_auth = reader.http.get(f"{reader.server.api_url}/subscription/list?output=json")
    assert no_auth.status_code == 401


def test_greader_dialects_differ_where_their_servers_do(reader: Reader) -> None:
    server = reader.server
    contents = reader.get(f"stream/contents/{READING_LIST}", n=2)
    wrong_login = reader.http.post(server.base_url + "/accounts/ClientLogin",
                                   data={"Email": server.user, "Passwd": "wrong"})  # fmt: skip
    bad_ids = reader.post("edit-tag", [("i", "not-an-id"), ("a", READ)])
    wrong_method = reader.get("edit-tag", i="1", a=READ)
    if server.dialect == "freshrss":
        assert len(contents.json()["items"]) == 2 and "continuation" in contents.json()
        assert wrong_login.status_code == 401 and wrong_login.text == "Unauthorized!"
        assert bad_ids.text == "OK"  # FreshRSS reads an unknown id as 0 and marks nothing
        assert wrong_method.status_code == 401  # no T in a GET's body
        assert reader.ids()[0] > 10**15  # microsecond ids
    else:
        assert contents.json() == []  # Miniflux has no stream/contents: its catch-all answers
        assert wrong_login.status_code == 401 and "error_message" in wrong_login.json()
        assert bad_ids.status_code == 400
        assert wrong_method.json() == []
        assert max(reader.ids()) == 8


def test_greader_subscribes_and_unsubscribes(reader: Reader, feed_site: FeedSite) -> None:
    added = reader.post("subscription/quickadd", [("quickadd", feed_site.feed_url(2))]).json()
    assert added["numResults"] == 1 and added["streamName"] == "Feed 2"
    assert (
        reader.post("subscription/edit", [("ac", "unsubscribe"), ("s", added["streamId"])]).text
        == "OK"
    )
    edit = [("ac", "subscribe"), ("s", f"feed/{feed_site.feed_url(2)}"), ("a", "user/-/label/New")]
    assert reader.post("subscription/edit", edit).text == "OK"
    subscriptions = reader.get("subscription/list", output="json").json()["subscriptions"]
    assert subscriptions[-1]["categories"][0]["label"] == "New"


def test_greader_injects_faults_and_counts_requests(reader: Reader) -> None:
    server = reader.server
    server.http.reset_log()
    server.http.inject(status=503, count=1)
    assert reader.get("token").status_code == 503
    assert reader.get("token").status_code == 200
    server.http.inject(malformed=True, count=1)
    with pytest.raises(json.JSONDecodeError):
        json.loads(reader.get("subscription/list", output="json").text)
    server.http.inject(huge=5_000_000, count=1)
    assert len(reader.get("subscription/list", output="json").content) == 5_000_000
    server.http.inject(delay=0.3, count=1)
    assert reader.get("token").elapsed.total_seconds() >= 0.3
    assert server.http.count(path="/", method="GET") == 5
    ids = reader.ids()
    server.store.forget(ids[:2])
    assert reader.ids() == ids[2:]
    server.http.down()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.http.port)) != 0  # connection refused
    server.http.up()
    assert reader.get("token").status_code == 200


# --- the Miniflux REST test server ---------------------------------------------------------


@pytest.fixture
def mini(miniflux: MinifluxServer, feed_site: FeedSite) -> httpx.Client:
    miniflux.store.subscribe(feed_site.feed_url(0), category="News")
    miniflux.store.subscribe(feed_site.feed_url(1))
    return httpx.Client(base_url=miniflux.base_url, headers={"X-Auth-Token": miniflux.api_token},
                        trust_env=False, timeout=30)  # fmt: skip


def test_miniflux_authenticates_by_token_and_basic_auth(
    miniflux: MinifluxServer, mini: httpx.Client
) -> None:
    assert mini.get("/v1/me").json()["username"] == "tester"
    with client() as http:
        basic = http.get(miniflux.base_url + "/v1/me", auth=(miniflux.user, miniflux.password))
        wrong = http.get(miniflux.base_url + "/v1/me", headers={"X-Auth-Token": "nope"})
    assert basic.status_code == 200
    assert wrong.status_code == 401 and wrong.json() == {"error_message": "access unauthorized"}


def test_miniflux_lists_feeds_categories_and_filtered_entries(
    miniflux: MinifluxServer, mini: httpx.Client, feed_site: FeedSite
) -> None:
    feeds = mini.get("/v1/feeds").json()
    assert [f["feed_url"] for f in feeds] == feed_site.feed_urls[:2]
    assert feeds[0]["category"]["title"] == "News"
    counts = {c["title"]: c for c in mini.get("/v1/categories", params={"counts": "true"}).json()}
    assert counts["News"]["total_unread"] == 4
    entries = mini.get("/v1/entries", params={"order": "id", "direction": "asc"}).json()
    assert entries["total"] == 8
    ids = [e["id"] for e in entries["entries"]]
    after = mini.get("/v1/entries", params={"after_entry_id": ids[5], "order": "id"}).json()
    assert [e["id"] for e in after["entries"]] == ids[6:]
    page = mini.get("/v1/entries", params={"limit": 3, "offset": 3, "order": "id"}).json()
    assert [e["id"] for e in page["entries"]] == ids[3:6] and page["total"] == 8
    assert mini.get("/v1/entries", params={"status": "bogus"}).status_code == 400
    assert mini.get("/v1/entries", params={"direction": "up"}).status_code == 400


def test_miniflux_marks_in_batches_and_toggles_bookmarks(
    miniflux: MinifluxServer, mini: httpx.Client
) -> None:
    ids = mini.get("/v1/entries/ids").json()["entry_ids"]
    changed_since = int(max(e.changed for e in miniflux.store.entries.values())) + 1
    miniflux.store.entries[ids[0]].changed = changed_since - 10  # a known past
    marked = mini.put("/v1/entries", json={"entry_ids": ids[:3], "status": "read"})
    assert marked.status_code == 204
    assert mini.put(f"/v1/entries/{ids[3]}/bookmark").status_code == 204
    unread = mini.get("/v1/entries", params={"status": "unread", "limit": 0}).json()
    assert {e["id"] for e in unread["entries"]} == set(ids[3:])
    starred = mini.get("/v1/entries", params={"starred": "true"}).json()["entries"]
    assert [e["id"] for e in starred] == [ids[3]]
    changed = mini.get("/v1/entries", params={"changed_after": changed_since - 5}).json()
    assert {e["id"] for e in changed["entries"]} >= {ids[0], ids[3]}
    assert mini.put("/v1/entries", json={"entry_ids": [], "status": "read"}).status_code == 400
    assert mini.put("/v1/entries", json={"entry_ids": ids[:1]}).status_code == 400
    assert mini.put("/v1/entries", json={"entry_ids": ids[:1], "starred": True}).status_code == 204
    assert mini.get(f"/v1/entries/{ids[0]}").json()["starred"] is True


def test_miniflux_subscribes_unsubscribes_and_injects_faults(
    miniflux: MinifluxServer, mini: httpx.Client, feed_site: FeedSite
) -> None:
    created = mini.post("/v1/feeds", json={"feed_url": feed_site.feed_url(2)})
    assert created.status_code == 201
    again = mini.post("/v1/feeds", json={"feed_url": feed_site.feed_url(2)})
    assert again.status_code == 400 and "already exists" in again.json()["error_message"]
    assert mini.delete(f"/v1/feeds/{created.json()['feed_id']}").status_code == 204
    assert mini.delete("/v1/feeds/999").status_code == 404
    miniflux.http.inject(status=500, count=1, path="/v1/entries")
    assert mini.get("/v1/entries").status_code == 500
    assert mini.get("/v1/entries").status_code == 200
    assert miniflux.http.count("/v1/entries") == 2
    miniflux.expire_token()
    assert mini.get("/v1/me").status_code == 401
