"""The feed parser's worker pool when one parse is stopped: what it costs the others.

Run: .venv/bin/python benchmarks/parse_pool.py [--repeat 3] [--items 50000] [--smoke]

Three cases, each with 2 workers, timed on the caller's side with the public API only (so the
same script measures the pool of an older checkout too):

1. a cancel under load: two long parses run; one is cancelled after 1 s (or a third of the
   parse's time alone, when that is shorter: a fast machine must not finish first). How soon
   its call returns, and how long the other takes (undisturbed, or killed with the pool and
   parsed again from the start).
2. a time limit under load: one parse overruns a 1 s limit (or a third of its time alone, when
   shorter) while a shorter one runs: how long the shorter one takes.
3. throughput: 300 small feeds (100 items) parsed by 4 threads: the pool's own cost per parse.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

try:
    from streamtui.core.parse.pool import FeedParser
except ImportError:  # a checkout from before the parse package (issue 13)
    from streamtui.core.feeds import FeedParser  # type: ignore[no-redef]

from streamtui.core.errors import SourceError

SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def rss(items: int, tag: str = "") -> bytes:
    entry = (
        "<item><guid>{0}{1}</guid><title>Item {1}</title><description>d {1}</description></item>"
    )
    body = "".join(entry.format(tag, n) for n in range(items))
    return f'<rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


def timed_parse(
    parser: FeedParser, data: bytes, out: dict[str, float | str], cancel: threading.Event | None
) -> None:
    started = time.perf_counter()
    try:
        parser.parse(data, source_key="k", url="https://x.example/", seen_at=SEEN, cancel=cancel)
        out["outcome"] = "parsed"
    except SourceError as error:
        out["outcome"] = error.reason
    out["ended"] = time.perf_counter()
    out["wall"] = out["ended"] - started


def run_threads(*jobs: Callable[[], None]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cancel_under_load(items: int) -> tuple[float, float, float]:
    """(seconds from the cancel to its call's return, the other parse's wall, alone)."""
    data = rss(items)
    with FeedParser(workers=2, timeout=120) as parser:
        parser.parse(rss(1), source_key="k", seen_at=SEEN)  # the workers up
        alone: dict[str, float | str] = {}
        timed_parse(parser, data, alone, None)
        cancel = threading.Event()
        first: dict[str, float | str] = {}
        other: dict[str, float | str] = {}

        def cancel_soon() -> None:
            time.sleep(min(1.0, float(alone["wall"]) / 3))
            first["cancelled_at"] = time.perf_counter()
            cancel.set()

        run_threads(
            lambda: timed_parse(parser, data, first, cancel),
            lambda: timed_parse(parser, data, other, None),
            cancel_soon,
        )
        assert first["outcome"] == "the parse was cancelled", first
        assert other["outcome"] == "parsed", other
        latency = float(first["ended"]) - float(first["cancelled_at"])
        return latency, float(other["wall"]), float(alone["wall"])


def limit_under_load(items: int) -> tuple[float, float]:
    """(the shorter parse's wall next to one that overruns 1 s, its wall alone)."""
    with FeedParser(workers=2) as parser:
        parser.parse(rss(1), source_key="k", seen_at=SEEN)
        shorter, longer = rss(items // 3), rss(items)
        alone: dict[str, float | str] = {}
        timed_parse(parser, shorter, alone, None)
        whole: dict[str, float | str] = {}
        timed_parse(parser, longer, whole, None)
        parser.timeout, parser.seconds_per_mib = min(1.0, float(whole["wall"]) / 3), 0.0
        overrun: dict[str, float | str] = {}
        beside: dict[str, float | str] = {}

        def parse_shorter() -> None:
            time.sleep(
                parser.timeout / 5
            )  # the overrun first, so that its limit falls during this parse
            parser.timeout = 120.0
            timed_parse(parser, shorter, beside, None)

        run_threads(lambda: timed_parse(parser, longer, overrun, None), parse_shorter)
        assert str(overrun["outcome"]).startswith("took longer"), overrun
        assert beside["outcome"] == "parsed", beside
        return float(beside["wall"]), float(alone["wall"])


def throughput(feeds: int = 300) -> float:
    """Parses a second, 4 threads feeding 2 workers small feeds."""
    documents = [rss(100, tag=f"f{n}-") for n in range(feeds)]
    with FeedParser(workers=2) as parser:
        parser.parse(rss(1), source_key="k", seen_at=SEEN)
        next_one = iter(documents)
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    data = next(next_one, None)
                if data is None:
                    return
                parser.parse(data, source_key="k", seen_at=SEEN)

        started = time.perf_counter()
        run_threads(*[work] * 4)
        return feeds / (time.perf_counter() - started)


def figures(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--smoke", action="store_true", help="one small run of each case")
    args = parser.parse_args()
    repeat, items = (1, 4_000) if args.smoke else (args.repeat, args.items)
    print(f"parse pool ({FeedParser.__module__}), {repeat} run(s), {items:,}-item feeds")
    cancels = [cancel_under_load(items) for _ in range(repeat)]
    print(f"  cancel -> call returned, s       {figures([c[0] for c in cancels])}")
    print(f"  the other parse, wall s          {figures([c[1] for c in cancels])}")
    print(f"  the same parse alone, wall s     {figures([c[2] for c in cancels])}")
    limits = [limit_under_load(items) for _ in range(repeat)]
    print(f"  beside a 1 s overrun, wall s     {figures([x[0] for x in limits])}")
    print(f"  the same parse alone, wall s     {figures([x[1] for x in limits])}")
    rates = [throughput(20 if args.smoke else 300) for _ in range(repeat)]
    print(f"  small feeds parsed a second      {figures(rates)}")


if __name__ == "__main__":
    main()
