"""Resident memory of the app (tmux, a real terminal) with 1k and 100k stored items: idle, and
at the peak of a refresh of 200 feeds x 100 new items; the app alone and with its children.

Run: .venv/bin/python benchmarks/memory.py [--sizes 1000,100000] [--refresh-feeds 200]
     [--settle 3] [--interval 0.02] [--after 2] [--repeat 1] [--smoke]

The scenario is the one of ``keys.py``: the store is filled by the generator (feeds of 100
items), every stored feed answers 304, and ``--refresh-feeds`` more subscribed feeds get 100
new items each on the loopback server just before R (refresh all) is pressed. The app's pid is
the relay's child.

* idle: after the first paint, the app's own start-up refresh (which finds nothing) and
  ``--settle`` seconds of quiet: VmRSS of the app, and of the app with every process below it.
* refresh: R, then every ``--interval`` seconds until the "Refreshed:" notice: VmRSS of the
  app, the sum of VmRSS over the app and its descendants, and (every 5th sample) the sum of
  their PSS (shared pages counted once: the parser processes are forked from a forkserver and
  share what it preloaded). The process tree is re-read every 10 samples with
  ``_bench.descendants``: the forkserver and multiprocessing's resource tracker are the app's
  children, the parser workers are the forkserver's. ``--after`` seconds after the notice:
  what stays, and the app's VmHWM (its peak as the kernel saw it).

Targets: idle <= 64 MB at 100k items; refresh peak <= 1.5x idle.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import _bench as bench
from benchmarks.keys import (
    REFRESHED,
    App,
    Output,
    Scenario,
    run_as_script,
    running,
    scenarios,
    send,
    stub,
)

TARGET_ITEMS = 100_000
"""The idle target is for this many stored items."""
IDLE_TARGET_KB = 64 * 1024
YEAR_IDLE_TARGET_KB = 100 * 1024
"""At a year of feeds (beyond 100k items: a million, issue 15) the idle target is 100 MB."""
PEAK_TARGET = 1.5
"""The most the app's peak during the refresh may be, as a multiple of its idle size."""
TREE_EVERY = 10
"""Re-read the process tree every this many samples (a scan of /proc costs a few ms)."""
PSS_EVERY = 5
"""Read PSS (smaps_rollup, dearer than status) every this many samples."""


