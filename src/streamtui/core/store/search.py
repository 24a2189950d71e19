"""Full-text search: the index of every item's title and text (what the user types becomes a
query in text/query.py).

The index is an FTS5 table, ``search_index (title, text)``, whose integer rowids come from
``search_keys (num INTEGER PRIMARY KEY, item_id TEXT UNIQUE)``: items are a WITHOUT ROWID table
keyed by text ids, and FTS5 needs integer rowids. Changing or removing an item's entry is then a
lookup by rowid, never a scan. The index keeps its own copy of the text (not contentless):
deleting from a contentless table needs the exact text that was indexed, which is gone once a
body changes or html_to_text changes (and SQLite 3.40 has no ``contentless_delete``). The
copy costs about 1.35 times the indexed text.

Only text a reader sees is indexed: an HTML body goes through ``fast_html_to_text``, so tags and
attributes (``href``, ``div``) never match. The tokenizer folds case and diacritics
(``unicode61 remove_diacritics 2``: "cafe" finds "Café"). Prefix indexes of 1 and 2 characters
make the first keys of a live search as cheap as the rest: at 100k items a 1-letter prefix
takes 23 ms with them and over 300 ms without; they make the index about twice as large
(1.5 times the indexed text, against about 0.8 without). A 3-character index would save 20 ms on
3-letter prefixes for another 40 % of size.

Entries may be written after their items (issue 15): a new or changed item gets a key above
the watermark ``meta.search_indexed`` and its entry is written by :func:`index_pending`, in the
same transaction (``Store.apply``, :func:`catch_up`) or later (a refresh's writer, a chunk at a
time: items show first and are found a moment later). The watermark moves only in the
transaction that writes the entries below it, so a process stopped in between leaves keys
pending, and the next refresh writes them. A big refresh from the command line leaves its
entries to a process of its own (core/library/indexer.py); a write meanwhile joins that backlog
rather than writing all of it in its own transaction (:func:`catch_up`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from streamtui.core.models import Item
from streamtui.core.store.sql import select_in, statements
from streamtui.core.text.htmlfast import indexed_text

SCHEMA = """
CREATE TABLE search_keys (
    num INTEGER PRIMARY KEY,  -- the item's rowid in search_index
    item_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE search_index USING fts5 (
    title, text, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2'
);
-- However an item leaves, its entry goes too (the store's own deletions remove entries first,
-- in a row: see forget).
CREATE TRIGGER items_leave_search_index AFTER DELETE ON items BEGIN
    DELETE FROM search_index
        WHERE rowid = (SELECT num FROM search_keys WHERE item_id = old.id);
    DELETE FROM search_keys WHERE item_id = old.id;
END;
"""

TITLE_WEIGHT = 10.0
"""bm25 weight of a title match against 1.0 for the text: a word in the title ranks first."""
RANK = f"bm25(search_index, {TITLE_WEIGHT}, 1.0)"


INDEXED = "search_indexed"
"""The meta key of the index's watermark: every key (``search_keys.num``) up to it has its
entry in ``search_index``; keys above it are pending (migration 7)."""
INDEX_CHUNK = 500
"""Entries written per transaction when the index catches up (about 20 ms of FTS5): a mark
made meanwhile waits for one chunk at most."""
ENTRIES_NOW = 2_000
"""The most pending entries written in one go by a write that also stores items (about
0.15 s): more are a backlog that a big refresh from the command line left to its indexer
(core/library/indexer.py), written a chunk at a time (see catch_up)."""
TEXTS_KEPT = 10_000
"""Pending entries whose text is kept in memory (about 1.2 KB each); beyond that, and for
entries another process left pending, the text is made again from the stored body."""

Texts = dict[int, tuple[str, str, str]]
"""Pending entries' text, by key: (item id, title, text)."""


def _text_of(item: Item) -> str:
    if item.text is not None:
        return item.text
    return indexed_text(item.summary, item.body, item.html)


def assign(db: sqlite3.Connection, items: Iterable[Item], texts: Texts) -> int:
    """Give ``items`` (new, or whose title or text changed) pending keys, and put their text
    in ``texts``; :func:`index_pending` writes their entries, in this transaction or later.
    An item that had an entry loses it here (the old text must not be found) and gets a new
    key above every other, so that a new key is always above the watermark. Returns how many.

    Splitting the two takes FTS5 (about 40 ms of CPU per 1,000 items, most of it when the
    transaction commits) out of the transaction that stores the items: a refresh shows
    items first and makes them searchable a moment later, when the writer is idle."""
    items = list({item.id: item for item in items}.values())  # each once
    if not items:
        return 0
    # Looked up together: a statement per item cost more than the index itself.
    known = [
        num
        for _, num in select_in(
            db, "SELECT item_id, num FROM search_keys", "item_id", [item.id for item in items]
        )
    ]
    _delete_entries(db, known)
    db.executemany("DELETE FROM search_keys WHERE num = ?", [(num,) for num in known])
    last = _last_key(db)
    rows = []
    for item in items:
        last += 1
        rows.append((last, item.id))
        if len(texts) < TEXTS_KEPT:
            texts[last] = (item.id, item.title, _text_of(item))
    db.executemany("INSERT INTO search_keys (num, item_id) VALUES (?, ?)", rows)
    return len(rows)


def _last_key(db: sqlite3.Connection) -> int:
    """The key new ones are given above: the highest given, or the watermark when higher (a
    removed item's key is never given again)."""
    (last,) = db.execute("SELECT coalesce(max(num), 0) FROM search_keys").fetchone()
    return max(int(last), watermark(db))


def _delete_entries(db: sqlite3.Connection, nums: Sequence[int]) -> None:
    """Remove the entries of these keys (one not written yet is simply not there). FTS5
    reads and tokenizes an entry's text again to remove it: about 0.1 ms an item."""
    db.executemany("DELETE FROM search_index WHERE rowid = ?", [(num,) for num in nums])


def watermark(db: sqlite3.Connection) -> int:
    found = db.execute("SELECT value FROM meta WHERE key = ?", (INDEXED,)).fetchone()
    return int(found[0]) if found else 0


def pending(db: sqlite3.Connection) -> int:
    """How many keys wait for their entry."""
    found = db.execute("SELECT count(*) FROM search_keys WHERE num > ?", (watermark(db),))
    return int(found.fetchone()[0])


def index_pending(db: sqlite3.Connection, texts: Texts, limit: int | None = None) -> int:
    """Write the entries of pending keys, oldest first (at most ``limit``), and move the
    watermark past them; returns how many were written. The text comes from ``texts`` when
    it holds the key (for the same item), else from the stored title and body, as migration
    3 made it. The entries are written in a row, after the transaction's other writes: FTS5
    writes its pending terms to disk whenever a statement opens a savepoint (an INSERT OR
    REPLACE, a foreign key), so entries written between other writes make one tiny segment
    each, to be merged later (a 1,000-item merge into 10k items measured 0.5 s that way
    against 0.33 s in a row)."""
    mark = watermark(db)
    keys = db.execute(
        "SELECT num, item_id FROM search_keys WHERE num > ? ORDER BY num LIMIT ?",
        (mark, -1 if limit is None else limit),
    ).fetchall()
    if not keys:
        for num in [num for num in texts if num <= mark]:
            del texts[num]
        return 0
    rows: list[tuple[int, str, str]] = []
    missing: list[tuple[int, str]] = []
    kept_ids: dict[int, str] = {}
    for num, item_id in keys:
        kept = texts.pop(num, None)
        if kept is not None and kept[0] == item_id:
            rows.append((num, kept[1], kept[2]))
            kept_ids[num] = item_id
        else:
            missing.append((num, item_id))
    full = _full_texts(db, list(kept_ids.values()))
    if full:  # an item rewritten by a refresh keeps its stored full article's words
        rows = [(num, title, _with(text, full.get(kept_ids[num], ""))) for num, title, text in rows]
    if missing:
        rows += _stored_texts(db, missing)
        # In rowid order: FTS5 writes its pending terms to disk whenever a rowid is not above
        # the last one (the stored texts come in item id order): 20,000 entries made from
        # stored bodies took 2.6 s to insert in that order, 0.7 s sorted.
        rows.sort()
    db.executemany("INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)", rows)
    last = int(keys[-1][0])
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (INDEXED, str(last)))
    for num in [num for num in texts if num <= last]:
        del texts[num]  # kept for keys that a rolled-back write gave out
    return len(keys)


