"""Fetching many URLs at once: bounded results in flight, a few requests a host, each result
yielded as it completes and a failure never stopping the others."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import urlsplit

from streamtui.core.fetch.client import Conditional, Fetched, Limits, fetch, fetch_one, new_client
from streamtui.core.fetch.errors import FetchError
from streamtui.core.text.redact import origin

if TYPE_CHECKING:
    import httpx

    from streamtui.core.credentials import Credential

K = TypeVar("K")


class Fetcher(Protocol):
    """What reads feeds over the network (:class:`HttpFetcher`; tests give a fake)."""

    def many(
        self,
        requests: Iterable[tuple[K, str, Conditional]],
        *,
        limits: Limits,
        logins: Callable[[K], Credential | None] | None = None,
    ) -> AsyncIterator[tuple[K, Fetched | FetchError]]:
        """Each request's result as it completes (see :func:`fetch_all`)."""
        ...

    def one(self, url: str, *, limits: Limits, login: Credential | None = None) -> Fetched:
        """One URL, from synchronous code (see :func:`~streamtui.core.fetch.fetch_one`)."""
        ...


class HttpFetcher:
    """The real fetcher: httpx, within every limit (client.py)."""

    def many(
        self,
        requests: Iterable[tuple[K, str, Conditional]],
        *,
        limits: Limits,
        logins: Callable[[K], Credential | None] | None = None,
    ) -> AsyncIterator[tuple[K, Fetched | FetchError]]:
        return fetch_all(requests, limits=limits, logins=logins)

    def one(self, url: str, *, limits: Limits, login: Credential | None = None) -> Fetched:
        return fetch_one(url, limits=limits, login=login)


async def fetch_all(
    requests: Iterable[tuple[K, str, Conditional]],
    *,
    limits: Limits = Limits(),  # noqa: B008 - frozen, as in client.py
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


class _Gate:
    """The two limits of fetch_all: results in flight overall, and requests per host; and
    the hosts that could not be reached.

    A host that cannot be reached (its name not resolved, refused, a connect timeout) fails
    every URL it serves alike, and its URLs wait in turn behind the per-host limit: 1,000
    feeds of one host whose name no longer resolved took 3 minutes, and a host that drops
    connections costs the connect timeout at every one. Once a connection to a host has
    failed so, its other URLs fail at once with the same reason, until fetch_all ends (the
    next refresh tries again)."""

    def __init__(self, limits: Limits) -> None:
        self.all = asyncio.Semaphore(limits.concurrency)
        self._per_host = limits.per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._unreachable: dict[str, FetchError] = {}

    def unreachable(self, url: str) -> FetchError | None:
        """The failure of ``url`` when its host could not be reached in this fetch_all."""
        first = self._unreachable.get(origin(url))
        if first is None:
            return None
        return FetchError(url, first.kind, first.reason, network=True, origin=first.origin)

    def outcome(self, result: Fetched | FetchError) -> None:
        """Remember a host that could not be reached."""
        if isinstance(result, FetchError) and result.network and result.origin:
            self._unreachable.setdefault(result.origin, result)

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
            result = gate.unreachable(url) or await _settle(client, url, conditional, limits, login)
            gate.outcome(result)
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
