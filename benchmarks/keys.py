"""Key -> repaint latency of the stream list's cursor in a real terminal (tmux), idle and while
a refresh of many feeds runs in the background.

Run: .venv/bin/python benchmarks/keys.py [--sizes 1000,100000] [--presses 200] [--pages 40]
     [--focus 40] [--refresh-feeds 200] [--repeat 1] [--smoke]

For each size the store is filled by the generator (feeds of 100 items) and the app is started
in a private tmux server under ``_relay.py``, which stamps every key the app receives (IN) and
every chunk of output it writes (OUT). A press's latency runs from the IN stamp of the key to
the OUT chunk that draws the item that should now be under the cursor with the cursor row's
highlight: the highlight's background is learnt from the first paint (the first row starts
highlighted), item titles are unique ("Feed F story N:") and their order is read from the store.
Presses are independent: the next key goes once the output has been quiet for 50 ms.

* idle, j/k: runs of j then k (the cursor stays on screen, nothing scrolls);
* idle, page moves: PageDown, PageDown, PageUp, PageUp (these scroll the list);
* idle, focus: Tab from the list to the sources and back; a press ends with the chunk that
  draws the footer of the pane now focused (its first key's label: "Remove" for the sources,
  "Open" for the list), the last thing a change of focus redraws;
* during a refresh: ``--refresh-feeds`` more subscribed feeds get 100 new items each on the
  loopback server, R (refresh all) starts, and j/k presses (about every 50 ms) are measured
  until the "Refreshed:" notice. The list reloads while they run, so here the new cursor row
  is recognised by its screen line (the cursor keeps its line across reloads), not its title.

Every subscribed feed is served: the stored ones, and the new ones until R, answer 304 (their
ETag is put in the store), so the refresh the app starts by itself finds nothing and ends before
the measurements, and R fetches the new feeds with 200 and the stored ones with 304.
Targets: at 100k items <= 16 ms median and <= 33 ms p95 idle, <= 33 ms p95 during the refresh
(issue 15). ``--dump FILE`` writes each press during the refresh (when, after R; its latency).

``memory.py`` imports the scenario (store, server, terminal, app start-up) from here.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import _bench as bench
from benchmarks import _year as year
from streamtui.core.models import SourceKind, View
from streamtui.core.store import Store
from tests.support.store import update_source

PER_FEED = 100
ORDER_ROWS = 512
"""How many rows of the list (newest first) to read from the store: enough for page moves."""
RUN = 10
"""j presses in a row, then as many k presses: the cursor stays within the first screen."""
QUIET = 0.05
"""Idle: the next key goes once the output has been quiet this long."""
PAUSE = (0.03, 0.07)
"""During the refresh (whose output never goes quiet): a random pause between presses."""
FIRST_NEW_FEED = 100_000
"""The new feeds are numbered from here, so their titles never repeat a stored one's."""
TARGET_ITEMS = 100_000
"""The idle targets are for this many stored items (the refresh's for any)."""
REFRESHED = b"Refreshed:"
"""The start of the notice the app shows when a refresh (R) ends."""

TITLE = re.compile(rb"Feed \d+ story \d+:")
STYLED_TITLE = re.compile(rb"\x1b\[([0-9;]*)m(Feed \d+ story \d+:)")
CURSOR_MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")


# -- the scenario: a store, a feed server, the app in tmux -----------------------------------


def etag(body: bytes) -> str:
    """The ETag ``FeedServer`` sends for ``body`` (the store keeps it to send it back)."""
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


def stub(path: str) -> bytes:
    """The body of a feed that has not changed: never sent, only its ETag matters."""
    return f"unchanged {path}".encode()


def prefix(title: str) -> bytes:
    """What is unique in a title: b"Feed 7 story 42:" for "Feed 7 story 42: river city"."""
    found = TITLE.match(title.encode())
    assert found is not None, title
    return found.group(0)


