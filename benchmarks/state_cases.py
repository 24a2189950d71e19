"""State under concurrency and faults (issue 12), many times over.

Run: .venv/bin/python benchmarks/state_cases.py [--quick] [--trials N] [--only NAME,...]

- imports: two ``streamtui import`` processes at once, files with the same outline titles and
  different URLs (the second stopped at 601 of 1,200); every feed of both must be stored.
- deleted: the data folder deleted while a process marks items one commit at a time; the
  process must notice at its next save, write the database back (``restore``) and go on; every
  mark it acknowledged must be in the file at the end (before: all marks after the deletion
  were acknowledged and lost with the file).
- retention: a feed whose 100 items get new ids at every fetch, refreshed K times on a
  loopback server with the default limits; the store must stay under the limit plus what the
  feed carries (before: 100 more items a refresh, 2,100 after 20).
- cleanup: the retention pass over a store of 100,000 items, when nothing is due (the issue
  asks well under a second) and when half of it is due.
- opml: importing 1,000 and 20,000 outlines (before: 1.7 s and about 670 s), and the ratio.

The table's columns are benchmarks/_reliability.py's; exit status 1 when a case is not clean.
tests/reliability/test_names.py, reliability/test_database_gone.py and core/test_retention.py
are the short forms.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import streamtui
from benchmarks import _bench as bench
from benchmarks import import_scale
from benchmarks._reliability import Row, report
from streamtui.core.library import Library
from streamtui.core.models import Retention
from streamtui.core.store import Store
from tests.support.feedserver import FeedServer, Reply, Request

PYTHON = sys.executable
ENV = {
    **bench.no_proxy_env(),
    "PYTHONPATH": str(Path(streamtui.__file__).resolve().parents[1]),
}


# -- two imports at once ---------------------------------------------------------------------


def _opml(path: Path, count: int, tag: str) -> Path:
    outlines = "\n".join(
        f'<outline type="rss" text="Feed {n % 50}" xmlUrl="http://127.0.0.1:9/{tag}/{n}"/>'
        for n in range(count)
    )
    path.write_text(f'<opml version="2.0"><head/><body>\n{outlines}\n</body></opml>\n')
    return path


def imports_row(rounds: int, size: int = 600) -> Row:
    row = Row(f"two `import`s at once, {size} outlines each", rounds, 0)
    started = time.perf_counter()
    with bench.workspace("imports") as folder:
        files = [_opml(folder / f"{tag}.opml", size, tag) for tag in ("a", "b")]
        for number in range(rounds):
            data = folder / f"data{number}"
            env = {**ENV, "STREAMTUI_DATA_DIR": str(data)}
            processes = [
                subprocess.Popen(
                    [PYTHON, "-m", "streamtui", "import", str(path)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for path in files
            ]
            outputs = [process.communicate(timeout=120) for process in processes]
            failed = [p for p in processes if p.returncode != 0]
            crashed = any("Traceback" in out + err for out, err in outputs)
            with sqlite3.connect(data / "streamtui.db") as raw:
                names = [r[0] for r in raw.execute("SELECT name FROM sources")]
            stored = sum(name.startswith("Feed ") for name in names)
            unique = len({name.casefold() for name in names}) == len(names)
            row.lost += 2 * size - stored
            row.crashes += crashed
            if not failed and not crashed and stored == 2 * size and unique:
                row.survived += 1
            elif not row.note:
                row.note = (outputs[0][1] + outputs[1][1]).strip().splitlines()[-1:][0][:80]
    row.seconds = time.perf_counter() - started
    row.note = row.note or f"{rounds * 2 * size:,} feeds stored, names unique; 0 failed"
    return row


# -- the data folder deleted -----------------------------------------------------------------

MARKER = r"""
import sys, time
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.errors import DatabaseGoneError
from streamtui.core.store import Store
library = Library(Store.open(Path(sys.argv[1])))
ids = [row.id for row in library.rows(library.view(), 0, 100_000)]
print("ready", flush=True)
for item_id in ids:
    try:
        library.mark_read([item_id])
    except DatabaseGoneError:
        print("gone", flush=True)
        library.restore_database()
        library.mark_read([item_id])
    print(item_id, flush=True)
    time.sleep(0.002)  # a person reading: a mark every few milliseconds at most
