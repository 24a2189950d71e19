"""Sources in the store: adding (names made unique and duplicates refused in the saving
transaction), renaming, removing, listing with their counts, and their fetch state."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime

from streamtui.core import dates
from streamtui.core.errors import DuplicateSourceError, StoreError
from streamtui.core.models import KEEP, FeedState, NewSource, Source, SourceChange, SourceKind
from streamtui.core.store import readstate, search
from streamtui.core.store.connection import Database
from streamtui.core.store.naming import NamePicker, name_key
from streamtui.core.store.passwords import LOGIN_SCOPED
from streamtui.core.store.sql import select_in
from streamtui.core.urls import feed_identity

CHURN_FETCHES = 3
"""Fetches in a row that replace most of a feed's items before its source says so."""
CHURN_SHARE = 0.8
"""The share of a fetch's items that must be new for the fetch to count as replacing them."""
CHURN_MIN_ITEMS = 10
"""Feeds carrying fewer items are never said to churn (one new item of one is normal)."""


class SourcesPart(Database):
    """Adding, renaming, removing and listing sources."""

    def add_source(
        self,
        name: str,
        kind: SourceKind,
        location: str,
        *,
        folder: str = "",
        key: str = "",
        identity: Callable[[str], str] | None = None,
        login: bool = False,
    ) -> Source:
        """Add a source named ``name`` or, when that is taken, ``name (2)``...; raises
        DuplicateSourceError when its location is stored already (or, with ``identity``, a
        feed whose location or first address has the same identity). Both are decided in
        the transaction that adds it: two processes adding at once never clash. ``login`` says
        that its password is in the credential store under ("feed", key); neither
        ``location`` nor ``key`` may hold a password."""
        with self._write() as db:
            return add_one(db, NewSource(name, kind, location, folder, key, login), identity)

    def add_sources(
        self, wanted: Sequence[NewSource], identity: Callable[[str], str] | None = None
    ) -> list[Source | DuplicateSourceError]:
        """Add many sources in one transaction (an import): each gets a free name, and one
        already stored (or added earlier in ``wanted``) comes back as DuplicateSourceError.
        The feeds stored are read once, and a name's taken numbers are searched once: 20,000
        sources cost a few statements each, however many are stored or share a name."""
        results: list[Source | DuplicateSourceError] = []
        with self._write() as db:
            known = _known(db, identity)
            names = picker(db)
            for new in wanted:
                same = identity(new.location) if identity is not None else None
                if same is not None and same in known:
                    results.append(DuplicateSourceError(new.location, known[same]))
                    continue
                try:
                    source = insert_source(db, new, names)
                except DuplicateSourceError as error:
                    results.append(error)
                    continue
                if identity is not None:
                    for address in (new.location, new.key or new.location):
                        known[identity(address)] = source.name
                results.append(source)
        return results

    def rename_source(self, source_id: int, wanted: str) -> str:
        """Rename a source to ``wanted`` or, when another source has that name, ``wanted
        (2)``...; chosen and saved in one transaction. Returns the name given."""
        with self._write() as db:
            name = picker(db, exclude=source_id).pick(wanted)
            db.execute(
                "UPDATE sources SET name = ?, name_key = ? WHERE id = ?",
                (name, name_key(name), source_id),
            )
        return name

    def add_source_once(
        self, marker: str, name: str, kind: SourceKind, location: str
    ) -> Source | None:
        """Add a source unless ``marker`` is set in meta (or the location is there), and set
        the marker, in one transaction; None when nothing was added."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = ?", (marker,)).fetchone():
                return None
            db.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (marker,))
            if db.execute("SELECT 1 FROM sources WHERE location = ?", (location,)).fetchone():
                return None
            return insert_source(db, NewSource(name, kind, location), picker(db))

    def remove_source(self, source_id: int) -> None:
        """Remove a source with its items and their search entries."""
        with self._write() as db:
            items = db.execute("SELECT id FROM items WHERE source_id = ?", (source_id,))
            search.forget(db, [str(found[0]) for found in items])
            db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            self.hits.changed()

    def sources(self, *, counted: bool = True, only: Collection[int] | None = None) -> list[Source]:
        """Every source (or those in ``only``) with its unread and total counts (or none,
        zeros, without ``counted``: counting every source reads the whole source index,
        25 ms at 100k items)."""
        chosen = list(only or ())
        marks = ", ".join("?" * len(chosen))
        counts: dict[int, tuple[int, int]] = {}
        if counted:
            for source_id, unread, total in self._read(
                f"SELECT source_id, coalesce(sum({readstate.unread()}), 0), count(*) FROM items "
                "INDEXED BY items_by_source "
                f"{'' if only is None else f'WHERE source_id IN ({marks})'} GROUP BY source_id",
                chosen,
            ):
                counts[int(str(source_id))] = (int(str(unread)), int(str(total)))
        result = []
        for found in self._read(
            "SELECT s.id, s.name, s.kind, s.location, s.updated_at, s.last_error, s.key, "
            "s.folder, s.warning, s.gone, s.retry_at, s.login, s.churn, s.account_id, "
            "s.feed_url, coalesce(a.name, ''), s.full_text FROM sources s "
            "LEFT JOIN accounts a ON a.id = s.account_id "
            f"{'' if only is None else f'WHERE s.id IN ({marks})'} "
            "ORDER BY s.id",
            chosen,
        ):
            source_id, name, kind, location, updated_at, last_error = found[:6]
            key, folder, warning, gone, retry_at, login, churn = found[6:13]
            account_id, feed_url, account, full_text = found[13:]
            sid = int(str(source_id))
            unread, total = counts.get(sid, (0, 0))
            result.append(
                Source(
                    sid,
                    str(name),
                    SourceKind(str(kind)),
                    str(location),
                    unread,
                    total,
                    _datetime(updated_at),
                    str(last_error),
                    key=str(key) or str(location),
                    folder=str(folder),
                    warning=str(warning),
                    gone=bool(gone),
                    retry_at=_datetime(retry_at),
                    login=bool(login),
                    scoped=login == LOGIN_SCOPED,
                    renaming=int(str(churn)) >= CHURN_FETCHES,
                    account_id=None if account_id is None else int(str(account_id)),
                    account=str(account),
                    feed_url=str(feed_url),
                    full_text=bool(full_text),
                )
            )
        return self._covered(result, only is None)

    def _covered(self, sources: list[Source], whole: bool) -> list[Source]:
        """Mark the feeds subscribed directly that an account also carries (by the feed
        URL's identity, core/urls.py): their items would otherwise come twice."""
        if not any(s.kind is SourceKind.FEED for s in sources):
            return sources
        if whole:
            carried = [(s.feed_url, s.account) for s in sources if s.account_id is not None]
        else:
            carried = [
                (str(url), str(name))
                for url, name in self._read(
                    "SELECT s.feed_url, a.name FROM sources s JOIN accounts a "
                    "ON a.id = s.account_id"
                )
            ]
        if not carried:
            return sources
        by_identity = {feed_identity(url): name for url, name in carried if url}
        return [
            replace(
                s,
                covered=by_identity.get(feed_identity(s.location))
                or by_identity.get(feed_identity(s.key), ""),
            )
            if s.kind is SourceKind.FEED
            else s
            for s in sources
        ]

    def feed_states(self, source_ids: Collection[int]) -> dict[int, FeedState]:
        """What the next read of each source needs (one query for a whole refresh)."""
        found = select_in(
            self._reader,
            "SELECT id, etag, last_modified, content_hash, redirect_url, redirect_count, "
            "fingerprint FROM sources",
            "id",
            list(source_ids),
        )
        with self._read_lock:
            try:
                rows = list(found)
            except sqlite3.Error as error:
                raise StoreError(f"{self.path or 'database'}: cannot read ({error})") from error
        return {
            int(row[0]): FeedState(
                str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5]), str(row[6])
            )
            for row in rows
        }

    def change_source(self, source_id: int, change: SourceChange) -> None:
        """Change some of a source's stored state (a password now kept, say)."""
        with self._write() as db:
            db.execute(*assignments(source_id, columns(change)))

    def feed_addresses(self) -> list[tuple[str, str, str]]:
        """(location, key, name) of every feed, without counting items."""
        return [
            (str(location), str(key), str(name))
            for location, key, name in self._read(
                "SELECT location, key, name FROM sources WHERE kind = 'feed'"
            )
        ]

    def source_names(self) -> dict[int, str]:
        """Names by id, without the counts (which cost a scan of the items)."""
        return {int(str(i)): str(n) for i, n in self._read("SELECT id, name FROM sources")}


