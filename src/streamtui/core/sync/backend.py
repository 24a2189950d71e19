"""The one protocol the four sync backends implement (greader, ttrss, miniflux, fever).

A backend is an account on a server: it logs in (lazily, on its first request, or by
:meth:`Backend.login`), lists what the server holds and pushes marks. It keeps nothing on
disk: the caller persists :class:`~.models.SyncState` after every page and the queue of marks,
and stores :attr:`Backend.credential` after a login (it may hold a new token).

Every method raises only the errors of :mod:`.errors`, each one line naming the account.
A session that expired is renewed by logging in again once, inside the call; the caller
sees :class:`~.errors.TokenExpired` only when that did not help.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from typing import Protocol

from streamtui.core.credentials import Credential

from .models import (
    Capabilities,
    ItemPage,
    Mark,
    Pushed,
    RemoteCategory,
    RemoteFeed,
    RemoteItem,
    SyncState,
)


class Backend(Protocol):
    kind: str
    name: str

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (for the figures of a sync)."""
        ...

    @property
    def credential(self) -> Credential:
        """What to keep for the next login: the token the server gave, else the password."""
        ...

    async def login(self) -> None:
        """Log in now (AuthError for a wrong user name or password)."""

    async def categories(self) -> list[RemoteCategory]:
        """Every category (folder, label, group) of the account: one request."""
        ...

    async def feeds(self) -> list[RemoteFeed]:
        """Every subscription with its categories: one request (two for Fever's groups)."""
        ...

    def items_since(self, state: SyncState) -> AsyncIterator[ItemPage]:
        """Items new since ``state`` (all of them for a fresh state), page by page, each page
        with the state to persist once it is stored; the last page's state is the new
        watermark (at least one page is always yielded). With
        ``capabilities.changes_since`` the pages also hold older items whose read or starred
        state changed since ``state``."""
        ...

    def items(self, ids: Collection[str]) -> AsyncIterator[tuple[RemoteItem, ...]]:
        """The items of these ids that the server still has, in batches (for ids seen in
        :meth:`unread_ids`/:meth:`starred_ids` that were never pulled)."""
        ...

    async def unread_ids(self) -> frozenset[str]:
        """Every unread item's id on the server, however old."""
        ...

    async def starred_ids(self) -> frozenset[str]:
        """Every starred item's id on the server, however old."""
        ...

    def push(self, marks: Sequence[Mark]) -> AsyncIterator[Pushed]:
        """Send ``marks`` (in queue order: per item and axis the last one wins) in batches,
        yielding each acknowledged batch so that the caller drops it from its queue; an
        error stops the push with the rest still queued. Marks are states, not toggles:
        sending one twice is harmless."""
        ...

    async def subscribe(self, url: str, category_id: str | None = None) -> str:
        """Subscribe the account to ``url`` (in ``category_id``); the new feed's id.
        NotSupported where ``capabilities.subscribe`` is False."""
        ...

    async def unsubscribe(self, feed_id: str) -> None:
        """Remove a subscription. NotSupported where ``capabilities.unsubscribe`` is False."""

    async def aclose(self) -> None:
        """Close the connections (also done by ``async with``)."""