@dataclass
class Scenario:
    """A store of ``feeds`` x 100 items whose feeds the server answers with 304, and
    ``new_feeds`` subscribed feeds that answer 304 too until :meth:`publish` gives each of them
    100 new items."""

    data: Path
    config: Path
    server: bench.FeedServer
    items: int
    feeds: int
    new_feeds: int
    order: list[bytes]
    """Title prefixes of the first rows of "All", newest first."""
    fresh: dict[str, bytes] = field(repr=False)
    """The new feeds' documents, path -> RSS."""

    @property
    def subscribed(self) -> int:
        return self.feeds + self.new_feeds

    def publish(self) -> None:
        """The new feeds now have 100 new items each (a new ETag: the next fetch gets 200)."""
        self.server.files.update(self.fresh)

    def copy(self, folder: Path) -> Scenario:
        """The same scenario with its own copy of the store (for a run that changes it)."""
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.data, folder / "data")
        (folder / "config").mkdir(exist_ok=True)
        return Scenario(
            folder / "data",
            folder / "config",
            self.server,
            self.items,
            self.feeds,
            self.new_feeds,
            self.order,
            self.fresh,
        )


def prepare(folder: Path, server: bench.FeedServer, size: int, new_feeds: int) -> Scenario:
    """Fill a store with ``size`` items (feeds of 100; beyond 100k, a year of 500 feeds:
    ``_year.Layout``) and subscribe ``new_feeds`` more."""
    layout = year.Layout.of(size)
    feeds = layout.feeds
    stored = [f"/stored/{n}.xml" for n in range(feeds)]
    new = [f"/new/{n}.xml" for n in range(new_feeds)]
    for path in stored + new:
        server.files[path] = stub(path)
    data, config = folder / "data", folder / "config"
    data.mkdir(parents=True)
    config.mkdir()
    items = year.fill(data, [server.url(path) for path in stored], layout)
    store = Store.open(data / "streamtui.db")
    try:
        paths = {server.url(path): path for path in stored}
        for source in store.sources():
            update_source(store, source.id, etag=etag(server.files[paths[source.location]]))
        for number, path in enumerate(new):
            url = server.url(path)
            source = store.add_source(f"New feed {number}", SourceKind.FEED, url, key=url)
            update_source(store, source.id, etag=etag(server.files[path]))
        order = [prefix(row.title) for row in store.rows(View(), 0, ORDER_ROWS)]
    finally:
        store.close()
    fresh = {
        path: bench.rss(
            FIRST_NEW_FEED + number,
            bench.stories(FIRST_NEW_FEED + number, PER_FEED, seed=1),
        )
        for number, path in enumerate(new)
    }
    return Scenario(data, config, server, items, feeds, new_feeds, order, fresh)


class Output:
    """What the app wrote after one event of the relay's log, scanned as it grows."""

    def __init__(self, relay: bench.Relay, after: int) -> None:
        self.relay = relay
        self.after = after
        self._seen = after + 1
        self._tail = b""

    def find(self, marker: bytes) -> float | None:
        """The stamp of the first chunk (read since the last call) that completes
        ``marker``; None if it has not been written yet. One marker per instance."""
        self.relay.poll()
        events = self.relay.events
        while self._seen < len(events):
            event = events[self._seen]
            self._seen += 1
            if event.kind != "OUT":
                continue
            if marker in self._tail + event.data:
                return event.at
            self._tail = (self._tail + event.data)[-len(marker) :]
        return None

    def wait(self, marker: bytes, timeout: float) -> float:
        """Like :meth:`find`, waiting for the marker."""
        deadline = time.monotonic() + timeout
        while (found := self.find(marker)) is None:
            if any(e.kind == "EXIT" for e in self.relay.events):
                raise RuntimeError(f"the app ended before showing {marker!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{marker!r} not shown within {timeout} s")
            time.sleep(0.01)
        return found

    def text(self) -> bytes:
        self.relay.poll()
        return b"".join(e.data for e in self.relay.events[self.after + 1 :] if e.kind == "OUT")


@dataclass
class App:
    """The app running in the terminal, its first paint and the start-up refresh done."""

    terminal: bench.Terminal
    relay: bench.Relay
    scenario: Scenario
    first_paint: float
    """Seconds from the app's start to the chunk that drew the first row."""
    startup_refresh: float
    """Seconds from the first paint to the end of the refresh the app starts by itself."""
    highlight: tuple[int, ...]
    """The cursor row's background, as SGR parameters (e.g. 48, 2, r, g, b)."""
    first_row: int
    """The terminal line (1-based, as in CSI row;col H) of the list's first row."""
    visible: int
    """How many rows of the list are on screen."""

    @property
    def pid(self) -> int:
        return self.relay.pid()


