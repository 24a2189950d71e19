"""The one writer of a refresh: every update, a failure's too, is applied by one thread."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading

from streamtui.core.models import SyncStats, Update
from streamtui.core.store import StoreProtocol

_Pending = tuple[Update, "asyncio.Future[SyncStats]"]

MAX_BATCH_ITEMS = 1_000
"""Items stored in one transaction at most (about 0.1 s of writing): a key that marks an item
read while a refresh runs waits for the transaction under way."""


class Writer:
    """Applies updates on a thread of its own, so that the event loop goes on fetching and
    the parser processes go on parsing while SQLite writes. Whatever is waiting when the
    thread comes round is applied in one transaction (measured: a cold refresh of 200 feeds
    wrote 200 transactions from the event loop, which stood still for half the refresh)."""

    def __init__(self, store: StoreProtocol) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="store-writer", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> Writer:
        self._loop = asyncio.get_running_loop()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)
        self._thread.join()  # nothing is written after the refresh returns

    async def apply(self, update: Update) -> SyncStats:
        """Apply ``update`` (with whatever else is waiting); its error is raised here."""
        assert self._loop is not None
        future: asyncio.Future[SyncStats] = self._loop.create_future()
        self._queue.put((update, future))
        return await future

    def _serve(self) -> None:
        done = False
        while not done:
            first = self._queue.get()
            if first is None:
                return
            batch, items = [first], len(first[0].items or ())
            while items < MAX_BATCH_ITEMS:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    done = True
                    break
                batch.append(waiting)
                items += len(waiting[0].items or ())
            outcomes: list[SyncStats | BaseException]
            try:
                outcomes = list(self.store.apply([update for update, _ in batch]))
            except Exception as error:  # the transaction itself failed: every update in it
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
