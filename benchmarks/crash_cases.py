"""What used to crash the app or lock a user out (issue 12): dates at the ends of time in
every kind of time zone, a terminal shrunk to a few cells, deeply nested HTML, and a crash's
exit status. One row per case.

Run: .venv/bin/python benchmarks/crash_cases.py [--quick | --smoke]

- dates, CLI: an RSS and a JSON Feed served on 127.0.0.1 with year 1, year 9999, 1960,
  offsets of +23:59, -24:00, +99:99 and -99:59, added and then listed, searched, previewed
  and shown as sources with ``TZ`` set to zones east and west of UTC (and ``UTC-24:59:59``,
  which datetime refuses); a run survives when it exits 0 without "internal error".
- dates, old database: times stored as "nan", infinity, 1e300, year 1 and year 9999, read by
  ``list`` and ``sources`` in each zone and by the real app starting in a pseudo-terminal.
- tiny terminal: the real app in tmux at 120x40, resized to each size and back; it survives
  when it is still running and draws its list again.
- deep lists: 10,000, 20,000 and 40,000 nested ``<ul><li>`` rendered for the article pane
  and turned into text; the times and the 40k/10k ratio (linear: about 4; it was about 16).
- crash exit: the app with a failure injected on its first frame must exit non-zero.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import _bench as bench
from benchmarks._reliability import Row, report
from streamtui.core.text.htmltext import html_to_text
from streamtui.core.text.render import render_html
from tests.reliability.test_app_resilience import CRASHING
from tests.reliability.test_dates import ZONES, json_extremes, old_database, rss_extremes
from tests.support.escapes import Terminal
from tests.support.feedserver import FeedServer, feed
from tests.support.tmuxapp import TmuxApp

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

VERBS = (
    ("list",),
    ("list", "--json"),
    ("search", "year"),
    ("sources",),
    ("sources", "--json"),
)
REPORTED = [(3, 3), (2, 2), (1, 1), (1, 40), (5, 1)]
SWEEP = [(w, h) for w in (1, 4, 8, 12, 16, 20, 23, 24, 40) for h in (1, 2, 3, 5, 6, 12)]


def environment(folder: Path, zone: str = "") -> dict[str, str]:
    env = {
        **os.environ,
        "STREAMTUI_DATA_DIR": str(folder / "data"),
        "STREAMTUI_CONFIG_DIR": str(folder / "config"),
        "PYTHONPATH": str(REPO / "src"),
        "TERM": "xterm-256color",
    }
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    if zone:
        env["TZ"] = zone
    return env


def cli(env: dict[str, str], *args: str) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-m", "streamtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    bad = done.returncode != 0 or "internal error" in done.stderr or "Traceback" in done.stderr
    return not bad, (done.stderr.strip().splitlines() or [""])[-1][:60]


def run_verbs(row: Row, env: dict[str, str], zone: str, checks: list[tuple[str, ...]]) -> None:
    started = time.perf_counter()
    for args in checks:
        ok, said = cli(env, *args)
        row.tried += 1
        row.survived += ok
        row.crashes += not ok
        if not ok:
            row.note = f"{zone} {args[0]}: {said}"
    row.seconds += time.perf_counter() - started


def date_rows(zones: list[str], verbs: tuple[tuple[str, ...], ...] = VERBS) -> list[Row]:
    feeds = Row("dates: year 1/9999 and absurd offsets, CLI verbs x zones", 0, 0)
    stored = Row("dates: an old database's NaN/inf/1e300 times, CLI x zones", 0, 0)
    with tempfile.TemporaryDirectory(prefix="streamtui-dates-") as name, FeedServer() as server:
        base = Path(name)
        server.route("/x.xml", feed(rss_extremes()))
        server.route("/x.json", feed(json_extremes(), content_type="application/json"))
        for number, zone in enumerate(zones):
            adds = [("add", server.url("/x.xml")), ("add", server.url("/x.json"))]
            checks = [*adds, *verbs, ("preview", server.url("/x.xml"))]
            run_verbs(feeds, environment(base / f"feeds-{number}", zone), zone, checks)
            folder = base / f"old-{number}"
            old_database(folder / "data" / "streamtui.db", rss_extremes())
            run_verbs(stored, environment(folder, zone), zone, list(verbs))
    feeds.note = feeds.note or f"{len(zones)} zones, {feeds.tried // len(zones)} runs each"
    stored.note = stored.note or f"{len(zones)} zones, {len(verbs)} verbs each"
    return [feeds, stored]


def startup_rows(zones: list[str]) -> list[Row]:
    row = Row("dates: the real app starting on them in a pty, x zones", 0, 0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="streamtui-start-") as name:
        for number, zone in enumerate(zones):
            folder = Path(name) / str(number)
            old_database(folder / "data" / "streamtui.db", rss_extremes())
            terminal = Terminal(
                [sys.executable, "-m", "streamtui"], environment(folder, zone), size=(120, 40)
            )
            drawn = terminal.wait_for(b"Year one", timeout=30)
            terminal.send("q")
            status = terminal.close(timeout=20)
            ok = drawn and status == 0 and b"Traceback" not in terminal.output
            row.tried += 1
            row.survived += ok
            row.crashes += not ok
            if not ok:
                row.note = f"{zone}: drawn={drawn} status={status}"
    row.seconds = time.perf_counter() - started
    row.note = row.note or f"{len(zones)} zones; each drew its list and quit with status 0"
    return [row]


def tiny_rows(sizes: list[tuple[int, int]]) -> list[Row]:
    row = Row(f"tiny terminal: 120x40 -> {len(sizes)} sizes -> 120x40, real app in tmux", 0, 0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="streamtui-tiny-") as name:
        env = {k: v for k, v in environment(Path(name)).items() if k.startswith(("STREAM", "PY"))}
        with TmuxApp([sys.executable, "-m", "streamtui"], env, size=(120, 40)) as tmux:
            if not tmux.wait_for("Welcome to streamtui", timeout=30):
                return [Row(row.case, 1, 0, crashes=1, note="the app did not start")]
            tmux.send("enter")
            for width, height in sizes:
                tmux.resize(width, height)
                time.sleep(0.3)
                tmux.resize(120, 40)
                ok = tmux.wait_for("All ·", timeout=10) and tmux.alive()
                row.tried += 1
                row.survived += ok
                row.crashes += not ok
                if not ok:
                    row.note = f"died or blank after {width}x{height}"
                    break
            tmux.send("q")
            if tmux.wait_exit(timeout=20) != 0:
                row.crashes += 1
                row.note = row.note or "did not exit 0"
    row.seconds = time.perf_counter() - started
    row.note = row.note or "alive and drawn again after each; q exits 0"
    return [row]


def nesting_rows(smoke: bool = False) -> list[Row]:
    """``smoke``: 1k/2k/4k deep, too fast for the ratio to mean anything: it is printed only
    (tests/reliability/test_deep_html.py checks the depth)."""
    depths = (1_000, 2_000, 4_000) if smoke else (10_000, 20_000, 40_000)
    row = Row(
        f"deep lists: {'/'.join(f'{d // 1000}k' for d in depths)} nested <ul><li>, render + text",
        0,
        0,
    )
    times: dict[int, float] = {}
    for depth in depths:
        html = "<ul><li>x" * depth + "</li></ul>" * depth
        started = time.perf_counter()
        blocks = len(render_html(html).blocks)
        text = html_to_text(html)
        times[depth] = time.perf_counter() - started
        row.tried += 1
        ok = blocks == depth and text.count("x") == depth
        row.survived += ok
        row.crashes += not ok
    row.seconds = sum(times.values())
    ratio = times[depths[2]] / times[depths[0]]
    row.note = ", ".join(f"{d // 1000}k {s:.2f} s" for d, s in times.items())
    row.note += f"; {depths[2] // 1000}k/{depths[0] // 1000}k {ratio:.1f}x (linear: 4)"
    if ratio > 8 and not smoke:  # quadratic is 16; twice linear is noise on a busy machine at most
        row.crashes += 1
        row.survived -= 1
    return [row]


def crash_exit_rows() -> list[Row]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="streamtui-crash-") as name:
        terminal = Terminal([sys.executable, "-c", CRASHING], environment(Path(name)))
        status = terminal.close(timeout=30)
    ok = status not in (0, None)
    row = Row("a crash on the first frame exits non-zero", 1, int(ok), crashes=int(not ok))
    row.seconds = time.perf_counter() - started
    row.note = f"exit status {status}"
    return [row]


def rows(quick: bool, smoke: bool = False) -> list[Row]:
    """``smoke``: one zone (two verbs), one tiny size, shallow lists: the script runs (the
    suite's own checks of these cases are tests/reliability/test_dates.py, test_deep_html.py
    and test_app_resilience.py)."""
    zones = ["America/New_York", "Pacific/Kiritimati", "UTC-24:59:59"] if quick else list(ZONES)
    if smoke:
        zones = ["Pacific/Kiritimati"]
    return [
        *date_rows(zones, VERBS[:2] if smoke else VERBS),
        *startup_rows(zones[:2] if quick else zones),
        *tiny_rows(REPORTED[2:3] if smoke else REPORTED if quick else REPORTED + SWEEP),
        *nesting_rows(smoke),
        *crash_exit_rows(),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 zones, the 5 reported sizes")
    parser.add_argument("--smoke", action="store_true", help="1 zone, 1 size: the script runs")
    args = parser.parse_args()
    size = "smoke" if args.smoke else "quick" if args.quick else "full"
    print(f"crash cases ({size}), {bench.machine()}")
    return report(rows(args.quick, args.smoke))


if __name__ == "__main__":
    sys.exit(main())
