"""Items in the store: a local source's items made exactly what it holds, a feed's merged,
their bodies and enclosures, and the read and starred state an item keeps when it leaves and
comes back."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from streamtui.core import dates
from streamtui.core.errors import StoreError
from streamtui.core.models import Item, NewSource, Source, SyncStats, Update
from streamtui.core.store import readstate, search
from streamtui.core.store.connection import Database
from streamtui.core.store.naming import name_key
from streamtui.core.store.sources import (
    CHURN_FETCHES,
    CHURN_MIN_ITEMS,
    CHURN_SHARE,
    add_one,
    assignments,
    columns,
    picker,
)
from streamtui.core.store.sql import select_in

SEQ_SPAN = 1 << 24
"""A source's items are numbered from ``source_id * SEQ_SPAN``, so that items of two sources
with the same date never interleave."""


class ItemsPart(Database):
    """Writing what a read of a source brought: its items and its state."""

    def apply(
        self, updates: Sequence[Update], *, index: bool = True
    ) -> list[SyncStats | StoreError]:
        """Apply updates, several sources' in one transaction (one commit: a refresh stores
        what is ready together). An update that fails is rolled back alone, to its
        savepoint, and its error takes its place in the result. The search entries of new
        and changed items are written in the same transaction, or, without ``index``, left
        pending for :meth:`index_pending` (a refresh's writer writes them when it is idle).

        A local source's items are made exactly what it holds (``exact``), keeping every
        read state; a starred item stays even when its file is gone. A feed's new items are
        added and changed ones updated; items it no longer carries stay (feeds drop old
        entries; retention removes them later), and undated items keep the date they were
        first seen."""
        outcomes: list[SyncStats | StoreError] = []
        with self._write() as db:
            for update in updates:
                db.execute("SAVEPOINT apply")
                try:
                    outcomes.append(self._apply(db, update))
                except sqlite3.Error as error:
                    db.execute("ROLLBACK TO apply")
                    outcomes.append(StoreError(f"{self.path or 'database'}: cannot save ({error})"))
                db.execute("RELEASE apply")
            if index:
                search.catch_up(db, self.search_texts)
        return outcomes

    def index_pending(self, limit: int | None = None) -> int:
        """Write pending search entries (at most ``limit``, oldest first), in a transaction
        of their own; returns how many. Items stored without their entries (a refresh's
        writer defers them; a process that stopped before writing them) are found by
        search from then on. Asked of the reading connection first, so that a writer with
        nothing pending never waits for another process's write lock."""
        if not self.pending_entries():
            return 0
        with self._write() as db:
            written = search.index_pending(db, self.search_texts, limit)
        if written:
            self.hits.changed()
        return written

    def index_all_pending(self, pause: float = 0.0) -> int:
        """Write every pending search entry, INDEX_CHUNK a transaction (a mark made meanwhile
        waits for one chunk at most), ``pause`` seconds apart (for another process's writes:
        see core/library/indexer.py); returns how many."""
        written = 0
        while True:
            count = self.index_pending(search.INDEX_CHUNK)
            written += count
            if count < search.INDEX_CHUNK:
                return written
            if pause:
                time.sleep(pause)

    def pending_entries(self) -> int:
        """How many stored items wait for their search entry."""
        with self._read_lock:
            return search.pending(self._reader)

    def add_source_with(
        self,
        new: NewSource,
        update: Update,
        *,
        identity: Callable[[str], str] | None = None,
    ) -> tuple[Source, SyncStats]:
        """Add a source (as :meth:`SourcesPart.add_source` does: DuplicateSourceError when
        it is stored already) and apply ``update`` to it, in one transaction: a write that
        fails half-way (a full disk) leaves no empty source behind."""
        with self._write() as db:
            source = add_one(db, new, identity)
            try:
                stats = self._apply(db, replace(update, source_id=source.id))
                search.catch_up(db, self.search_texts)
            except sqlite3.Error as error:
                raise StoreError(f"{self.path or 'database'}: cannot save ({error})") from error
        return source, stats

    def _apply(self, db: sqlite3.Connection, update: Update) -> SyncStats:
        fields = columns(update.change)
        if update.items is None:  # a failure: the source's state only
            _set(db, update.source_id, fields)
            return SyncStats()
        found = db.execute(
            "SELECT name, fetches, churn FROM sources WHERE id = ?", (update.source_id,)
        ).fetchone()
        if found is None:  # removed meanwhile: its items must not stay behind
            raise sqlite3.IntegrityError(f"source {update.source_id} is gone")
        name, fetches, churn = str(found[0]), int(found[1]), int(found[2])
        fetched = fetches + 1 if update.whole else None
        stats = self._write_items(
            db, update.source_id, update.items, remove_missing=update.exact, fetched=fetched
        )
        fields = {"updated_at": time.time(), **fields}
        if fetched is not None:
            carried = len({item.id for item in update.items})
            replaced = fetches and _replaced_most(stats.added, carried)
            if replaced:
                replaced = _replaced_most(self._repeats(db, update, fetched), carried)
            churn = churn + 1 if replaced else 0
            note = _churn_note(churn, stats.added, carried)
            warning = str(fields.get("warning", ""))
            fields.update(
                fetches=fetched, churn=churn, warning="; ".join(w for w in (warning, note) if w)
            )
        wanted = update.rename(name) if update.rename is not None else ""
        if wanted and wanted != name:
            new_name = picker(db, exclude=update.source_id).pick(wanted)
            fields.update(name=new_name, name_key=name_key(new_name))
        _set(db, update.source_id, fields)
        return stats

    @staticmethod
    def _repeats(db: sqlite3.Connection, update: Update, fetched: int) -> int:
        """How many of a fetch's items repeat a story the source had before under another id
        (the same title or link as an item the fetch no longer carries): a feed whose new
        items are mostly repeats gives its stories new ids, where a busy feed has new
        stories. Read only for a fetch whose items are nearly all new (rare)."""
        titles, links = set(), set()
        for title, link in db.execute(
            "SELECT i.title, coalesce(b.link, '') FROM items i LEFT JOIN bodies b "
            "ON b.item_id = i.id WHERE i.source_id = ? AND i.fetched != ?",
            (update.source_id, fetched),
        ):
            titles.add(title)
            links.add(link)
        titles.discard("")
        links.discard("")
        return sum(item.title in titles or item.link in links for item in update.items or ())

    def _write_items(
        self,
        db: sqlite3.Connection,
        source_id: int,
        items: Sequence[Item],
        *,
        remove_missing: bool,
        fetched: int | None = None,
    ) -> SyncStats:
        """Store ``items`` for a source; ``fetched``: they are what a feed's fetch number
        ``fetched`` carried, each is marked with it (retention keeps what a feed carries)."""
        base = source_id * SEQ_SPAN
        wanted: dict[str, tuple[int, Item]] = {}
        for seq, item in enumerate(items):
            wanted.setdefault(item.id, (base + seq, item))
        existing: dict[str, tuple[object, ...]] = {}
        starred: set[str] = set()
        for row in self._stored(db, source_id, None if remove_missing else list(wanted)):
            existing[row[0]] = row[1:7]
            if row[7]:
                starred.add(row[0])
        missing = [i for i in existing if i not in wanted] if remove_missing else []
        gone = [item_id for item_id in missing if item_id not in starred]
        for item_id in missing:
            # A starred item stays; its read state still reaches its teaser, should it return.
            self._keep_state(db, item_id, staying=item_id in starred)
        search.forget(db, gone)
        db.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in gone])
        updated = 0
        reindex: list[Item] = []
        fresh: list[tuple[Item, tuple[object, ...]]] = []
        for item_id, (seq, item) in wanted.items():
            old = existing.get(item_id)
            published = dates.stamp(item.published)
            if old is not None and not remove_missing:
                seq = int(str(old[2]))  # a feed's order shifts as it grows: keep the first
                if not item.dated:
                    published = dates.stored_stamp(old[1])
            values = (
                item.title,
                published,
                seq,
                int(item.teaser),
                int(item.truncated),
                _digest(item),
            )
            if old is None:
                fresh.append((item, values))
                continue
            if tuple(old) == values:
                continue
            else:
                db.execute(
                    "UPDATE items SET title=?, published=?, seq=?, teaser=?, truncated=?, "
                    "digest=? WHERE id = ?",
                    (*values, item_id),
                )
                updated += 1
                if old[-1] == values[-1]:  # only the list columns changed
                    if old[0] != item.title:
                        reindex.append(item)
                    continue
            self._write_body(db, item)
            reindex.append(item)
        self._insert(db, source_id, fresh, fetched or 0)
        if fetched is not None:
            db.executemany(
                "UPDATE items SET fetched = ? WHERE id = ?", [(fetched, i) for i in existing]
            )
        added = len(fresh)
        reindex += [item for item, _ in fresh]
        search.assign(db, reindex, self.search_texts)
        if added or updated or gone:
            self.hits.changed()
        return SyncStats(added, updated, len(gone))

    @staticmethod
    def _stored(
        db: sqlite3.Connection, source_id: int, ids: list[str] | None
    ) -> Iterator[tuple[Any, ...]]:
        """The stored list columns of a source's items: all of them, or only ``ids`` (a
        feed's merge looks up what it carries, not the source's whole history)."""
        columns = "id, title, published, seq, teaser, truncated, digest, starred"
        if ids is None:
            yield from db.execute(f"SELECT {columns} FROM items WHERE source_id = ?", (source_id,))
        else:
            yield from select_in(
                db,
                f"SELECT {columns} FROM items",
                "id",
                ids,
                where="source_id = ?",
                params=(source_id,),
            )

    @staticmethod
    def _write_body(db: sqlite3.Connection, item: Item) -> None:
        db.execute(
            "INSERT OR REPLACE INTO bodies (item_id, summary, body, link, path, encoding,"
            " aliases, html, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _body_row(item),
        )
        db.execute("DELETE FROM enclosures WHERE item_id = ?", (item.id,))
        db.executemany(
            "INSERT OR IGNORE INTO enclosures (item_id, url, type, length, duration)"
            " VALUES (?, ?, ?, ?, ?)",
            [(item.id, e.url, e.type, e.length, e.duration) for e in item.enclosures],
        )

    @staticmethod
    def _keep_state(db: sqlite3.Connection, item_id: str, *, staying: bool = False) -> None:
        """An item leaves its source: remember its state under its id and every alias, so
        that the story is still read when it comes back under either (article or teaser).
        A starred item ``staying`` in the store passes on only its read state, under its
        aliases: the story keeps one star."""
        found = db.execute(
            f"SELECT {readstate.is_read('i.')}, {readstate.read_at('i.')}, i.starred, "
            "coalesce(b.aliases, '') FROM items i "
            "LEFT JOIN bodies b ON b.item_id = i.id WHERE i.id = ?",
            (item_id,),
        ).fetchone()
        if found is None:
            return
        read, read_at, starred, aliases = found
        own = () if staying else (item_id,)
        names = [(name,) for name in (*own, *str(aliases).split())]
        starred = 0 if staying else starred
        if read or starred:
            db.executemany(
                "INSERT OR REPLACE INTO kept_state (item_id, read, read_at, starred) "
                "VALUES (?, ?, ?, ?)",
                [(name, read, read_at, starred) for (name,) in names],
            )
        else:  # an unread departure overrides an older kept "read"
            db.executemany("DELETE FROM kept_state WHERE item_id = ?", names)

    def _insert(
        self,
        db: sqlite3.Connection,
        source_id: int,
        fresh: Sequence[tuple[Item, tuple[object, ...]]],
        fetched: int = 0,
    ) -> None:
        """Insert new items, each taking any state it left behind under its id or an alias,
        with their bodies. A few statements for all of them: one per item made a cold refresh
        spend 135 us an item in the writer, ten calls into SQLite each.

        The star of a story still stored (a starred article whose file is gone) stays on it:
        its teaser coming back takes only its read state, so the story is starred once."""
        if not fresh:
            return
        names = {item.id: (item.id, *item.aliases) for item, _ in fresh}
        kept: dict[str, tuple[Any, ...]] = {}
        if db.execute("SELECT 1 FROM kept_state LIMIT 1").fetchone():
            wanted = [name for group in names.values() for name in group]
            kept = {
                row[0]: row[1:]
                for row in select_in(
                    db, "SELECT item_id, read, read_at, starred FROM kept_state", "item_id", wanted
                )
            }
        aliases = [alias for item, _ in fresh for alias in item.aliases]
        stored = {
            row[0]: (*row[1:], 0)
            for row in select_in(
                db,
                f"SELECT id, {readstate.is_read()}, {readstate.read_at()} FROM items",
                "id",
                aliases,
            )
        }
        rows, taken = [], []
        now = time.time()
        arrival = readstate.next_arrival(db)  # above every mark: the unread ones arrive unread
        for item, values in fresh:
            read, read_at, starred = 0, None, 0
            for candidate in names[item.id]:
                # Taken once, as if the items went in one by one (an earlier one in this
                # batch may be another's alias, or may have taken a kept state).
                found = kept.pop(candidate, None) or stored.get(candidate)
                if found is not None:
                    taken.append((candidate,))
                    read, read_at = max(read, found[0]), read_at or found[1]
                    starred = starred or found[2]
            stored[item.id] = (read, read_at, 0)
            own = None if read else arrival
            rows.append((item.id, source_id, *values, read, read_at, starred, now, fetched, own))
        db.executemany(
            "INSERT INTO items (id, source_id, title, published, seq, teaser, truncated, digest,"
            " read, read_at, starred, added_at, fetched, arrival)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany("DELETE FROM kept_state WHERE item_id = ?", taken)
        db.executemany(
            "INSERT OR REPLACE INTO bodies (item_id, summary, body, link, path, encoding,"
            " aliases, html, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_body_row(item) for item, _ in fresh],
        )
        db.executemany(
            "INSERT OR IGNORE INTO enclosures (item_id, url, type, length, duration)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (item.id, e.url, e.type, e.length, e.duration)
                for item, _ in fresh
                for e in item.enclosures
            ],
        )


