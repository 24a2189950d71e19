"""The schema: every migration, in order, and running them.

Each step runs in one transaction, versioned by ``PRAGMA user_version``; a step that needs
Python is a function. The list columns live apart from the bodies so that listing 100k items
never reads a body.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from streamtui.core.errors import StoreError
from streamtui.core.store import readstate, search, sql
from streamtui.core.store.naming import NamePicker, name_key
from streamtui.core.store.passwords import SCRUB_PENDING, passwords_out

if TYPE_CHECKING:
    from streamtui.core.store.connection import Database

MIGRATION_WAIT = 600.0
"""How long opening waits for another instance that is migrating the database."""


def _search_and_stars(db: sqlite3.Connection) -> None:
    """3: full-text search (the index is filled here, so this step is Python: see
    store/search.py) and the starred view's index, holding only starred items (a handful
    among 100k) and every column the list reads, like the order indexes."""
    db.execute(
        "CREATE INDEX items_starred ON items (published DESC, seq, id, read, read_at, "
        "source_id) WHERE starred = 1"
    )
    search.create_and_fill(db)


def _names_and_retention(db: sqlite3.Connection) -> None:
    """Names compared without case are unique in the database itself, and what retention needs.

    ``sources.name_key`` is the case-folded name under a unique index, so that a name is
    chosen and saved in one transaction and two processes never take the same one (an older
    database may hold two names that differ only in case: the later one gets a number).
    Retention (store/retention.py): ``keep_days`` and ``max_items`` of a source (NULL: the
    config's), ``fetches`` counts the source's parsed fetches and an item's ``fetched`` is
    that count when a fetch last carried it (equal: the feed still carries it), ``churn``
    counts fetches in a row that replaced most of the items, and ``added_at`` is when an item
    arrived (0 for items stored before: they count as arrived at this migration, kept in meta
    as ``arrivals_since``). The columns are added without rewriting a row."""
    for statement in sql.statements(_RETENTION_COLUMNS):
        db.execute(statement)
    rows = db.execute("SELECT id, name FROM sources ORDER BY id").fetchall()
    used: set[str] = set()
    clashes = []
    for source_id, name in rows:
        if name_key(name) in used:
            clashes.append((source_id, name))
        used.add(name_key(name))
    picker = NamePicker(used.__contains__)
    renamed = {}
    for source_id, name in clashes:
        renamed[source_id] = picker.pick(name)
        used.add(name_key(renamed[source_id]))
    db.executemany(
        "UPDATE sources SET name = ?, name_key = ? WHERE id = ?",
        [(renamed.get(sid, name), name_key(renamed.get(sid, name)), sid) for sid, name in rows],
    )
    db.execute("CREATE UNIQUE INDEX sources_by_name_key ON sources (name_key)")
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('arrivals_since', ?)", (str(time.time()),)
    )


_RETENTION_COLUMNS = """
ALTER TABLE sources ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN keep_days INTEGER;
ALTER TABLE sources ADD COLUMN max_items INTEGER;
ALTER TABLE sources ADD COLUMN fetches INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN churn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN added_at REAL NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN fetched INTEGER NOT NULL DEFAULT 0;
"""


_ACCOUNTS = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    user TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,        -- scopes item ids: kind, URL and user as first added
    state TEXT NOT NULL DEFAULT '',  -- the backend's SyncState (watermarks), as JSON
    added_at REAL NOT NULL,
    synced_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    relist INTEGER NOT NULL DEFAULT 0  -- marks were pushed: list every id at the next sync
);
CREATE TABLE account_categories (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    remote_id TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (account_id, remote_id)
) WITHOUT ROWID;
ALTER TABLE sources ADD COLUMN account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE;
ALTER TABLE sources ADD COLUMN remote_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN remote_title TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN category_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN feed_url TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX sources_by_remote ON sources (account_id, remote_id)
    WHERE account_id IS NOT NULL;
-- The server's id of each account item, and its state there when last seen (or pushed).
CREATE TABLE remote_items (
    item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    remote_id TEXT NOT NULL,
    server_read INTEGER NOT NULL,
    server_starred INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX remote_items_by_id ON remote_items (account_id, remote_id);
-- Marks and stars made here, queued in the transaction that makes them, until the server
-- acknowledges them; ``at`` is when each was made (the newer change wins a conflict).
CREATE TABLE pending_marks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('read', 'unread', 'star', 'unstar')),
    at REAL NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0  -- sent once, not acknowledged yet
);
CREATE INDEX pending_marks_by_account ON pending_marks (account_id, remote_id);
"""


def _accounts(db: sqlite3.Connection) -> None:
    """Server accounts (the script above), once: a database that has the tables already
    (one whose version was set back by hand, as a test of an earlier step does) is left as
    it is instead of failing on a table that exists."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'accounts'").fetchone():
        return
    for statement in sql.statements(_ACCOUNTS):
        db.execute(statement)


def _add_column(db: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    """Add a column unless the table has it (a database whose version was set back by hand,
    as a test of an earlier step does, is left as it is instead of failing)."""
    if not any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})")):
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _whole_story_head(db: sqlite3.Connection) -> None:
    """Step 9: attachments' playing time, items' author."""
    _add_column(db, "enclosures", "duration", "INTEGER NOT NULL DEFAULT 0")
    _add_column(db, "bodies", "author", "TEXT NOT NULL DEFAULT ''")


_FULL_ARTICLES = """
    CREATE TABLE full_articles (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,  -- the article's plain text, as the search index holds it
        words INTEGER NOT NULL,
        fetched_at REAL NOT NULL,
        error TEXT NOT NULL  -- one line: why there is no article ('' when there is one)
    );
"""


def _full_articles(db: sqlite3.Connection) -> None:
    """Step 10: the full_articles table and a source's full_text setting, once each."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'full_articles'").fetchone():
        for statement in sql.statements(_FULL_ARTICLES):
            db.execute(statement)
    _add_column(db, "sources", "full_text", "INTEGER NOT NULL DEFAULT 0")


_ORDER_INDEXES = """
    CREATE INDEX items_by_date ON items (published DESC, seq, id, arrival, read_at);
    CREATE INDEX items_by_source ON items (source_id, published DESC, seq, id, arrival, read_at);
    CREATE INDEX items_starred ON items (published DESC, seq, id, arrival, read_at, source_id)
        WHERE starred = 1;
"""


def _read_marks(db: sqlite3.Connection) -> None:
    """Step 11: marks of everything read as one row (store/readstate.py). An item read on
    its own arrives NULL, an unread one at 0 (no mark covers it yet); its ``read`` and
    ``read_at`` stay. The order indexes carry ``arrival`` where they carried ``read``: they
    are dropped first, so that giving read items their NULL writes only their rows."""
    for index in ("items_by_date", "items_by_source", "items_starred"):
        db.execute(f"DROP INDEX IF EXISTS {index}")
    _add_column(db, "items", "arrival", "INTEGER DEFAULT 0")
    db.execute("UPDATE items SET arrival = NULL WHERE read != 0")
    for statement in sql.statements(readstate.TABLE + ";" + _ORDER_INDEXES):
        db.execute(statement)
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, '0')", (readstate.ARRIVALS,))


