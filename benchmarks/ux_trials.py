"""What a new user tripped over (issue 12), run for real: quitting during a refresh, and a
refresh with the network down.

Run: .venv/bin/python benchmarks/ux_trials.py [--quick] [--trials N]

- quit: the real app in a pseudo-terminal with 40 feeds whose name lookups hang for 10 s
  (``tests/support/quitting.py``: ``socket.getaddrinfo`` replaced in the app's process; nothing is
  sent anywhere). Each trial times q to the process's end, once idle (the same 40 feeds on a
  loopback port where nothing listens, after their refresh ended) and once while the refresh
  waits on its lookups. A trial survives when the app exits 0 within 3 s.
- network down: a refresh of 629 feeds on loopback ports where nothing listens (every
  connect refused). It survives when it says once that the network looks down and writes
  no source's error line (an "escape" is a source whose line was overwritten).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import _bench as bench
from benchmarks._reliability import Row, report
from tests.support.quitting import build, quit_seconds

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

QUIT_BOUND = 3.0
FEEDS = 40


def quit_rows(trials: int) -> list[Row]:
    rows = []
    figures: dict[bool, list[float]] = {False: [], True: []}
    for refreshing in (False, True):
        label = "during a refresh stuck in name lookups" if refreshing else "idle"
        row = Row(f"quit {label} (real app in a pty, {FEEDS} feeds)", trials, 0)
        started = time.perf_counter()
        for _ in range(trials):
            with tempfile.TemporaryDirectory(prefix="streamtui-quit-") as folder:
                root = Path(folder)
                build(root, FEEDS, hanging=refreshing)
                try:
                    seconds, status = quit_seconds(root, refreshing=refreshing)
                except (AssertionError, OSError) as error:
                    row.crashes += 1
                    row.note = str(error)[:60]
                    continue
            figures[refreshing].append(seconds)
            if status == 0 and seconds < QUIT_BOUND:
                row.survived += 1
            else:
                row.crashes += 1
        row.seconds = time.perf_counter() - started
        if figures[refreshing]:
            row.note = f"q to exit {bench.Figures(tuple(figures[refreshing])).s()}"
        rows.append(row)
    if figures[False] and figures[True]:
        busy, idle = (bench.Figures(tuple(figures[key])) for key in (True, False))
        ratio = bench.ratio(busy, idle)
        rows[-1].note += f"; {ratio} idle"
    return rows


def network_row(feeds: int) -> Row:
    from streamtui.core.library import Library
    from streamtui.core.models import SourceKind
    from streamtui.core.store import Store

    row = Row(f"network down: a refresh of {feeds} feeds, every connect refused", 1, 0)
    with tempfile.TemporaryDirectory(prefix="streamtui-offline-") as folder:
        probes = [socket.socket() for _ in range(8)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        ports = [probe.getsockname()[1] for probe in probes]
        for probe in probes:
            probe.close()
        store = Store.open(Path(folder) / "streamtui.db")
        for number in range(feeds):
            url = f"http://127.0.0.1:{ports[number % len(ports)]}/feed{number}.xml"
            store.add_source(f"feed {number}", SourceKind.FEED, url)
        library = Library(store, bundled=Path(folder) / "none")
        started = time.perf_counter()
        try:
            summary = library.refresh()
        except Exception as error:  # counted, shown in the note
            row.crashes, row.note = 1, f"{type(error).__name__}: {error}"[:60]
            return row
        finally:
            row.seconds = time.perf_counter() - started
        written = sum(bool(source.last_error) for source in library.sources())
        library.close()
    row.escapes = written
    row.survived = int(bool(summary.network_down) and not written)
    row.note = f"{summary.failed} failed, 1 line: {summary.network_down[:48]}…"
    return row


def rows(quick: bool, trials: int | None = None) -> list[Row]:
    return [*quit_rows(trials or (2 if quick else 10)), network_row(100 if quick else 629)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=None, help="trials (default 10)")
    parser.add_argument("--quick", action="store_true", help="2 trials")
    args = parser.parse_args()
    print(f"issue 12's new-user cases, run for real ({bench.machine()})")
    return report(rows(args.quick, args.trials))


if __name__ == "__main__":
    sys.exit(main())
