"""The long reliability run: every hostile-input and fault script, one table.

Run: .venv/bin/python benchmarks/reliability.py [--quick] [--only NAME,...]

- escapes: the real app in a pseudo-terminal, every escape payload in every field
- sanitize: sanitize()'s properties with hypothesis, tens of thousands of examples each
- fuzz: mutated corpus feeds through parsing and the store
- parse: the fast parse path against feedparser's on the corpus, feedparser's own tests, fuzz
  inputs and well-formed mutations (the same items, or a difference)
- net: the hostile loopback server, each case through a refresh, with real deadlines
- state: kill -9 during marks and migrations, two instances at once, bad data folders
- files: hostile local files
- cli: bad command-line input, closed or full standard streams, locales, no terminal
- secrets: a password in feed URLs against every verb, the app, migration 5; file modes;
  export targets
- concurrency: two imports at once, the data folder deleted, retention, OPML import at scale
- ux: what a new user tripped over (issue 12), with the real app: quitting during a refresh
- crash: dates at the ends of time in many zones, a tiny terminal, deep lists, a crash's exit
- sync: kill -9 during a server account's marks, pulls and pushes (issue 14)
- reader: hostile and mutated pages through extraction, bombs and mutated images through decode

Each part is also a script of its own (``pty_escapes.py``, ``fuzz.py``, ``hostile_net.py``,
``kill_trials.py``, ``local_files.py``, ``cli_inputs.py``, ``secrets_files.py``,
``state_cases.py``, ``crash_cases.py``, ``parse_diff.py``, ``sync_kills.py``,
``reader_cases.py``) with its own options. The exit status is 1 when any case was not clean: a
crash, an escape (a secret shown) or a lost mark.
``--quick`` runs each part at a small size (about a minute in all); the full run takes much
longer (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable

from benchmarks import _bench as bench
from benchmarks._reliability import Row, report

SANITIZE_PROPERTIES = 3  # the @given tests of tests/core/test_sanitize.py


def sanitize_rows(quick: bool) -> list[Row]:
    """The property tests of sanitize() with many examples each (a pytest run of their own)."""
    examples = 2_000 if quick else 30_000
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-k", "hostile_text or fast_path or printable_text", "tests/core/test_sanitize.py"],
        cwd=bench.ROOT,
        env={**os.environ, "STREAMTUI_HYPOTHESIS_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    failed = re.search(r"(\d+) failed", done.stdout)
    tried = SANITIZE_PROPERTIES * examples
    row = Row("sanitize() properties (hypothesis)", tried, tried, seconds=elapsed)
    row.note = f"{SANITIZE_PROPERTIES} properties x {examples:,} examples"
    if done.returncode != 0:
        row.escapes = int(failed.group(1)) if failed else 1
        row.survived = tried - row.escapes
        row.note = done.stdout.strip().splitlines()[-1][:80] if done.stdout.strip() else "error"
    return [row]


def script_rows(module: str) -> Callable[[bool], list[Row]]:
    def run(quick: bool) -> list[Row]:
        rows: Callable[[bool], list[Row]] = importlib.import_module(f"benchmarks.{module}").rows
        return rows(quick)

    return run


PARTS: dict[str, Callable[[bool], list[Row]]] = {
    "escapes": script_rows("pty_escapes"),
    "sanitize": sanitize_rows,
    "fuzz": script_rows("fuzz"),
    "parse": script_rows("parse_diff"),
    "net": script_rows("hostile_net"),
    "state": script_rows("kill_trials"),
    "files": script_rows("local_files"),
    "cli": script_rows("cli_inputs"),
    "secrets": script_rows("secrets_files"),
    "concurrency": script_rows("state_cases"),
    "ux": script_rows("ux_trials"),
    "crash": script_rows("crash_cases"),
    "sync": script_rows("sync_kills"),
    "reader": script_rows("reader_cases"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every part at a small size")
    parser.add_argument("--only", default="", help=f"comma-separated parts of {list(PARTS)}")
    args = parser.parse_args()
    chosen = [p for p in args.only.split(",") if p] or list(PARTS)
    unknown = set(chosen) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    print(f"streamtui reliability run ({'quick' if args.quick else 'full'}), {bench.machine()}")
    rows: list[Row] = []
    for name in chosen:
        print(f"-- {name} ...", flush=True)
        started = time.perf_counter()
        try:
            part = PARTS[name](args.quick)
        except Exception as error:  # a part that breaks is a crash in the table, not a stop
            part = [Row(name, 1, 0, crashes=1, note=f"{type(error).__name__}: {error}"[:80])]
        print(f"   {len(part)} cases, {time.perf_counter() - started:.1f} s", flush=True)
        rows += part
    print()
    return report(rows)


if __name__ == "__main__":
    sys.exit(main())
