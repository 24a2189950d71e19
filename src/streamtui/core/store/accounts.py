"""Server accounts in the store (issue 14): the accounts and their feeds as sources (their
items' server state and the queue of marks: remote.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from streamtui.core import dates
from streamtui.core.errors import DuplicateSourceError
from streamtui.core.models import Account, NewSource, SourceKind
from streamtui.core.store import search
from streamtui.core.store.connection import Database
from streamtui.core.store.naming import NamePicker, name_key
from streamtui.core.store.sources import insert_source, picker

OTHER_FEED = "*"
"""The remote id of an account's source for items of no feed it lists (tt-rss's archived
articles, a feed removed since): made when first needed."""


@dataclass(frozen=True, slots=True)
class RemoteFeedRow:
    """A feed of an account as a sync lists it."""

    remote_id: str
    title: str
    url: str
    category_id: str = ""


class AccountsPart(Database):
    """Accounts and their feeds."""

    # -- the accounts ------------------------------------------------------------------------

    def add_account(self, name: str, kind: str, url: str, user: str, key: str) -> Account:
        """Add an account named ``name`` (or ``name (2)``... when taken); StoreError naming
        the other account when one with the same key (kind, URL, user) is there."""
        with self._write() as db:
            taken = db.execute("SELECT name FROM accounts WHERE key = ?", (key,)).fetchone()
            if taken is not None:
                raise DuplicateSourceError(url, str(taken[0]))
            names = NamePicker(
                lambda k: (
                    db.execute("SELECT 1 FROM accounts WHERE name_key = ?", (k,)).fetchone()
                    is not None
                )
            )
            chosen = names.pick(name)
            cursor = db.execute(
                "INSERT INTO accounts (name, name_key, kind, url, user, key, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (chosen, name_key(chosen), kind, url, user, key, time.time()),
            )
            assert cursor.lastrowid is not None
            return Account(cursor.lastrowid, chosen, kind, url, user, key)

    def accounts(self) -> list[Account]:
        """Every account, with how many marks wait to be sent."""
        return [
            Account(
                int(str(row[0])),
                str(row[1]),
                str(row[2]),
                str(row[3]),
                str(row[4]),
                str(row[5]),
                None if row[6] is None else dates.from_stamp(row[6]),
                str(row[7]),
                str(row[8]),
                int(str(row[9])),
            )
            for row in self._read(
                "SELECT a.id, a.name, a.kind, a.url, a.user, a.key, a.synced_at, a.last_error, "
                "a.note, (SELECT count(*) FROM pending_marks p WHERE p.account_id = a.id) "
                "FROM accounts a ORDER BY a.id"
            )
        ]

    def account_state(self, account_id: int) -> str:
        """The account's sync state as stored (SyncState JSON; "" before its first sync)."""
        rows = self._read("SELECT state FROM accounts WHERE id = ?", (account_id,))
        return str(rows[0][0]) if rows else ""

    def listing_due(self, account_id: int) -> bool:
        """Whether the next sync lists every unread and starred id whatever the backend says:
        marks were pushed since the last listing (a backend's cheap look for changes there,
        such as tt-rss's counters, compares with the state before that push, which another
        client may have brought back)."""
        rows = self._read("SELECT relist FROM accounts WHERE id = ?", (account_id,))
        return bool(rows and rows[0][0])

    def finish_sync(
        self,
        account_id: int,
        *,
        error: str,
        note: str = "",
        synced_at: float | None = None,
        state: str | None = None,
    ) -> None:
        """Keep how a sync ended: its error ("" for none), its note, when it ended (a sync
        that failed keeps the time of the last one that did not) and its final state."""
        with self._write() as db:
            db.execute(
                "UPDATE accounts SET last_error = ?, note = ?, "
                "synced_at = coalesce(?, synced_at), state = coalesce(?, state) WHERE id = ?",
                (error, note, synced_at, state, account_id),
            )
            if synced_at is not None:
                db.execute(
                    "UPDATE sources SET updated_at = ? WHERE account_id = ?",
                    (synced_at, account_id),
                )

    def remove_account(self, account_id: int) -> None:
        """Remove an account with its sources, items and queue (local sources stay)."""
        with self._write() as db:
            items = db.execute(
                "SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id "
                "WHERE s.account_id = ?",
                (account_id,),
            )
            search.forget(db, [str(found[0]) for found in items])
            db.execute("DELETE FROM sources WHERE account_id = ?", (account_id,))
            db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            self.hits.changed()

    # -- its feeds ----------------------------------------------------------------------------

    def store_account_feeds(
        self,
        account_id: int,
        categories: Sequence[tuple[str, str]],
        feeds: Sequence[RemoteFeedRow],
    ) -> dict[str, int]:
        """Make the account's sources the feeds it lists now (new ones added, titles, URLs
        and categories followed, a name given here kept, those gone removed with their
        items); ``categories`` are (id, title). Returns the source id of each remote id."""
        titles = dict(categories)
        with self._write() as db:
            db.execute("DELETE FROM account_categories WHERE account_id = ?", (account_id,))
            db.executemany(
                "INSERT OR REPLACE INTO account_categories (account_id, remote_id, title) "
                "VALUES (?, ?, ?)",
                [(account_id, cat_id, title) for cat_id, title in categories],
            )
            stored = {
                str(remote): (int(sid), str(name), str(title))
                for sid, remote, name, title in db.execute(
                    "SELECT id, remote_id, name, remote_title FROM sources WHERE account_id = ?",
                    (account_id,),
                )
            }
            mapping: dict[str, int] = {}
            for feed in feeds:
                title = feed.title or feed.url or f"feed {feed.remote_id}"
                folder = titles.get(feed.category_id, "")
                found = stored.get(feed.remote_id)
                if found is None:
                    mapping[feed.remote_id] = self._new_feed(db, account_id, feed, title, folder)
                    continue
                source_id, name, remote_title = found
                mapping[feed.remote_id] = source_id
                fields: dict[str, object] = {
                    "feed_url": feed.url,
                    "category_id": feed.category_id,
                    "folder": folder,
                    "remote_title": title,
                }
                if name == remote_title and title != remote_title:  # not renamed here
                    new_name = picker(db, exclude=source_id).pick(title)
                    fields.update(name=new_name, name_key=name_key(new_name))
                assignments = ", ".join(f"{column} = ?" for column in fields)
                db.execute(
                    f"UPDATE sources SET {assignments} WHERE id = ?", (*fields.values(), source_id)
                )
            gone = [
                sid for remote, (sid, _, _) in stored.items()
                if remote not in mapping and remote != OTHER_FEED
            ]  # fmt: skip
            if OTHER_FEED in stored:
                mapping[OTHER_FEED] = stored[OTHER_FEED][0]
            for source_id in gone:
                ids = db.execute("SELECT id FROM items WHERE source_id = ?", (source_id,))
                search.forget(db, [str(found[0]) for found in ids])
                db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            if gone:
                self.hits.changed()
        return mapping

    def other_feed(self, account_id: int, account_name: str) -> int:
        """The account's source for items of no feed it lists, made when first needed."""
        with self._write() as db:
            found = db.execute(
                "SELECT id FROM sources WHERE account_id = ? AND remote_id = ?",
                (account_id, OTHER_FEED),
            ).fetchone()
            if found is not None:
                return int(found[0])
            row = RemoteFeedRow(OTHER_FEED, f"{account_name}: other items", "")
            return self._new_feed(db, account_id, row, row.title, "")

    @staticmethod
    def _new_feed(
        db: sqlite3.Connection, account_id: int, feed: RemoteFeedRow, title: str, folder: str
    ) -> int:
        location = f"account:{account_id}:{feed.remote_id}"
        source = insert_source(
            db, NewSource(title, SourceKind.ACCOUNT, location, folder, key=location), picker(db)
        )
        db.execute(
            "UPDATE sources SET account_id = ?, remote_id = ?, remote_title = ?, "
            "category_id = ?, feed_url = ? WHERE id = ?",
            (account_id, feed.remote_id, title, feed.category_id, feed.url, source.id),
        )
        return source.id

    def account_feeds(self, account_id: int) -> dict[str, int]:
        """The source id of each of the account's remote feed ids."""
        return {
            str(remote): int(str(sid))
            for sid, remote in self._read(
                "SELECT id, remote_id FROM sources WHERE account_id = ?", (account_id,)
            )
        }

    def account_categories(self, account_id: int) -> list[tuple[str, str]]:
        """(id, title) of each category of the account, as last synced."""
        return [
            (str(cat), str(title))
            for cat, title in self._read(
                "SELECT remote_id, title FROM account_categories WHERE account_id = ? "
                "ORDER BY title",
                (account_id,),
            )
        ]
