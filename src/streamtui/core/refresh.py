"""Refreshing feed sources: fetch concurrently, parse in worker processes, store each source
as its result arrives (a whole refresh is never held in memory)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

from streamtui.core import dates
from streamtui.core.credentials import Credential, CredentialStore
from streamtui.core.errors import SourceError, StreamtuiError
from streamtui.core.feeds import FeedParser, ParsedFeed, binary_kind
from streamtui.core.fetch import Conditional, Fetched, FetchError, Limits, fetch_all
from streamtui.core.models import FeedState, Source, SourceKind
from streamtui.core.redact import redact_text, without_login
from streamtui.core.sanitize import sanitize
from streamtui.core.store import Merge, ReadOnlyError, Store, SyncStats

REDIRECTS_TO_MOVE = 3
"""A permanent redirect seen on this many refreshes in a row moves the source's URL."""
_T = TypeVar("_T")
GONE_NOTE = "; it is no longer fetched (its items are kept)"
"""What a 410 means for the source, added to the error shown on it."""


@dataclass(frozen=True, slots=True)
class RefreshEvent:
    """One source finished. ``outcome`` is updated, unchanged, failed or skipped."""

    source: Source
    outcome: str
    added: int = 0
    message: str = ""
    done: int = 0
    total: int = 0
    network: bool = False
    """Failed without a connection (see FetchError.network)."""


@dataclass(slots=True)
class RefreshSummary:
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    added: int = 0
    failures: list[str] = field(default_factory=list)
    removed: int = 0
    """Items the cleanup after the refresh removed (retention)."""
    network_down: str = ""
    """Set when nearly every feed failed without a connection (see :func:`network_down`):
    one line to show instead of a failure per feed."""

    def count(self, event: RefreshEvent) -> None:
        if event.outcome == "updated":
            self.updated += 1
        elif event.outcome == "unchanged":
            self.unchanged += 1
        elif event.outcome == "failed":
            self.failed += 1
            self.failures.append(f"{event.source.name}: {event.message}")
        else:
            self.skipped += 1
        self.added += event.added


Progress = Callable[[RefreshEvent], None]

NETWORK_DOWN_SHARE = 0.8
NETWORK_DOWN_FEEDS = 5
"""The network is taken to be down when at least this share of the feeds fetched (and at
least this many feeds) failed without a connection."""


def network_down(fetched: int, failures: Sequence[str]) -> str:
    """One line saying the network looks down, or "" when it does not: ``failures`` are the
    reasons of the feeds (of ``fetched``) that could not connect at all."""
    if fetched < NETWORK_DOWN_FEEDS or len(failures) < NETWORK_DOWN_SHARE * fetched:
        return ""
    common = Counter(failures).most_common(1)[0][0]
    return (
        f"the network looks down: {len(failures)} of {fetched} feeds could not be reached "
        f"({common}); their items and last errors are left as they were"
    )


def is_due(source: Source, now: float) -> str:
    """Why a feed is not fetched now ("" when it is due)."""
    if source.gone:
        return "gone (HTTP 410); not polled any more"
    if source.retry_at is not None and dates.stamp(source.retry_at) > now:
        return f"deferred by the server until {dates.clamp(source.retry_at):%Y-%m-%d %H:%M} UTC"
    return ""


