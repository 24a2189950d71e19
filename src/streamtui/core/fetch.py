"""Fetching feeds over HTTP: the only way streamtui talks to the network.

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
import contextlib
import errno
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit

from streamtui import __version__
from streamtui.core import dates
from streamtui.core.errors import SourceError
from streamtui.core.redact import origin, redact_url, user_as_written, with_user, without_login
from streamtui.core.sanitize import excerpt, sanitize

if TYPE_CHECKING:
    import httpx

    from streamtui.core.credentials import Credential

__all__ = [
    "USER_AGENT",
    "Conditional",
    "FetchError",
    "FetchErrorKind",
    "Fetched",
    "Limits",
    "fetch",
    "fetch_all",
    "fetch_one",
    "new_client",
]

USER_AGENT = f"streamtui/{__version__}"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# Only the encodings _Inflater undoes under the cap; httpx would add br and zstd when their
# packages happen to be installed, and those it inflates without a limit.
ACCEPT_ENCODING = "gzip, deflate"

FetchErrorKind = Literal[
    "refused", "unreachable", "timeout", "http", "too-large", "redirects", "gone", "retry-later"
]
K = TypeVar("K")

_WEB_SCHEMES = ("http", "https")
_PERMANENT = (301, 308)
_RETRY_LATER = (429, 503)
_INFLATE_STEP = 64 * 1024
# A missing or unreadable Retry-After means wait an hour: polite to a server that asked for a
# pause without saying how long, and short enough that the source is back the same day.
_DEFAULT_RETRY = timedelta(hours=1)
# A Retry-After further away than this is taken as this, so a typo or a hostile header cannot
# silence a source for years.
_MAX_RETRY = timedelta(days=7)
_RETRY_SECONDS = re.compile(r"[0-9]{1,12}")
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


class FetchError(SourceError):
    """A URL that could not be fetched; ``kind`` says what the caller should do about it.

    ``gone`` (410) means stop polling and keep the items; ``retry-later`` (429, 503) means
    defer the source until ``retry_at``; every other kind is shown on the source and retried
    on the next refresh. ``source`` and ``reason`` are sanitised here, once.
    """

    def __init__(
        self,
        url: str,
        kind: FetchErrorKind,
        reason: str,
        *,
        status: int | None = None,
        retry_at: datetime | None = None,
        network: bool = False,
    ) -> None:
        super().__init__(excerpt(redact_url(url)), sanitize(reason))
        self.kind: FetchErrorKind = kind
        self.status = status
        self.retry_at = retry_at
        self.network = network
        """No connection could be made at all (a name not resolved, refused, unreachable, a
        connect timeout): what every feed says when the network is down."""


def new_client(limits: Limits = Limits()) -> httpx.AsyncClient:
    """A client for :func:`fetch`: verified TLS, redirects left to us, timeouts from ``limits``.

    Redirects are not followed by httpx because each hop must be checked (http and https
    only, counted, conditional headers re-sent). Environment proxies are honoured.
    """
    import httpx

    return httpx.AsyncClient(
        verify=True,
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
    _refuse_unless_web(url, url)
    if login is None:
        from streamtui.core.credentials import login_from_url

        login = login_from_url(url)[1]
    try:
        async with asyncio.timeout(limits.total):
            return await _exchange(client, url, conditional, limits, login)
    except TimeoutError as error:
        reason = f"timed out: no complete answer within {_seconds(limits.total)}"
        raise FetchError(url, "timeout", reason) from error


async def fetch_all(
    requests: Iterable[tuple[K, str, Conditional]],
    *,
    limits: Limits = Limits(),
    client: httpx.AsyncClient | None = None,
    logins: Callable[[K], Credential | None] | None = None,
) -> AsyncIterator[tuple[K, Fetched | FetchError]]:
    """Fetch many URLs at once and yield ``(key, result)`` for each as it completes.
    ``logins`` gives the credential of a request's key, if it has one.

    At most ``limits.concurrency`` results are in flight or waiting to be consumed, and at
    most ``limits.per_host`` requests go to one host, so memory stays bounded however slowly
    the caller stores results. A failure is yielded as a FetchError; it never stops the others.
    Leaving the loop early cancels what is still running.
    """
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(new_client(limits))
        gate = _Gate(limits)
        queue: asyncio.Queue[tuple[K, Fetched | FetchError]] = asyncio.Queue()
        tasks = [
            asyncio.create_task(
                _fetch_into(
                    queue, gate, client, key, url, conditional, limits, logins and logins(key)
                )
            )
            for key, url, conditional in requests
        ]
        try:
            for _ in tasks:
                result = await queue.get()
                gate.all.release()  # taken by _fetch_into; a consumed result frees its slot
                yield result
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


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


# --- one fetch ------------------------------------------------------------------------------


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    conditional: Conditional,
    limits: Limits,
    login: Credential | None,
) -> Fetched:
    """Run the redirect walk, turning httpx's transport errors into FetchErrors."""
    import httpx

    try:
        return await _walk(client, url, conditional, limits, login)
    except httpx.TransportError as error:
        raise _transport_error(url, error, client.timeout) from error
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
) -> Fetched:
    """Follow redirects by hand: each target checked, each hop counted, validators re-sent,
    the credential sent only to its own origin. No request URL carries a login: httpx would
    send one as Basic auth wherever it points."""
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