def catch_up(db: sqlite3.Connection, texts: Texts) -> int:
    """Write the pending entries in this transaction (those of the items it stored, as a
    rule), unless there are more than ENTRIES_NOW: then a big refresh from the command line
    left them to its indexer, and this transaction's entries join them (20,000 entries took
    2 s in the one transaction of an account's page or a feed added). The library starts the
    indexer when a write leaves entries pending (core/library/base.py)."""
    if pending(db) > ENTRIES_NOW:
        return 0
    return index_pending(db, texts)


def _stored_texts(
    db: sqlite3.Connection, keys: Sequence[tuple[int, str]]
) -> list[tuple[int, str, str]]:
    """The entries' text made again from what is stored: the title, the summary and body as
    text, and the full article's text when one is stored (store/articles.py)."""
    nums = dict((item_id, num) for num, item_id in keys)
    return [
        (nums[item_id], title, _with(indexed_text(summary, body, bool(html)), full))
        for item_id, title, summary, body, html, full in select_in(
            db,
            "SELECT i.id, i.title, coalesce(b.summary, ''), coalesce(b.body, ''), "
            "coalesce(b.html, 0), coalesce(f.text, '') FROM items i "
            "LEFT JOIN bodies b ON b.item_id = i.id "
            "LEFT JOIN full_articles f ON f.item_id = i.id",
            "i.id",
            list(nums),
        )
    ]


