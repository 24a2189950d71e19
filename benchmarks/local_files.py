"""Hostile local files: each is skipped with a reason or loaded safely, within half a second.

Run: .venv/bin/python benchmarks/local_files.py [--trials 50] [--quick]

A source folder holds one good page beside a FIFO named ``x.txt``, a symlink to /dev/zero, a
2 GB sparse file, ``../`` and sibling-prefix (``root`` vs ``root-evil``) escapes, a symlink
loop, a binary file, an empty file, Latin-1 and UTF-16 files, and file names holding escape
sequences and invalid UTF-8. Every trial reads each file through the bounded reader the
loaders use (in a thread, so a hang shows as a crash instead of stopping the script), then
loads the whole folder as a source. A case survives when it ends within 0.5 s, loaded or
refused with a reason; an escape is a secret from outside the root in what was loaded, or a
control character in any text that came out.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import _bench as bench
from _reliability import Row, report

from streamtui.core.errors import FileReadError
from streamtui.core.files import read_text
from streamtui.core.sources.pages import load_source

DEADLINE = 0.5
SECRET = "SECRET-OUTSIDE-THE-ROOT"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
GOOD = "Good page\n\nIt loads.\n"
T = TypeVar("T")


def build(base: Path) -> tuple[Path, dict[str, Path]]:
    """The source folder and the file of each case, by case name."""
    root = base / "root"
    root.mkdir()
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\n\n{SECRET}\n")
    evil = base / "root-evil"
    evil.mkdir()
    (evil / "x.txt").write_text(f"{SECRET}\n\nsibling\n")
    cases: dict[str, Path] = {}

    def case(name: str, file_name: str | bytes) -> Path:
        raw = os.path.join(os.fsencode(root), os.fsencode(file_name))
        cases[name] = path = Path(os.fsdecode(raw))
        return path

    case("good page", "00-good.txt").write_text(GOOD)
    os.mkfifo(case("FIFO named x.txt", "x.txt"))
    case("symlink to /dev/zero", "zero.txt").symlink_to("/dev/zero")
    with open(case("2 GB sparse file", "huge.txt"), "wb") as handle:
        handle.truncate(2 * 1024**3)
    case("../ escape", "dotdot.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    case("sibling prefix (root-evil)", "prefix.txt").symlink_to(evil / "x.txt")
    case("symlink loop", "loop.txt").symlink_to(root / "loop.txt")
    case("binary file", "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    case("empty file", "empty.txt").write_bytes(b"")
    case("Latin-1 file", "latin.txt").write_bytes("Café naïve ½\n\nÿ\n".encode("latin-1"))
    case("UTF-16 with BOM", "bom16.txt").write_bytes(
        codecs.BOM_UTF16_LE + "UTF-16 page\n\nok\n".encode("utf-16-le")
    )
    case("UTF-16 without BOM", "nobom16.txt").write_bytes("Title\n\nx\n".encode("utf-16-le"))
    case("escape sequences in the name", "evil\x1b]0;pwned\x07\x1b[2J\x9b6n.txt").write_text(GOOD)
    case("invalid UTF-8 in the name", b"bad\xff\xfe.txt").write_text(GOOD)
    # ../ in the path itself (not through a link)
    cases["../ in the path"] = root / ".." / "outside" / "secret.txt"
    return root, cases


def timed(call: Callable[[], T]) -> tuple[float, T | None, BaseException | None]:
    """Run ``call`` in a daemon thread for at most 10 s; (seconds, value, error)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as error:
            box["error"] = error

    started = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    elapsed = time.perf_counter() - started
    if thread.is_alive():
        return elapsed, None, TimeoutError("still running after 10 s")
    error = box.get("error")
    value: T | None = box.get("value")  # type: ignore[assignment]
    return elapsed, value, error if isinstance(error, BaseException) else None


def texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list):
        for part in value:
            yield from texts(part)


def rows(quick: bool, trials: int | None = None) -> list[Row]:
    count = trials or (3 if quick else 50)
    with bench.workspace("streamtui-files-") as base:
        root, cases = build(base)
        results = {name: Row(name, 0, 0) for name in cases}
        folder = Row("the whole folder as a source", 0, 0)
        slowest: dict[str, float] = {}
        for _ in range(count):
            for name, path in cases.items():
                row = results[name]
                row.tried += 1
                elapsed, value, error = timed(lambda p=path: read_text(p, root))  # type: ignore[misc]
                row.seconds += elapsed
                slowest[name] = max(slowest.get(name, 0.0), elapsed)
                out = list(texts(value))
                if isinstance(error, FileReadError):
                    out = [error.path, error.reason]
                    if not error.reason:
                        row.crashes += 1
                        continue
                elif error is not None:
                    row.crashes += 1
                    row.note = f"{type(error).__name__}: {error}"[:60]
                    continue
                if any(SECRET in text or CONTROLS.search(text) for text in out):
                    row.escapes += 1
                elif elapsed <= DEADLINE:
                    row.survived += 1
                outcome = error.reason if isinstance(error, FileReadError) else "loaded"
                row.note = f"{outcome[:44]}; slowest {slowest[name] * 1000:.1f} ms"
            folder.tried += 1
            elapsed, result, error = timed(lambda: load_source(str(root), root))
            folder.seconds += elapsed
            if error is not None or result is None:
                folder.crashes += 1
                continue
            shown = [t for item in result.items for t in (item.title, item.body, item.path)]
            shown += [t for p in result.problems for t in (p.path, p.reason)]
            if any(SECRET in text or CONTROLS.search(text) for text in shown):
                folder.escapes += 1
            elif elapsed <= DEADLINE:
                folder.survived += 1
            slowest["folder"] = max(slowest.get("folder", 0.0), elapsed)
            folder.note = (
                f"{len(result.items)} loaded, {len(result.problems)} skipped with a reason; "
                f"slowest {slowest['folder'] * 1000:.1f} ms"
            )
    return [*results.values(), folder]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=None, help="trials (default 50)")
    parser.add_argument("--quick", action="store_true", help="3 trials")
    args = parser.parse_args()
    print(f"hostile local files, each read must end within {DEADLINE} s")
    return report(rows(args.quick, args.trials))


if __name__ == "__main__":
    sys.exit(main())
