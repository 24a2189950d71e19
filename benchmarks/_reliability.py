"""What the reliability scripts share: one row per case and the table they print.

Each script (``pty_escapes.py``, ``fuzz.py``, ``hostile_net.py``, ``kill_trials.py``,
``local_files.py``, ``cli_inputs.py``) has a ``rows(quick: bool) -> list[Row]`` that runs its
cases and a ``main()`` that prints them;
``reliability.py`` runs them all and prints one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One case of a reliability run.

    ``tried`` inputs or trials; ``survived`` ended as they should (loaded, or a clear error on
    that source, within the deadline); ``crashes`` an uncaught exception, a hang or a process
    that died; ``escapes`` hostile bytes or text that got through (to the terminal, into the
    store, out of the sandbox); ``lost`` acknowledged writes missing afterwards.
    """

    case: str
    tried: int
    survived: int
    crashes: int = 0
    escapes: int = 0
    lost: int = 0
    seconds: float = 0.0
    note: str = ""

    @property
    def clean(self) -> bool:
        return self.survived == self.tried and not (self.crashes or self.escapes or self.lost)


HEADER = ("case", "tried", "survived", "crashes", "escapes", "lost", "time", "note")


def table(rows: Sequence[Row]) -> str:
    """A Markdown table of ``rows`` with a total line."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = (
            row.case,
            f"{row.tried:,}",
            f"{row.survived:,}",
            str(row.crashes),
            str(row.escapes),
            str(row.lost),
            f"{row.seconds:.1f} s",
            row.note,
        )
        lines.append("| " + " | ".join(cells) + " |")
    total = Row(
        "**total**",
        sum(r.tried for r in rows),
        sum(r.survived for r in rows),
        sum(r.crashes for r in rows),
        sum(r.escapes for r in rows),
        sum(r.lost for r in rows),
        sum(r.seconds for r in rows),
    )
    lines.append(
        f"| {total.case} | {total.tried:,} | {total.survived:,} | {total.crashes} | "
        f"{total.escapes} | {total.lost} | {total.seconds:.1f} s | |"
    )
    return "\n".join(lines)


def report(rows: Sequence[Row]) -> int:
    """Print the table; the exit status is 1 when any case was not clean."""
    print(table(rows))
    return 0 if all(row.clean for row in rows) else 1