def picker(db: sqlite3.Connection, *, exclude: int | None = None) -> NamePicker:
    """Free names as seen inside the write transaction on ``db`` (``exclude``: a source
    whose own name does not count, the one being renamed)."""
    return NamePicker(
        lambda key: (
            db.execute(
                "SELECT 1 FROM sources WHERE name_key = ? AND id IS NOT ?", (key, exclude)
            ).fetchone()
            is not None
        )
    )


def columns(change: SourceChange) -> dict[str, object]:
    """The source columns a change sets, with their values as stored (the one place the
    fields of SourceChange meet the columns of the same names)."""
    values: dict[str, object] = {}
    for name in SourceChange.__dataclass_fields__:
        value = getattr(change, name)
        if value is not KEEP:
            values[name] = int(value) if isinstance(value, bool) else value
    return values


def assignments(source_id: int, values: dict[str, object]) -> tuple[str, tuple[object, ...]]:
    assignments = ", ".join(f"{column} = ?" for column in values) or "id = id"
    return f"UPDATE sources SET {assignments} WHERE id = ?", (*values.values(), source_id)


def _known(db: sqlite3.Connection, identity: Callable[[str], str] | None) -> dict[str, str]:
    """The stored feeds by the identity of their location and of their first address."""
    known: dict[str, str] = {}
    if identity is not None:
        for location, key, name in db.execute(
            "SELECT location, key, name FROM sources WHERE kind = 'feed' ORDER BY id DESC"
        ):
            known[identity(str(key))] = known[identity(str(location))] = str(name)
    return known


def add_one(
    db: sqlite3.Connection, new: NewSource, identity: Callable[[str], str] | None
) -> Source:
    """Add a source in the write transaction on ``db`` (see SourcesPart.add_source)."""
    same = identity(new.location) if identity is not None else None
    if same is not None:
        known = _known(db, identity)
        if same in known:
            raise DuplicateSourceError(new.location, known[same])
    return insert_source(db, new, picker(db))


def insert_source(db: sqlite3.Connection, new: NewSource, names: NamePicker) -> Source:
    found = db.execute("SELECT name FROM sources WHERE location = ?", (new.location,))
    taken = found.fetchone()
    if taken is not None:
        raise DuplicateSourceError(new.location, str(taken[0]))
    name = names.pick(new.name)
    cursor = db.execute(
        "INSERT INTO sources (name, name_key, kind, location, key, folder, added_at, login) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            name,
            name_key(name),
            new.kind.value,
            new.location,
            new.key or new.location,
            new.folder,
            time.time(),
            int(new.login),
        ),
    )
    assert cursor.lastrowid is not None
    return Source(
        cursor.lastrowid,
        name,
        new.kind,
        new.location,
        key=new.key or new.location,
        folder=new.folder,
        login=new.login,
    )


def _datetime(value: object) -> datetime | None:
    return None if value is None else dates.from_stamp(value)
