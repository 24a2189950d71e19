"""Refreshing many feeds: ``streamtui refresh`` against ``newsboat -x reload``.

Run: .venv/bin/python benchmarks/refresh.py [--feeds 200] [--items 100] [--repeat 5]
     [--newsboat-threads 16] [--no-newsboat] [--smoke]

Both fetch the same generated feeds (``_bench.feed_set``) from one loopback ``FeedServer``
(ETag and Last-Modified; 304 when the ETag comes back). streamtui runs as a user runs it: the
CLI, a fresh process per refresh, already subscribed (the subscriptions are written through
the Store API before timing; only the refresh is timed). newsboat 2.21 runs with its own
cache, url file and config, once with its default ``reload-threads 1`` and once with
``reload-threads`` at our fetch concurrency (``Limits.concurrency``; ``--newsboat-threads``).

Each repeat runs these phases, the tools interleaved (their order rotates each repeat):

- cold: empty store or cache (subscribed), the server answers 200 to everything;
- 2nd refresh: the server answers 304 to a known ETag. newsboat 2.21 sends none yet: it
  stores a feed's validators only from its second fetch on (the first fetch's update finds no
  feed row yet), so this is a full download and store for it;
- warm, 304: the steady state, every request answered 304;
- warm, same bytes: the server ignores the validators (``conditional=False``) and sends the
  same bytes again. newsboat's libcurl would still drop those bytes unread, because their
  Last-Modified (the server's one fixed date) is not newer than the If-Modified-Since it sent
  (a time condition that libcurl checks itself); a server that ignores validators usually
  dates every answer anew. So newsboat's stored Last-Modified is cleared before this phase
  (not timed): it sends only its ETag, which the server ignores, and reads every byte.

After every phase the stored items
are counted (streamtui: ``items`` in its database;
newsboat: ``rss_item`` in cache.db) and checked. Figures are wall times, median (min–max);
ratios are streamtui / newsboat. Targets: cold <= 0.5x newsboat, warm 304 <= 0.15x, warm
same bytes <= 0.1x (issue 15).

A refresh that stores more than ``ENTRIES_NOW`` new items returns once they are stored and
listed, and leaves their search entries to a process of its own (core/library/indexer.py).
Row "cold, searchable" is the time from the start of the refresh until the last entry is
written (its peer is newsboat's cold reload, whose items its search finds as it returns);
the next run starts only once that process has ended, so it never takes the next run's CPU.
``--smoke``: 5 feeds x 10 items, one repeat, newsboat skipped if missing (a few seconds).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from benchmarks._bench import (
    FeedServer,
    Figures,
    Newsboat,
    feed_set,
    machine,
    newsboat,
    ratio,
    streamtui_command,
    streamtui_env,
    workspace,
)
from streamtui.core.fetch import Limits
from streamtui.core.library import indexer
from streamtui.core.models import SourceKind
from streamtui.core.store import Store, search

TARGETS = {"cold": 0.5, "warm, 304": 0.15, "warm, same bytes": 0.1}
SEARCHABLE = "cold, searchable"
"""The extra row: the cold refresh until every new item is found by search."""
POLL_SECONDS = 0.02
INDEXER_SECONDS = 600.0
"""How long a refresh's search entries may take to be written before the run gives up."""


@dataclass(frozen=True)
class Phase:
    name: str
    conditional: bool
    """Whether the server answers 304 to a known ETag."""
    fresh: bool = False
    """Start from an empty store (subscribed)."""


PHASES = (
    Phase("cold", conditional=True, fresh=True),
    Phase("2nd refresh", conditional=True),
    Phase("warm, 304", conditional=True),
    Phase("warm, same bytes", conditional=False),
)


class Contender(Protocol):
    label: str

    def reset(self) -> None:
        """An empty store, subscribed to every feed (not timed)."""

    def before(self, phase: Phase) -> None:
        """Whatever a phase needs done first (not timed)."""

    def refresh(self) -> float:
        """One refresh; its wall time in seconds."""

    def count(self) -> int:
        """Items stored."""


