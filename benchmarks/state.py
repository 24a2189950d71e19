"""Read state at scale: mark one item read, mark everything read, and the unread counts the
sidebar shows at start-up, through the library the app uses (each call is one committed
transaction, as in the app).

Run: .venv/bin/python benchmarks/state.py [--sizes 1000,100000] [--repeat 5] [--retention]
     [--smoke]

The store is made once per size by the generator (``_year.fill``: feeds of 100 items, beyond
100k a year of 500 feeds; all unread) and copied before each run that changes it, so every
"mark all read" starts from the same 100% unread store. Targets at 100k: mark one read <= 1 ms,
mark all read <= 0.5 s. Then the reads that a mark of everything must not slow (CPU time,
``READS`` times each): the sidebar's counts, an unread-only view's count and middle window,
the next unread item, on the store as made and after everything was marked read with 2 %
marked unread again.

``--retention`` adds the retention pass (``Library.cleanup``, what ``streamtui cleanup`` and
the end of a refresh run) at each size, with the config's default limits (1,000 items a feed,
unread items kept 14 days after they arrived): on the store as made (every item unread and
just arrived: nothing may go, the pass reads each feed's candidates and finds them protected),
then, on a copy where everything is read and the feeds carry none of it any more, the same
pass removing what is over 1,000 a feed (half of a year's store), with the space it gives back.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from functools import partial
from pathlib import Path

from benchmarks import _bench as bench
from benchmarks import _year as year
from streamtui.core.library import Library
from streamtui.core.models import View
from streamtui.core.store import Store


def ids(db: Path) -> list[str]:
    store = Store.open(db)
    try:
        return [row[0] for row in store._read("SELECT id FROM items")]
    finally:
        store.close()


def mark_one(db: Path, item_ids: list[str], count: int) -> bench.Figures:
    """``count`` separate marks of random items, each its own commit (a key press)."""
    library = Library(Store.open(db))
    chosen = random.Random(1).sample(item_ids, count)
    times = []
    try:
        for item_id in chosen:
            began = time.perf_counter()
            assert library.mark_read([item_id]).ids == (item_id,)
            times.append(time.perf_counter() - began)
    finally:
        library.close()
    return bench.Figures(tuple(times))


def mark_all(pristine: Path, work: Path, size: int) -> tuple[float, float]:
    """Mark every item of "All" read (as `A` in the app), then undo it: seconds for each."""
    shutil.copyfile(pristine, work)
    library = Library(Store.open(work))
    try:
        began = time.perf_counter()
        changed = library.mark_view_read(View())
        marked = time.perf_counter() - began
        assert changed.count == size, (changed.count, size)
        began = time.perf_counter()
        assert library.undo() is not None
        undone = time.perf_counter() - began
        assert library.count(View(unread_only=True)) == size
    finally:
        library.close()
    return marked, undone


READS = 15
"""Times each read of :func:`reads` is made, per state of the store."""


def reads(pristine: Path, work: Path) -> dict[str, list[float]]:
    """What the list and the sidebar read (the CPU time of each call, ``READS`` times), on
    the store as made (all unread), then after everything was marked read with a few items
    marked unread again and a source of new items (a store that someone reads): the
    sidebar's counts, an unread-only view's count and its window at the middle, and the
    next unread item from the top."""
    shutil.copyfile(pristine, work)
    library = Library(Store.open(work))
    found: dict[str, list[float]] = {}
    try:
        size = library.count(View())
        for label in ("all unread", "after mark all read"):
            if label != "all unread":
                library.mark_view_read(View())
                spread = library.rows(View(), 0, size)[:: max(1, size // 50)]
                library.mark_read([row.id for row in spread], False)
            unread = View(unread_only=True, since=time.time())
            middle = library.count(unread) // 2
            for name, call in (
                ("sidebar counts", library.sources),
                ("unread-only count", partial(library.count, unread)),
                ("unread-only window, middle", partial(library.rows, unread, middle, 128)),
                ("next unread from the top", lambda: library.next_unread(View(), None)),
            ):
                for _ in range(READS):
                    began = time.process_time()
                    call()
                    found.setdefault(f"{name}, {label}", []).append(time.process_time() - began)
    finally:
        library.close()
    return found


def unread_counts(db: Path) -> float:
    """Open the store and read every source's unread and total counts (the sidebar)."""
    began = time.perf_counter()
    library = Library(Store.open(db))
    try:
        sources = library.sources()
        elapsed = time.perf_counter() - began
        assert sum(s.unread for s in sources) > 0
    finally:
        library.close()
    return elapsed


