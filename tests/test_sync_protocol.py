"""The shared parts of the sync backends (core/sync): the HTTP layer's limits (the fetch limits
of feeds: deadlines, a size cap enforced while reading, TLS on, redirects only to the same
origin and only http(s)), the values (ids, dates, states, marks) and the errors' one line
without secrets. HTTP cases use the Miniflux backend (its first request is a plain GET) or
the Google Reader one (a POST) against loopback servers."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime

import pytest

from feedserver import (
    FeedServer,
    Reply,
    closed_port,
    drip,
    endless,
    feed_server_fixture,  # noqa: F401
    gzip_bomb,
    hang,
    oversized,
    redirect,
    self_signed_context,
)
from streamtui.core.dates import EARLIEST, LATEST
from streamtui.core.fetch import Limits
from streamtui.core.sync import KINDS, open_backend
from streamtui.core.sync._base import collapse, epoch, ident, iso
from streamtui.core.sync.errors import (
    AuthError,
    BadAnswer,
    ServerDown,
    ServerError,
    TokenExpired,
    TooLarge,
    scrub,
)
from streamtui.core.sync.greader import GReaderBackend, item_id
from streamtui.core.sync.miniflux import MinifluxBackend
from streamtui.core.sync.models import Mark, MarkKind, SyncState
from streamtui.core.sync.ttrss import TtrssBackend
from support.servers._http import Answer, ApiRequest, ApiServer, json_answer
from syncclient import check_message, credential

LIMITS = Limits(connect=2, read=1, total=2, max_bytes=256 * 1024)
TOKEN = "tok-Secret-123"
ME = {"id": 1, "username": "tester"}


def mini(server: FeedServer, path: str = "", limits: Limits = LIMITS) -> MinifluxBackend:
    url = server.url(path or "/")
    return MinifluxBackend("mini", url, credential(url, "tester", token=TOKEN), limits=limits)


def me(request: object) -> Reply:
    return Reply(200, [("Content-Type", "application/json")], json.dumps(ME).encode())


async def failure(backend: MinifluxBackend) -> Exception:
    async with backend:
        with pytest.raises(Exception) as caught:
            await backend.login()
    return caught.value


# --- size, time, TLS -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (gzip_bomb(50 * 1024 * 1024), "larger than the 262,144 bytes limit"),
        (oversized(1024 * 1024, declared=False), "larger than the 262,144 bytes limit"),
        (oversized(1024 * 1024), "larger than the 262,144 bytes limit"),
        (endless(), "larger than the 262,144 bytes limit"),
    ],
    ids=["gzip-bomb", "no-length", "declared", "endless"],
)
async def test_an_answer_past_the_size_cap_stops_while_it_is_read(
    feed_server: FeedServer, handler: object, words: str
) -> None:
    feed_server.route("/v1/me", handler)  # type: ignore[arg-type]
    error = await failure(mini(feed_server))
    assert isinstance(error, TooLarge)
    assert words in check_message(error, "mini", TOKEN)


@pytest.mark.parametrize(
    ("handler", "words"),
    [(hang(), "timed out reading (nothing received for 1 s)"),
     (drip(20), "timed out: no complete answer within 2 s")],
    ids=["hang", "drip"],
)  # fmt: skip
async def test_a_slow_server_ends_at_the_read_or_total_deadline(
    feed_server: FeedServer, handler: object, words: str
) -> None:
    feed_server.route("/v1/me", handler)  # type: ignore[arg-type]
    began = datetime.now(UTC)
    error = await failure(mini(feed_server))
    assert isinstance(error, ServerDown) and words in str(error)
    assert (datetime.now(UTC) - began).total_seconds() < 4


async def test_a_closed_port_is_a_server_down_with_no_connection() -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    backend = MinifluxBackend("mini", url, credential(url, "tester", token=TOKEN))
    error = await failure(backend)
    assert isinstance(error, ServerDown) and error.network
    assert str(error) == "mini: connection refused"


async def test_a_self_signed_certificate_is_refused_before_any_login_is_sent(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context: ssl.SSLContext = self_signed_context(tmp_path)  # type: ignore[arg-type]
    with FeedServer(ssl_context=context) as server:
        server.route("/v1/me", me)
        error = await failure(mini(server))
        assert server.requests == []
    assert isinstance(error, ServerDown)
    assert str(error) == "mini: TLS certificate verification failed"


# --- redirects -----------------------------------------------------------------------------


async def test_a_redirect_within_the_origin_is_followed_with_the_login(
    feed_server: FeedServer,
) -> None:
    feed_server.route("/v1/me", redirect(308, "/moved/v1/me"))
    feed_server.route("/moved/v1/me", me)
    async with mini(feed_server) as backend:
        await backend.login()
        assert backend.requests == 2
    assert feed_server.requests_to("/moved/v1/me")[0].header("x-auth-token") == TOKEN


async def test_a_redirect_to_another_origin_sends_nothing_there(feed_server: FeedServer) -> None:
    with FeedServer() as elsewhere:
        elsewhere.route("/v1/me", me)
        feed_server.route("/v1/me", redirect(301, elsewhere.url("/v1/me")))
        error = await failure(mini(feed_server))
        assert elsewhere.requests == []
    assert isinstance(error, BadAnswer)
    text = check_message(error, "mini", TOKEN)
    assert f"redirected to another address ({elsewhere.url('/v1/me')})" in text


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/x"]
)
async def test_a_redirect_to_anything_but_http_is_refused(
    feed_server: FeedServer, location: str
) -> None:
    feed_server.route("/v1/me", redirect(302, location))
    error = await failure(mini(feed_server))
    assert isinstance(error, BadAnswer) and "not followed" in str(error)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "http:///v1", "file:///etc/"])
async def test_an_account_address_that_is_no_web_address_is_refused(url: str) -> None:
    async with MinifluxBackend("mini", url, credential(url, "tester", token=TOKEN)) as backend:
        with pytest.raises(BadAnswer) as caught:
            await backend.login()
        assert backend.requests == 0
    assert "only http and https addresses are used" in check_message(caught.value, "mini", TOKEN)


async def test_a_redirect_loop_ends(feed_server: FeedServer) -> None:
    feed_server.route("/v1/me", redirect(302, "/v1/me"))
    error = await failure(mini(feed_server))
    assert isinstance(error, BadAnswer) and "too many redirects (more than 5)" in str(error)
    assert len(feed_server.requests_to("/v1/me")) == 6


async def test_a_post_redirected_within_the_origin_keeps_its_body() -> None:
    """tt-rss behind a web server that adds the slash: POST /api -> 301 -> POST /api/."""
    seen: list[tuple[str, bytes]] = []

    def handle(req: ApiRequest) -> Answer:
        seen.append((req.path, req.body))
        if req.path == "/accounts/ClientLogin":
            return Answer(307, b"", "text/plain", [("Location", "/login/")])
        return Answer(200, b"SID=x\nLSID=null\nAuth=tester/abc\n", "text/plain")

    server = ApiServer(handle)
    server.start()
    try:
        url = server.url("/")
        backend = GReaderBackend("reader", url, credential(url, "tester", "pw-Secret-9"))
        async with backend:
            await backend._client_login()
        assert backend.token == "tester/abc"
    finally:
        server.stop()
    assert [path for path, _ in seen] == ["/accounts/ClientLogin", "/login/"]
    assert seen[0][1] == seen[1][1] and b"pw-Secret-9" in seen[1][1]


async def test_a_login_kept_for_another_address_is_never_sent(feed_server: FeedServer) -> None:
    feed_server.route("/v1/me", me)
    login = credential("https://other.example:8443/", "tester", token=TOKEN)
    backend = MinifluxBackend("mini", feed_server.url("/"), login)
    async with backend:
        with pytest.raises(AuthError) as caught:
            await backend.login()
    assert feed_server.requests == []
    assert "another address" in check_message(caught.value, "mini", TOKEN)


# --- secrets -------------------------------------------------------------------------------


async def test_a_server_that_echoes_the_secret_has_it_cut_from_the_message() -> None:
    def echo(req: ApiRequest) -> Answer:
        said = f"bad token {req.header('x-auth-token')} for tester:pw%20Secret"
        return json_answer({"error_message": said}, 500)

    server = ApiServer(echo)
    server.start()
    try:
        url = server.url("/")
        login = credential(url, "tester", "pw Secret", TOKEN)
        async with MinifluxBackend("mini", url, login) as backend:
            with pytest.raises(ServerError) as caught:
                await backend.login()
    finally:
        server.stop()
    text = check_message(caught.value, "mini", TOKEN, "pw Secret")
    assert "pw%20Secret" not in text and "bad token … for tester:…" in text


def test_scrub_cuts_plain_encoded_and_escaped_forms_of_each_secret() -> None:
    secret = 'p@ss "w/ord"'
    text = f"a {secret} b p%40ss%20%22w%2Ford%22 c p%40ss+%22w%2Ford%22 d {json.dumps(secret)}"
    assert secret[:4] not in scrub(text, [secret]).replace("p@", "")
    assert scrub("ab xy", ["ab"]) == "ab xy"  # too short to tell from text


# --- values --------------------------------------------------------------------------------


def test_item_ids_in_both_google_reader_forms_are_one_id() -> None:
    assert item_id("tag:google.com,2005:reader/item/000000000000001f") == "31" == item_id("31")
    assert item_id("tag:google.com,2005:reader/item/ffffffffffffffff") == "-1" == item_id("-1")
    assert item_id(1796205772929727) == "1796205772929727"
    assert item_id("tag:google.com,2005:reader/item/xyz") is None
    assert item_id("12a") is None and item_id(True) is None and ident("٣") is None


def test_dates_are_clamped_utc_and_garbage_is_none() -> None:
    assert epoch(4e12) == LATEST and epoch("1") == EARLIEST and epoch(0) is None
    assert epoch("soon") is None and epoch(float("nan")) is None and epoch(True) is None
    assert iso("2026-01-01T10:00:00+02:00") == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert iso("0001-01-01T00:00:00Z") == EARLIEST and iso("yesterday") is None


def test_a_sync_state_survives_storage_and_garbage_gives_a_fresh_one() -> None:
    state = SyncState("42", datetime(2026, 3, 1, tzinfo=UTC)).with_cursors(skip="200", top="99")
    assert SyncState.from_json(state.to_json()) == state
    assert state.with_cursors(skip=None).cursors == (("top", "99"),)
    for garbage in ("", "[]", '{"last_item_id": "x; drop"}', "{" * 10_000, '{"last_sync": 1e400}'):
        assert SyncState.from_json(garbage).last_item_id == ""


def test_marks_collapse_to_the_last_one_per_item_and_axis() -> None:
    queue = [
        Mark("1", MarkKind.READ), Mark("2", MarkKind.STAR), Mark("1", MarkKind.UNREAD),
        Mark("1", MarkKind.STAR), Mark("2", MarkKind.UNSTAR), Mark("3", MarkKind.READ),
    ]  # fmt: skip
    groups = collapse(queue)
    assert [(item, len(m)) for item, m in groups[MarkKind.UNREAD]] == [("1", 2)]
    assert [item for item, _ in groups[MarkKind.READ]] == ["3"]
    assert [item for item, _ in groups[MarkKind.STAR]] == ["1"]
    assert [(item, len(m)) for item, m in groups[MarkKind.UNSTAR]] == [("2", 2)]
    assert sum(len(m) for kind in groups.values() for _, m in kind) == len(queue)


def test_every_kind_opens_and_an_unknown_one_says_which_exist() -> None:
    login = credential("http://127.0.0.1:9/", "tester", "pw")
    for kind in KINDS:
        assert open_backend(kind, "a", "http://127.0.0.1:9/", login).kind == kind
    with pytest.raises(ValueError, match="greader, ttrss, miniflux, fever"):
        open_backend("newsblur", "a", "http://127.0.0.1:9/", login)


async def test_a_ttrss_that_ends_every_session_at_once_is_token_expired_not_a_loop() -> None:
    logins: list[str] = []

    def handle(req: ApiRequest) -> Answer:
        op = req.json().get("op")
        if op == "login":
            logins.append(op)
            return json_answer(
                {"seq": 0, "status": 0, "content": {"session_id": f"s{len(logins)}"}}
            )
        return json_answer({"seq": 0, "status": 1, "content": {"error": "NOT_LOGGED_IN"}})

    server = ApiServer(handle)
    server.start()
    try:
        url = server.url("/")
        async with TtrssBackend("work", url, credential(url, "tester", "pw-Secret-1")) as backend:
            with pytest.raises(TokenExpired) as caught:
                await backend.feeds()
            assert backend.requests == 4  # login, refused, a new login, refused again
    finally:
        server.stop()
    assert len(logins) == 2
    check_message(caught.value, "work", "pw-Secret-1", "s1", "s2")