@dataclass
class Streamtui:
    """``streamtui refresh``, a new process each time, with its own data and config dirs."""

    folder: Path
    urls: Sequence[str]
    label: str = "streamtui"
    last: str = ""
    """The CLI's summary line of the last refresh."""
    searchable: float = 0.0
    """Seconds from the start of the last refresh until its search entries were written."""
    said: dict[str, str] = field(default_factory=dict)
    """The summary line by phase (of the last repeat)."""

    @property
    def database(self) -> Path:
        return self.folder / "data" / "streamtui.db"

    def reset(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        store = Store.open(self.database)
        try:
            store.set_meta("default_source_added", "1")  # no bundled guide to re-read
            for number, url in enumerate(self.urls):
                store.add_source(f"Bench feed {number}", SourceKind.FEED, url)
        finally:
            store.close()

    def before(self, phase: Phase) -> None:
        pass

    def refresh(self) -> float:
        began = time.perf_counter()
        done = subprocess.run(
            [*streamtui_command(), "refresh"],
            env=streamtui_env(self.folder / "data", self.folder / "config"),
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"streamtui refresh failed: {done.stdout}{done.stderr}")
        self.last = done.stdout.strip()
        deadline = began + INDEXER_SECONDS
        while pending_entries(self.database):
            if time.perf_counter() > deadline:
                raise RuntimeError("the search entries were not all written: indexer stopped?")
            time.sleep(POLL_SECONDS)
        self.searchable = time.perf_counter() - began
        wait_for_indexer(self.database)
        return wall

    def count(self) -> int:
        return count_rows(self.database, "items")


@dataclass
class NewsboatReload:
    """``newsboat -x reload`` with ``reload-threads`` set, in its own home."""

    folder: Path
    urls: Sequence[str]
    threads: int
    newsboat: Newsboat | None = None

    @property
    def label(self) -> str:
        return f"newsboat, {self.threads} thread{'s' if self.threads > 1 else ''}"

    def reset(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.newsboat = Newsboat.make(self.folder, self.urls)
        (self.folder / "config").write_text(f"reload-threads {self.threads}\n")

    def before(self, phase: Phase) -> None:
        if phase.conditional:
            return
        # See the module's docstring: without this, libcurl's own time condition turns the
        # server's 200 into "not modified" and resets the connection.
        connection = sqlite3.connect(self.folder / "cache.db")
        try:
            with connection:
                connection.execute("UPDATE rss_feed SET lastmodified = 0")
        finally:
            connection.close()

    def refresh(self) -> float:
        assert self.newsboat is not None, "reset() first"
        return self.newsboat.reload()

    def count(self) -> int:
        return count_rows(self.folder / "cache.db", "rss_item")


def pending_entries(database: Path) -> int:
    """Items whose search entry is not written yet (store/search.py's watermark)."""
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return search.pending(connection)
    finally:
        connection.close()


def wait_for_indexer(database: Path) -> None:
    """Until no indexer holds ``database``'s lock (it lets it go as it ends)."""
    with indexer.holding(database) as held:
        if held:
            return
    while True:
        time.sleep(POLL_SECONDS)
        with indexer.holding(database) as held:
            if held:
                return


def count_rows(database: Path, table: str) -> int:
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


@dataclass
class Results:
    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    counts: dict[tuple[str, str], set[int]] = field(default_factory=dict)

    def add(self, phase: str, label: str, wall: float, count: int) -> None:
        self.times.setdefault((phase, label), []).append(wall)
        self.counts.setdefault((phase, label), set()).add(count)

    def figures(self, phase: str, label: str) -> Figures:
        return Figures(tuple(self.times[phase, label]))


def run(contenders: Sequence[Contender], server: FeedServer, repeat: int) -> Results:
    results = Results()
    for number in range(repeat):
        turn = number % len(contenders)
        order = [*contenders[turn:], *contenders[:turn]]
        for phase in PHASES:
            server.conditional = phase.conditional
            for contender in order:
                if phase.fresh:
                    contender.reset()
                contender.before(phase)
                wall = contender.refresh()
                count = contender.count()
                results.add(phase.name, contender.label, wall, count)
                if phase.fresh:  # newsboat's items are searched as soon as they are stored
                    found = contender.searchable if isinstance(contender, Streamtui) else wall
                    results.add(SEARCHABLE, contender.label, found, count)
                if isinstance(contender, Streamtui):
                    contender.said[phase.name] = contender.last
            line = ", ".join(
                f"{c.label} {results.times[phase.name, c.label][-1]:.2f} s" for c in contenders
            )
            print(f"  repeat {number + 1}, {phase.name}: {line}", flush=True)
    return results


def report(results: Results, contenders: Sequence[Contender], expected: int) -> None:
    ours, *others = contenders
    width = 24
    print()
    header = f"{'':<18}{ours.label:<{width}}"
    for other in others:
        header += f"{other.label:<{width}}{'ratio':<10}"
    print(header.rstrip())
    for phase in [PHASES[0].name, SEARCHABLE, *(phase.name for phase in PHASES[1:])]:
        mine = results.figures(phase, ours.label)
        line = f"{phase:<18}{mine.s():<{width}}"
        for other in others:
            theirs = results.figures(phase, other.label)
            line += f"{theirs.s():<{width}}{ratio(mine, theirs):<10}"
        print(line.rstrip())

    print(
        "(2nd refresh: newsboat 2.21 has no validators stored yet and fetches and stores "
        "everything again; streamtui gets 304s, as in 'warm, 304')"
    )

    print(f"\nitems stored after each phase (every repeat), expected {expected:,}:")
    for contender in contenders:
        table = "items" if contender is ours else "rss_item"
        found = []
        for phase in PHASES:
            counts = sorted(results.counts[phase.name, contender.label])
            found.append(f"{phase.name} {'/'.join(f'{n:,}' for n in counts)}")
        print(f"  {contender.label} ({table}): {'; '.join(found)}")
    wrong = [key for key, counts in results.counts.items() if counts != {expected}]
    if wrong:
        print(f"  WARNING: not every item was stored: {wrong}")

    if isinstance(ours, Streamtui):
        print("\nstreamtui said (last repeat):")
        for phase in PHASES:
            print(f"  {phase.name}: {ours.said.get(phase.name, '')}")

    if others:
        print("\ntargets (streamtui / newsboat, median):")
        for phase, target in TARGETS.items():
            mine = results.figures(phase, ours.label).median
            verdicts = []
            for other in others:
                got = mine / results.figures(phase, other.label).median
                verdicts.append(
                    f"{got:.3f}x against {other.label} ({'met' if got <= target else 'missed'})"
                )
            print(f"  {phase} <= {target}x: {'; '.join(verdicts)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=100, help="items per feed")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--newsboat-threads",
        type=int,
        default=Limits().concurrency,
        help="reload-threads of the second newsboat column (default: our Limits.concurrency)",
    )
    parser.add_argument("--no-newsboat", action="store_true", help="time streamtui alone")
    parser.add_argument(
        "--smoke", action="store_true", help="5 feeds x 10 items, 1 repeat; newsboat if present"
    )
    args = parser.parse_args(argv)
    with_newsboat = not args.no_newsboat
    if args.smoke:
        args.feeds, args.items, args.repeat = 5, 10, 1
        if with_newsboat and shutil.which("newsboat") is None:
            print("(newsboat skipped: not installed)")
            with_newsboat = False
    if with_newsboat:
        version = subprocess.run([newsboat(), "--version"], capture_output=True, text=True)
        newsboat_name = version.stdout.split(" - ")[0].strip()

    files = feed_set(args.feeds, args.items)
    megabytes = sum(map(len, files.values())) / 1e6
    limits = Limits()
    print(f"refresh benchmark: {machine()}")
    print(
        f"{args.feeds} feeds x {args.items} items ({megabytes:.1f} MB) from one loopback "
        f"FeedServer, {args.repeat} repeat(s), tools interleaved"
    )
    print(
        f"streamtui: `{' '.join(streamtui_command())} refresh`, a new process per run; "
        f"Limits: concurrency {limits.concurrency}, per_host {limits.per_host} (one host "
        f"here, so {min(limits.concurrency, limits.per_host)} requests at once)"
    )
    if with_newsboat:
        why = "our Limits.concurrency" if args.newsboat_threads == limits.concurrency else "asked"
        print(
            f"{newsboat_name}: `newsboat -x reload`; column 'newsboat, 1 thread' is its "
            f"default reload-threads 1, column 'newsboat, {args.newsboat_threads} threads' the "
            f"fairer one, reload-threads {args.newsboat_threads} ({why}; against this one host "
            f"streamtui itself has at most {limits.per_host} requests in flight)"
        )

    with workspace("refresh") as folder, FeedServer(files) as server:
        urls = server.urls()
        contenders: list[Contender] = [Streamtui(folder / "streamtui", urls)]
        if with_newsboat:
            for threads in dict.fromkeys((1, args.newsboat_threads)):
                contenders.append(NewsboatReload(folder / f"newsboat-{threads}", urls, threads))
        results = run(contenders, server, args.repeat)
        requests = server.requests
    report(results, contenders, args.feeds * args.items)
    print(f"\n{requests:,} requests served")


if __name__ == "__main__":
    main()
