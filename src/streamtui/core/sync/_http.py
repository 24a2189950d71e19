"""HTTP for the sync backends, within the fetch limits of feeds (core/fetch.py's ``Limits``).

One httpx client per account: TLS verified, connect/read timeouts from the limits and the
whole exchange (redirects and body) bounded by ``limits.total``; the body is read as it
streams and refused past ``limits.max_bytes`` after inflating (gzip only is asked for), so
neither a lying Content-Length nor a gzip bomb gets past the cap. Every request goes to the
account's own origin: a redirect is followed only to the same scheme, host and port (the
request carries the login in a header or in its body, so it is never sent elsewhere, and a
redirect to anything but http(s) is refused); a redirect to another origin ends in an error
naming the new address, for the user to give the account that address instead.

httpx is imported when the first client is made, never at import time.
"""

from __future__ import annotations

import asyncio
import errno
import json
import socket
import ssl
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from streamtui.core.fetch import USER_AGENT, Limits
from streamtui.core.fetch.client import tls_context
from streamtui.core.text.redact import origin, without_login
from streamtui.core.text.sanitize import excerpt

from .errors import BadAnswer, ServerDown, ServerError, TooLarge

if TYPE_CHECKING:
    import httpx

Hooks = Mapping[str, list[Callable[..., Any]]]

_STEP = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_RETRY = timedelta(days=7)
_JSON_DEPTH_ERRORS = (RecursionError, ValueError, UnicodeDecodeError)


