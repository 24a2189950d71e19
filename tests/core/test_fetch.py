"""The fetch layer against a loopback server: conditional GET, redirects, caps, timeouts,
statuses, errors, and fetch_all's concurrency limits. Small limits keep the file fast."""

from __future__ import annotations

import gzip
import socket
import ssl
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from streamtui import __version__
from streamtui.core.fetch import (
    USER_AGENT,
    Conditional,
    Fetched,
    FetchError,
    Limits,
    fetch,
    fetch_all,
    fetch_one,
    new_client,
)
from tests.support.feedserver import (
    FeedServer,
    Reply,
    closed_port,
    drip,
    endless,
    feed,
    feed_server_fixture,  # noqa: F401 (the feed_server fixture)
    gzip_bomb,
    gzipped,
    hang,
    oversized,
    redirect,
    self_signed_context,
    slow,
    status,
    zeros_gzipped,
)

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
FAST = Limits(connect=1.0, read=1.0, total=3.0, max_bytes=1_000_000)
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
NONE = Conditional()


async def get(url: str, conditional: Conditional = NONE, limits: Limits = FAST) -> Fetched:
    async with new_client(limits) as client:
        return await fetch(client, url, conditional, limits=limits)


async def failure(url: str, conditional: Conditional = NONE, limits: Limits = FAST) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await get(url, conditional, limits)
    return caught.value


def near(when: datetime | None, expected: datetime, slack: float = 5.0) -> bool:
    return when is not None and abs((when - expected).total_seconds()) <= slack


# --- success and conditional GET -----------------------------------------------------------


async def test_a_200_returns_the_body_and_its_validators(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS, etag='"v1"', last_modified=LAST_MODIFIED))
    url = feed_server.url("/feed.xml")
    got = await get(url)
    assert (got.status, got.body, got.url, got.final_url) == (200, RSS, url, url)
    assert (got.etag, got.last_modified) == ('"v1"', LAST_MODIFIED)
    assert got.content_type.startswith("application/rss+xml")
    assert not got.not_modified and got.permanent_redirect == ""
    seen = feed_server.requests_to("/feed.xml")[0]
    assert seen.header("user-agent") == USER_AGENT == f"streamtui/{__version__}"
    assert seen.header("accept-encoding") == "gzip, deflate"
    assert "application/rss+xml" in seen.header("accept")
    assert seen.header("if-none-match") == seen.header("if-modified-since") == ""


async def test_a_304_with_an_etag(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS, etag='"v1"'))
    got = await get(feed_server.url("/feed.xml"), Conditional(etag='"v1"'))
    assert got.not_modified and (got.status, got.body, got.etag) == (304, b"", '"v1"')
    assert feed_server.requests_to("/feed.xml")[0].header("if-none-match") == '"v1"'


async def test_a_304_with_last_modified(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS, last_modified=LAST_MODIFIED))
    got = await get(feed_server.url("/feed.xml"), Conditional(last_modified=LAST_MODIFIED))
    assert got.not_modified and got.last_modified == LAST_MODIFIED
    assert feed_server.requests_to("/feed.xml")[0].header("if-modified-since") == LAST_MODIFIED


async def test_a_bare_304_keeps_the_validators_that_were_sent(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", status(304))
    sent = Conditional(etag='"v1"', last_modified=LAST_MODIFIED)
    got = await get(feed_server.url("/feed.xml"), sent)
    assert (got.status, got.etag, got.last_modified) == (304, '"v1"', LAST_MODIFIED)


async def test_a_changed_feed_answers_200_to_old_validators(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS, etag='"v2"'))
    got = await get(feed_server.url("/feed.xml"), Conditional(etag='"v1"'))
    assert (got.status, got.body, got.etag) == (200, RSS, '"v2"')


