"""Search at scale: query latency, the cost the index adds to a feed merge, and its size.

Run: .venv/bin/python benchmarks/search.py [N ...] [--repeat 5] [--prefix "1 2"] [--no-backfill]
[--merge 1000] (default N: 100000; ``--merge``: the merged feed's items, fewer in the suite's
run). Prints medians with min and max. The store is filled through its own
API: half the items come from a feed (HTML bodies, ``Store.merge_items``), half from a folder
(plain text, ``Store.sync_items``). The words follow a Zipf law: the most frequent are the
English words of the bundled guide, the long tail is made-up words; bodies are about 250
words. ``--prefix`` swaps the FTS5 prefix indexes to compare their cost.

A size above 100,000 (``search.py 1000000``) is a year of feeds instead: the store of
``_year.fill`` (500 feeds of generated stories, as a refresh stores them: 60 words, so a
common word such as "river" is in most items), queried with words of that vocabulary; the
migration 3 backfill is left out there (it would rebuild the whole index).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import accumulate
from pathlib import Path
from unittest.mock import patch

from benchmarks import _year as year
from streamtui.core import paths
from streamtui.core.models import Item, SourceKind, View
from streamtui.core.store import Store, search
from tests.support.store import merge_items, sync_items

RARE = "quetzal"
"""Put in the titles of 20 items and nowhere else."""
QUERIES = [
    ("common word", "the "),
    ("mid word", "source "),
    ("rare word", RARE + " "),
    ("two words", "read state "),
    ("1-letter prefix", "s"),
    ("2-letter prefix", "st"),
    ("3-letter prefix", "str"),
]
YEAR_QUERIES = [
    ("common word", "river "),
    ("two words", "river city "),
    ("rare word", "1999 "),
    ("1-letter prefix", "r"),
    ("2-letter prefix", "ri"),
    ("3-letter prefix", "riv"),
]
"""For a year store: its stories' words ("1999" is in one title a feed: the oldest story)."""
START = datetime(2024, 1, 1, tzinfo=UTC)


class Words:
    """Zipf-distributed words: the guide's English first, then made-up ones."""

    def __init__(self, rng: random.Random, tail: int = 60_000) -> None:
        counts: dict[str, int] = {}
        for page in sorted(paths.bundled_content().glob("*.txt")):
            for word in page.read_text(encoding="utf-8").lower().split():
                word = word.strip(".,:;!?()\"'`*-")
                if word.isalpha() and word != RARE:
                    counts[word] = counts.get(word, 0) + 1
        real = sorted(counts, key=lambda w: -counts[w])
        made: set[str] = set()
        while len(made) < tail:
            made.add("".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)))
        self.words = real + sorted(made - set(real))
        self.cumulative = list(accumulate(1 / rank for rank in range(1, len(self.words) + 1)))
        self.rng = rng

    def take(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)


def make_items(count: int, words: Words, *, html: bool, prefix: str) -> Iterator[Item]:
    rng = words.rng
    pool = [" ".join(words.take(rng.randint(40, 80))) for _ in range(4_000)]
    rare = set(rng.sample(range(count), min(20, count)))
    for n in range(count):
        title = " ".join(words.take(rng.randint(5, 10)))
        if n in rare:
            title = f"{title} {RARE}"
        paragraphs = rng.sample(pool, 4)
        if html:
            body = "".join(
                f'<p class="para">{p} <a href="https://example.com/{n}/{i}">more</a></p>'
                for i, p in enumerate(paragraphs)
            )
        else:
            body = "\n\n".join(paragraphs)
        yield Item(
            id=f"{prefix}{n:08x}",
            title=title.capitalize(),
            summary=paragraphs[0][:200],
            body=body,
            published=START + timedelta(minutes=n),
            html=html,
        )