@contextlib.contextmanager
def running(terminal: bench.Terminal, scenario: Scenario, log: Path) -> Iterator[App]:
    """Start the app on ``scenario``'s store; wait for its first paint, the end of its own
    start-up refresh (which must find nothing new and nothing failing) and quiet."""
    relay = terminal.run(
        bench.streamtui_command(), bench.streamtui_env(scenario.data, scenario.config), log
    )
    try:
        while not any(e.kind == "START" for e in relay.events):
            time.sleep(0.01)
            relay.poll()
        started = relay.started
        painted = relay.wait_for(scenario.order[0], timeout=120)
        # The list's subtitle says "refreshing..." from the first paint until the start-up
        # refresh ends; then it gives the unread count again.
        ended = Output(relay, 0).wait(f"{scenario.items} unread".encode(), 600)
        relay.quiet(0.3)
        output = Output(relay, 0).text()
        if b"failing" in output or b"failed" in output:
            raise RuntimeError(f"the start-up refresh failed:\n{terminal.screen()}")
        first_row, visible = geometry(terminal.screen(), scenario.order)
        app = App(
            terminal,
            relay,
            scenario,
            painted - started,
            ended - painted,
            learn_highlight(output, scenario.order),
            first_row,
            visible,
        )
        yield app
    finally:
        stop(relay)


def stop(relay: bench.Relay) -> None:
    """Kill the app and every process below it (the parser pool and its forkserver)."""
    with contextlib.suppress(StopIteration):
        pid = relay.pid()
        for victim in [*bench.descendants(pid), pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)


def background(parameters: bytes) -> tuple[int, ...] | None:
    """The background an SGR sequence (its parameters, e.g. b"1;38;2;1;2;3;48;5;17") sets."""
    values = [int(p) if p else 0 for p in parameters.split(b";")]
    found: tuple[int, ...] | None = None
    index = 0
    while index < len(values):
        value = values[index]
        if value in (38, 48) and index + 1 < len(values):
            width = 3 if values[index + 1] == 2 else 1
            if value == 48:
                found = tuple(values[index : index + 2 + width])
            index += 2 + width
            continue
        if value == 0 or value == 49:
            found = None
        elif 40 <= value <= 47 or 100 <= value <= 107:
            found = (value,)
        index += 1
    return found


def learn_highlight(output: bytes, order: Sequence[bytes]) -> tuple[int, ...]:
    """The background of the first row's title in the first paint (the cursor starts there);
    the second row's must differ."""
    styles: dict[bytes, tuple[int, ...] | None] = {}
    for match in STYLED_TITLE.finditer(output):
        styles.setdefault(match.group(2), background(match.group(1)))
    cursor, other = styles.get(order[0]), styles.get(order[1])
    if cursor is None or cursor == other:
        raise RuntimeError(f"could not tell the cursor row's style: {cursor} vs {other}")
    return cursor


def geometry(screen: str, order: Sequence[bytes]) -> tuple[int, int]:
    """(terminal line of the list's first row, rows on screen), checking that the screen
    shows the rows in the order read from the store."""
    lines = [TITLE.search(line.encode()) for line in screen.splitlines()]
    shown = [(number, found.group(0)) for number, found in enumerate(lines, 1) if found]
    if not shown or [title for _, title in shown] != list(order[: len(shown)]):
        raise RuntimeError(f"the screen does not show the store's order:\n{screen}")
    return shown[0][0], len(shown)


# -- one key press ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What the chunk that ends a press draws: the cursor's highlight on a title, on this
    terminal line and/or for this title (None: any)."""

    row: int | None = None
    title: bytes | None = None


def send(app: App, key: str, *, timeout: float = 10.0) -> int:
    """Send ``key``; the index of its IN event in the relay's log."""
    app.relay.poll()
    start = len(app.relay.events)
    app.terminal.keys(key)
    deadline = time.monotonic() + timeout
    while True:
        for index in range(start, len(app.relay.events)):
            if app.relay.events[index].kind == "IN":
                return index
        if time.monotonic() > deadline:
            raise TimeoutError(f"the key {key!r} never reached the app")
        time.sleep(0.002)
        app.relay.poll()