def _replaced_most(new: int, carried: int) -> bool:
    """Whether ``new`` items (never seen, or repeating a story under a new id) are most of a
    fetch that carried ``carried`` items."""
    return carried >= CHURN_MIN_ITEMS and new >= CHURN_SHARE * carried


def _churn_note(churn: int, new: int, carried: int) -> str:
    if churn < CHURN_FETCHES:
        return ""
    return (
        f"the feed gives most of its items new ids at every fetch ({new} of {carried} new, "
        f"{churn} fetches in a row): the copies it drops are removed even unread"
    )


def _digest(item: Item) -> str:
    parts = (item.summary, item.body, item.link, item.path, item.encoding, *item.aliases)
    if any(e.duration for e in item.enclosures) or item.author:
        # Only then: an item stored before durations and authors were kept is rewritten once
        # when its feed gives one (and every other item keeps its digest).
        parts += (item.author, *(f"{e.url}\x00{e.duration}" for e in item.enclosures))
    return hashlib.blake2b(
        "\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=12
    ).hexdigest()


def _body_row(item: Item) -> tuple[object, ...]:
    return (
        item.id,
        item.summary,
        item.body,
        item.link,
        item.path,
        item.encoding,
        " ".join(item.aliases),
        int(item.html),
        item.author,
    )


def _set(db: sqlite3.Connection, source_id: int, fields: dict[str, object]) -> None:
    if fields:
        db.execute(*assignments(source_id, fields))