def pss_kb(pid: int) -> int:
    """Proportional set size in KiB: shared pages divided among the processes sharing them."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def kind(pid: int, app: int) -> str:
    """What a process below the app is: the forkserver (the app's child), a parser worker
    (the forkserver's child), the resource tracker, or something else."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return "gone"
    if b"forkserver" in command:
        return "forkserver" if parent(pid) == app else "parser worker"
    if b"resource_tracker" in command:
        return "resource tracker"
    return command.decode(errors="replace")[:40]


def parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def tree(app: int) -> dict[int, str]:
    """The processes below the app (``_bench.descendants``) and what each is."""
    return {pid: kind(pid, app) for pid in bench.descendants(app)}


@dataclass
class Snapshot:
    """The app and the processes below it at one moment (KiB)."""

    app_kb: int
    app_hwm_kb: int
    children_kb: dict[str, list[int]]
    """Kind of process -> VmRSS of each process of that kind."""
    pss_kb: int | None = None
    """PSS of the app and every process below it, when read."""

    @property
    def tree_kb(self) -> int:
        return self.app_kb + sum(sum(sizes) for sizes in self.children_kb.values())


def snapshot(app: int, below: dict[int, str], *, pss: bool = True) -> Snapshot:
    rss, hwm = bench.rss_kb(app)
    children: dict[str, list[int]] = {}
    proportional = pss_kb(app) if pss else 0
    for pid, name in below.items():
        with contextlib.suppress(OSError, KeyError):
            children.setdefault(name, []).append(bench.rss_kb(pid)[0])
            if pss:
                proportional += pss_kb(pid)
    return Snapshot(rss, hwm, children, proportional if pss else None)


def describe(children: dict[str, list[int]]) -> str:
    """ "forkserver 21.0 MB, parser worker 2x 40.1 MB" (the largest of each kind)."""
    if not children:
        return "nothing"
    return ", ".join(
        f"{name} {len(sizes)}x {max(sizes) / 1024:.1f} MB"
        if len(sizes) > 1
        else f"{name} {sizes[0] / 1024:.1f} MB"
        for name, sizes in sorted(children.items())
    )


@dataclass
class RefreshMemory:
    samples: list[Snapshot]
    seconds: float
    """From R reaching the app to the chunk that shows the "Refreshed:" notice."""
    end: Snapshot
    """``--after`` seconds after the notice."""

    @property
    def peak_app_kb(self) -> int:
        return max(s.app_kb for s in self.samples)

    @property
    def peak_tree_kb(self) -> int:
        return max(s.tree_kb for s in self.samples)

    @property
    def peak_pss_kb(self) -> int:
        return max(s.pss_kb for s in self.samples if s.pss_kb is not None)

    @property
    def peak_children(self) -> dict[str, list[int]]:
        """Per kind, the sizes at the sample where that kind's sum was largest."""
        peaks: dict[str, list[int]] = {}
        for sample in self.samples:
            for name, sizes in sample.children_kb.items():
                if sum(sizes) > sum(peaks.get(name, [])):
                    peaks[name] = sizes
        return peaks


def during_refresh(app: App, interval: float, after: float) -> RefreshMemory:
    """Publish the new feeds, press R, sample memory until the notice and a little after."""
    app.scenario.publish()
    pid = app.pid
    started = send(app, "R")
    output = Output(app.relay, started)
    samples: list[Snapshot] = []
    below: dict[int, str] = {}
    ended: float | None = None
    while ended is None:
        if len(samples) % TREE_EVERY == 0:
            below = tree(pid)
        samples.append(snapshot(pid, below, pss=len(samples) % PSS_EVERY == 0))
        ended = output.find(REFRESHED)
        time.sleep(interval)
    time.sleep(after)
    seconds = ended - app.relay.events[started].at
    return RefreshMemory(samples, seconds, snapshot(pid, tree(pid)))


# -- reporting --------------------------------------------------------------------------------


def mb(values: Sequence[int]) -> str:
    """KiB values as MB: the median, and the range when there are several."""
    median = statistics.median(values) / 1024
    if len(values) == 1:
        return f"{median:.1f} MB"
    return f"{median:.1f} MB ({min(values) / 1024:.1f}–{max(values) / 1024:.1f})"


@dataclass
class Results:
    idle: list[Snapshot] = field(default_factory=list)
    refresh: list[RefreshMemory] = field(default_factory=list)


def measure(
    terminal: bench.Terminal, scenario: Scenario, folder: Path, args: argparse.Namespace
) -> Results:
    results = Results()
    for run in range(args.repeat):
        # Each run changes the store (the refresh adds items): keep the original for the next.
        current = scenario.copy(folder / f"run{run}") if args.repeat > 1 else scenario
        if args.repeat > 1:  # the new feeds unchanged again until R
            current.server.files.update({path: stub(path) for path in scenario.fresh})
        with running(terminal, current, folder / f"run{run}.log") as app:
            time.sleep(args.settle)
            app.relay.quiet(0.5)
            idle = snapshot(app.pid, tree(app.pid))
            results.idle.append(idle)
            print(
                f"  run {run + 1}: idle: app {idle.app_kb / 1024:.1f} MB, with the processes "
                f"below it {idle.tree_kb / 1024:.1f} MB ({describe(idle.children_kb)})",
                flush=True,
            )
            if scenario.new_feeds:
                refresh = during_refresh(app, args.interval, args.after)
                results.refresh.append(refresh)
                print(
                    f"  run {run + 1}: refresh {refresh.seconds:.1f} s, {len(refresh.samples)} "
                    f"samples: peak app {refresh.peak_app_kb / 1024:.1f} MB, app + children "
                    f"{refresh.peak_tree_kb / 1024:.1f} MB (PSS {refresh.peak_pss_kb / 1024:.1f}"
                    f" MB); below the app at their peak: {describe(refresh.peak_children)}; "
                    f"{args.after:g} s after: {describe(refresh.end.children_kb)}",
                    flush=True,
                )
        if args.repeat > 1:
            shutil.rmtree(current.data.parent, ignore_errors=True)
    return results


def report(items: int, results: Results, args: argparse.Namespace) -> None:
    idle_app = [s.app_kb for s in results.idle]
    idle_tree = [s.tree_kb for s in results.idle]
    target = ""
    if items >= TARGET_ITEMS:
        limit = YEAR_IDLE_TARGET_KB if items > TARGET_ITEMS else IDLE_TARGET_KB
        target = "  met" if statistics.median(idle_app) <= limit else "  MISSED"
        target += f" (<= {limit // 1024} MB)"
    print(f"{items:,} items")
    print(f"  {'idle, app':<40} {mb(idle_app)}{target}")
    print(f"  {'idle, app + children':<40} {mb(idle_tree)}")
    if not results.refresh:
        return
    refreshes = results.refresh
    peak_app = [r.peak_app_kb for r in refreshes]
    peak_tree = [r.peak_tree_kb for r in refreshes]
    ratio = statistics.median(peak_app) / statistics.median(idle_app)
    tree_ratio = statistics.median(peak_tree) / statistics.median(idle_tree)
    verdict = "met" if ratio <= PEAK_TARGET else "MISSED"
    label = f"{args.refresh_feeds}-feed refresh: peak"
    print(
        f"  {label + ', app':<40} {mb(peak_app)}  {ratio:.2f}x idle, {verdict} (<= {PEAK_TARGET}x)"
    )
    print(f"  {label + ', app (VmHWM)':<40} {mb([r.end.app_hwm_kb for r in refreshes])}")
    print(f"  {label + ', app + children':<40} {mb(peak_tree)}  {tree_ratio:.2f}x idle")
    print(f"  {label + ', PSS of them all':<40} {mb([r.peak_pss_kb for r in refreshes])}")
    after = f"{args.after:g} s after it"
    print(f"  {after + ', app':<40} {mb([r.end.app_kb for r in refreshes])}")
    print(f"  {after + ', app + children':<40} {mb([r.end.tree_kb for r in refreshes])}")
    print(f"  {'the refresh took':<40} {bench.Figures(tuple(r.seconds for r in refreshes)).s()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="stored items, comma-separated")
    parser.add_argument("--refresh-feeds", type=int, default=200, help="feeds with new items")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds of quiet before idle")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between samples")
    parser.add_argument("--after", type=float, default=2.0, help="seconds after the refresh")
    parser.add_argument("--repeat", type=int, default=1, help="app runs per size")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a quick check")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.refresh_feeds, args.settle, args.after = "200", 5, 0.5, 0.5
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"memory in tmux ({bench.machine()})", flush=True)
    summary: list[tuple[int, Results]] = []
    for terminal, folder, scenario in scenarios("memory", sizes, args.refresh_feeds):
        summary.append((scenario.items, measure(terminal, scenario, folder, args)))

    print("\nsummary (VmRSS; MB = 2^20 bytes):")
    for items, results in summary:
        report(items, results, args)


if __name__ == "__main__":
    run_as_script(main)