class Refresher:
    def __init__(
        self,
        store: Store,
        parser: FeedParser,
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        credentials: CredentialStore | None = None,
    ) -> None:
        self.store = store
        self.parser = parser
        self.limits = limits or Limits()
        self.clock = clock
        self.credentials = credentials or (
            CredentialStore.beside(store.path) if store.path else CredentialStore.in_memory()
        )
        self._logins: dict[int, Credential] = {}
        self._cancel = threading.Event()
        self._unconnected: dict[int, str] = {}
        """Feeds that failed without a connection, and why: their errors are stored at the
        end of the refresh, unless nearly every feed failed so (the network is down)."""

    def run(
        self,
        sources: Sequence[Source],
        progress: Progress,
        cancel: threading.Event | None = None,
    ) -> RefreshSummary:
        """Refresh ``sources``; setting ``cancel`` stops it within a tenth of a second (what
        is stored stays stored; a parse under way is stopped)."""
        self._cancel = cancel or threading.Event()
        return asyncio.run(self._cancellable(sources, progress, self._cancel))

    async def _cancellable(
        self, sources: Sequence[Source], progress: Progress, cancel: threading.Event
    ) -> RefreshSummary:
        # Name lookups and parses run on daemon threads that nothing waits for: asyncio.run
        # ends by joining the default executor, where a lookup blocks for as long as the
        # resolver takes (seconds when the network is down), so quitting during a refresh
        # took 4-5 s instead of 0.3 s.
        asyncio.get_running_loop().set_default_executor(_DaemonCalls())
        summary = RefreshSummary()
        work = asyncio.create_task(self._run(sources, progress, summary))
        while not work.done():
            await asyncio.wait({work}, timeout=0.1)
            if cancel.is_set() or self.store.gone is not None:  # nothing more can be kept
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                return summary
        return work.result()

    async def _run(
        self, sources: Sequence[Source], progress: Progress, summary: RefreshSummary
    ) -> RefreshSummary:
        with self.store.checkpoints_deferred(), _Writer(self.store) as self._writer:
            return await self._fetch_all(sources, progress, summary)

    async def _fetch_all(
        self, sources: Sequence[Source], progress: Progress, summary: RefreshSummary
    ) -> RefreshSummary:
        now = self.clock()
        feeds = [s for s in sources if s.kind is SourceKind.FEED]
        total, done = len(feeds), 0

        def report(event: RefreshEvent) -> None:
            nonlocal done
            done += 1
            event = replace(event, done=done, total=total)
            summary.count(event)
            # A listener gone away (the app quit) never stops the refresh.
            with contextlib.suppress(Exception):
                progress(event)

        requests = []
        for source in feeds:
            reason = is_due(source, now)
            if reason:
                report(RefreshEvent(source, "skipped", message=reason))
                continue
            missing = self._login(source)
            if missing:  # never fetched without it: its ids could come out different
                report(self._note_failure(source, missing))
                continue
            state = self.store.feed_state(source.id)  # read once; travels with the request
            conditional = Conditional(state.etag, state.last_modified)
            requests.append(((source, state), source.location, conditional))
        self._parsing = asyncio.Semaphore(2 * (os.cpu_count() or 1))
        tasks = []
        logins = self._logins
        async for (source, state), result in fetch_all(
            requests, limits=self.limits, logins=lambda key: logins.get(key[0].id)
        ):
            await self._parsing.acquire()  # back-pressure: bounded bodies in memory
            task = asyncio.create_task(self._handle(source, state, result, now))
            task.add_done_callback(partial(_reported, report))
            tasks.append(task)
        try:
            if tasks:
                await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
        self._settle_unconnected(len(requests), summary)
        return summary

    def _settle_unconnected(self, fetched: int, summary: RefreshSummary) -> None:
        """Store the errors of the feeds that could not connect, or, when nearly all failed
        so, say once that the network looks down and leave every source's line as it was
        (629 "name not resolved" lines would only hide each source's own last error)."""
        summary.network_down = network_down(fetched, list(self._unconnected.values()))
        if summary.network_down:
            return
        for source_id, reason in self._unconnected.items():
            with contextlib.suppress(StreamtuiError):
                self.store.update_source(source_id, last_error=reason)

    async def _handle(
        self, source: Source, state: FeedState, result: Fetched | FetchError, now: float
    ) -> RefreshEvent:
        slot = _Slot(self._parsing)
        try:
            return await self._store(source, state, result, now, slot)
        except SourceError as error:  # the parse failed
            if self._cancel.is_set():  # or the cancel stopped it: nothing to store
                return RefreshEvent(source, "skipped", message=error.reason)
            return self._note_failure(source, error.reason)
        except StreamtuiError as error:  # the store failed
            if isinstance(error, ReadOnlyError):  # the file went away: the refresh stops
                return RefreshEvent(source, "skipped", message=str(error))
            if source.id not in self.store.source_names():
                return RefreshEvent(source, "skipped", message="removed during the refresh")
            return self._note_failure(source, str(error))
        except Exception as error:  # one source's bug never stops the others
            return self._note_failure(source, f"internal error: {type(error).__name__}: {error}")
        finally:
            slot.release()  # a no-op when the parse already gave it back

    def _login(self, source: Source) -> str:
        """Look up the credential of a source with a login (kept for its fetch and parse);
        why it cannot be had, or ""."""
        if not source.login:
            return ""
        try:
            found = self.credentials.get("feed", source.key)
        except StreamtuiError as error:
            return str(error)
        if found is None or (source.scoped and not found.scope):
            return (
                f"its password is missing from {self.credentials.where}; add the feed's URL "
                "again with the password, as first added ('streamtui add URL'), to store it"
            )
        self._logins[source.id] = found
        return ""

    def _note_failure(self, source: Source, reason: str) -> RefreshEvent:
        shown = sanitize(redact_text(reason))
        with contextlib.suppress(StreamtuiError):
            self.store.update_source(source.id, last_error=shown)
        return RefreshEvent(source, "failed", message=shown)

    async def _store(
        self,
        source: Source,
        state: FeedState,
        result: Fetched | FetchError,
        now: float,
        slot: _Slot,
    ) -> RefreshEvent:
        if isinstance(result, FetchError):
            return self._failed(source, result, now)
        redirect = self._redirect_state(source, state, result)
        if result.not_modified:  # through the writer too: 200 of them share a transaction
            slot.release()  # nothing to parse: the next answer may come in
            await self._writer.merge(
                Merge(source.id, (), {"last_error": "", "updated_at": now, **redirect})
            )
            return RefreshEvent(source, "unchanged")
        binary = binary_kind(result.body, result.content_type)
        if binary:  # no parser process for a picture: say what it is instead of a parse error
            raise SourceError(source.location, f"not a feed ({binary})")
        digest = hashlib.sha256(result.body).hexdigest()
        meta = {
            "etag": result.etag,
            "last_modified": result.last_modified,
            "content_hash": digest,
            "last_error": "",
            "retry_at": None,
            **redirect,
        }
        if digest == state.content_hash:
            slot.release()
            await self._writer.merge(Merge(source.id, (), {"updated_at": now, **meta}))
            return RefreshEvent(source, "unchanged")
        try:
            parsed: ParsedFeed = await asyncio.get_running_loop().run_in_executor(
                None,
                partial(
                    self.parser.parse,
                    result.body,
                    source_key=self._scope(source),
                    url=result.final_url,
                    seen_at=datetime.fromtimestamp(now, UTC),
                    cancel=self._cancel,
                ),
            )
        finally:
            slot.release()  # the body is done with: the next one may be fetched and parsed
        meta.update(warning=parsed.warning, site_url=parsed.link)
        rename = partial(
            _better_name, urlsplit(without_login(source.location)).netloc, parsed.title
        )
        stats = await self._writer.merge(
            Merge(source.id, parsed.items, meta, whole=True, rename=rename)
        )
        outcome = "updated" if stats.added or stats.updated else "unchanged"
        return RefreshEvent(source, outcome, added=stats.added)

    def _scope(self, source: Source) -> str:
        """What the source's item ids are made from: its key, or for a feed from a database
        older than the credential store, the key it had then (see secrets_migration.py)."""
        login = self._logins.get(source.id)
        return (login.scope if login else "") or source.key or source.location

    def _failed(self, source: Source, error: FetchError, now: float) -> RefreshEvent:
        reason = error.reason
        if error.network:  # stored once the refresh knows whether the network is down
            self._unconnected[source.id] = reason
            return RefreshEvent(source, "failed", message=reason, network=True)
        fields: dict[str, object] = {}
        if error.kind == "gone":
            fields["gone"] = 1
            reason += GONE_NOTE
        reason = sanitize(redact_text(reason))
        fields["last_error"] = reason
        if error.kind == "retry-later" and error.retry_at is not None:
            fields["retry_at"] = dates.stamp(error.retry_at)
        self.store.update_source(source.id, **fields)
        return RefreshEvent(source, "failed", message=reason)

    def _redirect_state(
        self, source: Source, state: FeedState, result: Fetched
    ) -> dict[str, object]:
        """Count permanent redirects to the same place; after a few, move the source."""
        target = result.permanent_redirect
        if not target or target == source.location:
            return {"redirect_url": "", "redirect_count": 0}
        count = state.redirect_count + 1 if state.redirect_url == target else 1
        if count >= REDIRECTS_TO_MOVE:
            taken = {location for location, _, _ in self.store.feed_addresses()}
            if target in taken:  # it moved onto another subscription: leave it where it is
                return {"redirect_url": "", "redirect_count": 0}
            return {"location": target, "redirect_url": "", "redirect_count": 0}
        return {"redirect_url": target, "redirect_count": count}


