"""The one writer of a refresh: every update, a failure's too, is applied by one thread."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time

from streamtui.core.errors import StreamtuiError
from streamtui.core.models import SyncStats, Update
from streamtui.core.store import StoreProtocol, search
from streamtui.core.store.search import INDEX_CHUNK

_Pending = tuple[Update, "asyncio.Future[SyncStats]"]

MAX_BATCH_ITEMS = 1_000
"""Items stored in one transaction at most (about 0.1 s of writing): a key that marks an item
read while a refresh runs waits for the transaction under way."""
ENTRIES_NOW = search.ENTRIES_NOW
"""With ``entries_later``, the most pending search entries a refresh still writes before it
returns: a refresh with a few new items leaves them all searchable."""
GATHER_SECONDS = 0.05
"""How long an update with items waits for others to share its transaction (until
MAX_BATCH_ITEMS): parsed feeds arrive one at a time, and a transaction per feed wrote the
same index pages again at each commit (a cold refresh of 200 x 100 grew the WAL to 400 MB
for a 72 MB store)."""


class Writer:
    """Applies updates on a thread of its own, so that the event loop goes on fetching and
    the parser processes go on parsing while SQLite writes. Whatever is waiting when the
    thread comes round, and whatever comes within GATHER_SECONDS of an update with items, is
    applied in one transaction (measured: a cold refresh of 200 feeds wrote 200 transactions
    from the event loop, which stood still for half the refresh).

    Items are stored without their search entries; the writer writes those after each batch
    (as many as it stored), whenever it has no update waiting, a chunk at a time, and the
    rest at the end (unless ``cancel`` is set: a refresh being quit does not wait for them).
    Entries left pending (a process killed first) are written by the next refresh's writer.

    With ``entries_later`` the writer stores items alone and, at the end, writes the pending
    entries only if there are at most ENTRIES_NOW of them: the rest are left to a process of
    their own (core/library/indexer.py), which the command line's refresh starts as it
    returns. Their CPU (about 70 us an item, half of a cold refresh's writing) then no longer
    competes with the parsers for the machine's cores."""

    def __init__(
        self,
        store: StoreProtocol,
        cancel: threading.Event | None = None,
        *,
        entries_later: bool = False,
    ) -> None:
        self.store = store
        self._later = entries_later
        self._cancel = cancel or threading.Event()
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
        indexing = not self._later  # entries a process left pending are caught up too
        while not done:
            if indexing:
                try:
                    first = self._queue.get_nowait()
                except queue.Empty:
                    indexing = self._index(INDEX_CHUNK)
                    continue
            else:
                first = self._queue.get()
            if first is None:
                break
            batch, items = [first], len(first[0].items or ())
            until = time.monotonic() + GATHER_SECONDS if items else 0.0
            while items < MAX_BATCH_ITEMS:
                try:
                    left = until - time.monotonic()
                    waiting = (
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if waiting is None:
                    done = True
                    break
                batch.append(waiting)
                items += len(waiting[0].items or ())
            outcomes: list[SyncStats | BaseException]
            try:
                outcomes = list(self.store.apply([update for update, _ in batch], index=False))
            except Exception as error:  # the transaction itself failed: every update in it
                outcomes = [error] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                self._settle(future, outcome)
            indexing = not self._later and self._keep_up(items)
        if self._later:
            indexing = self._few_pending()
        while indexing and not self._cancel.is_set():
            indexing = self._index(INDEX_CHUNK)

    def _few_pending(self) -> bool:
        """Whether the entries still pending are few enough to write before returning."""
        try:
            return 0 < self.store.pending_entries() <= ENTRIES_NOW
        except (StreamtuiError, sqlite3.Error):
            return False

    def _keep_up(self, items: int) -> bool:
        """After a batch of ``items``, write as many pending entries, a chunk a transaction
        (so that a mark made meanwhile waits for one chunk at most); whether there may be
        more. Left for the writer's idle moments, the entries piled up behind the items of a
        cold refresh (the parsers kept it busy) and were all written at its end, on one core
        while the other stood idle: 200 feeds x 100 items took 7.8-9.7 s, 5.5-7.3 s keeping
        up, the refresh's own CPU 6.0-6.8 -> 4.3-5.7 s (past TEXTS_KEPT pending entries, the
        text was made again from the stored bodies)."""
        return all(
            not self._cancel.is_set() and self._index(INDEX_CHUNK)
            for _ in range(0, items, INDEX_CHUNK)
        )

    def _index(self, limit: int) -> bool:
        """Write up to ``limit`` pending search entries; whether there may be more. A store
        that cannot be written leaves them pending, for the next refresh."""
        if self.store.gone is not None or self.store.read_only:
            return False
        try:
            return self.store.index_pending(limit) == limit
        except StreamtuiError:
            return False

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
