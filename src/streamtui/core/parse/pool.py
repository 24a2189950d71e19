"""The worker pool: :func:`~streamtui.core.parse.feed.parse_feed` run in worker processes
with a time and a memory limit, never on the caller's thread (feedparser is slow, can raise on
tiny inputs and expands what it is given without bounds). Extracting the article of a fetched
web page (reader/extract.py: lxml and readability on a stranger's markup) runs in the same
workers under the same limits (:meth:`FeedParser.extract`)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from streamtui.core.errors import SourceError
from streamtui.core.models import ParsedFeed
from streamtui.core.parse.wire import Packed, pack, unpack

if TYPE_CHECKING:  # pebble and multiprocessing load when the first parse starts the workers
    from multiprocessing.context import BaseContext
    from multiprocessing.queues import SimpleQueue

    from pebble import ProcessFuture, ProcessPool

T = TypeVar("T")

CANCELLED = "the parse was cancelled"
"""The reason a :meth:`FeedParser.parse` whose cancel event was set ends with."""
CANCEL_POLL = 0.05
"""Seconds between looks at a parse's cancel event."""


def _parse_in_worker(data: bytes, source_key: str, url: str, seen_at: datetime) -> Packed | str:
    """parse_feed in a worker, its feed packed as plain tuples (wire.py: cheaper to send and
    to receive); the failure comes back as its reason (SourceError's own constructor does
    not survive pickling)."""
    from streamtui.core.parse.feed import parse_feed  # loaded by the worker as it starts

    try:
        return pack(parse_feed(data, source_key=source_key, url=url, seen_at=seen_at))
    except SourceError as error:
        return error.reason


def _start_worker(memory_mb: int, started: SimpleQueue[int]) -> None:
    """Worker initializer: cap the address space, leave Ctrl-C to the app, import early, say
    its process id (FeedParser.worker_pids).

    The worker's stdout and stderr go to /dev/null: they are the app's terminal, and a dying
    worker's traceback would be drawn across the TUI. Results and errors come back as values.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(5)  # on a busy machine the app's own thread answers keys first
    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    import feedparser  # type: ignore[import-untyped]  # noqa: F401

    import streamtui.core.parse.feed  # what _parse_in_worker runs

    with contextlib.suppress(ImportError, AttributeError):
        import streamtui.core.parse.fast  # noqa: F401

    started.put(os.getpid())


def _context() -> BaseContext:
    """forkserver where there is one (the app has threads, so never fork), else spawn."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            [
                "streamtui.core.parse._forkserver_quiet",
                __name__,
                "streamtui.core.parse.feed",
                "feedparser",
                "streamtui.core.parse.fast",
            ]
        )
        return context
    return multiprocessing.get_context("spawn")


class Parser(Protocol):
    """What parses feed bytes for a refresh (:class:`FeedParser`; tests give one that parses
    in process)."""

    def parse(
        self,
        data: bytes,
        *,
        source_key: str,
        url: str = "",
        seen_at: datetime,
        cancel: threading.Event | None = None,
    ) -> ParsedFeed:
        """The feed, or SourceError saying why it is none (or that ``cancel`` stopped it)."""
        ...