library.close()
"""


def _pages(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{n:04}.txt").write_text(f"Story {n}\n\nBody {n}.\n", encoding="utf-8")
    return folder


def _delete(folder: Path) -> None:
    """Delete ``folder`` as a user would, while the marker still writes in it: a file it
    makes between rmtree's listing and its rmdir failed the run (Directory not empty)."""
    for _ in range(100):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.01)
    shutil.rmtree(folder)  # still there: say why


def deleted_row(trials: int, marks: int = 500) -> Row:
    row = Row(f"data folder deleted during {marks} marks", trials, 0)
    started = time.perf_counter()
    chance = random.Random(12)
    detected = restored = acknowledged = 0
    with bench.workspace("deleted") as folder:
        pages = _pages(folder / "pages", marks)
        pristine = folder / "pristine" / "streamtui.db"
        library = Library(Store.open(pristine))
        library.add_source(str(pages), "Pages")
        library.close()
        for number in range(trials):
            data = folder / f"data{number}"
            db = data / "streamtui.db"
            shutil.copytree(pristine.parent, data)
            process = subprocess.Popen(
                [PYTHON, "-c", MARKER, str(db)], env=ENV, stdout=subprocess.PIPE, text=True
            )
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n"
            lines: list[str] = []
            reader = threading.Thread(target=lines.extend, args=(process.stdout,))
            reader.start()
            time.sleep(chance.uniform(0.1, 0.8))  # the marks take about 1.5 s
            _delete(data)
            process.wait(120)
            reader.join()
            acked = [line.strip() for line in lines if line.strip() not in ("gone", "")]
            acknowledged += len(acked)
            seen_gone = "gone\n" in lines
            detected += seen_gone
            kept: set[str] = set()
            if db.exists():
                restored += 1
                with sqlite3.connect(db) as raw:
                    kept = {r[0] for r in raw.execute("SELECT id FROM items WHERE read = 1")}
            missing = len(set(acked) - kept)
            row.lost += missing
            row.crashes += process.returncode != 0
            if process.returncode == 0 and seen_gone and not missing:
                row.survived += 1
    row.seconds = time.perf_counter() - started
    row.note = (
        f"noticed {detected}/{trials}, written back {restored}; "
        f"{acknowledged:,} marks acknowledged, all kept"
        if row.clean
        else f"noticed {detected}/{trials}; {row.lost:,} acknowledged marks lost"
    )
    return row


# -- retention: a feed that renames its items ------------------------------------------------


