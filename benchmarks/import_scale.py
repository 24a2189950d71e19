"""OPML import at scale: 1,000 and 20,000 outlines, and their ratio (linear: about 20x).

Run: .venv/bin/python benchmarks/import_scale.py [--sizes 1000,20000] [--repeat 3] [--smoke]

Each import goes into a fresh database through ``Library.import_subscriptions``, as
``streamtui import FILE`` does (the command line adds about 0.3 s of start-up). The outlines
share 50 titles, as exported lists of similar feeds do, and a second import of the same file
into the same store (every outline a duplicate) is timed too. Before issue 12: 1,000 outlines
1.7 s, 4,000 22 s, 20,000 about 670 s (quadratic: every outline compared with every stored
feed, names tried suffix by suffix, a transaction per source).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import _bench as bench
from streamtui.core.library import Library
from streamtui.core.store import Store


def opml(path: Path, count: int, *, titles: int = 50) -> Path:
    outlines = "\n".join(
        f'    <outline type="rss" text="Feed {n % titles}" title="Feed {n % titles}" '
        f'xmlUrl="http://127.0.0.1:9/feeds/{n}.xml"/>'
        for n in range(count)
    )
    path.write_text(
        f'<?xml version="1.0"?>\n<opml version="2.0"><head><title>t</title></head><body>\n'
        f"{outlines}\n</body></opml>\n",
        encoding="utf-8",
    )
    return path


def import_times(folder: Path, size: int, repeat: int) -> tuple[bench.Figures, bench.Figures]:
    """(first import, the same file again) seconds over ``repeat`` fresh databases."""
    folder.mkdir(exist_ok=True)
    source = opml(folder / f"{size}.opml", size)
    first, again = [], []
    for run in range(repeat):
        db = folder / f"{size}-{run}" / "streamtui.db"
        library = Library(Store.open(db))
        try:
            began = time.perf_counter()
            report = library.import_subscriptions(str(source))
            first.append(time.perf_counter() - began)
            assert len(report.added) == size, (len(report.added), size)
            began = time.perf_counter()
            report = library.import_subscriptions(str(source))
            again.append(time.perf_counter() - began)
            assert report.duplicates == size and not report.added
        finally:
            library.close()
    return bench.Figures(tuple(first)), bench.Figures(tuple(again))


def measure(sizes: list[int], repeat: int) -> dict[int, tuple[bench.Figures, bench.Figures]]:
    with bench.workspace("import") as folder:
        import_times(folder / "warm", 10, 1)  # the first import loads the URL checks' modules
        return {size: import_times(folder, size, repeat) for size in sizes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run")
    args = parser.parse_args()
    sizes = [100, 400] if args.smoke else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.smoke else args.repeat
    print(f"OPML import, {bench.machine()}; median (min-max) of {repeat} fresh databases")
    results = measure(sizes, repeat)
    print("| outlines | import | again (all duplicates) |")
    print("|---|---|---|")
    for size, (first, again) in results.items():
        print(f"| {size:,} | {first.s()} | {again.s()} |")
    low, high = min(sizes), max(sizes)
    ratio = results[high][0].median / results[low][0].median
    print(f"{high:,}/{low:,}: {ratio:.1f}x the time for {high / low:.0f}x the outlines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
