"""A year of feeds: stores of up to a million items built in minutes, cached for a run.

``_bench.fill_store`` stores generated stories through the store's own API (``merge_items``),
about 27 s per 100k items on a quiet machine: at a million, with the store's statements and
transactions made for a refresh, it takes most of half an hour. :func:`build` writes the same
rows (same ids, list columns, bodies, search keys and entries, sources, meta) with a few big
statements per chunk of feeds on a connection that keeps no journal until the end;
``tests/test_bench_store.py`` checks, at a small size, that both give the same database but
for the moments they ran.

:func:`fill` copies a store built once per layout and seed from a cache in the temporary
folder (``streamtui-bench-stores/``, kept between scripts so that every benchmark of a run
reuses it; the cached file is never opened for writing) and points its sources at this run's
loopback server. Item ids are scoped by each source's stable ``key``
(``https://feeds.example/bench/N.xml``), not by its location, so the cached ids match what a
refresh from any port makes.

The layout: up to 100k items, feeds of 100 stories seven minutes apart (the figures of earlier
issues); beyond, a heavy user's year, 500 feeds whose stories are spread over 365 days (2,000
a feed at a million items), each served with its newest 100 (what a feed carries).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks._bench import Story, rss, stories

YEAR_FEEDS = 500
"""A heavy user's feeds (the issue's year: 500 feeds, about a million items)."""
CARRIED = 100
"""Stories a feed of the year layout serves: its newest."""
SMALL = 100_000
"""Sizes up to this keep the earlier layout: feeds of 100 stories, seven minutes apart."""
MINUTES_A_YEAR = 365 * 24 * 60
CHUNK_ITEMS = 40_000
"""Items written per transaction by :func:`build` (their stories are held in memory)."""
GENERATOR = 2
"""Bumped when what :func:`build` writes changes: older cached stores are not reused (2: the
summaries as a refresh makes them; 1 cut the text, so a refresh rewrote every item served)."""


@dataclass(frozen=True)
class Layout:
    """``feeds`` feeds of ``per_feed`` stories ``spacing`` minutes apart; each serves its
    newest ``carried``."""

    feeds: int
    per_feed: int
    spacing: int = 7
    carried: int = CARRIED

    @classmethod
    def of(cls, size: int) -> Layout:
        if size <= SMALL:
            per_feed = min(CARRIED, size)
            return cls(max(1, round(size / per_feed)), per_feed)
        per_feed = max(1, size // YEAR_FEEDS)
        return cls(YEAR_FEEDS, per_feed, max(1, MINUTES_A_YEAR // per_feed))

    @property
    def items(self) -> int:
        return self.feeds * self.per_feed

    @property
    def newest_title(self) -> str:
        """The start of the newest item's title, the first row of "All" (a higher story
        number is newer, and of two stories with the same number the higher feed's)."""
        return f"Feed {self.feeds - 1} story {self.per_feed - 1}:"

    def served(self, seed: int = 0) -> dict[str, bytes]:
        """What a loopback server serves of each feed (``/feed/N.xml``): its newest stories,
        the same as stored (a refresh finds nothing new)."""
        return {
            f"/feed/{number}.xml": rss(number, self.carried_stories(number, seed))
            for number in range(self.feeds)
        }

    def carried_stories(self, number: int, seed: int = 0) -> list[Story]:
        return stories(
            number,
            self.per_feed,
            seed=seed,
            spacing=self.spacing,
            newest=min(self.carried, self.per_feed),
        )


def key(number: int) -> str:
    """Feed ``number``'s stable key: what its item ids are scoped by, whatever its URL."""
    return f"https://feeds.example/bench/{number}.xml"


# -- building --------------------------------------------------------------------------------


