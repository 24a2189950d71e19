"""Start-up time: from launch to the first paint of the stream list, at 1k, 10k and 100k items.

Run: .venv/bin/python benchmarks/startup.py [--sizes 1000,10000,100000] [--repeat 5]
     [--no-newsboat] [--smoke]

Three measurements, each printed as a median with min and max over ``--repeat`` runs:

1. In a real terminal (a private tmux server, 120x40, with ``_relay.py`` between tmux and the
   program): from the program's launch (the relay's START stamp) to the output chunk that
   completes the first paint of its list. streamtui's marker is the newest item's title
   (the first row of its stream list); newsboat's first screen is its feed list, and its
   marker is the first feed's title, "Bench feed 0", which it writes only when it draws that
   list (its loading messages before it name no feed). streamtui and newsboat runs are
   interleaved in the same loop, after one untimed warm-up run of streamtui, and the ratio
   streamtui/newsboat is printed with the targets: streamtui at the largest size within
   1.2x of the smallest, within 0.5 s, and at most 0.05x newsboat.
2. Headless, in this process: from constructing ``StreamApp(Library(Store.open(db)),
   sync_on_start=False)`` to the end of the first ``pilot.pause()`` of ``App.run_test()``
   (after one untimed warm-up run per size; every import is already done). The pause waits
   for the app to go idle, so this includes work done after the first frame (Textual
   rebuilds the footer several times as focus and bindings settle), unlike 1.
3. The imports before the first paint: a child ``python -X importtime`` runs the CLI's own
   path (``streamtui.cli.main([])``: open the library, load the config, build ``StreamApp``),
   only with ``run()`` made headless at 120x40, and prints a marker line to standard error
   when the app hands its first frame to the display (``App._display``). The import lines
   before the marker give the total import time and the ten slowest top-level imports. The
   script FAILS (exit status 1) when ``feedparser``, ``httpx`` or ``PIL`` was imported before the
   first paint, by any thread.

The data: ``size`` items are ``size / 100`` generated RSS feeds of 100 items each
(``_bench.feed_set``), served by a loopback ``FeedServer`` with ETags that stays up during
every measurement. streamtui's store is filled by ``_bench.fill_store`` (as a refresh would
have stored the items), then one ``streamtui refresh`` stores each feed's ETag, as a user's
earlier refresh would have. newsboat's cache is filled from the same URLs by
``newsboat -x reload`` (its default configuration; the time it takes is printed). streamtui
runs with its bytecode cached, as an installed copy has it (see ``our_env``).

How long it takes: at 100k items, generating the feeds takes ~5 s, ``fill_store`` ~50 s, the
ETag refresh ~80 s, newsboat's reload ~60 s, and every newsboat start ~60 s (it draws its
list only after loading all 100k articles); a full run at the default sizes with
``--repeat 3`` takes ~12 minutes on the 2-core machine.

What each program does at start: streamtui opens on what is stored and, by default
(``sync_on_start``), starts a refresh of every feed in the background; with the server up
every request gets a 304, as a user whose feeds did not change would see. That refresh
(its imports, its parser processes and its requests) runs while the first paint is drawn,
so it is in figures 1 and 3. newsboat does not fetch at start (``refresh-on-startup`` is
off by default); it loads every article of its cache before drawing.

``--smoke`` runs one 200-item size once (newsboat only if it is installed) in well under
30 s; ``--no-newsboat`` leaves newsboat out. Programs are quit with their ``q`` key (and
killed, with what they started, if they do not go); the tmux server is killed on exit and on
Ctrl-C. The machine is shared: the figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from socket import socket
from socketserver import BaseServer

from benchmarks import _year as year
from benchmarks._bench import (
    FeedServer,
    Figures,
    Newsboat,
    Relay,
    Terminal,
    descendants,
    machine,
    newsboat,
    ratio,
    streamtui_command,
    streamtui_env,
    workspace,
)
from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp

WIDTH, HEIGHT = 120, 40

NEWSBOAT_MARKER = b"Bench feed 0"
"""The first row of newsboat's feed list."""

TERM = "tmux-256color"
"""What both programs are told the terminal is (they run inside tmux)."""

PAINT_TIMEOUT = 1800.0
"""Seconds to wait for a first paint (newsboat loads 100k articles for minutes)."""

