"""Helpers for the tests of the sync backends (core/sync): credentials, pulls and pushes run to
the end, request counting through an httpx event hook, the one-line-no-secret check, and
:class:`Relay`, a loopback relay in front of a real server (Tiny Tiny RSS, coldsweat) that
gives it the test servers' request log and injected faults."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from streamtui.core.credentials import Credential
from streamtui.core.fetch import Limits
from streamtui.core.sync.backend import Backend
from streamtui.core.sync.errors import (
    AuthError,
    BadAnswer,
    ServerDown,
    ServerError,
    SyncError,
    TooLarge,
)
from streamtui.core.sync.models import Mark, MarkKind, Pushed, RemoteItem, SyncState
from streamtui.core.text.redact import origin
from support.servers._http import Answer, ApiRequest, ApiServer

FAST = Limits(connect=2, read=1, total=3, max_bytes=512 * 1024)
"""Small limits for fault tests: a slow answer or a huge one fails in about a second."""


FAULTS = [
    ("down", ServerDown, "connection refused"),
    ("500", ServerError, "HTTP 500"),
    ("503", ServerError, "asks to wait"),
    ("401", AuthError, ""),  # the words differ: "refuses the API address", "wrong password"...
    ("malformed", BadAnswer, "not valid JSON"),
    ("huge", TooLarge, "larger than the 524,288 bytes limit"),
    ("slow", ServerDown, "timed out"),
]


def inject(server: ApiServer, fault: str) -> None:
    """Make ``server`` (a test server's or a relay's) fail as ``fault`` says, until cleared."""
    if fault == "down":
        server.down()
    elif fault in ("500", "503", "401"):
        server.inject(status=int(fault))
    elif fault == "malformed":
        server.inject(malformed=True)
    elif fault == "huge":
        server.inject(huge=FAST.max_bytes + 1)
    else:
        server.inject(delay=FAST.total + 2)


def credential(url: str, user: str, password: str = "", token: str = "") -> Credential:
    return Credential(user, password, origin(url), extra={"token": token} if token else {})


@dataclass
class Counter:
    """An httpx event hook that records every request a backend sends (method and path)."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> None:
        self.seen.append((request.method, request.url.path))

    @property
    def hooks(self) -> dict[str, list[Any]]:
        return {"request": [self]}

    def __len__(self) -> int:
        return len(self.seen)

    def reset(self) -> None:
        self.seen.clear()


@dataclass
class Pull:
    items: list[RemoteItem]
    state: SyncState
    pages: int
    requests: int

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]

    def by_title(self) -> dict[str, RemoteItem]:
        return {item.title: item for item in self.items}


async def pull(backend: Backend, state: SyncState | None = None) -> Pull:
    """Run items_since to its end; every page's state must be a SyncState."""
    before = backend.requests
    items: list[RemoteItem] = []
    pages = 0
    last = state or SyncState()
    async for page in backend.items_since(state or SyncState()):
        items += page.items
        last = page.state
        pages += 1
    return Pull(items, last, pages, backend.requests - before)


async def push(backend: Backend, marks: Sequence[Mark]) -> list[Pushed]:
    return [pushed async for pushed in backend.push(marks)]


def marks(kind: MarkKind, ids: Sequence[str]) -> list[Mark]:
    return [Mark(item_id, kind) for item_id in ids]


def check_message(error: SyncError, account: str, *secrets: str) -> str:
    """``error`` is one line that starts with the account's name and holds no secret."""
    text = str(error)
    assert "\n" not in text and "\r" not in text, text
    assert text.startswith(f"{account}: "), text
    assert len(text) < 400, text
    for secret in secrets:
        if secret:
            assert secret not in text, (secret, text)
            assert urllib.parse.quote(secret, safe="") not in text
    return text


class Relay:
    """An ApiServer on 127.0.0.1 that passes every request on to ``target`` (scheme, host and
    port of a real server) and its answer back: the real server, with ``relay.http.log``,
    ``inject(...)``, ``down()`` and ``up()`` in front of it."""

    PASSED = ("content-type", "authorization", "x-auth-token", "user-agent", "accept")

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.http = ApiServer(self._forward)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def url(self, path: str = "/") -> str:
        return self.http.url(path)

    def __enter__(self) -> Relay:
        self.http.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.stop()

    def _forward(self, req: ApiRequest) -> Answer:
        pairs = [(k, v) for k, values in req.query.items() for v in values]
        query = "&".join(k if not v else f"{k}={urllib.parse.quote(v)}" for k, v in pairs)
        url = self.target + req.path + (f"?{query}" if query else "")
        headers = {k: v for k, v in req.headers.items() if k in self.PASSED}
        body = req.body if req.method in ("POST", "PUT", "PATCH") else None
        request = urllib.request.Request(url, data=body, method=req.method, headers=headers)
        try:
            with self._opener.open(request, timeout=60) as answer:
                return Answer(answer.status, answer.read(), answer.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), error.headers.get("Content-Type", ""))