async def test_unsendable_validators_are_left_out(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS))
    got = await get(feed_server.url("/feed.xml"), Conditional('"a"\r\nX-Evil: 1', "été"))
    assert got.status == 200
    seen = feed_server.requests_to("/feed.xml")[0]
    assert seen.header("if-none-match") == seen.header("x-evil") == ""
    assert seen.header("if-modified-since") == ""


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
async def test_compressed_bodies_are_decoded(feed_server: FeedServer, encoding: str) -> None:
    if encoding == "gzip":
        feed_server.route("/feed.xml", gzipped(RSS))
    else:
        wbits = -15 if encoding == "raw-deflate" else 15
        packer = zlib.compressobj(wbits=wbits)
        data = packer.compress(RSS) + packer.flush()
        feed_server.route("/feed.xml", status(200, [("Content-Encoding", "deflate")], data))
    assert (await get(feed_server.url("/feed.xml"))).body == RSS


# --- redirects ------------------------------------------------------------------------------


async def test_permanent_redirects_are_reported(feed_server: FeedServer) -> None:
    feed_server.route("/a", redirect(301, "/b"))
    feed_server.route("/b", redirect(308, feed_server.url("/feed.xml")))
    feed_server.route("/feed.xml", feed(RSS, etag='"v1"'))
    got = await get(feed_server.url("/a"), Conditional(etag='"v1"'))
    assert got.final_url == got.permanent_redirect == feed_server.url("/feed.xml")
    assert got.url == feed_server.url("/a") and got.not_modified
    # The validators travel with every hop.
    assert feed_server.requests_to("/feed.xml")[0].header("if-none-match") == '"v1"'


async def test_a_temporary_hop_means_no_permanent_redirect(feed_server: FeedServer) -> None:
    feed_server.route("/a", redirect(301, "/b"))
    feed_server.route("/b", redirect(302, "feed.xml"))  # relative to /b
    feed_server.route("/feed.xml", feed(RSS))
    got = await get(feed_server.url("/a"))
    assert got.final_url == feed_server.url("/feed.xml")
    assert got.permanent_redirect == "" and got.body == RSS


async def test_a_redirect_loop_ends(feed_server: FeedServer) -> None:
    feed_server.route("/a", redirect(302, "/b"))
    feed_server.route("/b", redirect(302, "/a"))
    error = await failure(feed_server.url("/a"))
    assert error.kind == "redirects" and "loop" in error.reason


@pytest.mark.parametrize("hops", [5, 6])
async def test_at_most_five_redirects(feed_server: FeedServer, hops: int) -> None:
    for number in range(hops):
        feed_server.route(f"/r{number}", redirect(301, f"/r{number + 1}"))
    feed_server.route(f"/r{hops}", feed(RSS))
    if hops <= 5:
        assert (await get(feed_server.url("/r0"))).body == RSS
        return
    error = await failure(feed_server.url("/r0"))
    assert error.kind == "redirects" and "more than 5" in error.reason
    assert feed_server.requests_to(f"/r{hops}") == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "javascript:alert(1)", "ftp://x/y"])
async def test_a_redirect_off_the_web_is_refused(feed_server: FeedServer, target: str) -> None:
    feed_server.route("/feed.xml", redirect(302, target))
    error = await failure(feed_server.url("/feed.xml"))
    assert error.kind == "refused" and "which is not followed" in error.reason
    if not target.startswith("javascript"):  # httpx itself chokes on that Location first
        assert target in error.reason