def _better_name(host: str, title: str, name: str) -> str:
    """A source imported without a title is named after its host until its feed says what it
    is called; then it takes the feed's title. Called with the name as stored when the feed
    is saved (a rename meanwhile stays), which the store then makes unique."""
    placeholder = re.fullmatch(re.escape(host) + r"( \(\d+\))?", name)
    return title if title and host and placeholder is not None else ""


def _reported(report: Callable[[RefreshEvent], None], task: asyncio.Task[RefreshEvent]) -> None:
    """Report a finished source; a task cancelled with the refresh has nothing to report (its
    result() would raise CancelledError, which asyncio prints to the terminal)."""
    if not task.cancelled():
        report(task.result())


class _DaemonCalls(ThreadPoolExecutor):
    """The refresh loop's default executor: each call on a daemon thread of its own, which
    a cancelled refresh leaves behind instead of waiting for it. A call cannot be stopped
    (a DNS lookup blocks in the C library); left behind, it ends on its own and its result
    goes nowhere. The calls are few at a time: the fetches (16 at most) look up names, and
    parses wait on the parser's own slots."""

    def submit(self, fn: Callable[..., _T], /, *args: object, **kwargs: object) -> Future[_T]:
        future: Future[_T] = Future()

        def call() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # handed to whoever awaits the future
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=call, name="refresh-call", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons."""


class _Slot:
    """A parse slot (of the semaphore bounding bodies in memory), released once."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore: asyncio.Semaphore | None = semaphore

    def release(self) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
            self._semaphore = None