TARGET_GROWTH = 1.2
TARGET_YEAR_GROWTH = 1.3
"""At a year of feeds (a million items, issue 15): within 1.3x of the smallest size."""
TARGET_SECONDS = 0.5
TARGET_RATIO = 0.05

FIRST_PAINT_MARKER = "@@streamtui-startup: first paint@@"

CHILD = f"""
import sys

# The helper processes the app starts (feed parsers, multiprocessing's resource tracker)
# take the interpreter's -X options from here: without it they would write their own
# import lines into the same standard error.
sys._xoptions.pop("importtime", None)

from streamtui import cli, stdio  # what the `streamtui` console script imports
from streamtui.ui.app import StreamApp  # cli._launch imports it before app.run()

run = StreamApp.run
display = StreamApp._display
painted = []


def first_frame(app, screen, renderable):
    # Where a terminal's frame is written (headless, nothing is): the first one is the paint.
    if renderable is not None and not painted:
        painted.append(True)
        print({FIRST_PAINT_MARKER!r}, file=sys.__stderr__, flush=True)
    return display(app, screen, renderable)


def headless_run(app, *args, **kwargs):
    async def settle(pilot):
        await pilot.pause()
        app.exit()

    return run(app, headless=True, size=({WIDTH}, {HEIGHT}), auto_pilot=settle)


StreamApp._display = first_frame
StreamApp.run = headless_run
stdio.terminal_problem = lambda: ""  # headless: no terminal is needed
sys.exit(cli.main([]))
"""
"""The child of measurement 3: ``streamtui`` with no arguments, headless."""

FORBIDDEN = ("feedparser", "httpx", "PIL")
"""Packages that must not be imported before the first paint (a refresh needs the first two,
an article's image Pillow)."""


# -- the data ----------------------------------------------------------------------------


@dataclass
class Size:
    """One size's figures."""

    items: int
    streamtui: list[float] = field(default_factory=list)
    newsboat: list[float] = field(default_factory=list)
    headless: list[float] = field(default_factory=list)


def ignore_dropped_connections() -> None:
    """streamtui quit with ``q`` during its start-up refresh drops its connections to the
    feed server, whose threads would print a traceback for each; others still print."""
    report = ThreadingHTTPServer.handle_error

    def handle_error(
        server: BaseServer, request: socket | tuple[bytes, socket], address: object
    ) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            report(server, request, address)

    ThreadingHTTPServer.handle_error = handle_error  # type: ignore[method-assign, assignment]


def timed(label: str, seconds: float) -> None:
    print(f"  {label} in {seconds:.1f} s", flush=True)


