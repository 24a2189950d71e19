"""Fetching an article's web page, or an image in it, with the feed fetch limits.

The fetch itself is :func:`streamtui.core.fetch.fetch`: http and https only (every redirect
checked), connect, read and total deadlines, at most five redirects, the decoded body capped
(gzip bombs included). What this module adds is refusing what was not asked for, as early as
it can be known:

- by Content-Type, as soon as the final answer's headers arrive and before its body is read
  (an httpx response hook on a client of our own): a 700 MB video behind an item's link costs
  one request, not 16 MiB;
- by sniffing the body (``feeds.binary_kind``, ``feeds.looks_like_html``), since servers send
  wrong types: a PDF served as ``text/html``, an HTML error page served as ``image/png``.

A page is HTML (``text/html``, ``application/xhtml+xml``, or an untyped body that looks like
HTML); an image is ``image/*`` or an untyped body that is not HTML. Images get their own caps
(:data:`IMAGE_LIMITS`: 5 MiB, 30 s) on top of the feed limits; decoding them is the UI's
business (``streamtui.ui.images``), with a cap on decoded pixels.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from streamtui.core.fetch import Fetched, FetchError, Limits, fetch, new_client
from streamtui.core.parse.entries import HTML_TYPES
from streamtui.core.parse.pages import binary_kind, looks_like_html
from streamtui.core.text.sanitize import sanitize

if TYPE_CHECKING:
    import httpx

__all__ = [
    "IMAGE_LIMITS",
    "PAGE_LIMITS",
    "Want",
    "fetch_page",
    "fetch_page_sync",
    "media_type",
    "page_client",
]

Want = Literal["page", "image"]
PAGE_LIMITS = Limits()
"""A page: exactly the feed fetch limits (10 s connect, 20 s read, 60 s in all, 16 MiB)."""
IMAGE_LIMITS = replace(Limits(), total=30.0, max_bytes=5 * 1024 * 1024)
"""An image: the feed limits, 30 s in all and 5 MiB at most (article images are rarely over
1 MiB; a larger one is not worth a terminal's few dozen rows)."""
ACCEPT = {
    "page": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1",
    "image": "image/png, image/jpeg, image/gif, image/webp;q=0.9, */*;q=0.1",
}
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_WHAT = {"page": "page", "image": "image"}


class _Unwanted(Exception):
    """Raised by the response hook: the answer is not what was asked for."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def media_type(content_type: str) -> str:
    """``text/html`` of ``text/HTML; charset=utf-8``."""
    return content_type.split(";", 1)[0].strip().lower()


def declared_refusal(want: Want, content_type: str) -> str:
    """Why an answer of ``content_type`` is not a ``want``, or "" when it may be one."""
    media = media_type(content_type)
    if media in _UNTYPED:
        return ""
    shown = sanitize(media)[:60]
    if want == "page":
        if media in HTML_TYPES or media == "text/plain":
            return ""
        return f"the address gives {_kind_of(media, shown)}, not a web page"
    if media.startswith("image/"):
        return ""
    return f"the address gives {_kind_of(media, shown)}, not an image"


def _kind_of(media: str, shown: str) -> str:
    if media in HTML_TYPES:
        return "a web page"
    if media == "application/pdf":
        return "a PDF document"
    for prefix, kind in (("image/", "an image"), ("audio/", "audio"), ("video/", "a video")):
        if media.startswith(prefix):
            return f"{kind} ({shown})"
    return shown


def sniffed_refusal(want: Want, body: bytes, content_type: str) -> str:
    """Why a body is not a ``want`` by its bytes, or ""."""
    if want == "page":
        kind = binary_kind(body, content_type)
        if kind:
            return f"the address gives {kind}, not a web page"
        if media_type(content_type) in _UNTYPED and not looks_like_html(body):
            return "the address gives something that is not a web page"
        return ""
    if not body:
        return "the image is empty"
    if looks_like_html(body):
        return "the address gives a web page, not an image"
    return ""


def _hook(want: Want) -> Callable[[httpx.Response], Awaitable[None]]:
    async def check(response: httpx.Response) -> None:
        if response.has_redirect_location or not 200 <= response.status_code < 300:
            return  # redirects and errors: fetch() follows or reports them
        reason = declared_refusal(want, response.headers.get("content-type", ""))
        if reason:
            raise _Unwanted(reason)

    return check


def page_client(want: Want = "page", limits: Limits | None = None) -> httpx.AsyncClient:
    """A client for :func:`fetch_page`: the feed client's settings, an Accept header for
    ``want``, and the hook that refuses a wrong Content-Type before the body is read. Keep it
    for ``want`` alone (the hook would refuse feeds)."""
    client = new_client(limits or _limits(want))
    client.headers["Accept"] = ACCEPT[want]
    client.event_hooks["response"] = [_hook(want)]
    return client


async def fetch_page(
    url: str,
    want: Want = "page",
    *,
    client: httpx.AsyncClient | None = None,
    limits: Limits | None = None,
) -> Fetched:
    """Fetch ``url`` as a ``want`` (a web page or an image); FetchError with a one-line reason
    for anything else, including a body that is not what its type said. ``client`` must come
    from :func:`page_client` with the same ``want``."""
    limits = limits or _limits(want)
    if client is None:
        async with page_client(want, limits) as own:
            return await fetch_page(url, want, client=own, limits=limits)
    try:
        fetched = await fetch(client, url, limits=limits)
    except _Unwanted as unwanted:
        raise FetchError(url, "refused", unwanted.reason) from None
    except FetchError as error:
        if error.kind == "too-large":
            reason = f"the {_WHAT[want]} is larger than the {_mib(limits.max_bytes)} limit"
            raise FetchError(url, "too-large", reason) from error
        raise
    reason = sniffed_refusal(want, fetched.body, fetched.content_type)
    if reason:
        raise FetchError(url, "refused", reason)
    return fetched


def fetch_page_sync(url: str, want: Want = "page", *, limits: Limits | None = None) -> Fetched:
    """:func:`fetch_page` from synchronous code (the CLI, a worker thread); not inside a
    running event loop."""
    return asyncio.run(fetch_page(url, want, limits=limits))


def _limits(want: Want) -> Limits:
    return PAGE_LIMITS if want == "page" else IMAGE_LIMITS


def _mib(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB"
