"""What the four backends share: the account, its credential and HTTP, error helpers, the
reading of loosely typed JSON into values, and the grouping of marks into batches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Self

from streamtui.core.credentials import Credential
from streamtui.core.dates import clamp, from_stamp
from streamtui.core.fetch import Limits
from streamtui.core.text.redact import without_login

from ._http import Answer, ApiHttp, Hooks
from .errors import AuthError, BadAnswer, NotSupported, TokenExpired
from .models import Enclosure, Mark, MarkKind

DEFAULT_LIMITS = Limits()
TOKEN = "token"
"""The key of :attr:`Credential.extra` that holds a token the server gave (or the user did)."""


class BaseBackend:
    """An account on one server: ``name`` (shown in every error), the API ``url`` and the
    ``credential`` (user name, password as ``secret`` if kept, a token in ``extra``)."""

    kind = ""

    def __init__(
        self,
        name: str,
        url: str,
        credential: Credential,
        *,
        limits: Limits = DEFAULT_LIMITS,
        event_hooks: Hooks | None = None,
    ) -> None:
        self.name = name
        self.url = without_login(url.strip())
        self._credential = credential
        self._http = ApiHttp(
            name, self.url, limits=limits, secrets=self._secrets, event_hooks=event_hooks
        )

    # --- what the integration reads ---

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (redirect hops included)."""
        return self._http.requests

    @property
    def credential(self) -> Credential:
        """What to keep in the credential store for the next login (a token where the API
        gives one that lasts, else the password)."""
        return self._credential

    @property
    def password(self) -> str:
        return self._credential.secret

    @property
    def token(self) -> str:
        return self._credential.extra.get(TOKEN, "")

    def _keep_token(self, token: str, *, drop_password: bool = False) -> None:
        extra = {**self._credential.extra, TOKEN: token}
        secret = "" if drop_password else self._credential.secret
        self._credential = Credential(
            self._credential.user, secret, self._credential.origin, self._credential.scope, extra
        )

    def _secrets(self) -> list[str]:
        """Everything to cut out of messages: the password, tokens, session ids."""
        return [self._credential.secret, *self._credential.extra.values(), *self._session()]

    def _session(self) -> Iterable[str]:
        return ()

    def _check_origin(self) -> None:
        """Refuse to send a credential kept for another address (the account's URL changed)."""
        if self._credential.origin and not self._credential.sendable_to(self.url):
            raise self._auth(
                "the kept login is for another address than the account's; give the password again"
            )

    # --- errors ---

    def _auth(self, reason: str) -> AuthError:
        return AuthError(self.name, reason, secrets=self._secrets())

    def _expired(self, reason: str) -> TokenExpired:
        return TokenExpired(self.name, reason, secrets=self._secrets())

    def _bad(self, reason: str) -> BadAnswer:
        return self._http.bad(reason)

    def _unsupported(self, reason: str) -> NotSupported:
        return NotSupported(self.name, reason, secrets=self._secrets())

    def _json(self, answer: Answer, what: str) -> Any:
        return self._http.decode(answer, what)

    # --- life ---

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# --- JSON into values --------------------------------------------------------------------


def obj(value: Any, what: str, backend: BaseBackend) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise backend._bad(f"{what} is not a JSON object")
    return value


def seq(value: Any, what: str, backend: BaseBackend) -> list[Any]:
    if not isinstance(value, list):
        raise backend._bad(f"{what} is not a JSON list")
    return value


def text(value: Any) -> str:
    """A string field; numbers as decimal; anything else (null, lists) as ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def maybe_text(value: Any) -> str | None:
    shown = text(value)
    return shown or None


def ident(value: Any) -> str | None:
    """An id as a decimal string (ints, digit strings, negative ones too), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        digits = stripped[1:] if stripped.startswith("-") else stripped
        if digits.isdigit() and digits.isascii() and len(digits) <= 20:
            return str(int(stripped))
    return None


def flag(value: Any) -> bool:
    """true/false as the APIs write it: JSON booleans, 1/0, "1"/"0", "t"/"f", "true"."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "yes")
    return bool(value) if isinstance(value, bool | int) else False


def epoch(value: Any) -> datetime | None:
    """A clamped UTC datetime from POSIX seconds (a number or a digit string), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and value > 0:
        try:
            return from_stamp(float(value))
        except (OverflowError, ValueError):
            return None
    return None


def iso(value: Any) -> datetime | None:
    """A clamped UTC datetime from an ISO 8601 text (``Z`` or an offset), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return clamp(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return None


def enclosure(url: Any, kind: Any = "", length: Any = 0) -> Enclosure | None:
    address = text(url).strip()
    if not address:
        return None
    size = int(length) if isinstance(length, int | str) and str(length).isdigit() else 0
    return Enclosure(address, text(kind), size)


# --- pages -------------------------------------------------------------------------------


async def offset_pages(
    fetch: Callable[[int], Awaitable[list[Any]]], size: int, start: int = 0, window: int = 2
) -> AsyncGenerator[list[Any], None]:
    """The pages at offsets ``start``, ``start + size``... in order, until the first one
    shorter than ``size``. Once a page comes back full, up to ``window`` requests are in
    flight (the HTTP client allows two connections per account), so a long pull takes about
    half the time; a pull of one short page costs one request, a longer one at most one
    request past its end."""
    pending: list[asyncio.Task[list[Any]]] = [asyncio.ensure_future(fetch(start))]
    following = start + size
    try:
        while pending:
            rows = await pending.pop(0)
            yield rows
            if len(rows) < size:
                return
            while len(pending) < window:
                pending.append(asyncio.ensure_future(fetch(following)))
                following += size
    finally:
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


# --- marks -------------------------------------------------------------------------------

Group = tuple[str, tuple[Mark, ...]]
"""An item id to set, and every mark it settles (the winner and those it superseded)."""


def collapse(marks: Sequence[Mark]) -> dict[MarkKind, list[Group]]:
    """The marks to send, by kind: per item and axis (read, starred) only the last mark
    counts; the ones before it are settled with it. Order within a kind is the queue's."""
    latest: dict[tuple[str, str], Mark] = {}
    settled: dict[tuple[str, str], list[Mark]] = {}
    for mark in marks:
        key = (mark.item_id, mark.kind.axis)
        latest.pop(key, None)  # keep insertion order at the latest mark
        latest[key] = mark
        settled.setdefault(key, []).append(mark)
    groups: dict[MarkKind, list[Group]] = {}
    for key, mark in latest.items():
        groups.setdefault(mark.kind, []).append((mark.item_id, tuple(settled[key])))
    return groups


def batches(groups: Sequence[Group], size: int) -> Iterator[list[Group]]:
    for start in range(0, len(groups), size):
        yield list(groups[start : start + size])


def settled(groups: Iterable[Group]) -> tuple[Mark, ...]:
    return tuple(mark for _, marks in groups for mark in marks)