class _Churning:
    """100 stories whose ids change at every request (same titles and links)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fetches = itertools.count()

    def __call__(self, request: Request) -> Reply:
        fetch = next(self.fetches)
        items = "".join(
            f"<item><title>Story {n}</title><link>http://127.0.0.1/{n}</link>"
            f"<guid>s{n}-{fetch}</guid><description>{'words ' * 150}</description></item>"
            for n in range(self.size)
        )
        body = f'<rss version="2.0"><channel><title>Churn</title>{items}</channel></rss>'
        return Reply(200, [("Content-Type", "application/rss+xml")], body.encode())


def retention_row(refreshes: int, max_items: int, size: int = 100) -> Row:
    defaults = Retention(max_items=max_items)
    bound = defaults.max_items + size + 1
    row = Row(
        f"retention: {size}-item feed renaming its items, {refreshes} refreshes, "
        f"max_items {max_items:,}",
        0,
        0,
    )
    started = time.perf_counter()
    with bench.workspace("retention") as folder, FeedServer() as server:
        server.route("/churn.xml", _Churning(size))
        library = Library(Store.open(folder / "data" / "streamtui.db"), bundled=folder / "none")
        library.retention = defaults
        source, _ = library.add_source(server.url("/churn.xml"))
        counts = []
        try:
            for _ in range(refreshes):
                summary = library.refresh([library.find_source(str(source.id))])
                counts.append(library.count(library.view(source.id)))
                row.tried += 1
                row.crashes += summary.failed
                row.survived += counts[-1] <= bound and not summary.failed
            library.checkpoint()
            size_mib = sum(p.stat().st_size for p in (folder / "data").iterdir()) / 2**20
            warned = "new ids" in library.find_source(str(source.id)).warning
        finally:
            library.close()
    row.seconds = time.perf_counter() - started
    row.note = (
        f"{counts[-1]:,} items at the end (bound {bound:,}; without retention "
        f"{size * (refreshes + 1):,}), peak {max(counts):,}, {size_mib:.1f} MiB, "
        f"warned: {'yes' if warned else 'no'}"
    )
    if not warned:
        row.survived = min(row.survived, row.tried - 1)
    return row


# -- the retention pass at scale --------------------------------------------------------------


def cleanup_row(items: int) -> Row:
    feeds = items // 100
    row = Row(f"retention pass over {items:,} items", 2, 0)
    started = time.perf_counter()
    with bench.workspace("cleanup") as folder:
        urls = [f"https://feeds.example/{n}.xml" for n in range(feeds)]
        bench.fill_store(folder / "data", urls, 100)
        library = Library(Store.open(folder / "data" / "streamtui.db"))
        try:
            idle = []
            for _ in range(5):
                began = time.perf_counter()
                nothing = library.cleanup()
                idle.append(time.perf_counter() - began)
            idle_figures = bench.Figures(tuple(idle))
            row.survived += nothing.total == 0 and idle_figures.median < 1.0
            # Half of every feed due: a later fetch carried none of it, all read, limit 50.
            with library.store._write() as db:
                db.execute("UPDATE sources SET fetches = 1")
                db.execute("UPDATE items SET read = 1, read_at = 0")
            library.retention = Retention(max_items=50, unread_days=0)
            before = library.database_size()
            began = time.perf_counter()
            removed = library.cleanup()
            busy = time.perf_counter() - began
            freed = before - library.database_size()
            row.survived += removed.total == items // 2
            row.lost += abs(library.count(library.view()) - items // 2)
        finally:
            library.close()
    row.seconds = time.perf_counter() - started
    row.note = (
        f"nothing due: {idle_figures.ms()}; {removed.total:,} due: {busy:.1f} s, "
        f"{freed / 2**20:.0f} MiB back"
    )
    return row


# -- OPML import at scale ---------------------------------------------------------------------


def opml_row(low: int, high: int) -> Row:
    started = time.perf_counter()
    results = import_scale.measure([low, high], 1)
    small, large = results[low][0].median, results[high][0].median
    ratio = large / small
    scale = high / low
    row = Row(f"OPML import of {low:,} and {high:,} outlines", 2, 0)
    row.survived = 2 if ratio < 2.5 * scale and large < 30 else 0
    row.seconds = time.perf_counter() - started
    row.note = f"{small:.2f} s and {large:.2f} s: {ratio:.1f}x for {scale:.0f}x (linear)"
    return row


CASES: dict[str, Callable[[bool, int | None], Row]] = {
    "imports": lambda quick, trials: imports_row(trials or (3 if quick else 20)),
    "deleted": lambda quick, trials: deleted_row(trials or (3 if quick else 20)),
    "retention": lambda quick, _: retention_row(8, 300) if quick else retention_row(20, 1000),
    "cleanup": lambda quick, _: cleanup_row(10_000 if quick else 100_000),
    "opml": lambda quick, _: opml_row(500, 5_000) if quick else opml_row(1_000, 20_000),
}


def rows(quick: bool, only: list[str] | None = None, trials: int | None = None) -> list[Row]:
    return [CASES[name](quick, trials) for name in (only or list(CASES))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials, smaller stores")
    parser.add_argument("--only", default="", help=f"comma-separated cases of {list(CASES)}")
    parser.add_argument(
        "--trials", type=int, help="rounds of the imports and deleted cases (the suite's: 1)"
    )
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name] or None
    unknown = set(chosen or ()) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    print(f"state under concurrency and faults ({'quick' if args.quick else 'full'}), "
          f"{bench.machine()}")  # fmt: skip
    return report(rows(args.quick, chosen, args.trials))


if __name__ == "__main__":
    sys.exit(main())
