"""Fetching an article's page or an image with the feed limits, against a loopback server."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import pytest

from streamtui.core.fetch import FetchError, Limits
from streamtui.core.reader.page import IMAGE_LIMITS, fetch_page_sync, page_client
from tests.support.article_pages import simple_page
from tests.support.feedserver import (
    FeedServer,
    Handler,
    Reply,
    Request,
    drip,
    endless,
    feed_server_fixture,  # noqa: F401
    gzip_bomb,
    oversized,
    png_image,
    redirect,
)

QUICK = Limits(connect=2, read=2, total=3, max_bytes=1024 * 1024)
PAGE = simple_page("A page", "<p>" + "Words of the story. " * 40 + "</p>").encode()


def serve(content_type: str, body: bytes) -> Handler:
    return lambda request: Reply(200, [("Content-Type", content_type)], body)


def refusal(url: str, want: str = "page", limits: Limits | None = None) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch_page_sync(url, want, limits=limits)  # type: ignore[arg-type]
    return caught.value


def test_a_page_is_fetched_with_an_html_accept_header(feed_server: FeedServer) -> None:
    feed_server.route("/story", serve("text/html; charset=utf-8", PAGE))
    fetched = fetch_page_sync(feed_server.url("/story"))
    assert fetched.body == PAGE
    assert fetched.content_type.startswith("text/html")
    assert feed_server.requests_to("/story")[0].header("accept").startswith("text/html")


def test_a_pdf_is_refused_by_its_type_before_its_body_is_read(feed_server: FeedServer) -> None:
    sent: list[int] = []

    def big_pdf(request: Request) -> Reply:
        def chunks() -> Iterator[bytes | float]:
            for _ in range(200):
                sent.append(1)
                yield b"%PDF" + b"x" * 65_532
                yield 0.01

        return Reply(200, [("Content-Type", "application/pdf")], chunks())

    feed_server.route("/paper", big_pdf)
    started = time.monotonic()
    error = refusal(feed_server.url("/paper"))
    assert error.kind == "refused"
    assert "a PDF document, not a web page" in error.reason
    assert time.monotonic() - started < 1.5  # 200 chunks 10 ms apart were not waited for
    assert len(sent) < 50


@pytest.mark.parametrize(
    ("content_type", "body", "words"),
    [
        ("text/html", b"%PDF-1.7\n" + b"\x00" * 100, "PDF document, not a web page"),
        ("application/octet-stream", png_image(), "PNG image, not a web page"),
        ("", b"plain words, no markup at all", "not a web page"),
        ("video/mp4", b"\x00\x00\x00\x18ftypmp42", "a video (video/mp4), not a web page"),
        ("application/json", b"{}", "application/json, not a web page"),
    ],
)
def test_what_is_not_a_web_page_is_refused_in_one_line(
    feed_server: FeedServer, content_type: str, body: bytes, words: str
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    feed_server.route("/x", lambda request: Reply(200, headers, body))
    error = refusal(feed_server.url("/x"))
    assert words in error.reason
    assert "\n" not in str(error)


def test_an_untyped_page_that_looks_like_html_is_taken(feed_server: FeedServer) -> None:
    feed_server.route("/x", lambda request: Reply(200, [], PAGE))
    assert fetch_page_sync(feed_server.url("/x")).body == PAGE


def test_redirects_are_followed_for_http_only(feed_server: FeedServer) -> None:
    feed_server.route("/moved", redirect(301, "/story"))
    feed_server.route("/story", serve("text/html", PAGE))
    assert fetch_page_sync(feed_server.url("/moved")).final_url == feed_server.url("/story")
    for location in ("file:///etc/passwd", "javascript:alert(1)", "ftp://example.org/x"):
        feed_server.route("/bad", redirect(302, location))
        error = refusal(feed_server.url("/bad"))
        assert error.kind in ("refused", "redirects")
        assert "not followed" in error.reason


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,<p>hi</p>", "ftp://e.org/x"],
)
def test_only_http_urls_are_fetched(url: str) -> None:
    for want in ("page", "image"):
        error = refusal(url, want)
        assert error.kind == "refused"
        assert "only http and https" in error.reason


def as_type(handler: Handler, content_type: str | None) -> Handler:
    """``handler`` with its Content-Type replaced (None: removed)."""

    def typed(request: Request) -> Reply:
        reply = Reply(*handler(request))
        pairs = reply.headers.items() if isinstance(reply.headers, Mapping) else reply.headers
        headers = [(name, value) for name, value in pairs if name.lower() != "content-type"]
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        return reply._replace(headers=headers)

    return typed


@pytest.mark.parametrize("content_type", ["text/html", None])
def test_the_feed_limits_hold_for_pages(feed_server: FeedServer, content_type: str | None) -> None:
    cases = {
        "/drip": (drip(5), "timeout"),
        "/endless": (endless(), "too-large"),
        "/big": (oversized(2 * 1024 * 1024, declared=False), "too-large"),
        "/declared": (oversized(2 * 1024 * 1024), "too-large"),
        "/bomb": (gzip_bomb(64 * 1024 * 1024), "too-large"),
    }
    for path, (handler, kind) in cases.items():
        feed_server.route(path, as_type(handler, content_type))
        started = time.monotonic()
        error = refusal(feed_server.url(path), limits=QUICK)
        assert error.kind == kind, path
        assert time.monotonic() - started < QUICK.total + 2
        if kind == "too-large":
            assert "the page is larger than the 1 MiB limit" in error.reason


def test_a_feed_behind_an_items_link_is_refused_at_its_headers(feed_server: FeedServer) -> None:
    feed_server.route("/endless", endless())  # application/rss+xml, never ending
    started = time.monotonic()
    error = refusal(feed_server.url("/endless"), limits=QUICK)
    assert "application/rss+xml, not a web page" in error.reason
    assert time.monotonic() - started < 1


def test_an_endless_untyped_body_stops_at_the_cap(feed_server: FeedServer) -> None:
    def forever(request: Request) -> Reply:
        def chunks() -> Iterator[bytes]:
            while True:
                yield b"<p>" + b"x" * 65_000 + b"</p>"

        return Reply(200, [("Content-Type", "text/html")], chunks(), chunked=True)

    feed_server.route("/forever", forever)
    error = refusal(feed_server.url("/forever"), limits=QUICK)
    assert error.kind == "too-large"


def test_an_image_is_fetched_and_html_instead_of_an_image_is_refused(
    feed_server: FeedServer,
) -> None:
    feed_server.route("/pic.png", serve("image/png", png_image()))
    feed_server.route("/untyped", lambda request: Reply(200, [], png_image()))
    feed_server.route("/typed-html", serve("text/html", PAGE))
    feed_server.route("/lying", serve("image/png", PAGE))
    assert fetch_page_sync(feed_server.url("/pic.png"), "image").body == png_image()
    assert fetch_page_sync(feed_server.url("/untyped"), "image").body == png_image()
    assert feed_server.requests_to("/pic.png")[0].header("accept").startswith("image/")
    for path in ("/typed-html", "/lying"):
        error = refusal(feed_server.url(path), "image")
        assert error.kind == "refused"
        assert "a web page, not an image" in error.reason


def test_an_image_has_its_own_smaller_cap(feed_server: FeedServer) -> None:
    size = IMAGE_LIMITS.max_bytes + 1
    feed_server.route("/huge.png", lambda request: Reply(200, [("Content-Type", "image/png")],
                                                         b"\x89PNG" + bytes(size)))  # fmt: skip
    error = refusal(feed_server.url("/huge.png"), "image")
    assert error.kind == "too-large"
    assert "image is larger than the 5 MiB limit" in error.reason


def test_the_page_client_keeps_its_hook_to_itself() -> None:
    import asyncio

    async def both() -> None:
        async with page_client("page") as pages, page_client("image") as images:
            assert pages.headers["accept"].startswith("text/html")
            assert images.headers["accept"].startswith("image/")
            assert pages.event_hooks["response"] != images.event_hooks["response"]

    asyncio.run(both())
