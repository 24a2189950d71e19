"""First paint and key-to-repaint of the stream list at 1k and 100k stored items (headless).

Run: .venv/bin/python benchmarks/stream_list.py [--sizes 1000,100000] [--repeat 5]
Prints medians with min and max. The store is filled through the store's own API.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.store import sync_items

from streamtui.core.library import Library
from streamtui.core.models import Item, SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.stream_list import StreamList


def fill(db: Path, count: int) -> None:
    store = Store.open(db)
    store.set_meta("default_source_added", "1")
    source = store.add_source("bench", SourceKind.FOLDER, "/nonexistent/bench")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = [
        Item(
            id=f"{n:020x}",
            title=f"Story number {n} with a title of typical length",
            summary="A summary.",
            body="Body text. " * 40,
            published=start + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    sync_items(store, source.id, items, fingerprint="bench")
    store.close()


async def measure(db: Path, moves: int) -> tuple[float, list[float], list[float]]:
    began = time.perf_counter()
    app = StreamApp(Library(Store.open(db)), sync_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first_paint = time.perf_counter() - began
        stream = app.query_one(StreamList)
        latencies = []
        for _ in range(moves):
            tick = time.perf_counter()
            await pilot.press("j")
            latencies.append(time.perf_counter() - tick)
        await pilot.press("G")
        assert stream.cursor == stream.count - 1
        # The widget's own work per key, without Pilot's idle waits: move the cursor
        # (a step, or a deep jump that misses the row cache) and draw every visible line.
        height = stream.scrollable_content_region.height
        work = []
        for step in range(moves):
            tick = time.perf_counter()
            if step % 2:
                stream.cursor = (step * 7919) % stream.count  # deep jump
            else:
                stream.cursor += 1
            for y in range(height):
                stream.render_line(y)
            work.append(time.perf_counter() - tick)
    app.library.store.close()
    return first_paint, latencies, work


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.1f} ms  (min {min(ms):.1f}, max {max(ms):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--moves", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            db = Path(folder) / f"bench-{size}.db"
            tick = time.perf_counter()
            fill(db, size)
            print(f"{size:>7} items: filled in {time.perf_counter() - tick:.1f} s")
            paints, keys, works = [], [], []
            for _ in range(args.repeat):
                paint, latencies, work = asyncio.run(measure(db, args.moves))
                paints.append(paint)
                keys += latencies
                works += work
            print(f"{size:>7} items: first paint   {summary(paints)}")
            print(
                f"{size:>7} items: key -> repaint {summary(keys)}  "
                f"p95 {sorted(keys)[int(len(keys) * 0.95)] * 1000:.1f} ms (Pilot press)"
            )
            print(
                f"{size:>7} items: move + draw    {summary(works)}  "
                f"p95 {sorted(works)[int(len(works) * 0.95)] * 1000:.1f} ms (widget work)"
            )


if __name__ == "__main__":
    main()