# --- URLs that are never requested ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
        "ftp://example.com/feed.xml",
        "http://",
        "/etc/passwd",
        "http://exa\x1b[31mmple.com/",
    ],
)
async def test_non_web_urls_are_refused_without_a_request(url: str) -> None:
    def no_request(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"requested {request.url}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(no_request)) as client:
        with pytest.raises(FetchError) as caught:
            await fetch(client, url, limits=FAST)
    assert caught.value.kind == "refused"
    assert "\x1b" not in str(caught.value)


# --- statuses -------------------------------------------------------------------------------


async def test_a_404(feed_server: FeedServer) -> None:
    error = await failure(feed_server.url("/missing"))
    assert (error.kind, error.status, error.reason) == ("http", 404, "HTTP 404 Not Found")
    assert error.source == feed_server.url("/missing")
    assert str(error) == f"{feed_server.url('/missing')}: HTTP 404 Not Found"


async def test_a_500(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", status(500))
    error = await failure(feed_server.url("/feed.xml"))
    assert (error.kind, error.status, error.reason) == (
        "http",
        500,
        "HTTP 500 Internal Server Error",
    )


async def test_a_410_is_gone(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", status(410))
    error = await failure(feed_server.url("/feed.xml"))
    assert (error.kind, error.status) == ("gone", 410)
    assert error.reason.startswith("HTTP 410 Gone")


async def retry_error(server: FeedServer, code: int, retry_after: str | None) -> FetchError:
    headers = [] if retry_after is None else [("Retry-After", retry_after)]
    server.route("/feed.xml", status(code, headers))
    error = await failure(server.url("/feed.xml"))
    assert (error.kind, error.status) == ("retry-later", code)
    return error


async def test_a_429_with_retry_after_seconds(feed_server: FeedServer) -> None:
    error = await retry_error(feed_server, 429, "120")
    assert near(error.retry_at, datetime.now(UTC) + timedelta(seconds=120))
    assert error.retry_at is not None
    assert error.reason == (
        "HTTP 429 Too Many Requests: the server asks to wait; "
        f"next try after {error.retry_at:%Y-%m-%d %H:%M:%S} UTC"
    )


async def test_a_429_with_retry_after_as_a_date(feed_server: FeedServer) -> None:
    when = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    error = await retry_error(feed_server, 429, format_datetime(when, usegmt=True))
    assert error.retry_at == when and error.retry_at.tzinfo is not None


@pytest.mark.parametrize("value", ["soon", "", None, "-5", "Thu, 99 Foo 2015"])
async def test_a_429_with_garbage_or_no_retry_after_waits_an_hour(
    feed_server: FeedServer, value: str | None
) -> None:
    error = await retry_error(feed_server, 429, value)
    assert near(error.retry_at, datetime.now(UTC) + timedelta(hours=1))
    # It does not pretend the server said when.
    said = f"its Retry-After {value!r} is unreadable" if value else "not how long"
    assert f"asks to wait but {said}; next try in an hour, after" in error.reason


async def test_a_503_with_retry_after(feed_server: FeedServer) -> None:
    error = await retry_error(feed_server, 503, "30")
    assert near(error.retry_at, datetime.now(UTC) + timedelta(seconds=30))


async def test_retry_after_is_kept_within_a_week_and_not_in_the_past(
    feed_server: FeedServer,
) -> None:
    error = await retry_error(feed_server, 429, "999999999999")
    assert near(error.retry_at, datetime.now(UTC) + timedelta(days=7))
    assert "more than a week; next try in a week, after" in error.reason
    error = await retry_error(feed_server, 503, "Wed, 21 Oct 2015 07:28:00 GMT")
    assert near(error.retry_at, datetime.now(UTC))


# --- timeouts -------------------------------------------------------------------------------


async def test_a_slow_drip_ends_at_the_total_deadline(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", drip(bytes_per_second=20))
    started = time.monotonic()
    error = await failure(feed_server.url("/feed.xml"), limits=Limits(read=1.0, total=1.5))
    elapsed = time.monotonic() - started
    assert error.kind == "timeout" and "1.5 s" in error.reason
    assert 1.4 < elapsed < 3.0


async def test_a_hang_ends_at_the_read_timeout(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", hang())
    started = time.monotonic()
    error = await failure(feed_server.url("/feed.xml"), limits=Limits(read=0.5, total=5))
    assert error.kind == "timeout" and "reading" in error.reason and "0.5 s" in error.reason
    assert time.monotonic() - started < 2.0


# --- size caps ------------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
async def test_an_oversized_body_is_too_large(feed_server: FeedServer, declared: bool) -> None:
    feed_server.route("/feed.xml", oversized(3_000_000, declared=declared))
    error = await failure(feed_server.url("/feed.xml"), limits=Limits(max_bytes=1_000_000))
    assert error.kind == "too-large" and "1,000,000 bytes" in error.reason


async def test_a_body_exactly_at_the_cap_is_fine(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", oversized(100_000, declared=False))
    got = await get(feed_server.url("/feed.xml"), limits=Limits(max_bytes=100_000))
    assert len(got.body) == 100_000


async def test_a_gzip_bomb_is_stopped_with_little_memory(feed_server: FeedServer) -> None:
    decoded = 20 * 1024 * 1024
    feed_server.route("/bomb", gzip_bomb(decoded))  # about 20 KB on the wire
    feed_server.route("/warm-up", gzipped(RSS))
    limits = Limits(max_bytes=100_000)
    async with new_client(limits) as client:
        await fetch(client, feed_server.url("/warm-up"), limits=limits)  # lazy imports done
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                await fetch(client, feed_server.url("/bomb"), limits=limits)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.kind == "too-large"
    # httpx's own aiter_bytes() peaks near 50 MB here: it inflates each network chunk whole.
    assert peak < 1024 * 1024, f"peak {peak:,} bytes"


async def test_an_endless_chunked_body_stops_at_the_cap_with_little_memory(
    feed_server: FeedServer,
) -> None:
    # Fast and never ending: no timeout would trip for a long time, only the size cap can.
    feed_server.route("/endless", endless())
    feed_server.route("/warm-up", feed(RSS))
    limits = Limits(read=5.0, total=30.0, max_bytes=2_000_000)
    async with new_client(limits) as client:
        await fetch(client, feed_server.url("/warm-up"), limits=limits)  # lazy imports done
        started = time.monotonic()
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                await fetch(client, feed_server.url("/endless"), limits=limits)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    elapsed = time.monotonic() - started
    assert (
        caught.value.kind == "too-large" and "larger than the 1.9 MiB limit" in caught.value.reason
    )
    assert elapsed < 5.0, f"{elapsed:.1f} s: stopped by a deadline, not by the cap"
    # The body read so far (at most the cap) and one network chunk, not a growing stream.
    assert peak < 3 * limits.max_bytes, f"peak {peak:,} bytes"


async def test_the_test_server_ends_a_chunked_body(feed_server: FeedServer) -> None:
    parts: list[bytes | float] = [b"<rss ", 0.05, b"", b'version="2.0"/>']
    feed_server.route("/feed.xml", lambda request: Reply(200, [], parts, chunked=True))
    async with (
        new_client(FAST) as client,
        client.stream("GET", feed_server.url("/feed.xml")) as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        assert await response.aread() == b'<rss version="2.0"/>'


@pytest.mark.parametrize("body", [b"this is not gzip at all", gzip.compress(RSS, mtime=0)[:-12]])
async def test_a_corrupt_gzip_body_is_an_error(feed_server: FeedServer, body: bytes) -> None:
    feed_server.route("/feed.xml", status(200, [("Content-Encoding", "gzip")], body))
    error = await failure(feed_server.url("/feed.xml"))
    assert error.kind == "unreachable" and "corrupt compressed body (gzip)" in error.reason


async def test_an_encoding_we_did_not_ask_for_is_an_error(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", status(200, [("Content-Encoding", "br")], b"\x0b\x00"))
    error = await failure(feed_server.url("/feed.xml"))
    assert error.kind == "http" and "(br)" in error.reason


# --- network errors -------------------------------------------------------------------------


async def test_a_closed_port_is_connection_refused() -> None:
    error = await failure(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert (error.kind, error.reason) == ("unreachable", "connection refused")


async def test_a_name_that_does_not_resolve() -> None:
    def unresolved(request: httpx.Request) -> httpx.Response:
        cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        raise httpx.ConnectError("All connection attempts failed") from cause

    async with httpx.AsyncClient(transport=httpx.MockTransport(unresolved)) as client:
        with pytest.raises(FetchError) as caught:
            await fetch(client, "http://no-such-host.invalid/feed.xml", limits=FAST)
    assert (caught.value.kind, caught.value.reason) == ("unreachable", "name not resolved")


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    return self_signed_context(tmp_path)


async def test_a_self_signed_certificate_is_refused(
    self_signed: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with FeedServer(ssl_context=self_signed) as server:
        server.route("/feed.xml", feed(RSS))
        error = await failure(server.url("/feed.xml"))
    assert error.kind == "unreachable"
    assert error.reason.startswith("TLS certificate verification failed")


# --- many at once ---------------------------------------------------------------------------


async def collect(
    results: AsyncIterator[tuple[int, Fetched | FetchError]],
) -> dict[int, Fetched | FetchError]:
    return {key: result async for key, result in results}


async def test_fetch_all_survives_failures(feed_server: FeedServer) -> None:
    for number in range(17):
        feed_server.route(f"/feed/{number}", feed(RSS + str(number).encode()))
    feed_server.route("/hang", hang())
    bad = {17: feed_server.url("/missing"), 18: feed_server.url("/hang")}
    bad[19] = f"http://127.0.0.1:{closed_port()}/feed.xml"
    requests = [(n, feed_server.url(f"/feed/{n}"), Conditional()) for n in range(17)]
    requests += [(n, url, Conditional()) for n, url in bad.items()]
    limits = Limits(read=0.5, total=2.0, concurrency=16, per_host=4)
    started = time.monotonic()
    results = await collect(fetch_all(requests, limits=limits))
    assert time.monotonic() - started < limits.total + 1.0
    assert sorted(results) == list(range(20))
    for number in range(17):
        got = results[number]
        assert isinstance(got, Fetched) and got.body == RSS + str(number).encode()
    kinds = {n: getattr(results[n], "kind", None) for n in bad}
    assert kinds == {17: "http", 18: "timeout", 19: "unreachable"}


async def test_fetch_all_yields_results_as_they_complete(feed_server: FeedServer) -> None:
    feed_server.route("/slow", slow(RSS, 0.4))
    feed_server.route("/fast", feed(RSS))
    requests = [("slow", feed_server.url("/slow"), Conditional())]
    requests.append(("fast", feed_server.url("/fast"), Conditional()))
    order = [key async for key, _ in fetch_all(requests, limits=FAST)]
    assert order == ["fast", "slow"]


async def test_fetch_all_keeps_to_the_per_host_limit(feed_server: FeedServer) -> None:
    feed_server.route("/slow", slow(RSS, 0.1))
    requests = [(n, feed_server.url(f"/slow?n={n}"), Conditional()) for n in range(8)]
    results = await collect(fetch_all(requests, limits=Limits(per_host=2, concurrency=16)))
    assert all(isinstance(result, Fetched) for result in results.values())
    assert feed_server.max_concurrent == 2


async def test_fetch_all_keeps_to_the_overall_limit(feed_server: FeedServer) -> None:
    feed_server.route("/slow", slow(RSS, 0.1))
    requests = [(n, feed_server.url(f"/slow?n={n}"), Conditional()) for n in range(9)]
    results = await collect(fetch_all(requests, limits=Limits(per_host=8, concurrency=3)))
    assert len(results) == 9 and feed_server.max_concurrent == 3


class _Counting(httpx.AsyncHTTPTransport):
    """The real transport, counting the requests it is asked to send, by port."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: dict[int | None, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked[request.url.port] = self.asked.get(request.url.port, 0) + 1
        return await super().handle_async_request(request)


async def test_a_host_that_cannot_be_reached_is_tried_once(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS))
    dead = closed_port()
    requests = [(n, f"http://127.0.0.1:{dead}/feed/{n}.xml", Conditional()) for n in range(6)]
    requests.append((6, feed_server.url("/feed.xml"), Conditional()))
    transport = _Counting()
    limits = Limits(connect=1.0, read=1.0, total=3.0, per_host=1)
    async with httpx.AsyncClient(transport=transport) as client:
        results = await collect(fetch_all(requests, limits=limits, client=client))
    assert transport.asked == {dead: 1, feed_server.port: 1}
    for number in range(6):
        failed = results[number]
        assert isinstance(failed, FetchError) and failed.network
        assert (failed.kind, failed.reason) == ("unreachable", "connection refused")
        assert failed.source == f"http://127.0.0.1:{dead}/feed/{number}.xml"
        assert failed.origin == f"http://127.0.0.1:{dead}"
    assert isinstance(results[6], Fetched)


async def test_an_unreachable_redirect_target_is_said_of_its_own_host(
    feed_server: FeedServer,
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    feed_server.route("/moved.xml", redirect(302, f"{dead}/feed.xml"))
    feed_server.route("/feed.xml", feed(RSS))
    requests = [(0, feed_server.url("/moved.xml"), Conditional())]
    requests += [(1, feed_server.url("/feed.xml"), Conditional())]
    requests += [(2, f"{dead}/other.xml", Conditional())]
    limits = Limits(connect=1.0, read=1.0, total=3.0, per_host=1, concurrency=1)
    transport = _Counting()
    async with httpx.AsyncClient(transport=transport) as client:
        results = await collect(fetch_all(requests, limits=limits, client=client))
    moved = results[0]
    assert isinstance(moved, FetchError) and moved.origin == dead
    assert isinstance(results[1], Fetched)  # the server that redirected is still asked
    other = results[2]
    assert isinstance(other, FetchError) and other.reason == "connection refused"
    assert sum(transport.asked.values()) == 3  # the redirect, its target, the feed


async def test_leaving_fetch_all_early_cancels_the_rest(feed_server: FeedServer) -> None:
    feed_server.route("/hang", hang())
    feed_server.route("/feed.xml", feed(RSS))
    requests = [(n, feed_server.url("/hang"), Conditional()) for n in range(3)]
    requests.append((3, feed_server.url("/feed.xml"), Conditional()))
    started = time.monotonic()
    results = fetch_all(requests, limits=Limits(read=10, total=10, per_host=4))
    async for key, _ in results:
        assert key == 3
        break
    await results.aclose()  # type: ignore[attr-defined]
    assert time.monotonic() - started < 2.0


async def test_fetch_all_with_nothing_to_fetch() -> None:
    assert await collect(fetch_all([])) == {}


async def test_fetch_all_uses_a_given_client(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS))
    async with new_client(FAST) as client:
        requests = [("a", feed_server.url("/feed.xml"), Conditional())]
        results = [item async for item in fetch_all(requests, client=client)]
        assert not client.is_closed
    assert isinstance(results[0][1], Fetched)


def test_fetch_one_from_synchronous_code(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", feed(RSS))
    assert fetch_one(feed_server.url("/feed.xml"), limits=FAST).body == RSS
    with pytest.raises(FetchError) as caught:
        fetch_one("file:///etc/passwd")
    assert caught.value.kind == "refused"


def test_the_server_answers_unknown_paths_with_404(feed_server: FeedServer) -> None:
    assert Reply().status == 200
    with pytest.raises(FetchError):
        fetch_one(feed_server.url("/nothing-here"), limits=FAST)
    assert [r.path for r in feed_server.requests] == ["/nothing-here"]


@pytest.mark.parametrize("size", [0, 5, 1024 * 1024, 3 * 1024 * 1024 + 7])
def test_the_test_servers_gzip_bomb_is_valid_gzip(size: int) -> None:
    assert gzip.decompress(zeros_gzipped(size)) == bytes(size)


async def test_every_client_of_a_process_shares_one_verifying_tls_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a TLS context reads the whole CA bundle (about 50 ms): the refresh's client, a
    download's and an account's share one, which still refuses what it cannot verify."""
    from streamtui.core.fetch.client import new_client, tls_context
    from streamtui.core.reader.download import DownloadLimits, _client
    from streamtui.core.sync._http import ApiHttp

    loaded: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loaded.append(args or kwargs)
        load(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    tls_context.cache_clear()
    clients = [
        new_client(),
        new_client(),
        _client(DownloadLimits()),
        ApiHttp("a", "https://127.0.0.1/", limits=Limits(), secrets=list)._ensure_client(),
    ]
    for client in clients:
        await client.aclose()
    assert len(loaded) == 1  # the CA bundle read once, not once a client
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
