"""Hostile servers against a real refresh (issue 6): one row per case, plus twenty feeds of
which three are bad.

Run: .venv/bin/python benchmarks/hostile_net.py [--quick | --smoke] [--repeat 3] [--jobs 4]

Each run of a case is a process of its own (this script with ``--child``), so its peak memory
is its own: it starts a loopback server (127.0.0.1, tests/support/feedserver.py), refreshes a feed
source from a good feed (two items, one marked read), turns the server hostile and runs one
``Library.refresh``. It survives when the refresh ends within the deadline with the right
error on that source, both items and the read mark still there, and the process under 200 MB
(VmHWM; the parser workers are reported apart). A crash is an exception, a process that dies or
a refresh still running well past its deadline (it is then cancelled); an escape is hostile
content that got in: the source updated from it, or /etc/passwd text in the store. ``lost``
counts runs where the source's stored items or read mark went missing.

The full run uses the real limits (``Limits()``: 10 s connect, 20 s read, 60 s in all, 16 MiB),
so the drip takes a minute; the slow cases run side by side (``--jobs``), so a full run takes
about a minute and a half per repetition. ``--quick`` runs each case once with short deadlines
(2 s read, 4 s in all) and the same 16 MiB cap, in well under a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from statistics import median

from benchmarks._reliability import Row, report
from streamtui.core.fetch import Limits
from streamtui.core.library import Library
from streamtui.core.models import (
    RefreshEvent,
    Source,
    SourceKind,
)
from streamtui.core.store import Store
from tests.support.feedserver import (
    PROXY_VARIABLES,
    FeedServer,
    Handler,
    drip,
    endless,
    feed,
    gzip_bomb,
    hang,
    png_image,
    redirect,
    rss,
    self_signed_context,
    status,
)
from tests.support.store import update_source

HERE = Path(__file__).resolve().parent

REAL = Limits()
QUICK = Limits(connect=1.0, read=2.0, total=4.0)
GRACE = 5.0
"""Seconds past the total deadline a refresh may take (a parser starting, the store): later
than that it counts as a hang."""
MEMORY_CAP_MB = 200.0
BOMB_SIZE = 1024 * 1024 * 1024  # 1 GiB of zeros, about 1 MB on the wire
HTML = "<!doctype html><html><head><title>A page</title></head><body><p>Hi</p></body></html>"


def in_hours(hours: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(hours=hours), usegmt=True)


@dataclass(frozen=True)
class Case:
    handler: Callable[[], Handler]
    says: tuple[str, ...]  # words the error stored on the source must hold
    tls: bool = False


CASES: dict[str, Case] = {
    "hang": Case(hang, ("timed out",)),
    "drip 1 byte/s": Case(lambda: drip(bytes_per_second=1), ("timed out",)),
    "endless chunked body": Case(endless, ("larger than the 16.0 MiB limit",)),
    "gzip bomb (1 GiB)": Case(lambda: gzip_bomb(BOMB_SIZE), ("larger than the 16.0 MiB limit",)),
    "corrupt gzip": Case(
        lambda: status(
            200, [("Content-Encoding", "gzip")], gzip.compress(rss(1, 2).encode())[:-30]
        ),
        ("corrupt compressed body",),
    ),
    "redirect loop": Case(lambda: redirect(302, "/feed.xml?again"), ("redirect loop",)),
    "redirect to file:///etc/passwd": Case(
        lambda: redirect(302, "file:///etc/passwd"), ("file: URL", "not followed")
    ),
    "410": Case(lambda: status(410), ("410", "no longer fetched")),
    "429 Retry-After seconds": Case(
        lambda: status(429, [("Retry-After", "120")]), ("429", "next try after")
    ),
    "429 Retry-After date": Case(
        lambda: status(429, [("Retry-After", in_hours(3))]), ("429", "next try after")
    ),
    "429 Retry-After garbage": Case(
        lambda: status(429, [("Retry-After", "soon-ish")]), ("429", "unreadable", "in an hour")
    ),
    "self-signed TLS": Case(
        lambda: feed(rss(1, 2, 3)), ("TLS certificate verification failed",), tls=True
    ),
    "HTML page": Case(lambda: feed(HTML, content_type="text/html"), ("not a feed", "HTML")),
    "PNG": Case(lambda: feed(png_image(), content_type="image/png"), ("not a feed", "PNG")),
}
TWENTY = "20 feeds, 3 bad (hang, gzip bomb, HTML)"
BAD = {"/hang": "hang", "/bomb": "gzip bomb (1 GiB)", "/page": "HTML page"}


# --- one run, in a process of its own ------------------------------------------------------


@dataclass
class Outcome:
    """What one run of a case found (printed as JSON by the child)."""

    ok: bool = False  # the right error, in time, nothing lost, under the memory cap
    crash: str = ""
    escape: str = ""
    lost: str = ""
    elapsed: float = 0.0
    peak_mb: float = 0.0
    workers_mb: float = 0.0
    error: str = ""
    problems: list[str] = field(default_factory=list)


def child(case: str, limits: Limits) -> Outcome:
    for name in (*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="hostile-net-") as folder:
        library = Library(Store.open(Path(folder) / "streamtui.db"), bundled=Path(folder) / "n")
        try:
            with FeedServer() as server:
                if case == TWENTY:
                    outcome = twenty(library, server, limits)
                else:
                    outcome = one(library, server, CASES[case], Path(folder), limits)
        finally:
            library.close()
    outcome.peak_mb = _vm_hwm_mb()
    for what, peak in (("the refresh", outcome.peak_mb), ("a parser worker", outcome.workers_mb)):
        if peak > MEMORY_CAP_MB:
            outcome.problems.append(f"{what} peaked at {peak:.0f} MB")
    outcome.ok = not (outcome.problems or outcome.crash or outcome.escape or outcome.lost)
    return outcome


def one(library: Library, server: FeedServer, case: Case, folder: Path, limits: Limits) -> Outcome:
    source = seed(library, server, ["/feed.xml"], limits)[0]
    outcome = Outcome()
    with contextlib.ExitStack() as stack:
        if case.tls:  # the feed moved to https, where the certificate is self-signed
            if shutil.which("openssl") is None:
                return Outcome(problems=["not run: the openssl command is not installed"])
            context = self_signed_context(folder)
            server = stack.enter_context(FeedServer(ssl_context=context))
            update_source(library.store, source.id, location=server.url("/feed.xml"))
        server.route("/feed.xml", case.handler())
        events = timed_refresh(library, limits, outcome)
    (now,) = library.sources(only=[source.id])
    outcome.error = now.last_error
    if not outcome.crash:
        judge(outcome, events, now, case.says)
    check_kept(outcome, library, now)
    texts = [text for _, _, text in library.iter_articles(library.view())]
    if any("root:" in text for text in texts):
        outcome.escape = "/etc/passwd text in the store"
    return outcome


def twenty(library: Library, server: FeedServer, limits: Limits) -> Outcome:
    good = [f"/feed/{n}" for n in range(17)]
    sources = seed(library, server, [*BAD, *good], limits)  # the bad ones start first
    for path in good:
        server.route(path, feed(rss(1, 2, 3)))
    for path, case in BAD.items():
        server.route(path, CASES[case].handler())
    outcome = Outcome()
    events = timed_refresh(library, limits, outcome)
    by_id = {source.id: source for source in library.sources()}
    updated = [e for e in events if e.outcome == "updated" and e.added == 1]
    if len(updated) != 17:
        outcome.problems.append(f"{len(updated)} of the 17 good feeds updated")
    for source in sources:
        now = by_id[source.id]
        if source.name in BAD:
            for word in CASES[BAD[source.name]].says:
                if word.casefold() not in now.last_error.casefold():
                    outcome.problems.append(f"{source.name}: {now.last_error!r}")
            check_kept(outcome, library, now)
            if now.total != 2:
                outcome.escape = f"{source.name} stored {now.total} items"
    outcome.error = "; ".join(f"{by_id[s.id].name}: {by_id[s.id].last_error}" for s in sources[:3])
    return outcome


def seed(library: Library, server: FeedServer, paths: list[str], limits: Limits) -> list[Source]:
    """Feed sources refreshed once from a good feed: two items each, the older one read."""
    sources = []
    for path in paths:
        server.route(path, feed(rss(1, 2)))
        sources.append(library.store.add_source(path, SourceKind.FEED, server.url(path)))
    summary = library.refresh(sources, limits=limits)
    assert summary.added == 2 * len(paths), summary
    for source in sources:
        rows = library.rows(library.view(source.id), 0, 10)
        library.mark_read([row.id for row in rows if row.title == "Story 1"])
    return sources


def timed_refresh(library: Library, limits: Limits, outcome: Outcome) -> list[RefreshEvent]:
    """One refresh of everything: its events; its seconds, the parser workers' peak memory
    and why it counts as a crash (if it does) go into ``outcome``."""
    events: list[RefreshEvent] = []
    cancel = threading.Event()
    timer = threading.Timer(limits.total + GRACE, cancel.set)
    timer.start()
    started = time.monotonic()
    # Holding a parsing job open keeps the parser's workers alive after the refresh, so their
    # peak memory can be read (the refresh alone would stop them on its way out).
    with library._parsing() as parser:
        try:
            library.refresh(progress=events.append, cancel=cancel, limits=limits)
        except Exception as error:  # the refresh itself must never raise
            outcome.crash = f"{type(error).__name__}: {error}"
        finally:
            timer.cancel()
            outcome.elapsed = time.monotonic() - started
        pids = parser.worker_pids()
        outcome.workers_mb = max((_vm_hwm_mb(pid) for pid in pids), default=0.0)
    if cancel.is_set():
        outcome.crash = f"still running after {outcome.elapsed:.0f} s"
    return events


def judge(
    outcome: Outcome, events: list[RefreshEvent], source: Source, says: tuple[str, ...]
) -> None:
    if [event.outcome for event in events] != ["failed"]:
        outcome.escape = f"the refresh said {[event.outcome for event in events]}"
        return
    error = source.last_error
    if "\n" in error or "Traceback" in error or len(error) > 300:
        outcome.problems.append(f"not one short line: {error[:80]!r}")
    missing = [word for word in says if word.casefold() not in error.casefold()]
    if missing:
        outcome.problems.append(f"{missing} not in {error!r}")


def check_kept(outcome: Outcome, library: Library, source: Source) -> None:
    rows = {row.title: row.read for row in library.rows(library.view(source.id), 0, 10)}
    if rows != {"Story 2": False, "Story 1": True} and not outcome.escape:
        outcome.lost = f"{source.name}: {rows}"


def _vm_hwm_mb(pid: int | None = None) -> float:
    """A process's peak resident memory in MB (VmHWM); this one's falls back on ru_maxrss
    where /proc is missing."""
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0 if pid else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the table -----------------------------------------------------------------------------


def run_child(case: str, quick: bool) -> tuple[Outcome, float]:
    """One run of ``case`` in a new process; a process that dies or hangs is a crash."""
    limits = QUICK if quick else REAL
    command = [sys.executable, str(Path(__file__).resolve()), "--child", case]
    if quick:
        command.append("--quick")
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limits.total + GRACE + 60
        )
    except subprocess.TimeoutExpired:
        return Outcome(crash="the process hung"), time.monotonic() - started
    wall = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Outcome(crash=f"exit {done.returncode}: {tail[:120]}"), wall
    return Outcome(**json.loads(lines[-1])), wall


SMOKE = ("redirect loop", "410", "HTML page")
"""``--smoke``: three cases that end at once (tests/reliability/test_hostile_network.py runs
every case through a refresh; the smoke shows this script runs)."""


def rows(quick: bool, repeat: int | None = None, jobs: int = 4, smoke: bool = False) -> list[Row]:
    """One row per case; ``repeat`` runs each (1 with ``quick``, else 3)."""
    count = 1 if smoke else repeat or (1 if quick else 3)
    names = list(SMOKE) if smoke else [*CASES, TWENTY]
    runs = [(name, n) for name in names for n in range(count)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(lambda run: run_child(run[0], quick), runs))
    table = []
    for name in names:
        mine = [result for (case, _), result in zip(runs, results, strict=True) if case == name]
        table.append(row(name, [outcome for outcome, _ in mine], sum(wall for _, wall in mine)))
    return table


def row(name: str, outcomes: list[Outcome], wall: float) -> Row:
    elapsed = [o.elapsed for o in outcomes if not o.crash]
    peak = max((o.peak_mb for o in outcomes), default=0.0)
    workers = max((o.workers_mb for o in outcomes), default=0.0)
    notes = [
        f"refresh {median(elapsed):.1f} s (max {max(elapsed):.1f})" if elapsed else "",
        f"peak RSS {peak:.0f} MB" + (f" (parser worker {workers:.0f} MB)" if workers else ""),
    ]
    trouble = next(
        (o.crash or o.escape or o.lost or "; ".join(o.problems) for o in outcomes if not o.ok),
        "",
    )
    shown = trouble or (outcomes[0].error if outcomes else "")
    notes.append(shown.replace("|", "/")[:140])
    return Row(
        case=name,
        tried=len(outcomes),
        survived=sum(o.ok for o in outcomes),
        crashes=sum(bool(o.crash) for o in outcomes),
        escapes=sum(bool(o.escape) for o in outcomes),
        lost=sum(bool(o.lost) for o in outcomes),
        seconds=wall,
        note="; ".join(note for note in notes if note),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="once each, short deadlines")
    parser.add_argument("--smoke", action="store_true", help="three cases, as --quick")
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (default 3)")
    parser.add_argument("--jobs", type=int, default=4, help="cases run side by side")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.quick = args.quick or args.smoke
    if args.child:
        outcome = child(args.child, QUICK if args.quick else REAL)
        print(json.dumps(asdict(outcome)))
        return 0
    limits = QUICK if args.quick else REAL
    print(
        f"limits: connect {limits.connect:g} s, read {limits.read:g} s, total {limits.total:g} s,"
        f" {limits.max_bytes / 2**20:g} MiB; memory cap {MEMORY_CAP_MB:.0f} MB\n"
    )
    return report(rows(args.quick, args.repeat, args.jobs, args.smoke))


if __name__ == "__main__":
    sys.exit(main())
