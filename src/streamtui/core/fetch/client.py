"""One fetch over HTTP, the way streamtui talks to the network (many.py runs many at once).

``feedparser.parse(url)`` has no timeout, inflates gzip without a limit and opens local paths,
so feedparser only ever gets bytes fetched here: http and https only (redirects too), connect,
read and total timeouts, a cap on the decoded body that holds against gzip bombs, a bounded
number of redirects, TLS verification on, and conditional GET so an unchanged feed costs one
small 304 and no parse.

A password never travels in a URL. Requests are made to URLs without any login; a
:class:`~streamtui.core.credentials.Credential` goes as HTTP Basic auth only to the origin
(scheme, host and port) it was given for, so a redirect to another host, another port or from
https to http leaves it behind. A URL given with a password in it (a preview, say) is split
the same way. Errors and results name URLs without their password.

httpx is imported lazily: the values and :class:`FetchError` are cheap to import, and the
httpx import (about 85 ms) is paid only when something is actually fetched.
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from streamtui import __version__
from streamtui.core.fetch.body import read_body
from streamtui.core.fetch.errors import FetchError, seconds, status_error, transport_error
from streamtui.core.text.redact import origin, redact_url, user_as_written, with_user, without_login
from streamtui.core.text.sanitize import excerpt, sanitize
from streamtui.core.urls import shape_problem

if TYPE_CHECKING:
    import ssl

    import httpx

    from streamtui.core.credentials import Credential

USER_AGENT = f"streamtui/{__version__}"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# Only the encodings _Inflater undoes under the cap; httpx would add br and zstd when their
# packages happen to be installed, and those it inflates without a limit.
ACCEPT_ENCODING = "gzip, deflate"

_PERMANENT = (301, 308)
_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


@dataclass(frozen=True, slots=True)
class Limits:
    """Every bound of a fetch, in seconds and bytes; tests pass small ones."""

    connect: float = 10.0
    read: float = 20.0
    total: float = 60.0
    max_bytes: int = 16 * 1024 * 1024  # on the decoded body, so it holds against gzip bombs
    max_redirects: int = 5
    concurrency: int = 16
    per_host: int = 2

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")


@dataclass(frozen=True, slots=True)
class Conditional:
    """The validators stored from the last fetch of a source, sent back as conditional GET."""

    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A successful answer: a 2xx with its body, or a 304 with none.

    ``etag`` and ``last_modified`` are opaque values to store and send back, never to show.
    A 304 without them carries the ones that were sent, so the caller can always store these.
    ``permanent_redirect`` is the final URL when every hop was a 301 or 308: a candidate for
    updating the stored URL once it repeats over several refreshes.
    """

    url: str
    final_url: str
    status: int
    body: bytes
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    permanent_redirect: str = ""

    @property
    def not_modified(self) -> bool:
        """True for a 304: nothing to parse, the stored items are current."""
        return self.status == 304


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verified TLS context (httpx's, as ``verify=True`` makes it) that every client of
    this process shares: making one reads the whole CA bundle (about 50 ms here), and each
    refresh, feed added, download and account sync made its own."""
    import httpx

    return httpx.create_ssl_context()


def new_client(limits: Limits = Limits()) -> httpx.AsyncClient:
    """A client for :func:`fetch`: verified TLS, redirects left to us, timeouts from ``limits``.

    Redirects are not followed by httpx because each hop must be checked (http and https
    only, counted, conditional headers re-sent). Environment proxies are honoured.
    """
    import httpx

    return httpx.AsyncClient(
        verify=tls_context(),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=httpx.Timeout(
            connect=limits.connect, read=limits.read, write=limits.read, pool=limits.total
        ),
        limits=httpx.Limits(
            max_connections=limits.concurrency, max_keepalive_connections=limits.concurrency
        ),
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    conditional: Conditional = Conditional(),
    *,
    limits: Limits = Limits(),
    login: Credential | None = None,
) -> Fetched:
    """Fetch ``url`` within ``limits``; raise :class:`FetchError` for anything but 2xx/304.

    The whole exchange, every redirect and the body, is bounded by ``limits.total``, so a
    server that drips one byte a second (never tripping the read timeout) still ends.
    ``login`` (or a password in ``url``) is sent as Basic auth to its own origin only.
    """
    refuse_unless_web(url, url)
    if login is None:
        from streamtui.core.credentials import login_from_url

        login = login_from_url(url)[1]
    try:
        async with asyncio.timeout(limits.total):
            return await _exchange(client, url, conditional, limits, login)
    except TimeoutError as error:
        reason = f"timed out: no complete answer within {seconds(limits.total)}"
        raise FetchError(url, "timeout", reason) from error


def fetch_one(
    url: str,
    conditional: Conditional = Conditional(),
    *,
    limits: Limits = Limits(),
    login: Credential | None = None,
) -> Fetched:
    """Fetch one URL from synchronous code (the CLI). Not for use inside a running loop."""
    return asyncio.run(_fetch_with_own_client(url, conditional, limits, login))


async def _fetch_with_own_client(
    url: str, conditional: Conditional, limits: Limits, login: Credential | None
) -> Fetched:
    async with new_client(limits) as client:
        return await fetch(client, url, conditional, limits=limits, login=login)


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    conditional: Conditional,
    limits: Limits,
    login: Credential | None,
) -> Fetched:
    """Run the redirect walk, turning httpx's transport errors into FetchErrors."""
    import httpx

    at = [without_login(url)]
    try:
        return await _walk(client, url, conditional, limits, login, at)
    except httpx.TransportError as error:
        failure = transport_error(url, error, client.timeout)
        if failure.network:
            failure.origin = origin(at[-1])
        raise failure from error
    except httpx.InvalidURL as error:
        # httpx builds the next request of every redirect even when it does not follow it,
        # and fails on a Location such as "javascript:..." before we see the response.
        reason = "redirected to an address that is not an http(s) URL, which is not followed"
        raise FetchError(url, "refused", reason) from error


async def _walk(
    client: httpx.AsyncClient,
    url: str,
    conditional: Conditional,
    limits: Limits,
    login: Credential | None,
    at: list[str],
) -> Fetched:
    """Follow redirects by hand: each target checked, each hop counted, validators re-sent,
    the credential sent only to its own origin. No request URL carries a login: httpx would
    send one as Basic auth wherever it points. ``at`` gets each URL asked, so that a failed
    connection is said of the host it was made to."""
    import httpx

    headers = _conditional_headers(conditional)
    current = without_login(url)
    seen = {current}
    hops: list[int] = []
    while True:
        auth = (
            httpx.BasicAuth(login.user, login.secret)
            if login is not None and login.sendable_to(current)
            else None
        )
        async with client.stream("GET", current, headers=headers, auth=auth) as response:
            if not response.has_redirect_location:
                return await _answer(url, current, hops, response, conditional, limits)
            target = without_login(_redirect_target(url, current, response.headers["location"]))
            hops.append(response.status_code)
        _check_hop_count(url, hops, target in seen, limits.max_redirects)
        seen.add(target)
        current = target
        at.append(current)


def _redirect_target(url: str, current: str, location: str) -> str:
    """The absolute URL a Location points to (relative to the current one), http(s) only."""
    import httpx

    try:
        target = str(httpx.URL(current).join(location))
    except (httpx.InvalidURL, ValueError) as error:  # ValueError: IDNA's UnicodeError
        raise FetchError(url, "redirects", _invalid(location)) from error
    refuse_unless_web(url, target, location=location)
    return target


def _check_hop_count(url: str, hops: list[int], looped: bool, max_redirects: int) -> None:
    # A URL seen before is not an error by itself: some servers send A -> B (set a cookie) -> A.
    # A real loop runs into the cap, and then says it was a loop.
    if len(hops) <= max_redirects:
        return
    if looped:
        raise FetchError(url, "redirects", "redirect loop (the server keeps redirecting back)")
    raise FetchError(url, "redirects", f"too many redirects (more than {max_redirects})")


async def _answer(
    url: str,
    current: str,
    hops: list[int],
    response: httpx.Response,
    conditional: Conditional,
    limits: Limits,
) -> Fetched:
    """The final response: a Fetched for 2xx and 304, a FetchError for everything else."""
    status = response.status_code
    if status == 304 and not _conditional_headers(conditional):
        # Not Modified answers a conditional request only. Taken as "unchanged", a feed added
        # or imported (no validators yet) would stay empty forever, shown as up to date.
        reason = (
            "HTTP 304 Not Modified to a request that sent no ETag or date to compare with "
            "(the server's answer is wrong; it should send the feed)"
        )
        raise FetchError(url, "http", reason, status=status)
    if status == 304:
        body = await response.aread()  # nothing, but the connection goes back to the pool
    elif 200 <= status < 300:
        body = await read_body(url, response, limits.max_bytes)
    else:
        raise status_error(url, response)
    headers = response.headers
    keep = conditional if status == 304 else Conditional()
    permanent = bool(hops) and all(hop in _PERMANENT for hop in hops)
    if permanent and _same_origin(current, url):  # the moved location keeps its user name
        current_shown = with_user(current, user_as_written(url))
    else:
        current_shown = current
    return Fetched(
        url=redact_url(url),
        final_url=current,
        status=status,
        body=body,
        etag=headers.get("etag") or keep.etag,
        last_modified=headers.get("last-modified") or keep.last_modified,
        content_type=sanitize(headers.get("content-type", "")),
        permanent_redirect=current_shown if permanent else "",
    )


def _same_origin(one: str, other: str) -> bool:
    return bool(origin(one)) and origin(one) == origin(other)


def refuse_unless_web(url: str, target: str, *, location: str | None = None) -> None:
    """Raise "refused" unless ``target`` is an http or https URL with a host (the rule:
    core/urls.py), as httpx parses it."""
    import httpx

    try:
        parsed = httpx.URL(target)
        host = parsed.host  # decoding a punycode host can fail too
    except httpx.InvalidURL as error:
        raise FetchError(url, "refused", _invalid(location, excerpt(str(error), 80))) from error
    except ValueError as error:  # IDNA's UnicodeError
        raise FetchError(
            url, "refused", _invalid(location, "the host name is not valid")
        ) from error
    problem = shape_problem(parsed.scheme, host, parsed.port)
    if problem is None:
        return
    if problem.kind == "port":
        raise FetchError(url, "refused", _invalid(location, "the port is not from 1 to 65535"))
    what = f"a {parsed.scheme}: URL" if parsed.scheme else "an address without http(s)"
    if location is None:
        raise FetchError(url, "refused", f"{what} is not fetched (only http and https)")
    shown = excerpt(redact_url(location), 100)
    reason = f"redirected to {what} ({shown}), which is not followed (only http and https)"
    raise FetchError(url, "refused", reason)


def _invalid(location: str | None, why: str = "") -> str:
    detail = f" ({why})" if why else ""
    if location is None:
        return f"not a valid URL{detail}"
    return f"redirected to an invalid address ({excerpt(location, 100)}){detail}"


def _conditional_headers(conditional: Conditional) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the stored validators.

    A value that cannot travel in a header (controls, non-ASCII) is left out rather than
    failing the fetch: the worst case is a full 200 instead of a 304.
    """
    pairs = (("If-None-Match", conditional.etag), ("If-Modified-Since", conditional.last_modified))
    return {name: value.strip() for name, value in pairs if _HEADER_VALUE.fullmatch(value.strip())}