def _retention_index(db: sqlite3.Connection) -> None:
    """Step 12: the order index by source carries ``added_at`` too, so that retention
    passes over unread recent items on the index alone (store/retention.py). Built again:
    about 5 s at a million items."""
    db.execute("DROP INDEX IF EXISTS items_by_source")
    db.execute(_BY_SOURCE)


_BY_SOURCE = (
    "CREATE INDEX items_by_source ON items "
    "(source_id, published DESC, seq, id, arrival, read_at, added_at)"
)


Migration = str | Callable[[sqlite3.Connection], None]
"""A script, or a function for a step that needs Python; each runs in one transaction."""

MIGRATIONS: list[Migration] = [
    # 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        location TEXT NOT NULL UNIQUE,
        added_at REAL NOT NULL,
        updated_at REAL,
        last_error TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        published REAL NOT NULL,
        seq INTEGER NOT NULL,
        teaser INTEGER NOT NULL DEFAULT 0,
        truncated INTEGER NOT NULL DEFAULT 0,
        read INTEGER NOT NULL DEFAULT 0,
        read_at REAL,
        starred INTEGER NOT NULL DEFAULT 0,
        digest TEXT NOT NULL DEFAULT ''  -- of the body row, to skip rewriting unchanged ones
    ) WITHOUT ROWID;
    -- Order indexes carry the filter columns, so that a window of the list is found from the
    -- index alone (see views.py) and only its rows are read from the table.
    CREATE INDEX items_by_date ON items (published DESC, seq, id, read, read_at);
    CREATE INDEX items_by_source ON items (source_id, published DESC, seq, id, read, read_at);
    -- Unread counts per source from the index alone (dropped in migration 4).
    CREATE INDEX items_state ON items (source_id, read);
    CREATE TABLE bodies (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT NOT NULL,
        path TEXT NOT NULL,
        encoding TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT ''  -- space-separated ids this story also goes by
    ) WITHOUT ROWID;
    -- Read and starred state of items that left their source, given back if they return.
    CREATE TABLE kept_state (
        item_id TEXT PRIMARY KEY,
        read INTEGER NOT NULL,
        read_at REAL,
        starred INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: feed sources. A stable key scopes item ids even after the URL changes; the fetch
    # state makes conditional GETs; HTML bodies and enclosures.
    """
    ALTER TABLE sources ADD COLUMN key TEXT NOT NULL DEFAULT '';
    UPDATE sources SET key = location;
    ALTER TABLE sources ADD COLUMN folder TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN site_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN warning TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN etag TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN retry_at REAL;
    ALTER TABLE sources ADD COLUMN redirect_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE sources ADD COLUMN redirect_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE bodies ADD COLUMN html INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE enclosures (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        type TEXT NOT NULL,
        length INTEGER NOT NULL,
        PRIMARY KEY (item_id, url)
    ) WITHOUT ROWID;
    """,
    _search_and_stars,
    # 4: measured at 100k items (benchmarks/README.md, issue 5). Bodies (about 1.2 KB a row)
    # move to a rowid table: in a WITHOUT ROWID b-tree a row that large takes a page of its
    # own, so the table held 460 MB where 130 MB do, and every write and checkpoint paid for
    # it. The per-source (source_id, read) index goes: the order index by source counts as
    # fast, and marking 100k items read rewrote one index fewer (2.2 s -> 1.3 s).
    """
    CREATE TABLE bodies_by_rowid (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT NOT NULL,
        path TEXT NOT NULL,
        encoding TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '',
        html INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO bodies_by_rowid (item_id, summary, body, link, path, encoding, aliases, html)
        SELECT item_id, summary, body, link, path, encoding, aliases, html FROM bodies;
    DROP TABLE bodies;
    ALTER TABLE bodies_by_rowid RENAME TO bodies;
    DROP INDEX items_state;
    """,
    # 5: passwords in feed URLs leave the database for the credential store (issue 12); a
    # source with one stored there has login = 1 (2: and its ids' scope). See
    # store/passwords.py.
    passwords_out,
    # 6: unique case-folded names and the columns retention needs.
    _names_and_retention,
    # 7: search entries written after the items (issue 15): every key up to this watermark
    # has its entry; the keys above it are pending (store/search.py). Every item stored so
    # far has its entry.
    f"""
    INSERT OR REPLACE INTO meta (key, value)
        SELECT '{search.INDEXED}', coalesce(max(num), 0) FROM search_keys;
    """,
    # 8: server accounts (issue 14): the accounts, their feeds as sources, the server's id
    # and last seen state of their items, and the queue of marks to send.
    _accounts,
    # 9: what the top of an article shows (issue 16): each attachment's playing time in
    # seconds (itunes:duration, JSON Feed's duration_in_seconds; 0: not said) and the item's
    # author ("" when the feed names none).
    _whole_story_head,
    # 10: full articles (issue 16, store/articles.py): the article extracted from an item's
    # web page, or why there is none, dropped with its item (the foreign key); a rowid table,
    # as bodies are (a page's article takes kilobytes). A source's full_text says that its
    # new items' pages are fetched after a refresh.
    _full_articles,
    # 11: marking everything read writes one row, not every item's (issue 15): an item's
    # arrival number, the marks' table and order indexes that carry the number.
    _read_marks,
    # 12: retention with nothing due reads the order index by source alone (issue 15).
    _retention_index,
]


