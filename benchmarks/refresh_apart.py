"""The app's refresh in a process of its own (issue 15): what it costs to start, and how much
of the app's process a refresh still takes.

Run: .venv/bin/python benchmarks/refresh_apart.py [--feeds 200] [--items 20] [--repeat 5]
     [--smoke]

A store subscribed to ``--feeds`` loopback feeds (``_bench.FeedServer``) is refreshed once
(not timed), so that every ETag is stored. Then, each repeat, in a fresh process that has
imported the library as the app has before its first refresh (and not the network stack
nor the parser, which the app imports only for a refresh):

- ``here``: ``Library.refresh`` on a thread of that process, as the app did before;
- ``elsewhere``: ``Library.refresh_elsewhere``, the child process doing the same.

Two phases: ``warm, 304`` (every feed answers 304) and ``new items`` (every feed carries
``--items`` stories never served before). For each: the time to the first event (the first
feed done: the start's latency, imports included), the whole refresh, and the CPU time of the
asking process during it (the share of the app's process, whose GIL the UI thread needs for
every key).
Medians (min–max); the two modes interleaved, their order rotating each repeat.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks._bench import (
    FeedServer,
    Figures,
    feed_set,
    machine,
    no_proxy_env,
    rss,
    stories,
    workspace,
)

ASKING = """
import json, sys, time
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store

library = Library(Store.open(Path(sys.argv[1])), bundled=Path(sys.argv[1]).parent / "none")
refresh = library.refresh if sys.argv[2] == "here" else library.refresh_elsewhere
first = []
began, cpu = time.perf_counter(), time.process_time()
summary = refresh(None, lambda event: first or first.append(time.perf_counter() - began))
print(json.dumps({
    "first": first[0] if first else None,
    "total": time.perf_counter() - began,
    "cpu": time.process_time() - cpu,
    "added": summary.added,
    "unchanged": summary.unchanged,
    "failed": summary.failed,
}))
library.close()
"""
MODES = ("here", "elsewhere")


def ask(database: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", ASKING, str(database), mode],
        capture_output=True,
        text=True,
        check=False,
        env=no_proxy_env(),
        timeout=600,
    )
    if done.returncode:
        raise RuntimeError(f"{mode}: {done.stderr.strip()[-500:]}")
    result: dict[str, float] = json.loads(done.stdout)
    if result["failed"]:
        raise RuntimeError(f"{mode}: {result['failed']} feed(s) failed")
    return result


def newer(feeds: int, items: int, trial: int) -> dict[str, bytes]:
    """The feeds of ``feed_set``, each carrying ``items`` stories never served before."""
    return {
        f"/feed/{f}.xml": rss(f, stories(f, 1 + items * trial, newest=items)) for f in range(feeds)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="5 feeds x 5 items, 1 repeat")
    args = parser.parse_args()
    if args.smoke:
        args.feeds, args.items, args.repeat = 5, 5, 1
    print(f"the refresh in a process of its own ({machine()})", flush=True)
    print(f"  {args.feeds} feeds x {args.items} new items a refresh", flush=True)
    with workspace("refresh_apart") as folder, FeedServer(feed_set(args.feeds, 1)) as server:
        from streamtui.core.library import Library
        from streamtui.core.models import SourceKind
        from streamtui.core.store import Store

        database = folder / "data" / "streamtui.db"
        library = Library(Store.open(database), bundled=folder / "none")
        for number, url in enumerate(server.urls()):
            library.store.add_source(f"Bench feed {number}", SourceKind.FEED, url, key=url)
        library.refresh()  # every ETag stored
        library.close()
        figures: dict[tuple[str, str, str], list[float]] = {}
        for run in range(args.repeat):
            for turn, mode in enumerate(MODES[run % 2 :] + MODES[: run % 2]):
                for phase in ("warm, 304", "new items"):
                    if phase == "new items":
                        trial = 1 + 2 * run + turn
                        server.files = newer(args.feeds, args.items, trial)
                    result = ask(database, mode)
                    if phase == "new items" and result["added"] != args.feeds * args.items:
                        raise RuntimeError(f"{mode}: {result['added']} new items stored")
                    if phase == "warm, 304" and result["unchanged"] != args.feeds:
                        raise RuntimeError(f"{mode}: {result['unchanged']} feeds answered 304")
                    for measure in ("first", "total", "cpu"):
                        figures.setdefault((phase, mode, measure), []).append(result[measure])
        for phase in ("warm, 304", "new items"):
            print(f"{phase}:")
            for mode in MODES:
                first, total, cpu = (
                    Figures(tuple(figures[phase, mode, m])) for m in ("first", "total", "cpu")
                )
                print(
                    f"  {mode:<10} first event {first.ms()}; whole refresh {total.s()}; "
                    f"CPU of the asking process {cpu.ms()}",
                    flush=True,
                )
        print(f"  {machine()}")


if __name__ == "__main__":
    main()
