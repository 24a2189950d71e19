"""Feed parsing: feedparser with our settings against its defaults, our whole ``parse_feed``,
and the share of a cold refresh that parsing takes.

Run: .venv/bin/python benchmarks/parse.py [--sizes 100,1000] [--repeat 5] [--corpus-top 10]
     [--feeds 200 --items 100] [--fast-repeat 3] [--refresh-repeat 3] [--smoke]

1. feedparser, items/s and MB/s, with our settings (``sanitize_html=False,
   resolve_relative_uris=False``, as ``parse/feed.py`` ``_run_feedparser`` calls it) against its
   defaults, on generated RSS feeds of 100 and 1,000 items (``_bench.feed_set``) and on the
   largest RSS/Atom feeds of ``../shared/corpus/feeds`` (skipped with a message when absent).
   The same bytes go to both, wrapped in a stream as ``_run_feedparser`` does.
2. ``parse_feed`` end to end through feedparser (the fast path off: our decoding pass and
   defusing, feedparser, then our items: plain summaries, sanitising, ids and the search text),
   items/s on the same inputs.
3. The fast path (``core/parse/fast.py``) against feedparser, on every RSS/Atom/RDF feed of the
   corpus and on ``--feeds`` x ``--items`` generated feeds (the refresh benchmark's): how many
   documents it accepts; the raw parse (feedparser as ``_run_feedparser`` calls it against
   ``fastfeed.parse``, on the same prepared bytes of the accepted documents); and ``parse_feed``
   end to end with ``feeds.FAST_PATH`` off (feedparser for everything, as before) and on
   (feedparser for what the fast path is not sure of). Items/s and the ratio.
4. A cold refresh in process: a ``Refresh`` (refresh/run.py) over ``--feeds`` x ``--items`` served
   by the loopback ``FeedServer`` into an empty store, with the work measured from the outside (the
   store's and parser's methods are wrapped on the instances; nothing in src/ changes): wall time;
   CPU of the event-loop thread (fetching, hashing), of the process's other threads (the store's
   writer thread and the pool's pickling) and of the parse workers (from /proc); time in ``apply``
   (the writer's transactions) and in ``index_pending`` (the search entries, written after the
   items when the writer is idle, and the wall left after the last write); and, apart, the fetch
   alone and the CPU
   seconds of ``parse_feed`` on every body in this process (with the fast path and without). The
   server runs in a process of its own here, so that it takes no CPU time or GIL from what is
   measured.

Sections 1 and 2 count CPU seconds of this process (``time.process_time``): the machine is
shared, and wall time would also count other processes' turns. Figures are medians with the
range over repeats; rates are computed from the median time. ``--smoke`` runs a tiny version of
everything (under 15 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import ParamSpec, TypeVar

import feedparser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

from benchmarks._bench import FeedServer, Figures, feed_set, machine, workspace
from streamtui.core.credentials import CredentialStore
from streamtui.core.fetch import Conditional, FetchError, HttpFetcher, Limits, fetch_all
from streamtui.core.models import RefreshEvent, SourceKind
from streamtui.core.parse import fast as fastfeed
from streamtui.core.parse import feed as feeds_module
from streamtui.core.parse.defuse import defuse
from streamtui.core.parse.feed import parse_feed
from streamtui.core.parse.pool import FeedParser
from streamtui.core.refresh.run import Refresh
from streamtui.core.sources.feedurl import FeedUrls
from streamtui.core.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
OURS: dict[str, bool] = {"sanitize_html": False, "resolve_relative_uris": False}
DEFAULTS: dict[str, bool] = {}
SEEN_AT = datetime(2026, 6, 1, tzinfo=UTC)
P = ParamSpec("P")
R = TypeVar("R")


# -- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    name: str
    data: bytes
    url: str


@dataclass(frozen=True)
class Group:
    """Documents timed together: a rate is their items over their summed time."""

    label: str
    documents: tuple[Document, ...]

    @property
    def size(self) -> int:
        return sum(len(d.data) for d in self.documents)


def generated(items: int) -> Group:
    data = feed_set(1, items)["/feed/0.xml"]
    document = Document(f"generated-{items}", data, "https://feeds.example/0/feed.xml")
    return Group(f"generated RSS, {items:,} items", (document,))


def corpus(top: int) -> Group | None:
    """The ``top`` largest RSS/Atom feeds of the corpus that parse_feed reads (JSON Feed
    never reaches feedparser), or None when the corpus is absent."""
    if not CORPUS.is_dir():
        return None
    found: list[Document] = []
    for path in sorted(CORPUS.iterdir(), key=lambda p: -p.stat().st_size):
        if len(found) == top:
            break
        data = path.read_bytes()
        if data.lstrip()[:1] in (b"{", b"["):
            continue
        url = f"https://corpus.example/{path.name}"
        try:
            parsed = parse_feed(data, source_key=url, url=url, seen_at=SEEN_AT)
        except Exception:  # the corpus holds broken feeds on purpose
            continue
        if parsed.items:
            found.append(Document(path.name, data, url))
    if not found:
        return None
    return Group(f"corpus, {len(found)} largest RSS/Atom feeds", tuple(found))


# -- sections 1 and 2: rates ---------------------------------------------------------------


def cpu_time(work: Callable[[], int], repeat: int) -> tuple[Figures, int]:
    """CPU seconds of ``work`` over ``repeat`` runs, and the count it returned."""
    values, count = [], 0
    for _ in range(repeat):
        began = time.process_time()
        count = work()
        values.append(time.process_time() - began)
    return Figures(tuple(values)), count


def run_feedparser(group: Group, settings: dict[str, bool]) -> int:
    return sum(
        len(feedparser.parse(io.BytesIO(d.data), **settings).entries) for d in group.documents
    )


def run_parse_feed(group: Group) -> int:
    """parse_feed through feedparser (the fast path off: section 3 measures it)."""
    feeds_module.FAST_PATH = False
    try:
        return sum(
            len(parse_feed(d.data, source_key=d.url, url=d.url, seen_at=SEEN_AT).items)
            for d in group.documents
        )
    finally:
        feeds_module.FAST_PATH = True


def rate(figures: Figures, count: float, unit: str, digits: int = 0) -> str:
    """``count`` per second at the median time, with the range (slowest–fastest run)."""
    low, median, high = (count / t for t in (figures.high, figures.median, figures.low))
    return f"{median:,.{digits}f} {unit}/s ({low:,.{digits}f}–{high:,.{digits}f})"


def rates(groups: Sequence[Group], repeat: int) -> None:
    print(
        "\n1. feedparser: our settings against its defaults; 2. parse_feed end to end "
        "(feedparser + our items, search text included). CPU time, median (range)."
    )
    for group in groups:
        megabytes = group.size / 1e6
        ours, entries = cpu_time(lambda g=group: run_feedparser(g, OURS), repeat)
        defaults, _ = cpu_time(lambda g=group: run_feedparser(g, DEFAULTS), repeat)
        whole, items = cpu_time(lambda g=group: run_parse_feed(g), repeat)
        print(f"\n  {group.label}: {entries:,} entries, {megabytes:.2f} MB")
        for label, figures in (("feedparser, ours", ours), ("feedparser, defaults", defaults)):
            print(
                f"    1. {label:<21} {rate(figures, entries, 'items')}, "
                f"{rate(figures, megabytes, 'MB', 1)}"
            )
        print(f"       our settings are {defaults.median / ours.median:.2f}x faster")
        print(f"    2. {'parse_feed':<21} {rate(whole, items, 'items')} ({items:,} items)")
        rest = max(0.0, whole.median - ours.median) / whole.median
        print(
            f"       feedparser is {1 - rest:.0%} of it; decoding, defusing, our items and "
            f"their search text {rest:.0%}"
        )


# -- section 3: the fast path --------------------------------------------------------------


def every_feed(limit: int | None = None) -> Group | None:
    """Every corpus feed that is no JSON (the fast path's candidates), or None; ``limit``:
    only the first ones (the smoke: tests/core/test_fastfeed.py checks every one)."""
    if not CORPUS.is_dir():
        return None
    found = [
        Document(path.name, data, f"https://corpus.example/{path.name}")
        for path in sorted(CORPUS.iterdir())
        if (data := path.read_bytes()).lstrip()[:1] not in (b"{", b"[")
    ][:limit]
    label = f"the first {len(found)}" if limit is not None else f"all {len(found)}"
    return Group(f"corpus, {label} RSS/Atom/RDF feeds", tuple(found))


def generated_set(feeds: int, items: int) -> Group:
    documents = tuple(
        Document(path, data, f"https://feeds.example{path}")
        for path, data in feed_set(feeds, items).items()
    )
    return Group(f"generated, {feeds} feeds x {items} items", documents)


def accepted_bytes(data: bytes) -> bytes | None:
    """The bytes _run_feedparser hands to either parser, when it hands them to the fast path
    and the fast path accepts them."""
    first: dict[str, object] = {}
    ready = defuse(convert_to_utf8({}, data, first))
    return None if first.get("bozo") or fastfeed.parse(ready) is None else ready


def parse_feed_items(group: Group, fast: bool) -> int:
    feeds_module.FAST_PATH = fast
    try:
        count = 0
        for d in group.documents:
            with contextlib.suppress(Exception):  # the corpus holds broken feeds on purpose
                count += len(parse_feed(d.data, source_key=d.url, url=d.url, seen_at=SEEN_AT).items)
        return count
    finally:
        feeds_module.FAST_PATH = True


def fast_path(groups: Sequence[Group], repeat: int) -> None:
    print(
        "\n3. the fast path against feedparser: raw parse of the documents it accepts, and "
        "parse_feed end to end without and with it. CPU time, median (range)."
    )
    for group in groups:
        accepted = [d for d in (accepted_bytes(d.data) for d in group.documents) if d]
        raw_fp, entries = cpu_time(
            lambda a=accepted: sum(len(feedparser.parse(io.BytesIO(d), **OURS).entries) for d in a),
            repeat,
        )
        raw_fast, _ = cpu_time(
            lambda a=accepted: sum(len((fastfeed.parse(d) or {})["entries"]) for d in a), repeat
        )
        before, items = cpu_time(lambda g=group: parse_feed_items(g, False), repeat)
        after, _ = cpu_time(lambda g=group: parse_feed_items(g, True), repeat)
        print(
            f"\n  {group.label}, {group.size / 1e6:.2f} MB: the fast path accepts "
            f"{len(accepted)} of {len(group.documents)} documents ({entries:,} entries)"
        )
        print(f"    raw, feedparser          {rate(raw_fp, entries, 'entries')}")
        print(f"    raw, fast path           {rate(raw_fast, entries, 'entries')}")
        print(f"       {raw_fp.median / raw_fast.median:.1f}x as fast")
        print(f"    parse_feed, feedparser   {rate(before, items, 'items')} ({items:,} items)")
        print(f"    parse_feed, fast path    {rate(after, items, 'items')}")
        print(
            f"       {before.median / after.median:.2f}x as fast end to end; the raw parse of "
            f"the accepted documents was {raw_fp.median / before.median:.0%} of it, is "
            f"{raw_fast.median / after.median:.0%}"
        )


# -- section 4: the share of a refresh -----------------------------------------------------


@dataclass
class Meter:
    """Calls, wall seconds and CPU seconds (of the calling thread) summed over calls."""

    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    first: float = 0.0
    """Wall seconds of the first call."""
    last_end: float = 0.0
    """perf_counter() when the last call ended."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wrap(self, function: Callable[P, R]) -> Callable[P, R]:
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                end = time.perf_counter()
                wall, cpu = end - wall, time.thread_time() - cpu
                with self._lock:
                    self.last_end = end
                    if not self.calls:
                        self.first = wall
                    self.calls += 1
                    self.wall += wall
                    self.cpu += cpu

        return timed


@dataclass(frozen=True)
class Breakdown:
    """One in-process cold refresh, measured from the outside (seconds)."""

    wall: float
    loop_cpu: float
    other_threads_cpu: float
    worker_cpu: float
    workers: int
    parse_calls: Meter
    merge: Meter
    index: Meter
    items: int
    tail: float
    """Seconds from the end of the last apply to the end of the refresh."""


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def subscribed_store(folder: Path, urls: Sequence[str]) -> Store:
    store = Store.open(folder / "streamtui.db")
    store.set_meta("default_source_added", "1")
    for number, url in enumerate(urls):
        store.add_source(f"Bench feed {number}", SourceKind.FEED, url)
    return store


def refresh_once(folder: Path, urls: Sequence[str]) -> Breakdown:
    """A cold refresh (empty store, new parser pool) with its parts measured."""
    store = subscribed_store(folder, urls)
    parser = FeedParser()
    parse_calls, merge, index = Meter(), Meter(), Meter()
    # Instance attributes shadow the methods the Refresh calls: wrapped from the outside.
    parser.parse = parse_calls.wrap(parser.parse)  # type: ignore[method-assign]
    store.apply = merge.wrap(store.apply)  # type: ignore[method-assign]
    store.index_pending = index.wrap(store.index_pending)  # type: ignore[method-assign]
    worker_cpu: dict[int, float] = {}

    def progress(event: RefreshEvent) -> None:
        for pid in parser.worker_pids():  # the pool lives as long as the parser
            with contextlib.suppress(OSError):  # a worker just gone
                worker_cpu[pid] = cpu_of(pid)

    try:
        sources = store.sources()
        wall, loop_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        readers = [FeedUrls(HttpFetcher(), parser, CredentialStore.in_memory())]
        summary = Refresh(store, readers).run(sources, progress)
        ended = time.perf_counter()
        wall = ended - wall
        loop_cpu = time.thread_time() - loop_cpu
        process_cpu = time.process_time() - process_cpu
        progress(RefreshEvent(sources[0], "done"))  # the workers' final CPU
        if summary.failed:
            raise RuntimeError(f"the refresh failed: {summary.failures[:3]}")
        items = int(str(store._read("SELECT count(*) FROM items")[0][0]))
    finally:
        parser.close()
        store.close()
    return Breakdown(
        wall=wall,
        loop_cpu=loop_cpu,
        other_threads_cpu=process_cpu - loop_cpu,
        worker_cpu=sum(worker_cpu.values()),
        workers=parser.workers,
        parse_calls=parse_calls,
        merge=merge,
        index=index,
        items=items,
        tail=ended - merge.last_end,
    )


async def fetch_only(urls: Sequence[str]) -> tuple[int, int]:
    """Fetch every URL as a refresh does (same limits), storing nothing."""
    count = size = 0
    requests = [(url, url, Conditional()) for url in urls]
    async for _url, result in fetch_all(requests, limits=Limits()):
        if isinstance(result, FetchError):
            raise result
        count += 1
        size += len(result.body)
    return count, size


def serial_parse_cpu(files: dict[str, bytes], urls: Sequence[str], fast: bool = True) -> float:
    """CPU seconds of parse_feed on every body, one after the other, in this process."""
    feeds_module.FAST_PATH = fast
    try:
        began = time.process_time()
        for data, url in zip(files.values(), urls, strict=True):
            parse_feed(data, source_key=url, url=url, seen_at=SEEN_AT)
        return time.process_time() - began
    finally:
        feeds_module.FAST_PATH = True


def _serve(feeds: int, items: int, connection: Connection) -> None:
    """In a child process: serve the feed set until told to stop."""
    with FeedServer(feed_set(feeds, items)) as server:
        connection.send(server.urls())
        connection.recv()


@contextlib.contextmanager
def served_elsewhere(feeds: int, items: int) -> Iterator[list[str]]:
    """The FeedServer in a process of its own (the same feed set: it is generated from a
    seed), so that its threads take neither CPU time nor the GIL from the refresh measured
    here. Yields the feeds' URLs, in feed_set order."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(feeds, items, theirs), daemon=True
    )
    child.start()
    try:
        yield ours.recv()
    finally:
        ours.send("stop")
        child.join(timeout=10)
        if child.is_alive():
            child.kill()


def median_of(runs: Sequence[Breakdown], value: Callable[[Breakdown], float]) -> Figures:
    return Figures(tuple(value(run) for run in runs))


def refresh_share(feeds: int, items: int, repeat: int) -> None:
    files = feed_set(feeds, items)
    megabytes = sum(map(len, files.values())) / 1e6
    limits = Limits()
    print(
        f"\n4. the share of a cold refresh spent parsing: {feeds} feeds x {items} items "
        f"({megabytes:.1f} MB), in process, {repeat} run(s); the FeedServer in a process of its "
        "own"
    )
    print(
        f"   Limits: concurrency {limits.concurrency}, per_host {limits.per_host} (every feed "
        f"is on 127.0.0.1, so {min(limits.concurrency, limits.per_host)} fetches at once); "
        f"parser workers: {FeedParser().workers}"
    )
    runs: list[Breakdown] = []
    fetches: list[float] = []
    with served_elsewhere(feeds, items) as urls:
        for number in range(repeat):
            began = time.perf_counter()
            count, size = asyncio.run(fetch_only(urls))
            fetches.append(time.perf_counter() - began)
            with workspace(f"parse-share-{number}") as folder:
                runs.append(refresh_once(folder, urls))
    parse_cpu = serial_parse_cpu(files, urls)
    feedparser_cpu = serial_parse_cpu(files, urls, fast=False)
    expected = feeds * items
    fetch = Figures(tuple(fetches))
    wall = median_of(runs, lambda r: r.wall)
    workers = runs[0].workers
    worker_cpu = median_of(runs, lambda r: r.worker_cpu)
    stored = sorted({r.items for r in runs})
    merge = median_of(runs, lambda r: r.merge.wall)
    print(f"   items stored: {', '.join(f'{n:,}' for n in stored)} (expected {expected:,})")
    row("refresh wall", wall.s())
    row(
        "parse_feed CPU, serial in process",
        f"{parse_cpu:.2f} s",
        f"{expected / parse_cpu:,.0f} items/s (all through feedparser: {feedparser_cpu:.2f} s, "
        f"{expected / feedparser_cpu:,.0f} items/s)",
    )
    row(
        f"parse workers' CPU ({workers})",
        worker_cpu.s(),
        f"{worker_cpu.median / (wall.median * workers):.0%} of {workers} x the wall",
    )
    row(
        "parse() calls, wall summed",
        median_of(runs, lambda r: r.parse_calls.wall).s(),
        f"{runs[0].parse_calls.calls} calls from executor threads, slot waits and pickling "
        "included",
    )
    row(
        "  the first call",
        median_of(runs, lambda r: r.parse_calls.first).s(),
        "starts the workers (the forkserver too, in the first run)",
    )
    row(
        "event-loop thread CPU",
        median_of(runs, lambda r: r.loop_cpu).s(),
        "fetching and sha256 of bodies",
    )
    row(
        "apply (writer thread), wall",
        merge.s(),
        f"{runs[0].merge.calls} transactions (feeds ready together share one)",
    )
    row("apply (the writer), CPU", median_of(runs, lambda r: r.merge.cpu).s())
    row(
        "search entries (index_pending), wall",
        median_of(runs, lambda r: r.index.wall).s(),
        median_of(runs, lambda r: 1000 * r.index.wall / max(1, r.items)).ms()
        + " per 1,000 items; written by the writer when idle and at the end",
    )
    row(
        "search entries, CPU",
        median_of(runs, lambda r: r.index.cpu).s(),
        median_of(runs, lambda r: 1000 * r.index.cpu / max(1, r.items)).ms() + " per 1,000 items",
    )
    row(
        "  of which after the last write",
        median_of(runs, lambda r: r.tail).s(),
        "the refresh's wall after its last item was stored",
    )
    row(
        "other threads' CPU",
        median_of(runs, lambda r: r.other_threads_cpu).s(),
        "the writer (apply above) and the pool's threads (pickling)",
    )
    row("fetch alone", fetch.s(), f"{count} feeds, {size / 1e6:.1f} MB, no parse, no store")
    merge_cpu = median_of(runs, lambda r: r.merge.cpu).median
    print(
        f"   -> parse CPU is {parse_cpu / wall.median:.2f}x the refresh wall (at best "
        f"{parse_cpu / workers:.2f} s of wall on {workers} workers). The writer thread is "
        f"busy for {merge.median / wall.median:.0%} of the wall, "
        f"{max(0.0, merge.median - merge_cpu):.2f} s of it waiting, not CPU (the GIL, "
        "fsyncs, cores shared with the workers)."
    )


def row(label: str, value: str, note: str = "") -> None:
    print(f"   {label:<36} {value:<22} {note}".rstrip())


# -- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--sizes", default="100,1000", help="generated feed sizes (items)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of sections 1 and 2")
    parser.add_argument("--corpus-top", type=int, default=10, help="largest corpus feeds")
    parser.add_argument("--feeds", type=int, default=200, help="sections 3, 4: feeds")
    parser.add_argument("--items", type=int, default=100, help="sections 3, 4: items per feed")
    parser.add_argument("--fast-repeat", type=int, default=3, help="section 3: runs")
    parser.add_argument("--refresh-repeat", type=int, default=3, help="section 4: runs")
    parser.add_argument("--smoke", action="store_true", help="a tiny run of everything")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.repeat, args.corpus_top = "10,100", 1, 2
        args.feeds, args.items, args.refresh_repeat, args.fast_repeat = 5, 10, 1, 1
    print(f"parse benchmark: {machine()}, feedparser {feedparser.__version__}")
    groups: list[Group] = [generated(int(size)) for size in args.sizes.split(",") if size]
    found = corpus(args.corpus_top)
    if found is None:
        print(f"(corpus skipped: no RSS/Atom feeds under {CORPUS})")
    else:
        groups.append(found)
        print(f"corpus: {', '.join(d.name for d in found.documents)}")
    rates(groups, args.repeat)
    every = every_feed(10 if args.smoke else None)
    fast_path([g for g in (every, generated_set(args.feeds, args.items)) if g], args.fast_repeat)
    refresh_share(args.feeds, args.items, args.refresh_repeat)


if __name__ == "__main__":
    main()