def fill(store: Store, count: int, words: Words) -> None:
    store.set_meta("default_source_added", "1")
    feed = store.add_source("feed", SourceKind.FEED, "https://example.com/feed")
    folder = store.add_source("folder", SourceKind.FOLDER, "/nonexistent/folder")
    batch: list[Item] = []
    for item in make_items(count // 2, words, html=True, prefix="f"):
        batch.append(item)
        if len(batch) == 5_000:
            merge_items(store, feed.id, batch)
            batch = []
    if batch:
        merge_items(store, feed.id, batch)
    plain = list(make_items(count - count // 2, words, html=False, prefix="p"))
    sync_items(store, folder.id, plain, fingerprint="bench")
    starred = [f"p{n:08x}" for n in range(0, count - count // 2, 97)]
    store.set_starred(starred, True)
    store.change_read([f"f{n:08x}" for n in range(0, count // 2, 2)], True)


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        tick = time.perf_counter()
        call()
        times.append(time.perf_counter() - tick)
    return times


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.1f} ms  (min {min(ms):.1f}, max {max(ms):.1f})"


def first_screen(store: Store, make: Callable[[float], View]) -> Callable[[], object]:
    """What the app does at each key of a live search: a new view, its count and its first
    window of rows."""

    def run() -> object:
        store.hits.reset()  # a view never seen: each key typed changes the query
        view = make(time.time())
        return store.count(view), store.rows(view, 0, 128)

    return run


def latencies(store: Store, repeat: int, queries: list[tuple[str, str]] = QUERIES) -> None:
    feed_id = store.sources()[0].id
    common = queries[0][1]
    for label, query in queries:
        count = store.count(View(query=query))
        times = timed(first_screen(store, partial(_query_view, query)), repeat)
        print(f"  {label:<16} {query!r:<14} {count:>5} shown  {summary(times)}")
    mid = "source " if queries is QUERIES else common
    print(f"  combined filters ({mid!r})")
    filtered: list[tuple[str, Callable[[float], View]]] = [
        ("in the feed", lambda since: View(feed_id, since=since, query=mid)),
        ("unread only", lambda since: View(None, True, since, query=mid)),
        ("starred", lambda since: View(since=since, starred=True, query=mid)),
        ("feed, unread", lambda since: View(feed_id, True, since, query=mid)),
    ]
    for label, make in filtered:
        print(f"  {label:<31} {summary(timed(first_screen(store, make), repeat))}")
    if queries is not QUERIES:  # a year: each feed's keys are one range, as _year stores them
        spread = [str(row[0]) for row in store._read("SELECT item_id FROM search_keys "
                                                     "WHERE num % 500 = 7")]  # fmt: skip
        store.set_starred(spread, True)
        make = filtered[2][1]
        times = timed(first_screen(store, make), repeat)
        print(f"  starred, {len(spread):,} spread over the year's keys {summary(times)}")
        store.set_starred(spread, False)
    view = View(query=queries[3][1])
    store.count(view)
    scroll = [timed(partial(store.rows, view, offset, 128), 1)[0] for offset in range(0, 1000, 128)]
    print(f"  scroll a cached query view, 128 rows per window: {summary(scroll)}")
    ids = [row.id for row in store.rows(view, 0, 1000)]
    lookups = []
    for item_id in random.Random(7).sample(ids, min(20, len(ids))):
        tick = time.perf_counter()
        store.position(view, item_id)
        store.next_unread(view, item_id)
        lookups.append(time.perf_counter() - tick)
    print(f"  position + next unread in it:                    {summary(lookups)}")
    for query in (mid, queries[3][1]):
        times = timed(partial(store.search, query), repeat)
        print(f"  Store.search, 50 rows {query!r:<10}              {summary(times)}")


def _query_view(query: str, since: float) -> View:
    return View(since=since, query=query)


def merge_cost(store: Store, words: Words, repeat: int, count: int = 1_000) -> None:
    """A ``count``-item feed merged into the filled store, with and without indexing."""
    for label, indexing in [("without the index", False), ("with the index", True)]:
        times, updates = [], []
        for trial in range(repeat):
            name = f"m{indexing}{trial}"
            source = store.add_source(name, SourceKind.FEED, f"https://m.example/{name}")
            items = list(make_items(count, words, html=True, prefix=f"{name}-"))
            changed = [replace(item, body=item.body + "<p>update</p>") for item in items]
            skip = lambda db, texts, limit=None: 0  # noqa: E731
            with patch.object(search, "index_pending", skip) if not indexing else nullcontext():
                times.append(timed(partial(merge_items, store, source.id, items), 1)[0])
                updates.append(timed(partial(merge_items, store, source.id, changed), 1)[0])
            store.index_pending()  # what the run without the index left pending
            store.remove_source(source.id)
        print(f"  {count:,} new items   {label:<18} {summary(times)}")
        print(f"  {count:,} changed     {label:<18} {summary(updates)}")
    sample = list(make_items(count, words, html=True, prefix="t"))
    tick = time.perf_counter()
    for item in sample:
        search.indexed_text(item.summary, item.body, item.html)
    took = (time.perf_counter() - tick) * 1000
    print(f"  of which html_to_text of {count:,} bodies: {took:.0f} ms")


def sizes(db: sqlite3.Connection) -> None:
    def size(pattern: str) -> float:
        found = db.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?", (pattern,)
        ).fetchone()
        return float(found[0]) / 1e6

    bodies_text = db.execute("SELECT sum(length(body)) FROM bodies").fetchone()[0] / 1e6
    indexed = db.execute("SELECT sum(length(title) + length(text)) FROM search_index").fetchone()
    index = size("search_index_data") + size("search_index_idx")
    copy = size("search_index_content") + size("search_index_docsize")
    keys = size("search_keys") + size("sqlite_autoindex_search_keys%")
    print(
        f"  bodies table {size('bodies'):.1f} MB ({bodies_text:.1f} MB of body text, HTML included)"
    )
    print(f"  indexed text {indexed[0] / 1e6:.1f} MB (titles + text after html_to_text)")
    print(f"  FTS index    {index:.1f} MB (terms, positions, prefix indexes)")
    print(f"  text copy    {copy:.1f} MB (FTS content + sizes), keys {keys:.1f} MB")
    print(f"  items table  {size('items'):.1f} MB, whole file {size('%'):.1f} MB")


def backfill(db: sqlite3.Connection) -> None:
    """Migration 3's work on this store: drop the index and fill it again (rolled back)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DROP TRIGGER items_leave_search_index")
        db.execute("DROP TABLE search_index")
        db.execute("DROP TABLE search_keys")
        tick = time.perf_counter()
        search.create_and_fill(db)
        print(f"  migration 3 backfill: {time.perf_counter() - tick:.1f} s")
    finally:
        db.execute("ROLLBACK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--prefix", default=None, help="FTS5 prefix option, e.g. '1 2' or ''")
    parser.add_argument("--no-backfill", action="store_true")
    parser.add_argument(
        "--merge", type=int, default=1_000, help="items of the merged feed (the suite's: fewer)"
    )
    args = parser.parse_args()
    if args.prefix is not None:
        option = f", prefix = '{args.prefix}'" if args.prefix else ""
        search.SCHEMA = search.SCHEMA.replace(", prefix = '1 2'", option)
    with tempfile.TemporaryDirectory() as folder:
        for count in args.sizes:
            words = Words(random.Random(count))
            tick = time.perf_counter()
            queries = QUERIES
            if count > year.SMALL:
                layout = year.Layout.of(count)
                urls = [f"http://127.0.0.1:9/feed/{n}.xml" for n in range(layout.feeds)]
                count = year.fill(Path(folder) / f"year-{count}", urls, layout)
                store = Store.open(Path(folder) / f"year-{layout.items}" / "streamtui.db")
                queries = YEAR_QUERIES
            else:
                store = Store.open(Path(folder) / f"search-{count}.db")
                fill(store, count, words)
            print(f"{count:,} items: filled in {time.perf_counter() - tick:.1f} s")
            print("search (new view: count + first 128 rows)")
            latencies(store, args.repeat, queries)
            print("feed merge")
            merge_cost(store, words, args.repeat, args.merge)
            print("size")
            sizes(store._db)
            if not args.no_backfill and queries is QUERIES:
                backfill(store._db)
            store.close()


if __name__ == "__main__":
    main()