def our_env(data: Path, config: Path, pycache: Path) -> dict[str, str]:
    """streamtui's environment, with its bytecode cached under ``pycache`` (written by its
    first run), as an installed streamtui has it: this machine's environment sets
    PYTHONDONTWRITEBYTECODE, and an editable install's modules would otherwise be compiled
    from source at every start."""
    env = streamtui_env(data, config)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def store_etags(env: dict[str, str]) -> str:
    """One ``streamtui refresh``: every feed is fetched once and its ETag stored (the items
    are already there). ``--searchable``: should it store anything, no indexer is left
    running beside the timed runs. Returns the command's summary line."""
    done = subprocess.run(
        [*streamtui_command(), "refresh", "--searchable"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


# -- measurement 1: a real terminal --------------------------------------------------------


def exited(relay: Relay) -> bool:
    relay.poll()
    return any(event.kind == "EXIT" for event in relay.events)


def wait_exit(relay: Relay, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if exited(relay):
            return True
        time.sleep(0.02)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def end(relay: Relay) -> None:
    """Quit the program with ``q`` (up to three times: a first ``q`` may only step back);
    kill it if it does not go, and then whatever it started that outlived it."""
    if exited(relay) or not any(event.kind == "START" for event in relay.events):
        return
    started = descendants(relay.pid())
    for _ in range(3):
        relay.terminal.keys("q")
        if wait_exit(relay, 5.0):
            break
    else:
        started += descendants(relay.pid())
        relay.stop()
        wait_exit(relay, 5.0)
    deadline = time.monotonic() + 5.0
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def first_paint(
    terminal: Terminal,
    argv: Sequence[str],
    env: dict[str, str],
    log: Path,
    marker: bytes,
    *,
    check_screen: str = "",
) -> float:
    """Launch ``argv``, wait for ``marker``, quit it; seconds from launch to the marker.
    With ``check_screen``, the screen must show that text once the output settles."""
    relay = terminal.run(argv, env, log)
    try:
        painted = relay.wait_for(marker, timeout=PAINT_TIMEOUT)
        if check_screen:
            relay.quiet(0.3, timeout=PAINT_TIMEOUT)
            screen = terminal.screen()
            if check_screen not in screen:
                sys.exit(f"{argv[0]}: expected {check_screen!r} on the screen:\n{screen}")
        return painted - relay.started
    finally:
        end(relay)


def terminal_runs(
    folder: Path,
    layout: year.Layout,
    env: dict[str, str],
    boat: Newsboat | None,
    repeat: int,
    result: Size,
    *,
    warm_up: bool = True,
) -> None:
    """streamtui and newsboat in turn, ``repeat`` times, after one untimed warm-up run of
    streamtui (newsboat needs none: the reload has just written its cache, and at 100k
    items one run takes minutes). The first runs check what the screen shows. Without
    ``warm_up`` (``--smoke``, whose figures are not read), the first timed run is the one
    that checks the screen, its bytecode not cached yet."""
    ours = [*streamtui_command()]
    their_env = {**boat.env(), "TERM": TERM} if boat else {}
    with Terminal(folder, width=WIDTH, height=HEIGHT) as terminal:
        if warm_up:
            first_paint(
                terminal,
                ours,
                env,
                folder / "streamtui.log",
                layout.newest_title.encode(),
                check_screen=layout.newest_title,
            )
        for run in range(1, repeat + 1):
            seconds = first_paint(
                terminal,
                ours,
                env,
                folder / "streamtui.log",
                layout.newest_title.encode(),
                check_screen=layout.newest_title if run == 1 and not warm_up else "",
            )
            result.streamtui.append(seconds)
            line = f"  run {run}: streamtui {seconds:.3f} s"
            if boat is not None:
                seconds = first_paint(
                    terminal,
                    boat.argv(),
                    their_env,
                    folder / "newsboat.log",
                    NEWSBOAT_MARKER,
                    check_screen="Your feeds" if run == 1 else "",
                )
                (boat.home / "cache.db.lock").unlink(missing_ok=True)  # left behind if killed
                result.newsboat.append(seconds)
                line += f", newsboat {seconds:.3f} s"
            print(line, flush=True)


# -- measurement 2: headless, in this process -----------------------------------------------


async def headless_once(db: Path) -> float:
    began = time.perf_counter()
    app = StreamApp(Library(Store.open(db)), sync_on_start=False)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        painted = time.perf_counter() - began
    app.library.close()
    return painted


def headless_runs(db: Path, repeat: int, result: Size) -> None:
    asyncio.run(headless_once(db))  # warm-up
    result.headless += [asyncio.run(headless_once(db)) for _ in range(repeat)]


# -- measurement 3: imports before the first paint ---------------------------------------


@dataclass(frozen=True)
class Import:
    """One ``-X importtime`` line."""

    name: str
    level: int
    own_us: int
    cumulative_us: int


def parse_importtime(stderr: str) -> list[Import] | None:
    """The import lines before the first-paint marker (None: the marker never came)."""
    found: list[Import] = []
    for line in stderr.splitlines():
        if line == FIRST_PAINT_MARKER:
            return found
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        body = name.removeprefix(" ")
        found.append(
            Import(
                name=body.strip(),
                level=(len(body) - len(body.lstrip())) // 2,
                own_us=int(own),
                cumulative_us=int(cumulative),
            )
        )
    return None


def run_importtime_child(env: dict[str, str], folder: Path) -> str:
    """The child's standard error (it is killed, with its process group, after 120 s)."""
    child = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-c", CHILD],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        _, stderr = child.communicate()
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return stderr


def forbidden(name: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in FORBIDDEN)


def report_imports(imports: list[Import]) -> bool:
    """Print the import figures; False when a forbidden package was imported."""
    total_ms = sum(i.own_us for i in imports) / 1000
    print(f"  {len(imports)} modules imported before the first paint, {total_ms:.0f} ms in all")
    print("  the 10 slowest top-level imports (cumulative):")
    top = sorted((i for i in imports if i.level == 0), key=lambda i: -i.cumulative_us)
    for entry in top[:10]:
        print(f"    {entry.cumulative_us / 1000:8.1f} ms  {entry.name}")
    bad = [(n, i) for n, i in enumerate(imports) if forbidden(i.name)]
    if not bad:
        print(f"  ok: none of {', '.join(FORBIDDEN)} before the first paint")
        return True
    print(f"  FAIL: imported before the first paint: {len(bad)} module(s) of {FORBIDDEN}")
    print("  (another thread imported them while the first paint was drawn; an import's time")
    print("  then includes its waits for the GIL, and the nesting above may mix the threads)")
    for package in FORBIDDEN:
        of_package = [(n, i) for n, i in bad if i.name.split(".")[0] == package]
        if not of_package:
            continue
        # The package's own line (it may be missing if the marker came mid-import).
        n, first = next(((n, i) for n, i in of_package if i.name == package), of_package[0])
        # -X importtime prints a module after what it imported: the next line at level 0
        # is the top-level import that brought it in (itself: a function imported it).
        under = next((i.name for i in imports[n:] if i.level == 0), "?")
        how = "imported by a function" if under == first.name else f"brought in by {under}"
        print(
            f"    {package}: {len(of_package)} module(s), {first.cumulative_us / 1000:.1f} ms, "
            f"{how}"
        )
    return False


# -- the run ---------------------------------------------------------------------------------


def measure_size(
    size: int,
    folder: Path,
    pycache: Path,
    repeat: int,
    with_newsboat: bool,
    check_imports: bool,
    warm_up: bool = True,
) -> tuple[Size, str | None]:
    """The figures of one size; with ``check_imports``, also the import child's standard
    error (run while this size's server is up)."""
    layout = year.Layout.of(size)
    result = Size(layout.items)
    print(f"{layout.items:,} items ({layout.feeds} feeds of {layout.per_feed}):", flush=True)
    tick = time.perf_counter()
    files = layout.served()
    megabytes = sum(len(body) for body in files.values()) / 1e6
    timed(f"generated {megabytes:.0f} MB of RSS", time.perf_counter() - tick)
    env = our_env(folder / "data", folder / "config", pycache)
    child_stderr = None
    with FeedServer(files) as server:
        urls = server.urls()
        tick = time.perf_counter()
        year.fill(folder / "data", urls, layout)
        timed("filled streamtui's store (_year.fill)", time.perf_counter() - tick)
        tick = time.perf_counter()
        summary = store_etags(env)
        timed(f"stored the ETags (streamtui refresh: {summary})", time.perf_counter() - tick)
        boat = None
        if with_newsboat and layout.items > year.SMALL:
            print(
                "  newsboat left out: its cache would hold only what the feeds serve "
                f"({layout.carried} of each feed's {layout.per_feed})",
                flush=True,
            )
        elif with_newsboat:
            boat = Newsboat.make(folder / "newsboat", urls)
            timed("filled newsboat's cache (newsboat -x reload)", boat.reload())
        tick = time.perf_counter()
        terminal_runs(folder, layout, env, boat, repeat, result, warm_up=warm_up)
        timed("terminal runs", time.perf_counter() - tick)
        tick = time.perf_counter()
        headless_runs(folder / "data" / "streamtui.db", repeat, result)
        timed("headless runs", time.perf_counter() - tick)
        print(f"  terminal: streamtui {shown(result.streamtui)}", end="")
        if result.newsboat:
            print(f", newsboat {shown(result.newsboat)}", end="")
        print(f"; headless: streamtui {Figures(tuple(result.headless)).ms()}", flush=True)
        if check_imports:
            child_stderr = run_importtime_child(env, folder)
    return result, child_stderr


def target(label: str, value: float, limit: float, text: str) -> None:
    verdict = "ok" if value <= limit else "MISSED"
    print(f"  {label}: {text} (target ≤ {limit:g}): {verdict}")


def shown(values: list[float]) -> str:
    """Median (min–max): in ms, or in seconds from 10 s up (newsboat at 100k)."""
    figures = Figures(tuple(values))
    return figures.s() if figures.median >= 10 else figures.ms()


def report(results: list[Size], repeat: int) -> None:
    with_newsboat = any(r.newsboat for r in results)
    print()
    print(f"1. First paint in a real terminal (tmux {WIDTH}x{HEIGHT}, launch -> the list drawn)")
    print(f"  {repeat} run(s) each, median (min–max)")
    heading = f"  {'items':>9}  {'streamtui':<30}"
    if with_newsboat:
        heading += f"{'newsboat':<30}streamtui/newsboat"
    print(heading)
    for r in results:
        line = f"  {r.items:>9,}  {shown(r.streamtui):<30}"
        if r.newsboat:
            ours, theirs = Figures(tuple(r.streamtui)), Figures(tuple(r.newsboat))
            line += f"{shown(r.newsboat):<30}{ratio(ours, theirs)}"
        print(line)
    small, large = results[0], results[-1]
    ours_small, ours_large = Figures(tuple(small.streamtui)), Figures(tuple(large.streamtui))
    if len(results) > 1:
        growth = ours_large.median / ours_small.median
        target(
            f"streamtui {large.items:,} / {small.items:,}",
            growth,
            TARGET_YEAR_GROWTH if large.items > year.SMALL else TARGET_GROWTH,
            f"{growth:.2f}x",
        )
    target(
        f"streamtui at {large.items:,}",
        ours_large.median,
        TARGET_SECONDS,
        f"{ours_large.median:.3f} s",
    )
    if large.newsboat:
        theirs_large = Figures(tuple(large.newsboat))
        share = ours_large.median / theirs_large.median
        target(f"streamtui/newsboat at {large.items:,}", share, TARGET_RATIO, f"{share:.3f}x")
    print()
    print("2. First paint headless (App.run_test, in-process: StreamApp(...) -> first pause)")
    for r in results:
        print(f"  {r.items:>9,}  {Figures(tuple(r.headless)).ms()}")
    if len(results) > 1:
        head_small, head_large = Figures(tuple(small.headless)), Figures(tuple(large.headless))
        print(f"  {large.items:,} / {small.items:,}: {ratio(head_large, head_small)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="stored item counts, in feeds of 100 items (default: 1000,10000,100000)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per size")
    parser.add_argument("--no-newsboat", action="store_true", help="leave newsboat out")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one 200-item size, once, no warm-up run; newsboat only if installed",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    # A kill (not only Ctrl-C) unwinds too: the tmux server and the programs go with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ignore_dropped_connections()
    if args.smoke:
        sizes, repeat = [200], 1
        with_newsboat = not args.no_newsboat and shutil.which("newsboat") is not None
    else:
        sizes = sorted(int(s) for s in args.sizes.split(","))
        repeat = args.repeat
        with_newsboat = not args.no_newsboat
        if with_newsboat:
            newsboat()  # installs it, or says how and exits
    print(f"streamtui start-up: {machine()}")
    print(f"sizes {', '.join(f'{s:,}' for s in sizes)}; {repeat} repeat(s); tmux {WIDTH}x{HEIGHT}")
    print()
    results = []
    child_stderr = ""
    with workspace("startup") as folder:
        for number, size in enumerate(sizes):
            size_folder = folder / str(size)
            size_folder.mkdir()
            result, stderr = measure_size(
                size,
                size_folder,
                folder / "pycache",
                repeat,
                with_newsboat,
                check_imports=number == 0,
                warm_up=not args.smoke,
            )
            results.append(result)
            child_stderr = stderr if stderr is not None else child_stderr
            shutil.rmtree(size_folder, ignore_errors=True)  # 100k items take room
    report(results, repeat)
    print()
    print(
        f"3. Imports before the first paint (python -X importtime, the CLI's path, "
        f"{results[0].items:,} items)"
    )
    imports = parse_importtime(child_stderr)
    if imports is None:
        print("  FAIL: the child never reached its first paint; its standard error ends:")
        print("\n".join(child_stderr.splitlines()[-20:]))
        return 1
    if not report_imports(imports):
        print()
        print("FAIL: feedparser, httpx or Pillow is imported before the first paint (see 3.)")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything started has been stopped on the way out
        sys.exit("interrupted")
