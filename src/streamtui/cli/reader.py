"""The verbs of the whole story: download (an attachment, with progress) and full-text (a
feed's setting); ``show`` is in article.py."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import TYPE_CHECKING

from streamtui.cli.output import fail
from streamtui.core.config import Config
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import FullTextReport, Library
from streamtui.core.text.attachments import size
from streamtui.core.text.sanitize import excerpt, sanitize

if TYPE_CHECKING:
    from streamtui.core.reader.download import Progress

BAR_WIDTH = 30
REDRAW = 0.1
"""Seconds between two redraws of the progress bar at most."""


def download(library: Library, args: argparse.Namespace) -> int:
    config: Config = args.loaded_config
    (item_id,) = library.resolve_ids([args.id])
    if args.number < 1:
        raise StreamtuiError(f"download: {args.number}: attachments are numbered from 1")
    enclosure = library.enclosure(item_id, args.number)
    folder, _create = library.download_folder(config.download_dir)
    terminal = sys.stderr is not None and sys.stderr.isatty()
    meter = _Meter(terminal)
    if not terminal:
        shown = excerpt(sanitize(enclosure.url), 120)
        print(f"downloading {shown} into {sanitize(str(folder))}", flush=True)
    cancel = threading.Event()
    job = library.download_enclosure(
        item_id,
        args.number,
        download_dir=config.download_dir,
        max_mb=config.download_max_mb,
        on_progress=meter.update,
        cancel=cancel,
    )
    try:
        done = job.result()
    except KeyboardInterrupt:
        cancel.set()
        meter.finish()
        fail("download interrupted; what came is kept, and the same command resumes it")
        raise
    finally:
        meter.finish()
    resumed = (
        f", {size(done.resumed_from)} of it from an earlier attempt" if done.resumed_from else ""
    )
    print(f"saved {sanitize(str(done.path))} ({size(done.size) or '0 bytes'}{resumed})")
    return 0


class _Meter:
    """Progress on standard error: a bar redrawn in place on a terminal, nothing otherwise
    (a log gets the start and end lines only)."""

    def __init__(self, terminal: bool) -> None:
        self.terminal = terminal
        self.drawn = 0.0
        self.started = time.monotonic()
        self.last: Progress | None = None

    def update(self, progress: Progress) -> None:
        self.last = progress
        now = time.monotonic()
        if not self.terminal or now - self.drawn < REDRAW:
            return
        self.drawn = now
        self._draw(progress, now)

    def _draw(self, progress: Progress, now: float) -> None:
        got, total = progress.received, progress.total
        elapsed = max(now - self.started, 1e-3)
        speed = (got - progress.resumed_from) / elapsed
        if total:
            filled = BAR_WIDTH * min(got, total) // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            amount = f"{size(got) or '0 bytes'} of {size(total)}"
        else:
            bar = "." * BAR_WIDTH
            amount = size(got) or "0 bytes"
        line = f"\r[{bar}] {amount}  {size(int(speed)) or '0 bytes'}/s"
        sys.stderr.write(f"{line:<70}")
        sys.stderr.flush()

    def finish(self) -> None:
        """The last state drawn, and the line ended (once; nothing when not a terminal)."""
        if self.terminal and self.last is not None:
            self._draw(self.last, time.monotonic())
            sys.stderr.write("\n")
            sys.stderr.flush()
        self.last = None


def full_text(library: Library, args: argparse.Namespace) -> int:
    if args.state is None:
        source = library.find_source(args.source)
    else:
        source = library.set_full_text(args.source, args.state == "on")
    name = sanitize(source.name)
    if source.full_text:
        print(f"{name}: full text on: each new item's web page is fetched after a refresh")
    else:
        print(f"{name}: full text off: items show the feed's own text")
    return 0


def wait_for_full_text(library: Library) -> None:
    """After ``streamtui refresh``: the background fetch of full articles, waited for and
    said in one line (a process that ends would stop it half-way)."""
    job = library.full_text_job()
    if job is None:
        return
    if sys.stderr is not None and sys.stderr.isatty():
        sys.stderr.write("streamtui: fetching full articles…\n")
        sys.stderr.flush()
    report: FullTextReport = job.result()
    for failure in report.failed:
        fail(f"no full article: {failure}")
    print(
        f"full text: {report.fetched} article(s) fetched"
        + (f", {len(report.failed)} without one" if report.failed else "")
    )