def _redirect_target(url: str, current: str, location: str) -> str:
    """The absolute URL a Location points to (relative to the current one), http(s) only."""
    import httpx

    try:
        target = str(httpx.URL(current).join(location))
    except (httpx.InvalidURL, ValueError) as error:  # ValueError: IDNA's UnicodeError
        raise FetchError(url, "redirects", _invalid(location)) from error
    _refuse_unless_web(url, target, location=location)
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
        body = await _read_body(url, response, limits.max_bytes)
    else:
        raise _status_error(url, response)
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


def _refuse_unless_web(url: str, target: str, *, location: str | None = None) -> None:
    """Raise "refused" unless ``target`` is an http or https URL with a host."""
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
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchError(url, "refused", _invalid(location, "the port is not from 1 to 65535"))
    if parsed.scheme in _WEB_SCHEMES and host:
        return
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


# --- the body -------------------------------------------------------------------------------


async def _read_body(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """Read and decode the body, stopping as soon as it grows past ``max_bytes``.

    This reads ``aiter_raw()`` and inflates it here rather than using ``aiter_bytes()``:
    httpx inflates each network chunk in one call, so 64 KiB of gzip could become 64 MiB in
    memory before any cap saw it. The raw bytes are capped too, so a stream of empty deflate
    blocks cannot run on forever either.
    """
    _refuse_declared_size(url, response, max_bytes)
    inflater = _Inflater.for_encoding(url, response)
    body, raw_size = bytearray(), 0
    try:
        async for raw in response.aiter_raw():
            raw_size += len(raw)
            _check_size(url, raw_size, max_bytes)
            for piece in inflater.feed(raw):
                body += piece
                _check_size(url, len(body), max_bytes)
        inflater.finish()
    except zlib.error as error:
        reason = f"the server sent a corrupt compressed body ({inflater.encoding})"
        raise FetchError(url, "unreachable", reason) from error
    return bytes(body)


def _refuse_declared_size(url: str, response: httpx.Response, max_bytes: int) -> None:
    """Fail before reading when Content-Length already says the body is too large."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit():
        _check_size(url, int(declared), max_bytes)


def _check_size(url: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FetchError(url, "too-large", f"the feed is larger than the {_size(max_bytes)} limit")


class _Inflater:
    """Undo a gzip or deflate Content-Encoding, never more than 64 KiB per step."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # gzip: 16 + 15; deflate is meant to be zlib-wrapped, raw deflate is the fallback.
        wbits = {"gzip": 31, "x-gzip": 31, "deflate": 15}.get(encoding)
        self._zlib = zlib.decompressobj(wbits) if wbits else None
        self._started = False

    @classmethod
    def for_encoding(cls, url: str, response: httpx.Response) -> _Inflater:
        """The inflater for the response's Content-Encoding; refuse what we did not ask for."""
        codings = [
            coding.strip().lower()
            for coding in response.headers.get("content-encoding", "").split(",")
            if coding.strip().lower() not in ("", "identity")
        ]
        if not codings:
            return cls("identity")
        if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            return cls(codings[0])
        reason = f"the server used a content encoding streamtui cannot read ({', '.join(codings)})"
        raise FetchError(url, "http", reason)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of ``data``; the caller checks the cap between pieces."""
        if self._zlib is None:
            yield data
            return
        if not self._started and self.encoding == "deflate":
            self._zlib = _deflate_variant(data)
        self._started = True
        yield from _inflate(self._zlib, data)

    def finish(self) -> None:
        """Raise zlib.error when a compressed body stopped before its end."""
        if self._zlib is not None and self._started and not self._zlib.eof:
            raise zlib.error("the compressed body ended early")


def _deflate_variant(first: bytes) -> zlib._Decompress:
    """Servers send "deflate" zlib-wrapped (as the RFC says) or raw; the header tells which."""
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.decompressobj(15 if wrapped else -15)


def _inflate(decompressor: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """Inflate ``data`` at most _INFLATE_STEP bytes at a time, pending output included."""
    while True:
        piece = decompressor.decompress(data, _INFLATE_STEP)
        if piece:
            yield piece
        data = decompressor.unconsumed_tail
        if not data and len(piece) < _INFLATE_STEP:
            return


# --- errors ---------------------------------------------------------------------------------


def _status_error(url: str, response: httpx.Response) -> FetchError:
    """The FetchError for a final status that is neither 2xx nor 304."""
    status = response.status_code
    label = f"HTTP {status} {_phrase(response)}".rstrip()
    if status == 410:
        return FetchError(
            url, "gone", f"{label}: the server says this feed is gone for good", status=status
        )
    if status in _RETRY_LATER:
        value = response.headers.get("retry-after", "")
        when, said = _retry_at(value, datetime.now(UTC))
        when = dates.clamp(when)  # a clock near year 9999 must not make this raise
        reason = f"{label}: the server asks to wait{said} {when:%Y-%m-%d %H:%M:%S} UTC"
        return FetchError(url, "retry-later", reason, status=status, retry_at=when)
    if 300 <= status < 400:
        label += " without a redirect to follow"
    return FetchError(url, "http", label, status=status)


def _phrase(response: httpx.Response) -> str:
    """The standard reason phrase; the server's own (sanitised) only for unknown codes."""
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return sanitize(response.reason_phrase)[:60]


def _retry_at(value: str, now: datetime) -> tuple[datetime, str]:
    """When a deferred source may be fetched again, from Retry-After (seconds or a date), and
    the words that say so: "; next try after" (then the time), or why it is not what was asked."""
    delay = _retry_delay(value.strip(), now)
    said = "; next try after"
    if delay is None:  # missing or garbage: wait an hour (see _DEFAULT_RETRY)
        delay = _DEFAULT_RETRY
        shown = value.strip()[:40]
        how = f"its Retry-After {shown!r} is unreadable" if shown else "not how long"
        said = f" but {how}; next try in an hour, after"
    elif delay > _MAX_RETRY:
        said = " more than a week; next try in a week, after"
    return now + min(max(delay, timedelta(0)), _MAX_RETRY), said


def _retry_delay(value: str, now: datetime) -> timedelta | None:
    if _RETRY_SECONDS.fullmatch(value):
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" in an HTTP date means UTC
        when = when.replace(tzinfo=UTC)
    return when - now


def _transport_error(url: str, error: httpx.TransportError, timeout: httpx.Timeout) -> FetchError:
    """A short human reason for a network failure: which timeout, refused, DNS, TLS..."""
    import httpx

    if isinstance(error, httpx.TimeoutException):
        connecting = isinstance(error, httpx.ConnectTimeout)
        return FetchError(url, "timeout", _timeout_reason(error, timeout), network=connecting)
    if isinstance(error, httpx.UnsupportedProtocol):
        return FetchError(url, "refused", "only http and https URLs are fetched")
    reason = _unreachable_reason(error)
    return FetchError(url, "unreachable", reason, network=reason in _NO_CONNECTION)


_NO_CONNECTION = frozenset(
    {
        "name not resolved",
        "connection refused",
        "network unreachable",
        "host unreachable",
        "could not connect",
    }
)


def _timeout_reason(error: httpx.TimeoutException, timeout: httpx.Timeout) -> str:
    import httpx

    if isinstance(error, httpx.ConnectTimeout):
        return f"timed out connecting (no connection within {_seconds(timeout.connect)})"
    if isinstance(error, httpx.ReadTimeout):
        return f"timed out reading (nothing received for {_seconds(timeout.read)})"
    if isinstance(error, httpx.WriteTimeout):
        return f"timed out sending the request (after {_seconds(timeout.write)})"
    return f"timed out waiting for a free connection (after {_seconds(timeout.pool)})"


def _unreachable_reason(error: httpx.TransportError) -> str:
    import httpx

    for cause in _causes(error):
        reason = _os_reason(cause)
        if reason:
            return reason
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the server sent a broken response ({error})"
    if isinstance(error, httpx.ProxyError):
        return f"the proxy failed ({error})"
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    return f"the connection failed ({type(error).__name__})"


def _os_reason(cause: BaseException) -> str:
    """A reason for the low-level errors a user can act on; "" for anything else."""
    if isinstance(cause, ssl.SSLCertVerificationError):
        detail = f" ({cause.verify_message})" if cause.verify_message else ""
        return f"TLS certificate verification failed{detail}"
    if isinstance(cause, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(cause, socket.gaierror):
        return "name not resolved"
    if not isinstance(cause, OSError):
        return ""
    return {
        errno.ECONNREFUSED: "connection refused",
        errno.ECONNRESET: "connection reset by the server",
        errno.ENETUNREACH: "network unreachable",
        errno.EHOSTUNREACH: "host unreachable",
    }.get(cause.errno or 0, "")


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything behind it: causes, contexts and exception-group members.

    httpx wraps httpcore, which wraps anyio's "All connection attempts failed", which wraps
    the OSError (or a group of them, one per address) that names the actual problem.
    """
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


# --- many fetches ---------------------------------------------------------------------------


class _Gate:
    """The two limits of fetch_all: results in flight overall, and requests per host."""

    def __init__(self, limits: Limits) -> None:
        self.all = asyncio.Semaphore(limits.concurrency)
        self._per_host = limits.per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def host(self, url: str) -> asyncio.Semaphore:
        key = _host_key(url)
        if key not in self._hosts:
            self._hosts[key] = asyncio.Semaphore(self._per_host)
        return self._hosts[key]


async def _fetch_into(
    queue: asyncio.Queue[tuple[K, Fetched | FetchError]],
    gate: _Gate,
    client: httpx.AsyncClient,
    key: K,
    url: str,
    conditional: Conditional,
    limits: Limits,
    login: Credential | None,
) -> None:
    """Fetch one URL and queue its result; the overall slot is released by the consumer.

    The host slot is taken first, so requests queued behind a busy host hold no overall
    slot and other hosts keep going.
    """
    async with gate.host(url):
        await gate.all.acquire()
        try:
            result = await _settle(client, url, conditional, limits, login)
        except BaseException:
            gate.all.release()
            raise
    queue.put_nowait((key, result))


async def _settle(
    client: httpx.AsyncClient,
    url: str,
    conditional: Conditional,
    limits: Limits,
    login: Credential | None,
) -> Fetched | FetchError:
    """One URL's outcome as a value: a single URL must never stop fetch_all."""
    try:
        return await fetch(client, url, conditional, limits=limits, login=login)
    except FetchError as error:
        return error
    except Exception as error:  # a bug or an httpx surprise: report it on this source only
        failure = FetchError(url, "unreachable", f"unexpected error ({type(error).__name__})")
        failure.__cause__ = error
        return failure


def _host_key(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _seconds(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g} s"


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"