def latest() -> int:
    """The schema version this streamtui makes and reads."""
    return len(MIGRATIONS)


def migrate(database: Database) -> None:
    """Bring the schema to the latest version, a step per transaction (another instance
    migrating at the same time is waited for)."""
    version = database._db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"the database is at schema version {version}, newer than this streamtui "
            f"knows ({len(MIGRATIONS)}); upgrade streamtui"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        deadline = time.monotonic() + MIGRATION_WAIT
        while True:
            try:
                _migrate_to(database, number)
                break
            except StoreError as error:
                # Another instance migrating holds the lock for as long as it takes
                # (about 23 s per 100k items): wait for it, then find the step done.
                if not sql.busy(error.__cause__) or time.monotonic() > deadline:
                    raise


def _migrate_to(database: Database, number: int) -> None:
    with database._write() as db:
        # Re-read inside the lock: another instance may have migrated meanwhile.
        if db.execute("PRAGMA user_version").fetchone()[0] >= number:
            return
        step = MIGRATIONS[number - 1]
        if callable(step):
            step(db)
        else:
            for statement in sql.statements(step):
                db.execute(statement)
        db.execute(f"PRAGMA user_version={number}")


def scrub_moved_secrets(database: Database) -> None:
    """After migration 5 moved passwords out of the database: rebuild the file (VACUUM,
    with secure_delete on), so that no old copy of a row that held one stays in free
    space, then empty the WAL (a checkpoint that truncates it: a WAL that is only reset
    keeps old frames past its new end). A step that cannot be done now (another instance
    reading) is tried again at the next start: the marker stays until it is done."""
    pending = database._db.execute("SELECT 1 FROM meta WHERE key = ?", (SCRUB_PENDING,))
    if pending.fetchone() is None:
        return
    try:
        database._db.execute("PRAGMA secure_delete = ON")
        database._db.execute("VACUUM")
        if database._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
            return  # busy: another connection holds an old snapshot
        with database._write() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (SCRUB_PENDING,))
        database._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except (sqlite3.Error, StoreError):
        return
    finally:
        with suppress(sqlite3.Error):
            database._db.execute("PRAGMA secure_delete = OFF")