def build(
    db_path: Path, layout: Layout, *, seed: int = 0, keys: Sequence[str] | None = None
) -> int:
    """Make a store at ``db_path`` holding ``layout``'s stories as ``fill_store`` (a merge of
    each feed's stories, through the store's API) stores them, with ``keys`` as each feed's
    location and key (default :func:`key`). Returns the item count."""
    from streamtui.core import dates
    from streamtui.core.models import Item, SourceKind
    from streamtui.core.parse.entries import item_id
    from streamtui.core.store import Store
    from streamtui.core.store.items import SEQ_SPAN, _digest

    names = list(keys) if keys is not None else [key(n) for n in range(layout.feeds)]
    assert len(names) == layout.feeds
    store = Store.open(db_path)
    try:
        store.set_meta("default_source_added", "1")
        ids = []
        for number, name in enumerate(names):
            source = store.add_source(f"Bench feed {number}", SourceKind.FEED, name, key=name)
            ids.append(source.id)
    finally:
        store.close()
    db = sqlite3.connect(db_path, isolation_level=None)
    total = 0
    try:
        # No journal while building (a failed build is thrown away, see cached), a big cache.
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-400000")
        (num,) = db.execute("SELECT coalesce(max(num), 0) FROM search_keys").fetchone()
        for chunk in _chunks(layout.feeds, max(1, CHUNK_ITEMS // layout.per_feed)):
            items, bodies, search_keys, entries, updated = [], [], [], [], []
            for number in chunk:
                source_id, scope = ids[number], names[number]
                now = time.time()
                made = stories(number, layout.per_feed, seed=seed, spacing=layout.spacing)
                for seq, story in enumerate(made):
                    text = story.text
                    item = Item(
                        id=item_id(scope, story.guid),
                        title=story.title,
                        summary=story.summary,
                        body=story.html,
                        published=story.published,
                        link=story.link,
                        html=True,
                        text=text,
                    )
                    items.append(
                        (
                            item.id,
                            source_id,
                            item.title,
                            dates.stamp(item.published),
                            source_id * SEQ_SPAN + seq,
                            _digest(item),
                            now,
                            number + 1,  # a merge per feed: the feed's arrival number
                        )
                    )
                    bodies.append((item.id, item.summary, item.body, item.link, item.encoding))
                    num += 1
                    search_keys.append((num, item.id))
                    entries.append((num, item.title, text))
                updated.append((time.time(), source_id))
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO items (id, source_id, title, published, seq, teaser, truncated,"
                " digest, read, read_at, starred, added_at, fetched, arrival)"
                " VALUES (?, ?, ?, ?, ?, 0, 0, ?, 0, NULL, 0, ?, 0, ?)",
                items,
            )
            db.executemany(
                "INSERT INTO bodies (item_id, summary, body, link, path, encoding, aliases,"
                " html) VALUES (?, ?, ?, ?, '', ?, '', 1)",
                bodies,
            )
            db.executemany("INSERT INTO search_keys (num, item_id) VALUES (?, ?)", search_keys)
            # In a row after the rest, as the store writes them (store/search.py).
            db.executemany(
                "INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)", entries
            )
            db.executemany("UPDATE sources SET updated_at = ? WHERE id = ?", updated)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('search_indexed', ?)",
                (str(num),),
            )
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('arrivals', ?)",
                (str(chunk[-1] + 1),),
            )
            db.execute("COMMIT")
            total += len(items)
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()
    return total


def _chunks(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(count, start + size))


# -- the cache -------------------------------------------------------------------------------


def cache_folder() -> Path:
    return Path(tempfile.gettempdir()) / "streamtui-bench-stores"


def schema_digest() -> str:
    """A short digest of the schema a new store has: the cache is shared by every checkout on
    the machine, and two branches may each make a different schema of the same version."""
    from streamtui.core.store import Store

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "schema.db")
        try:
            found = store._read("SELECT type, name, coalesce(sql, '') FROM sqlite_master")
        finally:
            store.close()
    text = "\n".join(sorted("\t".join(str(v) for v in row) for row in found))
    return hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


def cached(layout: Layout, *, seed: int = 0) -> tuple[Path, float]:
    """The cached store of ``layout`` and ``seed``, built first when missing (one process
    builds it; another that wants it meanwhile waits); with the seconds spent building
    (0 when it was there)."""
    from streamtui.core.store.schema import latest

    folder = cache_folder()
    folder.mkdir(exist_ok=True)
    name = (
        f"{layout.feeds}x{layout.per_feed}-every{layout.spacing}-seed{seed}"
        f"-schema{latest()}-{schema_digest()}-gen{GENERATOR}.db"
    )
    path = folder / name
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path, 0.0
        began = time.perf_counter()
        part = folder / f"{name}.{os.getpid()}.part"
        try:
            build(part, layout, seed=seed)
            for suffix in ("-wal", "-shm"):
                if Path(f"{part}{suffix}").exists():
                    raise RuntimeError(f"{part}{suffix} left behind: the store is not whole")
            part.rename(path)
        finally:
            part.unlink(missing_ok=True)
        return path, time.perf_counter() - began


def fill(data_dir: Path, urls: Sequence[str], layout: Layout, *, seed: int = 0) -> int:
    """Put a copy of ``layout``'s cached store in ``data_dir`` with feed number N located at
    ``urls[N]`` (its key stays :func:`key`). Returns the item count; prints how long the
    build (when it was needed) and the copy took."""
    assert len(urls) == layout.feeds
    source, built = cached(layout, seed=seed)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "streamtui.db"
    began = time.perf_counter()
    shutil.copyfile(source, target)
    copied = time.perf_counter() - began
    with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as db:
        db.execute("BEGIN")
        db.executemany(
            "UPDATE sources SET location = ? WHERE key = ?",
            [(url, key(number)) for number, url in enumerate(urls)],
        )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = target.stat().st_size
    note = f"built in {built:.0f} s, " if built else ""
    print(
        f"  store of {layout.items:,} items ({size / 2**20:,.0f} MiB, "
        f"{size / layout.items:,.0f} bytes an item): {note}copied in {copied:.1f} s",
        flush=True,
    )
    return layout.items