class FeedParser:
    """Parses feeds in worker processes (pebble's ProcessPool), never on the caller's thread.

    Thread-safe: refreshes call :meth:`parse` from several threads; at most ``workers`` parses
    run at once so the time limit measures parsing, not queueing. A parse that runs out of
    time, is cancelled or kills its worker costs that worker alone: pebble stops it and starts
    another, and the other parses go on (ProcessPoolExecutor had no way to stop one worker,
    so the whole pool was killed and the other parses retried: benchmarks/parse_pool.py).
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 30.0,
        memory_mb: int = 1024,
        *,
        seconds_per_mib: float = 3.0,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.on_start = on_start
        """Called before the workers start (each time they do)."""
        self.timeout = timeout
        self.seconds_per_mib = seconds_per_mib
        """Time allowed on top of ``timeout`` for each MiB of the document: a legitimate
        10 MiB feed of 80,000 small items takes 12-15 s on the 2-core machine (benchmarks/
        bigfeed.py) and would not fit in 30 s on one twice as slow or busy; with 3 s a MiB it
        has 60 s, and the largest body a fetch accepts (16 MiB) 78 s."""
        self.memory_mb = memory_mb
        self._slots = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self._started: SimpleQueue[int] | None = None
        """Where each worker of the pool says its process id as it starts."""
        self._pids: set[int] = set()
        self._running: set[ProcessFuture[Any]] = set()
        self._closed = False

    def parse(
        self,
        data: bytes,
        *,
        source_key: str,
        url: str = "",
        seen_at: datetime,
        cancel: threading.Event | None = None,
    ) -> ParsedFeed:
        """Blocking. SourceError for a bad feed, a timeout, or a worker that died.

        Setting ``cancel`` ends the call within :data:`CANCEL_POLL` seconds with
        :data:`CANCELLED` as the reason, and stops the worker doing the parse. A cancelled
        refresh would otherwise wait for the parse (11 s for 80,000 items), and the worker
        would go on using a core until the parse ended.
        """
        from streamtui.core.parse.entries import label  # HTML to text: not for a 304's refresh

        source = label(url)
        outcome = self.run(source, _parse_in_worker, (data, source_key, url, seen_at), cancel)
        if isinstance(outcome, str):
            raise SourceError(source, outcome)
        return unpack(outcome)

    def run(
        self,
        source: str,
        function: Callable[..., T | str],
        arguments: tuple[Any, ...],
        cancel: threading.Event | None,
    ) -> T | str:
        """``function(*arguments)`` in a worker, in one of the parse slots, with a parse's time
        and memory limits: its result, or the reason it has none (a time limit, a cancel, a
        worker that died). ``function`` must be importable by the workers (a module's
        function) and return a picklable value; reader/extract.py runs extraction this way."""
        if not _acquire(self._slots, cancel):
            return CANCELLED
        try:
            return self._run(source, function, arguments, cancel)
        finally:
            self._slots.release()

    def _run(
        self,
        source: str,
        function: Callable[..., T | str],
        arguments: tuple[Any, ...],
        cancel: threading.Event | None,
    ) -> T | str:
        from concurrent.futures.process import BrokenProcessPool

        from pebble import ProcessExpired

        limit = self.time_limit(len(arguments[0]))
        for attempt in (1, 2):
            if cancel is not None and cancel.is_set():
                return CANCELLED
            pool, future = self._schedule(source, function, arguments, limit)
            try:
                return _result(future, cancel)
            except _Cancelled:
                future.cancel()  # pebble stops the worker doing it, and that one only
                return CANCELLED
            except TimeoutError:
                return f"took longer than {limit:.0f} s to parse"
            except CancelledError:  # the parser was closed under it
                return "the feed parser is closed"
            except (ProcessExpired, BrokenProcessPool) as error:
                # Its worker died (a memory limit, a kill): once more. A worker that dies
                # between two parses leaves pebble's pool broken: a new one takes its place.
                if isinstance(error, BrokenProcessPool):
                    self._replace(pool)
                if attempt == 2:
                    return "the parser process stopped (the feed may need too much memory)"
            except Exception as error:  # e.g. a result too large to send back
                from streamtui.core.parse.entries import describe

                return f"could not be parsed ({describe(error)})"
            finally:
                with self._lock:
                    self._running.discard(future)
        raise AssertionError("unreachable")

    def time_limit(self, size: int) -> float:
        """Seconds a document of ``size`` bytes may take to parse."""
        return self.timeout + self.seconds_per_mib * size / (1024 * 1024)

    def _schedule(
        self,
        source: str,
        function: Callable[..., T | str],
        arguments: tuple[Any, ...],
        limit: float,
    ) -> tuple[ProcessPool, ProcessFuture[T | str]]:
        broken = None
        with self._lock:
            if self._closed:
                raise SourceError(source, "the feed parser is closed")
            if self._pool is not None and not self._pool.active:  # broken meanwhile
                broken, self._pool = self._pool, None
            if self._pool is None:
                if self.on_start is not None:
                    self.on_start()
                from pebble import ProcessPool

                context = _context()
                self._started = context.SimpleQueue()
                self._pool = ProcessPool(
                    max_workers=self.workers,
                    initializer=_start_worker,
                    initargs=(self.memory_mb, self._started),
                    context=context,
                )
            pool = self._pool
            future: ProcessFuture[T | str] = pool.schedule(function, args=arguments, timeout=limit)
            self._running.add(future)
        if broken is not None:
            broken.stop()
            broken.join()
        return pool, future

    def _replace(self, pool: ProcessPool) -> None:
        """Let a broken pool go (once, whoever notices first): the next parse starts another."""
        with self._lock:
            if pool is not self._pool:
                return
            self._pool = None
        pool.stop()
        pool.join()

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for diagnostics and tests)."""
        with self._lock:
            started = self._started
            while started is not None and not started.empty():
                self._pids.add(started.get())
            self._pids = {pid for pid in self._pids if _alive(pid)}
            return sorted(self._pids)

    def release(self) -> None:
        """Stop the workers while nothing is parsing; the next parse starts new ones."""
        self._stop(closing=False)

    def close(self) -> None:
        """Stop the workers now; parses still running end with a SourceError."""
        self._stop(closing=True)

    def _stop(self, *, closing: bool) -> None:
        with self._lock:
            self._closed = self._closed or closing
            pool, self._pool = self._pool, None
            running, self._running = self._running, set()
            self._started, self._pids = None, set()
        for future in running:
            future.cancel()
        if pool is not None:
            pool.stop()
            pool.join()

    def __enter__(self) -> FeedParser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Cancelled(Exception):
    pass


def _acquire(slots: threading.BoundedSemaphore, cancel: threading.Event | None) -> bool:
    """Take a parse slot; False when ``cancel`` is set first."""
    if cancel is None:
        return slots.acquire()
    while not cancel.is_set():
        if slots.acquire(timeout=CANCEL_POLL):
            return True
    return False


def _result(future: ProcessFuture[T | str], cancel: threading.Event | None) -> T | str:
    """The future's result (pebble ends it with TimeoutError at its time limit), or
    _Cancelled as soon as ``cancel`` is set."""
    if cancel is None:
        return future.result()
    while True:
        try:
            return future.result(timeout=CANCEL_POLL)
        except FutureTimeout:
            # The same exception says that the poll ran out and that the parse overran its
            # time limit: only a finished future means the latter.
            if future.done():
                raise
            if cancel.is_set():
                raise _Cancelled from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process took the number: not ours any more
        return False
    return True
