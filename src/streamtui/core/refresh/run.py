"""One refresh: every source read by the reader of its kind, each result decided (decide.py)
and written by the one writer (writer.py) as it arrives, and reported as events numbered in
one place. A whole refresh is never held in memory: at most a few bodies wait to be parsed.

Each kind's sources are read in turn: local sources first, one after the other, then feeds,
concurrently (fetched 16 at a time, parsed in the worker pool). Setting the cancel event
stops the refresh within a tenth of a second: what is stored stays stored, a parse under way
is stopped, and name lookups and loads still running are left to end on their own daemon
threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from streamtui.core.errors import ReadOnlyError, StreamtuiError
from streamtui.core.models import (
    FeedState,
    RefreshEvent,
    RefreshSummary,
    Source,
    SyncStats,
    Update,
)
from streamtui.core.refresh.decide import Decision, decide, event, failure, is_due, network_down
from streamtui.core.refresh.readers import Failed, Job, Reader, Run
from streamtui.core.refresh.writer import Writer
from streamtui.core.store import StoreProtocol

Progress = Callable[[RefreshEvent], None]
_T = TypeVar("_T")


class Refresh:
    """A refresh of some sources over a store, with the readers of every kind."""

    def __init__(
        self,
        store: StoreProtocol,
        readers: Sequence[Reader[Any]],
        *,
        clock: Callable[[], float] = time.time,
        entries_later: bool = False,
    ) -> None:
        self.store = store
        self.readers = readers
        self.clock = clock
        self.entries_later = entries_later
        """Leave most search entries pending (see Writer): the caller starts their writing."""

    def run(
        self, sources: Sequence[Source], progress: Progress, cancel: threading.Event | None = None
    ) -> RefreshSummary:
        """Refresh ``sources`` (each once, in this order of kinds: see the readers)."""
        return asyncio.run(_Pass(self, sources, progress, cancel or threading.Event()).run())


class _Pass:
    """The state of one run: the summary, the events' numbers, the failures held back."""

    def __init__(
        self,
        refresh: Refresh,
        sources: Sequence[Source],
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        self.store = refresh.store
        self.readers = refresh.readers
        self.sources = sources
        self.progress = progress
        self.run_of = Run(refresh.clock(), cancel)
        self.entries_later = refresh.entries_later
        self.summary = RefreshSummary()
        self.done = 0
        self.unconnected: list[Update] = []
        """Feeds that failed without a connection: written at the end, unless nearly every
        feed failed so (the network is down)."""
        self.reasons: list[str] = []
        self.taken: set[str] = set()
        self.slots = asyncio.Semaphore(2 * (os.cpu_count() or 1))
        self.writer: Writer | None = None

    async def run(self) -> RefreshSummary:
        # Name lookups, loads and parses run on daemon threads that nothing waits for:
        # asyncio.run ends by joining the default executor, where a lookup blocks for as long
        # as the resolver takes (seconds when the network is down), so quitting during a
        # refresh took 4-5 s instead of 0.3 s.
        asyncio.get_running_loop().set_default_executor(_DaemonCalls())
        work = asyncio.create_task(self._all())
        while not work.done():
            await asyncio.wait({work}, timeout=0.1)
            if self.run_of.cancel.is_set() or self.store.gone is not None:
                work.cancel()  # nothing more is wanted, or can be kept
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                return self.summary
        return work.result()

    def report(self, event: RefreshEvent) -> None:
        """Number an event, count it, and pass it on: the one place events are made final."""
        self.done += 1
        event = replace(event, done=self.done, total=len(self.sources))
        self.summary.count(event)
        with contextlib.suppress(Exception):  # a listener gone away (the app quit)
            self.progress(event)

    async def _all(self) -> RefreshSummary:
        states = self.store.feed_states([source.id for source in self.sources])
        self.taken = {location for location, _, _ in self.store.feed_addresses()}
        jobs = [Job(source, states.get(source.id, FeedState())) for source in self.sources]
        tasks: list[asyncio.Task[None]] = []
        with (
            self.store.checkpoints_deferred(),
            Writer(self.store, self.run_of.cancel, entries_later=self.entries_later) as self.writer,
        ):
            try:
                for reader in self.readers:  # one kind after the other, each to its end
                    await self._read(reader, [j for j in jobs if reader.takes(j.source)], tasks)
                    await asyncio.gather(*tasks)
                for job in jobs:
                    if not any(reader.takes(job.source) for reader in self.readers):
                        self.report(RefreshEvent(job.source, "skipped", message="not readable"))
                await self._settle_unconnected()
            except asyncio.CancelledError:
                for task in tasks:
                    task.cancel()
                raise
        return self.summary

    async def _read(
        self, reader: Reader[Any], jobs: list[Job], tasks: list[asyncio.Task[None]]
    ) -> None:
        due = []
        for job in jobs:
            reason = is_due(job.source, self.run_of.now)
            if reason:
                self.report(RefreshEvent(job.source, "skipped", message=reason))
            else:
                due.append(job)
        async for job, fetched in reader.fetch(due, self.run_of):
            await self.slots.acquire()  # back-pressure: bounded bodies in memory
            tasks.append(asyncio.create_task(self._settle(reader, job, fetched)))

    async def _settle(self, reader: Reader[Any], job: Job, fetched: object) -> None:
        """Parse what was fetched, decide, write, report: one source, whatever happens."""
        slot = _Slot(self.slots)
        try:
            try:
                got = await reader.parse(job, fetched, self.run_of)
            finally:
                slot.release()  # the body is done with: the next one may be parsed
            decision = decide(job, got, self.run_of.now, self.taken)
            if decision.network and decision.update is not None:
                self.unconnected.append(decision.update)
                self.reasons.append(decision.message)
                self.report(event(job.source, decision, None))
                return
            self.report(await self._write(job, decision))
        except Exception as error:  # one source's bug never stops the others
            reason = f"internal error: {type(error).__name__}: {error}"
            with contextlib.suppress(StreamtuiError):
                self.report(await self._write(job, failure(job.source, Failed(reason))))

    async def _write(self, job: Job, decision: Decision) -> RefreshEvent:
        """Write a decision; a failed write is said on the source (through the writer too)."""
        if decision.update is None:
            return event(job.source, decision, None)
        try:
            stats = await self._apply(decision.update)
        except ReadOnlyError as error:  # the file went away: the refresh stops
            return RefreshEvent(job.source, "skipped", message=str(error))
        except StreamtuiError as error:
            if job.source.id not in self.store.source_names():
                return RefreshEvent(job.source, "skipped", message="removed during the refresh")
            written = failure(job.source, Failed(str(error)))
            if written.update is not None:
                with contextlib.suppress(StreamtuiError):
                    await self._apply(written.update)
            return event(job.source, written, None)
        return event(job.source, decision, stats)

    async def _apply(self, update: Update) -> SyncStats:
        assert self.writer is not None
        return await self.writer.apply(update)

    async def _settle_unconnected(self) -> None:
        """Keep the errors of the feeds that could not connect, or, when nearly all failed
        so, say once that the network looks down and leave every source's line as it was
        (629 "name not resolved" lines would only hide each source's own last error)."""
        self.summary.network_down = network_down(self.run_of.fetched, self.reasons)
        if self.summary.network_down:
            return
        for update in self.unconnected:
            with contextlib.suppress(StreamtuiError):
                await self._apply(update)


class _DaemonCalls(ThreadPoolExecutor):
    """The refresh loop's default executor: each call on a daemon thread of its own, which
    a cancelled refresh leaves behind instead of waiting for it. A call cannot be stopped
    (a DNS lookup blocks in the C library); left behind, it ends on its own and its result
    goes nowhere. The calls are few at a time: the fetches (16 at most) look up names, local
    sources load one at a time, and parses wait on the parser's own slots."""

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