def retention(pristine: Path, work: Path, repeat: int) -> None:
    """The retention pass with the default limits: nothing due (``repeat`` times), then on
    an all-read copy whose feeds carry none of it, what is over the limits removed (once)."""
    shutil.copyfile(pristine, work)
    idle = []
    library = Library(Store.open(work))
    try:
        for _ in range(repeat):
            began = time.perf_counter()
            report = library.cleanup()
            idle.append(time.perf_counter() - began)
            assert report.total == 0, report
        with library.store._write() as db:  # everything read (store/readstate.py): one mark
            db.execute("UPDATE sources SET fetches = 1")
            db.execute(
                "INSERT INTO read_marks (upto, at) "
                "VALUES ((SELECT coalesce(max(arrival), 0) FROM items), 0)"
            )
        items = library.count(library.view())
        before = library.database_size()
        began = time.perf_counter()
        report = library.cleanup()
        busy = time.perf_counter() - began
        freed = before - library.database_size()
        left = library.count(library.view())
    finally:
        library.close()
    nothing = bench.Figures(tuple(idle)).ms()
    print(f"  retention, default limits, nothing due (all unread, new): {nothing}")
    print(
        f"  retention, default limits, all read: {report.total:,} of {items:,} removed in "
        f"{busy:.1f} s ({report.total / max(busy, 1e-9):,.0f} items/s), {freed / 2**20:,.0f} MiB "
        f"given back, {left:,} left",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--marks", type=int, default=500, help="single marks per size")
    parser.add_argument("--retention", action="store_true", help="the retention pass too")
    parser.add_argument("--smoke", action="store_true", help="200 items, 1 repeat")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.repeat, args.marks, args.retention = "200", 1, 20, True
    print(bench.machine())
    with bench.workspace("state") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            layout = year.Layout.of(size)
            urls = [f"http://127.0.0.1:9/feed/{n}.xml" for n in range(layout.feeds)]
            data = folder / f"data-{size}"
            began = time.perf_counter()
            size = year.fill(data, urls, layout)
            print(f"{size:>7} items: generated in {time.perf_counter() - began:.1f} s")
            pristine = data / "streamtui.db"
            work = folder / f"work-{size}.db"
            item_ids = ids(pristine)
            counts, marks, undos = [], [], []
            singles: list[float] = []
            for _ in range(args.repeat):
                counts.append(unread_counts(pristine))
                marked, undone = mark_all(pristine, work, size)
                marks.append(marked)
                undos.append(undone)
                shutil.copyfile(pristine, work)
                singles += mark_one(work, item_ids, max(1, args.marks // args.repeat)).values
            for label, figures, p95 in (
                ("unread counts (open + sidebar)", bench.Figures(tuple(counts)), False),
                ("mark one read", bench.Figures(tuple(singles)), True),
                ("mark all read", bench.Figures(tuple(marks)), False),
                ("undo mark all read", bench.Figures(tuple(undos)), False),
            ):
                print(f"{size:>7} items: {label:<32} {figures.ms(p95=p95)}", flush=True)
            for label, values in reads(pristine, work).items():
                figures = bench.Figures(tuple(values))
                print(f"{size:>7} items: {label + ' (CPU)':<58} {figures.ms()}", flush=True)
            if args.retention:
                retention(pristine, work, args.repeat)
            work.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
