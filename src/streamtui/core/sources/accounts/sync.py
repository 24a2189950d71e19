"""One sync of one server account: pull, settle, push.

1. The account's categories and feeds: its sources follow them (2 requests).
2. The items new since the watermark, page by page, each page stored in one transaction with
   the watermark that says it is in (a sync killed at any moment resumes after it). An item
   already here settles its read and starred state against the marks queued here
   (core/sync/conflicts.py: the newer change wins).
3. When the backend cannot tell that no older item changed there (``marks_changed``), or
   when marks were pushed since the last listing (a cheap look for changes, such as tt-rss's
   counters, compared with the state before that push), the lists of every unread and every
   starred id: every item here settles against them, so an
   item read elsewhere however old it is, and a star set there on any item, arrive here;
   listed items never pulled (a star on an old item) are pulled by id. A star gone from the
   list is checked first: an item the server forgot keeps its star here.
4. The queue of marks made here, in batches; each acknowledged batch is dropped from the
   queue with the server's new state remembered, in one transaction. A mark sent again after
   a crash sets a state, never toggles one: sending it twice does no harm.

Pulling before pushing lets a conflict be seen: a mark queued here meets the server's change
before it could overwrite it. Every failure is one line on the account; what is stored and
the queue stay. Store calls run on a thread of the refresh's executor, never on its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from streamtui.core.credentials import Credential
from streamtui.core.errors import StreamtuiError
from streamtui.core.models import Account, AccountReport
from streamtui.core.parse.pool import Parser
from streamtui.core.sources.accounts.items import to_items
from streamtui.core.sources.accounts.lock import AccountBusy, hold
from streamtui.core.store import RemoteEntry, RemoteFeedRow, RemoteStats, StoreProtocol
from streamtui.core.store.accounts import OTHER_FEED
from streamtui.core.sync.backend import Backend
from streamtui.core.sync.errors import SyncError
from streamtui.core.sync.models import Mark, MarkKind, RemoteItem, SyncState
from streamtui.core.text.redact import redact_text
from streamtui.core.text.sanitize import excerpt, sanitize

T = TypeVar("T")
WAIT = 120.0
"""How long a sync waits for another sync of the same account (the app's, a command's)."""
CONVERTING = 2
"""Pages read (converted) at once while the next ones are pulled."""
MISSING_PULL = 5_000
"""At most this many listed items never pulled are pulled by id in one sync (the rest at
the next): a first look at an account with a long history stays bounded."""


@dataclass(slots=True)
class Outcome:
    """A sync's report, and the items it added to each source (for the refresh's events)."""

    report: AccountReport
    added: dict[int, int] = field(default_factory=dict)


class AccountSync:
    """The sync of ``account`` through ``backend`` over ``store``; ``keep`` stores the
    backend's credential when a login changed it (a new token)."""

    def __init__(
        self,
        store: StoreProtocol,
        account: Account,
        backend: Backend,
        *,
        clock: Callable[[], float],
        keep: Callable[[Credential], None],
        parser: Parser | None = None,
        wait: float = WAIT,
    ) -> None:
        self.store = store
        self.account = account
        self.backend = backend
        self.clock = clock
        self.keep = keep
        self.parser = parser
        self.wait = wait
        self.outcome = Outcome(AccountReport(account))
        self._kept = backend.credential
        self._feeds: dict[str, int] = {}
        self._bases: dict[str, str] = {}
        self._notes: list[str] = []
        self._relisted = False

    async def run(self) -> Outcome:
        """Sync, holding the account's lock (lock.py); then close the backend."""
        try:
            release = await self._thread(hold, self.store.path, self.account.id, self.wait)
        except AccountBusy as error:
            self.outcome.report.error = _line(str(error), self.account.name)
            await self.backend.aclose()
            return self.outcome
        try:
            return await self._run()
        finally:
            release()
            await self.backend.aclose()

    async def _run(self) -> Outcome:
        report = self.outcome.report
        started = self.clock()
        before = self.backend.requests
        try:
            await self._lists()
            await self._pull(started)
            await self._push()
            report.note = "; ".join(self._notes)
            await self._db(
                self.store.finish_sync,
                self.account.id,
                error="",
                note=report.note,
                synced_at=self.clock(),
            )
        except (SyncError, StreamtuiError) as error:
            report.error = _line(str(error), self.account.name)
            with contextlib.suppress(StreamtuiError):
                await self._db(self.store.finish_sync, self.account.id, error=report.error)
        finally:
            report.requests = self.backend.requests - before
            self._keep_credential()
        with contextlib.suppress(StreamtuiError):
            report.pending = len(await self._db(self.store.pending, self.account.id))
        report.feeds = len([r for r in self._feeds if r != OTHER_FEED])
        return self.outcome

    # -- 1. categories and feeds ------------------------------------------------------------

    async def _lists(self) -> None:
        categories, feeds = await asyncio.gather(self.backend.categories(), self.backend.feeds())
        self._keep_credential()  # logged in: a new token is kept at once
        rows = [
            RemoteFeedRow(
                f.id, sanitize(f.title), f.url, f.category_ids[0] if f.category_ids else ""
            )
            for f in feeds
        ]
        titles = [(c.id, sanitize(c.title)) for c in categories]
        self._feeds = await self._db(self.store.store_account_feeds, self.account.id, titles, rows)
        self._bases = {f.id: f.site_url or f.url for f in feeds}

    # -- 2. and 3. what is new there --------------------------------------------------------

    async def _pull(self, started: float) -> None:
        state = SyncState.from_json(await self._db(self.store.account_state, self.account.id))
        due = await self._db(self.store.listing_due, self.account.id)
        last = state
        converting: list[tuple[asyncio.Future[list[RemoteEntry]], str]] = []
        try:
            async with _closing(self.backend.items_since(state)) as pages:
                async for page in pages:
                    # read in the workers while the next page comes; stored in order, each
                    # page with the watermark that says it is in
                    converting.append((self._convert(page.items, started), page.state.to_json()))
                    last = page.state
                    while len(converting) > CONVERTING:
                        await self._write(*converting.pop(0), started)
            while converting:
                await self._write(*converting.pop(0), started)
        finally:
            for future, _ in converting:
                future.cancel()
        if not last.marks_changed and not due:
            return
        unread, starred = await asyncio.gather(
            self.backend.unread_ids(), self.backend.starred_ids()
        )
        forgotten = await self._forgotten(
            await self._db(self.store.vanished_stars, self.account.id, starred)
        )
        stats = await self._db(
            self.store.apply_listing,
            self.account.id,
            unread,
            starred,
            seen_at=started,
            keep=forgotten,
        )
        self._count(stats)
        missing = sorted(stats.missing, key=_number)[-MISSING_PULL:]
        if missing:
            async with _closing(self.backend.items(missing)) as batches:
                async for batch in batches:
                    await self._write(self._convert(batch, started), None, started)

    async def _forgotten(self, vanished: Collection[str]) -> frozenset[str]:
        """Of the items seen starred that the starred list no longer names, those the server
        no longer has at all (their stars stay here)."""
        if not vanished:
            return frozenset()
        still: set[str] = set()
        async with _closing(self.backend.items(list(vanished))) as batches:
            async for batch in batches:
                still.update(item.id for item in batch)
        gone = frozenset(vanished) - still
        if gone:
            self._notes.append(
                f"the server no longer has {len(gone)} starred item(s); they stay starred here"
            )
        return gone

    def _convert(
        self, items: Sequence[RemoteItem], started: float
    ) -> asyncio.Future[list[RemoteEntry]]:
        """The entries of a page, made on a thread (the feed parser's workers for a large
        page: items.py), started now."""
        return asyncio.ensure_future(self._entries(items, started))

    async def _entries(self, items: Sequence[RemoteItem], started: float) -> list[RemoteEntry]:
        if not items:
            return []
        if not self._relisted and any(item.feed_id not in self._feeds for item in items):
            self._relisted = True
            await self._lists()  # subscribed there since the list was read
        made = await self._thread(to_items, items, self.account.key, started, self.parser)
        entries = []
        for remote in items:
            source_id = self._feeds.get(remote.feed_id)
            if source_id is None:
                source_id = await self._other()
            changed = remote.changed.timestamp() if remote.changed is not None else None
            entries.append(
                RemoteEntry(
                    source_id, made[remote.id], remote.id, remote.read, remote.starred, changed
                )
            )
        return entries

    async def _write(
        self, entries: asyncio.Future[list[RemoteEntry]], state: str | None, started: float
    ) -> None:
        stats = await self._db(
            self.store.store_remote,
            self.account.id,
            await entries,
            seen_at=started,
            state=state,
        )
        self._count(stats)

    async def _other(self) -> int:
        if OTHER_FEED not in self._feeds:
            self._feeds[OTHER_FEED] = await self._db(
                self.store.other_feed, self.account.id, self.account.name
            )
        return self._feeds[OTHER_FEED]

    def _count(self, stats: RemoteStats) -> None:
        report = self.outcome.report
        for source_id, added in stats.added.items():
            self.outcome.added[source_id] = self.outcome.added.get(source_id, 0) + added
            report.added += added
        report.changed += stats.changed

    # -- 4. what changed here ---------------------------------------------------------------

    async def _push(self) -> None:
        queued = await self._db(self.store.pending, self.account.id)
        if not queued:
            return
        marks = [Mark(q.remote_id, MarkKind(q.kind)) for q in queued]
        up_to = queued[-1].seq
        latest = {(m.item_id, m.kind.axis): m.kind.sets for m in marks}
        await self._db(self.store.mark_sent, self.account.id, up_to)
        missing = 0
        async with _closing(self.backend.push(marks)) as pushes:
            async for pushed in pushes:
                settled = {(m.item_id, m.kind.axis) for m in pushed.marks}
                rows = [(remote, axis, latest[(remote, axis)]) for remote, axis in settled]
                self.outcome.report.pushed += await self._db(
                    self.store.settle_pushed, self.account.id, up_to, rows
                )
                missing += len(pushed.missing)
        if missing:
            self._notes.append(
                f"{missing} mark(s) were for items the server no longer has (dropped)"
            )

    # -- helpers ----------------------------------------------------------------------------

    def _keep_credential(self) -> None:
        """Store the backend's credential when it changed (a login gave a new token)."""
        current = self.backend.credential
        if current != self._kept:
            with contextlib.suppress(StreamtuiError):
                self.keep(current)
                self._kept = current

    async def _db(self, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        """A store call on a thread (a transaction never stalls the refresh's loop)."""
        return await self._thread(call, *args, **kwargs)

    @staticmethod
    async def _thread(call: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, partial(call, *args, **kwargs))


@contextlib.asynccontextmanager
async def _closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close a backend's pages when the sync stops early (no request left running)."""
    try:
        yield iterator
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def _number(remote_id: str) -> int:
    try:
        return int(remote_id)
    except ValueError:
        return 0


def _line(text: str, account: str) -> str:
    """One line naming the account, without any password a URL in it carried."""
    shown = excerpt(redact_text(text), 400)
    return shown if shown.startswith(f"{account}:") else f"{account}: {shown}"
