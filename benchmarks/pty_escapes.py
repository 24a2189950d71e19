"""Hostile terminal escapes against the real app in a pseudo-terminal, one row per field.

Run: .venv/bin/python benchmarks/pty_escapes.py [--quick | --smoke]

Every payload of ``tests/support/escapes.py`` (OSC 52/0/2/8/1337, APC, DCS, CSI moves, clears and
queries, 8-bit C1, bidi, C0...) is put in a field (a page's title, body, teaser, a folder or
file name, the error of a skipped file, RSS and JSON Feed items, a feed title, an attachment
type, rows of an old database stored without sanitising); the app is started in a pty with
``python -m streamtui``, every item is opened and every screen shown, and its output is
searched for each payload's marker. Per field: tried = payloads in it, survived = drawn and
not leaked, escapes = leaked to the terminal, crashes = the app did not exit 0 or printed a
traceback.

One run carries every field at once (three runs without ``--quick``, about 30 s each), and a
leak is put down to the field whose tag word (``T07a``: title of payload 7) comes just before
it in the output.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import _reliability as reliability
from benchmarks._reliability import Row
from tests.support.escapes import FIELDS, PAYLOADS, Run, leaked, scenario_run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

_TAG = re.compile(rb"([A-Z])(\d\d)a")
_FIELD_OF_TAG = {tag.encode(): name for name, tag in FIELDS.items()}


def _attributed(run: Run) -> dict[str, set[str]]:
    """Leaked payload names per field, by the nearest tag word before each match."""
    found: dict[str, set[str]] = {}
    for payload in leaked(run.output):
        for match in payload.marker.finditer(run.output):
            before = run.output[max(0, match.start() - 300) : match.start()]
            tags = list(_TAG.finditer(before))
            name = _FIELD_OF_TAG.get(tags[-1].group(1), "?") if tags else "?"
            found.setdefault(name, set()).add(payload.name)
    return found


def _rows_of(
    run: Run, tried: dict[str, int], leaks: dict[str, set[str]], seconds: float
) -> list[Row]:
    crashed = int(run.status != 0 or run.traceback)
    rows = []
    for name in tried:
        tag = FIELDS[name].encode()
        undrawn = sum(1 for word in run.missing if word[:1] == tag)
        escapes = len(leaks.get(name, ()))
        notes = []
        if undrawn:
            notes.append(f"{undrawn} not drawn")
        if crashed:
            notes.append(f"exit {run.status}" + (", traceback" if run.traceback else ""))
        rows.append(
            Row(
                case=name,
                tried=tried[name],
                survived=max(0, tried[name] - escapes - undrawn),
                crashes=crashed,
                escapes=escapes,
                seconds=seconds,
                note="; ".join(notes),
            )
        )
    unplaced = leaks.get("?")
    if unplaced:
        rows.append(Row("(leak of no known field)", len(unplaced), 0, escapes=len(unplaced)))
    return rows


SMOKE_PAYLOADS = 3
"""``--smoke``: the first payloads only, in every field, and a drive through the items and
the sources only (no links screen, help, palette, search, rename or removal: they draw no
field of their own). The suite's own drive of every payload through every screen is
tests/reliability/test_terminal_safety.py; the smoke shows this script runs."""


def rows(quick: bool, smoke: bool = False) -> list[Row]:
    """One app run carrying every field (three runs without ``quick``), rows summed."""
    totals: dict[str, Row] = {}
    payloads = PAYLOADS[:SMOKE_PAYLOADS] if smoke else PAYLOADS
    with tempfile.TemporaryDirectory(prefix="streamtui-escapes-") as temporary:
        for number in range(1 if quick or smoke else 3):
            began = time.monotonic()
            with scenario_run(
                Path(temporary) / f"run-{number}", payloads, every_screen=not smoke
            ) as (scenario, run):
                found = _rows_of(run, scenario.tried, _attributed(run), 0.0)
            found[0].seconds = time.monotonic() - began  # one run for every row
            for row in found:
                total = totals.setdefault(row.case, Row(row.case, 0, 0))
                total.tried += row.tried
                total.survived += row.survived
                total.crashes += row.crashes
                total.escapes += row.escapes
                total.seconds += row.seconds
                total.note = "; ".join(filter(None, [total.note, row.note]))
    runs = "one run" if quick or smoke else "three runs"
    for row in list(totals.values())[1:]:
        row.note = "; ".join(filter(None, [f"the same {runs}", row.note]))
    return list(totals.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"one run of the first {SMOKE_PAYLOADS} payloads, through the items and sources",
    )
    args = parser.parse_args()
    return reliability.report(rows(args.quick, args.smoke))


if __name__ == "__main__":
    sys.exit(main())
