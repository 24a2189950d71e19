"""Why a fetch failed, in a user's words: :class:`FetchError` and its kinds, a status that is
neither 2xx nor 304, Retry-After, and the network failures behind httpx's exceptions."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Literal

from streamtui.core import dates
from streamtui.core.errors import SourceError
from streamtui.core.text.redact import redact_url
from streamtui.core.text.sanitize import excerpt, sanitize

if TYPE_CHECKING:
    import httpx

FetchErrorKind = Literal[
    "refused", "unreachable", "timeout", "http", "too-large", "redirects", "gone", "retry-later"
]
_RETRY_LATER = (429, 503)
# A missing or unreadable Retry-After means wait an hour: polite to a server that asked for a
# pause without saying how long, and short enough that the source is back the same day.
_DEFAULT_RETRY = timedelta(hours=1)
# A Retry-After further away than this is taken as this, so a typo or a hostile header cannot
# silence a source for years.
_MAX_RETRY = timedelta(days=7)
_RETRY_SECONDS = re.compile(r"[0-9]{1,12}")


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
        origin: str = "",
    ) -> None:
        super().__init__(excerpt(redact_url(url)), sanitize(reason))
        self.kind: FetchErrorKind = kind
        self.status = status
        self.retry_at = retry_at
        self.network = network
        """No connection could be made at all (a name not resolved, refused, unreachable, a
        connect timeout): what every feed says when the network is down."""
        self.origin = origin
        """With ``network``: the ``scheme://host:port`` that could not be reached (the last
        hop of a redirect walk). Other URLs there fail alike without trying (fetch_all)."""


def status_error(url: str, response: httpx.Response) -> FetchError:
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


def transport_error(url: str, error: httpx.TransportError, timeout: httpx.Timeout) -> FetchError:
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
        return f"timed out connecting (no connection within {seconds(timeout.connect)})"
    if isinstance(error, httpx.ReadTimeout):
        return f"timed out reading (nothing received for {seconds(timeout.read)})"
    if isinstance(error, httpx.WriteTimeout):
        return f"timed out sending the request (after {seconds(timeout.write)})"
    return f"timed out waiting for a free connection (after {seconds(timeout.pool)})"


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


def seconds(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g} s"