def _full_texts(db: sqlite3.Connection, item_ids: Sequence[str]) -> dict[str, str]:
    """The text of the full articles stored for ``item_ids`` (none looked up while no item
    has one: one tiny statement per write)."""
    if (
        not item_ids
        or not db.execute("SELECT 1 FROM full_articles WHERE text != '' LIMIT 1").fetchone()
    ):
        return {}
    return {
        str(item_id): str(text)
        for item_id, text in select_in(
            db, "SELECT item_id, text FROM full_articles", "item_id", list(item_ids)
        )
    }


def _with(text: str, full: str) -> str:
    return f"{text}\n{full}" if full else text


def reindex(db: sqlite3.Connection, item_ids: Sequence[str]) -> None:
    """Write the entries of stored items again from what is stored (a full article saved or
    dropped). An entry already written is replaced under its own key; an item whose entry is
    still pending keeps its key, and that entry is made with the full article's text when it
    is written (index_pending). Nothing else pending is written here: after a big refresh
    from the command line, a full article saved wrote its 20,000 pending entries in its own
    transaction."""
    mark = watermark(db)
    known = {
        str(item_id): int(num)
        for item_id, num in select_in(
            db, "SELECT item_id, num FROM search_keys", "item_id", list(item_ids)
        )
    }
    written = sorted((num, item_id) for item_id, num in known.items() if num <= mark)
    _delete_entries(db, [num for num, _ in written])
    rows = sorted(_stored_texts(db, written))  # rowid order: see index_pending
    db.executemany("INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)", rows)
    gone = {num for num, _ in written} - {num for num, _, _ in rows}
    db.executemany("DELETE FROM search_keys WHERE num = ?", [(num,) for num in gone])
    unkeyed = [
        str(found[0])
        for found in select_in(db, "SELECT id FROM items", "id", list(item_ids))
        if str(found[0]) not in known
    ]
    if unkeyed:  # none should be: given keys above every other, written now
        last = _last_key(db)
        db.executemany(
            "INSERT INTO search_keys (num, item_id) VALUES (?, ?)",
            [(last + number, item_id) for number, item_id in enumerate(unkeyed, start=1)],
        )
        index_pending(db, {})


def forget(db: sqlite3.Connection, item_ids: Sequence[str]) -> None:
    """Remove the entries of items about to be deleted, all in a row (see index_pending); the
    trigger on items then finds nothing left to do. FTS5 reads and tokenizes an entry's
    text again to remove it: about 0.1 ms an item."""
    db.executemany(
        "DELETE FROM search_index WHERE rowid = (SELECT num FROM search_keys WHERE item_id = ?)",
        [(item_id,) for item_id in item_ids],
    )
    db.executemany("DELETE FROM search_keys WHERE item_id = ?", [(i,) for i in item_ids])


def create_and_fill(db: sqlite3.Connection) -> None:
    """Migration 3: the index, filled from the items already stored (oldest first, so that
    rowids follow dates as new items keep arriving). Runs inside the migration's transaction:
    an interruption leaves the database without any of it."""
    for statement in statements(SCHEMA):
        db.execute(statement)
    db.execute("INSERT INTO search_keys (item_id) SELECT id FROM items ORDER BY published, seq, id")
    rows = db.execute(
        "SELECT k.num, i.title, coalesce(b.summary, ''), coalesce(b.body, ''), "
        "coalesce(b.html, 0) FROM search_keys k JOIN items i ON i.id = k.item_id "
        "LEFT JOIN bodies b ON b.item_id = i.id ORDER BY k.num"
    )
    db.executemany(
        "INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)",
        (
            (num, title, indexed_text(summary, body, bool(html)))
            for num, title, summary, body, html in rows
        ),
    )