_Pending = tuple[Merge, "asyncio.Future[SyncStats]"]

MAX_BATCH_ITEMS = 1_000
"""Items stored in one transaction at most (about 0.1 s of writing): a key that marks an item
read while a refresh runs waits for the transaction under way."""


class _Writer:
    """Stores parsed feeds on a thread of its own, so that the event loop goes on fetching
    and the parser processes go on parsing while SQLite writes. Whatever is waiting when the
    thread comes round is stored in one transaction (measured: a cold refresh of 200 feeds
    wrote 200 transactions from the event loop, which stood still for half the refresh)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="store-writer", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> _Writer:
        self._loop = asyncio.get_running_loop()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)
        self._thread.join()  # nothing is written after the refresh returns

    async def merge(self, merge: Merge) -> SyncStats:
        assert self._loop is not None
        future: asyncio.Future[SyncStats] = self._loop.create_future()
        self._queue.put((merge, future))
        return await future

    def _serve(self) -> None:
        done = False
        while not done:
            first = self._queue.get()
            if first is None:
                return
            batch, items = [first], len(first[0].items)
            while items < MAX_BATCH_ITEMS:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    done = True
                    break
                batch.append(waiting)
                items += len(waiting[0].items)
            outcomes: list[SyncStats | BaseException]
            try:
                outcomes = list(self.store.merge_many([merge for merge, _ in batch]))
            except Exception as error:  # the transaction itself failed: every feed in it
                outcomes = [error] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                self._settle(future, outcome)

    def _settle(
        self, future: asyncio.Future[SyncStats], outcome: SyncStats | BaseException
    ) -> None:
        def settle() -> None:
            if future.done():  # cancelled meanwhile
                return
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has closed
            self._loop.call_soon_threadsafe(settle)
