"""Full-text search: what the user types made into a safe FTS5 query, and the text of an item
that the index holds.

The index is an FTS5 table, ``search_index (title, text)``, whose integer rowids come from
``search_keys (num INTEGER PRIMARY KEY, item_id TEXT UNIQUE)``: items are a WITHOUT ROWID table
keyed by text ids, and FTS5 needs integer rowids. Changing or removing an item's entry is then a
lookup by rowid, never a scan. The index keeps its own copy of the text (not contentless):
deleting from a contentless table needs the exact text that was indexed, which is gone once a
body changes or html_to_text changes (and SQLite 3.40 has no ``contentless_delete``). The
copy costs about 1.35 times the indexed text.

Only text a reader sees is indexed: an HTML body goes through :func:`html_to_text`, so tags and
attributes (``href``, ``div``) never match. The tokenizer folds case and diacritics
(``unicode61 remove_diacritics 2``: "cafe" finds "Café"). Prefix indexes of 1 and 2 characters
make the first keys of a live search as cheap as the rest: at 100k items a 1-letter prefix
takes 23 ms with them and over 300 ms without; they make the index about twice as large
(1.5 times the indexed text, against about 0.8 without). A 3-character index would save 20 ms on
3-letter prefixes for another 40 % of size.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

from streamtui.core.htmltext import html_to_text
from streamtui.core.models import Item
from streamtui.core.sql import select_in

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

MAX_WORDS = 32
"""Words of a query beyond this many are ignored (a pasted paragraph is not a search)."""

_WORD = re.compile(r"[^\W_]+")
"""The tokenizer's word characters, near enough: letters and digits (``_`` separates)."""
_LITERAL = re.compile(r"(?:\.[A-Za-z0-9]+|[A-Za-z0-9]+[+#]+)")
"""A word whose symbols the tokenizer drops but which name something: ``c++``, ``c#``,
``f#``, ``.net``. To the index ``c++`` is the word ``c``, so each must also appear as typed."""


def match_expression(text: str) -> str | None:
    """The FTS5 query for what the user typed, or None when it asks for nothing.

    Every whitespace-separated word becomes a quoted string, so FTS5 syntax typed by the user
    (``"``, ``*``, ``-``, ``:``, ``^``, ``NEAR``, ``AND``, parentheses) is only text, and a
    word with inner punctuation (``foo-bar``, ``don't``) is a phrase of its parts. All words
    must match. The last word is a prefix, so results come as the user types, unless the text
    ends with a space (the word is finished). Words without a letter or digit are dropped:
    they hold no token, and an empty phrase would match nothing at all.
    """
    text = text.replace("\x00", " ")  # FTS5 ends a string at NUL: "unterminated string"
    words = [chunk for chunk in text.split() if _WORD.search(chunk)]
    if not words:
        return None
    phrases = ['"' + word.replace('"', '""') + '"' for word in words[:MAX_WORDS]]
    # "c++" and "c#" end their word: "c" is the whole of it, not the start of every c-word.
    finished = words[-1].endswith(("+", "#"))
    if len(words) <= MAX_WORDS and text.endswith(words[-1]) and not finished:
        phrases[-1] += " *"
    return " ".join(phrases)


def literals(text: str) -> list[str]:
    """The words of a query that must also appear as typed, symbols included (lower-cased,
    ASCII only, so SQLite's lower() agrees): ``c++`` must not find every item with "c".
    The store checks them on the matches of :func:`match_expression` with instr()."""
    words = text.replace("\x00", " ").split()[:MAX_WORDS]
    return list(dict.fromkeys(w.lower() for w in words if _LITERAL.fullmatch(w)))


def terms(text: str) -> list[str]:
    """The words of a query to mark in titles, lower-cased, each once, in typed order.

    A match starts a word of the title with a term (the last one may be a prefix). Diacritics
    are not folded here: "cafe" also finds "Café" but marks only "cafe".
    """
    seen: dict[str, None] = {}
    for chunk in text.split()[:MAX_WORDS]:
        for word in _WORD.findall(chunk):
            seen.setdefault(word.lower())
    return list(seen)


def indexed_text(summary: str, body: str, html: bool) -> str:
    """What the index holds besides the title: the body as text, or the summary without one."""
    for part in (body, summary):
        text = html_to_text(part) if html else part
        if text.strip():
            return text
    return ""


def _text_of(item: Item) -> str:
    if item.text is not None:
        return item.text
    return indexed_text(item.summary, item.body, item.html)


def index_items(db: sqlite3.Connection, items: Iterable[Item]) -> None:
    """Write (or rewrite) the entries of ``items``, all in a row after the transaction's
    other writes: FTS5 writes its pending terms to disk whenever a statement opens a
    savepoint (an INSERT OR REPLACE, a foreign key), so entries written between other
    writes make one tiny segment each, to be merged later (a 1,000-item merge into 10k
    items measured 0.5 s that way against 0.33 s in a row, html_to_text included)."""
    items = list({item.id: item for item in items}.values())  # each once
    # Looked up together: a statement per item cost more than the index itself.
    known: dict[str, int] = dict(
        select_in(
            db, "SELECT item_id, num FROM search_keys", "item_id", [item.id for item in items]
        )
    )
    stale = [(known[item.id],) for item in items if item.id in known]
    (last,) = db.execute("SELECT coalesce(max(num), 0) FROM search_keys").fetchone()
    new_keys = []
    for item in items:
        if item.id not in known:
            last += 1
            known[item.id] = last
            new_keys.append((last, item.id))
    db.executemany("INSERT INTO search_keys (num, item_id) VALUES (?, ?)", new_keys)
    rows = [(known[item.id], item) for item in items]
    db.executemany("DELETE FROM search_index WHERE rowid = ?", stale)
    db.executemany(
        "INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)",
        ((num, item.title, _text_of(item)) for num, item in rows),
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
    for statement in _split(SCHEMA):
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


def _split(script: str) -> list[str]:
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements
