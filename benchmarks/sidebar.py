"""The sidebar's update during a refresh: a few entries' counts change, the screen follows.

Run: .venv/bin/python benchmarks/sidebar.py [--sources 1200] [--changed 20] [--rounds 30]
     [--smoke]

Headless (160x48): a store with ``--sources`` feeds, the app on it; each round gives the
sidebar new unread counts for ``--changed`` of them (as ``Refreshing`` does every few seconds
during a refresh) and lets one frame be drawn. Prints the CPU time of the round (the update
and the frame, this process: the UI thread's work), median, p95 and max. ``--smoke``: 50
sources, 5 rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._bench import machine
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.sidebar import SourcesSidebar


async def rounds(folder: Path, sources: int, changed: int, count: int) -> list[float]:
    store = Store.open(folder / "streamtui.db")
    for number in range(sources):
        store.add_source(f"Feed number {number}", SourceKind.FEED, f"https://{number}.example/")
    library = Library(store, bundled=folder / "none")
    app = StreamApp(library, sync_on_start=False)
    times: list[float] = []
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            sidebar = app.query_one(SourcesSidebar)
            stored = library.sources()
            for number in range(count):
                start = number * changed % max(1, len(stored) - changed)
                batch = [
                    dataclasses.replace(s, unread=s.unread + number + 1)
                    for s in stored[start : start + changed]
                ]
                began = time.process_time()
                sidebar.update_sources(batch)
                await pilot.pause()  # the frame
                times.append((time.process_time() - began) * 1000)
    finally:
        library.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1200)
    parser.add_argument("--changed", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="50 sources, 5 rounds")
    args = parser.parse_args()
    sources, count = (50, 5) if args.smoke else (args.sources, args.rounds)
    print(f"# sidebar update, {machine()}")
    with tempfile.TemporaryDirectory(prefix="streamtui-sidebar-") as folder:
        times = asyncio.run(rounds(Path(folder), sources, args.changed, count))
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    print(
        f"{args.changed} of {sources} entries, {count} rounds: CPU a round median "
        f"{statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