def drawn(app: App, after: int, expect: Expect) -> float | None:
    """The stamp of the first chunk after event ``after`` that draws what ``expect`` says
    with the cursor's highlight; None if none has yet."""
    data = bytearray()
    ends: list[int] = []
    stamps: list[float] = []
    for event in app.relay.events[after + 1 :]:
        if event.kind == "OUT":
            data += event.data
            ends.append(len(data))
            stamps.append(event.at)
    moves = [(m.start(), int(m.group(1))) for m in CURSOR_MOVE.finditer(data)]
    starts = [start for start, _ in moves]
    for match in STYLED_TITLE.finditer(data):
        if background(match.group(1)) != app.highlight:
            continue
        if expect.title is not None and match.group(2) != expect.title:
            continue
        if expect.row is not None:
            last = bisect_right(starts, match.start()) - 1
            if last < 0:
                continue
            start, row = moves[last]
            if row + data.count(b"\n", start, match.start()) != expect.row:
                continue
        return stamps[bisect_left(ends, match.end())]
    return None


def press(app: App, key: str, expect: Expect, *, timeout: float = 30.0) -> float:
    """Press ``key``; seconds from the app receiving it to the chunk that draws ``expect``."""
    index = send(app, key)
    received = app.relay.events[index].at
    deadline = time.monotonic() + timeout
    while (done := drawn(app, index, expect)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{key!r}: {expect} not drawn within {timeout} s")
        time.sleep(0.003)
        app.relay.poll()
    return done - received


# -- the measurements -------------------------------------------------------------------------


def steps(count: int) -> Iterator[str]:
    """j RUN times, k RUN times, and again: ``count`` keys in all."""
    for number in range(count):
        yield "j" if (number // RUN) % 2 == 0 else "k"


def idle_jk(app: App, presses: int) -> list[float]:
    """j/k on a quiet app; each press waits for the title now under the cursor, on its line."""
    order, cursor, times = app.scenario.order, 0, []
    for key in steps(presses):
        cursor += 1 if key == "j" else -1
        expect = Expect(row=app.first_row + cursor, title=order[cursor])
        times.append(press(app, key, expect))
        app.relay.quiet(QUIET)
    return times


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (clock ticks of 10 ms, usually)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_pages(app: App, presses: int) -> list[float]:
    """PageDown, PageDown, PageUp, PageUp... (the list scrolls); the title now under the
    cursor, wherever it is drawn."""
    order, cursor, times = app.scenario.order, 0, []
    step = max(1, app.visible - 1)  # StreamList.action_page_down
    last = min(len(order), app.scenario.items) - 1
    for number in range(presses):
        down = number % 4 < 2
        cursor = max(0, min(last, cursor + (step if down else -step)))
        times.append(press(app, "PageDown" if down else "PageUp", Expect(title=order[cursor])))
        app.relay.quiet(QUIET)
    return times


FOCUS_MARKERS = (b"Remove", b"Open")
"""The footer's first label once Tab has moved the focus to the sources, then to the list."""


def idle_focus(app: App, presses: int) -> list[float]:
    """Tab, Tab...: the focus goes to the sources and back to the list; each press waits for
    the footer of the pane it focused."""
    times = []
    for number in range(presses):
        index = send(app, "Tab")
        marker = FOCUS_MARKERS[number % 2]
        output = Output(app.relay, index)
        times.append(output.wait(marker, timeout=30.0) - app.relay.events[index].at)
        app.relay.quiet(QUIET)
    return times


@dataclass
class RefreshRun:
    times: list[float]
    seconds: float
    """From R reaching the app to the chunk that shows the "Refreshed:" notice."""
    requests: int
    notice: str
    cpu: float = 0.0
    """The app's CPU time (its own process, not the refresh's) from R to the notice."""
    at: list[float] = field(default_factory=list)
    """When each press was sent, in seconds after R (``--dump``)."""


def during_refresh(app: App, rng: random.Random) -> RefreshRun:
    """Publish the new feeds, press R, and press j/k until the refresh's notice shows."""
    press(app, "g", Expect(row=app.first_row, title=app.scenario.order[0]))
    app.relay.quiet(0.3)
    app.scenario.publish()
    before = app.scenario.server.requests
    cpu = cpu_seconds(app.pid)
    began = time.monotonic()
    started = send(app, "R")
    output = Output(app.relay, started)
    cursor, times, at = 0, [], []
    keys = steps(sys.maxsize)
    ended = output.find(REFRESHED)
    while ended is None:
        key = next(keys)
        cursor += 1 if key == "j" else -1
        at.append(time.monotonic() - began)
        times.append(press(app, key, Expect(row=app.first_row + cursor)))
        time.sleep(rng.uniform(*PAUSE))
        ended = output.find(REFRESHED)
    cpu = cpu_seconds(app.pid) - cpu
    app.relay.quiet(0.3, timeout=120)
    seconds = ended - app.relay.events[started].at
    requests = app.scenario.server.requests - before
    return RefreshRun(times, seconds, requests, notice(app), cpu, at)


def notice(app: App) -> str:
    """The text of the refresh's notice, read off the screen (a toast, bottom right)."""
    toast = " ".join(
        line.rsplit("▌", 1)[1].replace("│", " ")
        for line in app.terminal.screen().splitlines()
        if "▌" in line
    )
    toast = re.sub(r"\s+", " ", toast)
    found = re.search(r"Refreshed:.*?item\(s\)\.", toast)
    return found.group(0) if found else "(the notice was not on the screen)"


# -- reporting --------------------------------------------------------------------------------


def line(label: str, values: Sequence[float]) -> str:
    if not values:
        return f"  {label:<28} no presses"
    return f"  {label:<28} n={len(values):<4} {bench.Figures(tuple(values)).ms(p95=True)}"


def verdict(values: Sequence[float], median: float | None, p95: float) -> str:
    figures = bench.Figures(tuple(values))
    met = figures.p95 <= p95 and (median is None or figures.median <= median)
    wanted = (f"median <= {median * 1000:.0f} ms, " if median else "") + f"p95 <= {p95 * 1000:.0f}"
    return f"{'met' if met else 'MISSED'} ({wanted} ms)"


@dataclass
class Results:
    jk: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    focus: list[float] = field(default_factory=list)
    refresh: list[float] = field(default_factory=list)
    refresh_seconds: list[float] = field(default_factory=list)
    first_paint: list[float] = field(default_factory=list)
    jk_cpu: list[float] = field(default_factory=list)
    """The app's CPU time per idle j/k press (load on the machine barely changes it)."""
    refresh_cpu: list[float] = field(default_factory=list)
    runs: list[RefreshRun] = field(default_factory=list)


def measure(
    terminal: bench.Terminal, scenario: Scenario, folder: Path, args: argparse.Namespace
) -> Results:
    results = Results()
    rng = random.Random(5)
    for run in range(args.repeat):
        # Each run changes the store (the refresh adds items): keep the original for the next.
        current = scenario.copy(folder / f"run{run}") if args.repeat > 1 else scenario
        if args.repeat > 1:
            current.server.files.update({path: stub(path) for path in scenario.fresh})
        with running(terminal, current, folder / f"run{run}.log") as app:
            print(
                f"  run {run + 1}: first paint {app.first_paint * 1000:.0f} ms, start-up refresh "
                f"of {scenario.subscribed} feeds (all 304) {app.startup_refresh:.1f} s, "
                f"{app.visible} rows on screen from line {app.first_row}; load average "
                f"{os.getloadavg()[0]:.1f} (other work on this machine)",
                flush=True,
            )
            results.first_paint.append(app.first_paint)
            cpu = cpu_seconds(app.pid)
            results.jk += idle_jk(app, args.presses)
            results.jk_cpu.append((cpu_seconds(app.pid) - cpu) / args.presses)
            results.pages += idle_pages(app, args.pages)
            results.focus += idle_focus(app, args.focus)
            if scenario.new_feeds:
                refresh = during_refresh(app, rng)
                results.refresh += refresh.times
                results.refresh_seconds.append(refresh.seconds)
                results.refresh_cpu.append(refresh.cpu)
                results.runs.append(refresh)
                print(
                    f"  run {run + 1}: refresh (R) of {scenario.subscribed} feeds, "
                    f"{scenario.new_feeds} with {PER_FEED} new items: {refresh.seconds:.1f} s, "
                    f"{refresh.requests} requests, app CPU {refresh.cpu:.1f} s; "
                    f"{refresh.notice}",
                    flush=True,
                )
        if args.repeat > 1:
            shutil.rmtree(current.data.parent, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="stored items, comma-separated")
    parser.add_argument("--presses", type=int, default=200, help="idle j/k presses per run")
    parser.add_argument("--pages", type=int, default=40, help="idle page moves per run")
    parser.add_argument("--focus", type=int, default=40, help="idle Tab presses per run")
    parser.add_argument("--refresh-feeds", type=int, default=200, help="feeds with new items")
    parser.add_argument("--repeat", type=int, default=1, help="app runs per size")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a quick check")
    parser.add_argument(
        "--dump", type=Path, help="write each press during a refresh (sent after R, latency)"
    )
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.presses, args.pages, args.refresh_feeds = "200", 20, 8, 5
        args.focus = 4
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"key -> repaint in tmux ({bench.machine()})", flush=True)
    summary: list[tuple[int, Results]] = []
    for terminal, folder, scenario in scenarios("keys", sizes, args.refresh_feeds):
        results = measure(terminal, scenario, folder, args)
        summary.append((scenario.items, results))
        if args.dump:
            presses = [list(zip(run.at, run.times, strict=True)) for run in results.runs]
            args.dump.write_text(json.dumps({"items": scenario.items, "runs": presses}))
        print(line("idle, j/k", results.jk))
        print(line("idle, PageDown/PageUp", results.pages))
        print(line("idle, Tab (focus)", results.focus))
        print(line(f"during a {args.refresh_feeds}-feed refresh", results.refresh), flush=True)

    print("\nsummary (key IN -> chunk drawing the new cursor row):")
    for items, results in summary:
        print(f"{items:,} items")
        target = "  " + verdict(results.jk, 0.016, 0.033) if items >= TARGET_ITEMS else ""
        print(line("idle, j/k", results.jk) + target)
        cpu = statistics.median(results.jk_cpu) * 1000
        print(f"  {'idle, j/k: app CPU a press':<28} {cpu:.1f} ms")
        print(line("idle, PageDown/PageUp", results.pages))
        print(line("idle, Tab (focus)", results.focus))
        if results.refresh:
            seconds = bench.Figures(tuple(results.refresh_seconds))
            print(
                line("during the refresh", results.refresh)
                + "  "
                + verdict(results.refresh, None, 0.033)
            )
            print(f"  {'refresh took':<28} {seconds.s()}")
            cpu = statistics.median(results.refresh_cpu)
            print(f"  {'app CPU during it':<28} {cpu:.2f} s (the app's process alone)")


def scenarios(
    name: str, sizes: Sequence[int], refresh_feeds: int
) -> Iterator[tuple[bench.Terminal, Path, Scenario]]:
    """Each size's store and feeds, made (and said) in turn, with one private terminal and
    one feed server for all of them; each store is removed once measured."""
    with (
        bench.workspace(name) as folder,
        bench.FeedServer({}) as server,
        bench.Terminal(folder) as terminal,
    ):
        for size in sizes:
            began = time.perf_counter()
            scenario = prepare(folder / f"store{size}", server, size, refresh_feeds)
            print(
                f"\n{scenario.items:,} items in {scenario.feeds} feeds, +{scenario.new_feeds} "
                f"feeds to refresh (store made in {time.perf_counter() - began:.1f} s)",
                flush=True,
            )
            yield terminal, folder, scenario
            shutil.rmtree(scenario.data.parent, ignore_errors=True)


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_as_script(main: Callable[[], None]) -> None:
    """Run ``main``; Ctrl-C, SIGTERM and SIGHUP end it through the cleanups (the app, its
    processes and the tmux server are stopped), with status 130."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGHUP, _interrupted)
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run_as_script(main)
