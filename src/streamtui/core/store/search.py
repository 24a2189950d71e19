"""Full-text search: the index of every item's title and text (what the user types becomes a
query in text/query.py).

The index is an FTS5 table, ``search_index (title, text)``, whose integer rowids come from
``search_keys (num INTEGER PRIMARY KEY, item_id TEXT UNIQUE)``: items are a WITHOUT ROWID table
keyed by text ids, and FTS5 needs integer rowids. Changing or removing an item's entry is then a
lookup by rowid, never a scan. The index keeps its own copy of the text (not contentless):
deleting from a contentless table needs the exact text that was indexed, which is gone once a
body changes or html_to_text changes (and SQLite 3.40 has no ``contentless_delete``). The
copy costs about 1.35 times the indexed text.

Only text a reader sees is indexed: an HTML body goes through ``html_to_text``, so tags and
attributes (``href``, ``div``) never match. The tokenizer folds case and diacritics
(``unicode61 remove_diacritics 2``: "cafe" finds "Café"). Prefix indexes of 1 and 2 characters
make the first keys of a live search as cheap as the rest: at 100k items a 1-letter prefix
takes 23 ms with them and over 300 ms without; they make the index about twice as large
(1.5 times the indexed text, against about 0.8 without). A 3-character index would save 20 ms on
3-letter prefixes for another 40 % of size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from streamtui.core.models import Item
from streamtui.core.store.sql import select_in, statements
from streamtui.core.text.htmltext import indexed_text

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


def _text_of(item: Item) -> str:
    if item.text is not None:
        return item.text
    return indexed_text(item.summary, item.body, item.html)


def index_items(db: sqlite3.Connection, items: Iterable[Item]) -> None:
    """Write (or rewrite) the entries of ``items``, all in a row after the transaction's
    other writes: FTS5 writes its pending terms to disk whenever a statement opens a
    savepoint (an INSERT OR REPLACE, a foreign key), so entries written between other
    writes make one tiny segment each, to be merged later (a 1,000-item merge into 10k
    items measured 0.5 s that way against 0.33 s in a row, html_to_text included). An item
    with a full article stored (store/articles.py) keeps the article's text in its entry."""
    items = list({item.id: item for item in items}.values())  # each once
    full = _full_texts(db, [item.id for item in items])
    index_entries(
        db, [(item.id, item.title, _with(_text_of(item), full.get(item.id))) for item in items]
    )


def reindex(db: sqlite3.Connection, item_ids: Sequence[str]) -> None:
    """Rewrite the entries of stored items from what is stored (their full article saved)."""
    rows = select_in(
        db,
        "SELECT i.id, i.title, coalesce(b.summary, ''), coalesce(b.body, ''), "
        "coalesce(b.html, 0), coalesce(f.text, '') FROM items i "
        "LEFT JOIN bodies b ON b.item_id = i.id LEFT JOIN full_articles f ON f.item_id = i.id",
        "i.id",
        list(item_ids),
    )
    index_entries(
        db,
        [
            (str(item_id), str(title), _with(indexed_text(summary, body, bool(html)), full))
            for item_id, title, summary, body, html, full in rows
        ],
    )


def _full_texts(db: sqlite3.Connection, item_ids: Sequence[str]) -> dict[str, str]:
    """The text of the full articles stored for ``item_ids`` (none looked up while no item
    has one: one tiny statement per write)."""
    if not db.execute("SELECT 1 FROM full_articles WHERE text != '' LIMIT 1").fetchone():
        return {}
    return dict(select_in(db, "SELECT item_id, text FROM full_articles", "item_id", list(item_ids)))


def _with(text: str, full: str | None) -> str:
    return f"{text}\n{full}" if full else text


def index_entries(db: sqlite3.Connection, entries: Sequence[tuple[str, str, str]]) -> None:
    """Write (or rewrite) entries given as (item id, title, text)."""
    # Looked up together: a statement per item cost more than the index itself.
    known: dict[str, int] = dict(
        select_in(
            db,
            "SELECT item_id, num FROM search_keys",
            "item_id",
            [item_id for item_id, _, _ in entries],
        )
    )
    stale = [(known[item_id],) for item_id, _, _ in entries if item_id in known]
    (last,) = db.execute("SELECT coalesce(max(num), 0) FROM search_keys").fetchone()
    new_keys = []
    for item_id, _, _ in entries:
        if item_id not in known:
            last += 1
            known[item_id] = last
            new_keys.append((last, item_id))
    db.executemany("INSERT INTO search_keys (num, item_id) VALUES (?, ?)", new_keys)
    db.executemany("DELETE FROM search_index WHERE rowid = ?", stale)
    db.executemany(
        "INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)",
        ((known[item_id], title, text) for item_id, title, text in entries),
    )


def forget(db: sqlite3.Connection, item_ids: Sequence[str]) -> None:
    """Remove the entries of items about to be deleted, all in a row (see index_items); the
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