@dataclass(frozen=True, slots=True)
class Answer:
    """A final answer: status, headers (lower-case names) and the whole (inflated) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class ApiHttp:
    """Requests to one account's server; :attr:`requests` counts every HTTP request sent."""

    def __init__(
        self,
        account: str,
        base_url: str,
        *,
        limits: Limits,
        secrets: Callable[[], Iterable[str]],
        event_hooks: Hooks | None = None,
    ) -> None:
        self.account = account
        self.base_url = without_login(base_url)
        self.origin = origin(self.base_url)
        self.limits = limits
        self.requests = 0
        self._secrets = secrets
        self._hooks = event_hooks
        self._client: httpx.AsyncClient | None = None

    # --- errors, with the account's secrets cut out ---

    def down(self, reason: str, *, network: bool = False) -> ServerDown:
        return ServerDown(self.account, reason, network=network, secrets=self._secrets())

    def bad(self, reason: str) -> BadAnswer:
        return BadAnswer(self.account, reason, secrets=self._secrets())

    def status_error(self, answer: Answer, detail: str = "") -> ServerError:
        """The error for an answer whose status the API does not expect."""
        status = answer.status
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        label = f"HTTP {status} {phrase}".rstrip()
        detail = excerpt(detail, 120)
        retry_at = None
        if status in (429, 503):
            retry_at = _retry_at(answer.header("retry-after"), datetime.now(UTC))
            reason = f"{label}: the server asks to wait until {retry_at:%Y-%m-%d %H:%M:%S} UTC"
        elif status == 404:
            reason = f"{label} ({excerpt(self.base_url, 100)} may not be the server's API address)"
        elif status >= 500:
            reason = f"{label}: the server failed" + (f" ({detail})" if detail else "")
        else:
            reason = label + (f": {detail}" if detail else "")
        return ServerError(
            self.account, reason, status=status, retry_at=retry_at, secrets=self._secrets()
        )

    # --- requests ---

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        content: bytes | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one request (following same-origin redirects) and read the whole answer
        within the limits; raise ServerDown for no answer, BadAnswer for one too large."""
        import httpx

        client = self._ensure_client()
        try:
            async with asyncio.timeout(self.limits.total):
                return await self._walk(
                    client, method, url, params, data, content, json_body, headers
                )
        except TimeoutError as error:
            reason = f"timed out: no complete answer within {self.limits.total:g} s"
            raise self.down(reason) from error
        except httpx.TransportError as error:
            raise self._transport_error(error) from error
        except httpx.InvalidURL as error:
            reason = "the server redirected to an address that is not a valid URL (not followed)"
            raise self.bad(reason) from error

    def decode(self, answer: Answer, what: str) -> Any:
        """The answer's body as JSON; BadAnswer naming ``what`` when it is not."""
        try:
            return json.loads(answer.body)
        except _JSON_DEPTH_ERRORS as error:
            shown = excerpt(answer.body[:80].decode("utf-8", "replace"), 60)
            cut = " (cut short?)" if answer.body[:1] in (b"{", b"[") else ""
            reason = f"the answer to {what} is not valid JSON{cut}: {shown!r}"
            raise self.bad(reason) from error

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- inside ---

    def _ensure_client(self) -> httpx.AsyncClient:
        import httpx

        if self._client is None:
            limits = self.limits
            self._client = httpx.AsyncClient(
                verify=tls_context(),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
                timeout=httpx.Timeout(
                    connect=limits.connect, read=limits.read, write=limits.read, pool=limits.total
                ),
                limits=httpx.Limits(max_connections=limits.per_host),
                event_hooks=dict(self._hooks) if self._hooks else None,
            )
        return self._client

    async def _walk(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        params: Any,
        data: Any,
        content: bytes | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> Answer:
        import httpx

        scheme = url.split(":", 1)[0].lower()
        if scheme not in ("http", "https") or not self.origin or origin(url) != self.origin:
            raise self.bad(f"only http and https addresses are used, not {excerpt(url, 100)}")
        request = client.build_request(
            method, url, params=params, data=data, content=content, json=json_body, headers=headers
        )
        for _ in range(self.limits.max_redirects + 1):
            self.requests += 1
            response = await client.send(request, stream=True)
            try:
                location = response.headers.get("location", "")
                if response.status_code not in _REDIRECTS or not location:
                    body = await self._read(response)
                    return Answer(response.status_code, dict(response.headers), body)
            finally:
                await response.aclose()
            target = str(httpx.URL(str(request.url)).join(location))
            self._same_origin(target)
            if response.status_code == 303 or (
                response.status_code in (301, 302) and request.method not in ("GET", "POST")
            ):
                request = client.build_request("GET", target, headers=headers)
            else:  # the same request, body and all, to the same origin
                request = client.build_request(
                    request.method, target, content=request.content, headers=request.headers
                )
        raise self.bad(f"too many redirects (more than {self.limits.max_redirects})")

    def _same_origin(self, target: str) -> None:
        """Refuse a redirect to anything but an http(s) URL of the account's own origin."""
        scheme = target.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise self.bad(
                f"the server redirected to a {excerpt(scheme, 20)}: address, which is not "
                "followed (only http and https)"
            )
        if origin(target) != self.origin:
            where = excerpt(without_login(target), 100)
            raise self.bad(
                f"the server redirected to another address ({where}); the login is not sent "
                "there: give the account that address if it is right"
            )

    async def _read(self, response: httpx.Response) -> bytes:
        limit = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large()
        coding = response.headers.get("content-encoding", "").strip().lower()
        if coding not in ("", "identity", "gzip", "x-gzip"):
            raise self.bad(f"the server used a content encoding that was not asked for ({coding})")
        inflater = zlib.decompressobj(31) if coding in ("gzip", "x-gzip") else None
        body, raw_size = bytearray(), 0
        try:
            async for raw in response.aiter_raw():
                raw_size += len(raw)
                if raw_size > limit:
                    raise self._too_large()
                pieces = _inflate(inflater, raw) if inflater is not None else (raw,)
                for piece in pieces:
                    body += piece
                    if len(body) > limit:
                        raise self._too_large()
            if inflater is not None and not inflater.eof:
                raise self.bad("the server's compressed answer ended early")
        except zlib.error as error:
            raise self.bad("the server sent a corrupt compressed answer") from error
        return bytes(body)

    def _too_large(self) -> TooLarge:
        size = self.limits.max_bytes
        shown = f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"
        reason = f"the answer is larger than the {shown} limit"
        return TooLarge(self.account, reason, secrets=self._secrets())

    def _transport_error(self, error: httpx.TransportError) -> ServerDown:
        import httpx

        timeout = self.limits
        if isinstance(error, httpx.ConnectTimeout):
            reason = f"timed out connecting (no connection within {timeout.connect:g} s)"
            return self.down(reason, network=True)
        if isinstance(error, httpx.ReadTimeout):
            return self.down(f"timed out reading (nothing received for {timeout.read:g} s)")
        if isinstance(error, httpx.TimeoutException):
            return self.down(f"timed out (after {timeout.read:g} s)")
        reason = _os_reason(error)
        if reason:
            return self.down(reason, network=reason in _NO_CONNECTION)
        if isinstance(error, httpx.RemoteProtocolError):
            return self.down("the server closed the connection without a complete answer")
        if isinstance(error, httpx.ConnectError):
            return self.down("could not connect", network=True)
        return self.down(f"the connection failed ({type(error).__name__})")


_NO_CONNECTION = frozenset(
    {
        "connection refused",
        "name not resolved",
        "network unreachable",
        "host unreachable",
        "could not connect",
    }
)


def _inflate(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """Inflate ``data`` at most _STEP bytes at a time (the caller checks the cap between)."""
    while True:
        piece = inflater.decompress(data, _STEP)
        if piece:
            yield piece
        data = inflater.unconsumed_tail
        if not data and len(piece) < _STEP:
            return


def _os_reason(error: BaseException) -> str:
    """A short reason from the OS or TLS error behind an httpx error, or ""."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        cause = pending.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "TLS certificate verification failed"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(cause, socket.gaierror):
            return "name not resolved"
        if isinstance(cause, OSError) and cause.errno in _ERRNO:
            return _ERRNO[cause.errno]
        if isinstance(cause, BaseExceptionGroup):
            pending.extend(cause.exceptions)
        pending.extend(e for e in (cause.__cause__, cause.__context__) if e is not None)
    return ""


_ERRNO = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the server",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
}


def _retry_at(value: str, now: datetime) -> datetime:
    """When to come back after a 429/503: Retry-After in seconds or as a date, an hour when
    it is missing or unreadable, never more than a week away."""
    value = value.strip()
    delay: timedelta | None = None
    if value.isdigit() and len(value) <= 12:
        delay = timedelta(seconds=int(value))
    elif value:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
        if when is not None:
            delay = (when if when.tzinfo else when.replace(tzinfo=UTC)) - now
    if delay is None:
        delay = timedelta(hours=1)
    return now + min(max(delay, timedelta(0)), _MAX_RETRY)
