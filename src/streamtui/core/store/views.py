"""Reading the stream: a view's count, a window of its rows, where an item is in it, the next
unread item, an article with its body, the best matches of a search.

Rows are read from the order indexes (``published DESC, seq, id``), which carry the filter
columns: a window is found from the index alone and only its rows are read from the table. A
view with a query reads its ranked ids from the hit cache (hits.py) instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from streamtui.core.models import Article, Enclosure, Row, View
from streamtui.core.store import readstate
from streamtui.core.store.connection import Database
from streamtui.core.store.rows import (
    HITS,
    ORDER,
    ROW_COLUMNS,
    filters,
    prefixed,
    row_columns,
    to_row,
)
from streamtui.core.text.query import match_expression
from streamtui.core.text.redact import without_login


class ViewsPart(Database):
    """Reading what the list shows."""

    @property
    def search_cap(self) -> int:
        """The most rows a query view holds (the best matches)."""
        return self.hits.cap

    @search_cap.setter
    def search_cap(self, cap: int) -> None:
        self.hits.cap = cap

    @property
    def search_window(self) -> int:
        """The most matches a query ranks (the newest stored)."""
        return self.hits.window

    @search_window.setter
    def search_window(self, window: int) -> None:
        self.hits.window = window

    def count(self, view: View) -> int:
        with self._read_lock:
            table, where, params = self.hits.table(view)
            return int(str(self._read(f"SELECT count(*) FROM {table} {where}", params)[0][0]))

    def rows(self, view: View, offset: int, limit: int) -> list[Row]:
        """A window of the view. The OFFSET walks the covering index only (measured: 3 ms at
        offset 99,000 against 28 ms when it walks table rows); then just ``limit`` rows are
        read."""
        with self._read_lock:
            slot = self.hits.slot(view)
            if slot is not None:
                where, params = filters(view, prefix="i.", slot=slot)
                found = self._read(
                    f"SELECT {row_columns('i.')} FROM {HITS} {where} "
                    "ORDER BY h.pos LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                )
                return [to_row(r) for r in found]
        where, params = filters(view)
        return [
            to_row(r)
            for r in self._read(
                f"SELECT {ROW_COLUMNS} FROM items WHERE id IN (SELECT id FROM items {where} "
                f"ORDER BY {ORDER} LIMIT ? OFFSET ?) ORDER BY {ORDER}",
                (*params, limit, offset),
            )
        ]

    def row(self, item_id: str) -> Row | None:
        rows = self._read(f"SELECT {ROW_COLUMNS} FROM items WHERE id = ?", (item_id,))
        return to_row(rows[0]) if rows else None

    def rows_of(self, item_ids: Sequence[str]) -> list[Row]:
        """The rows of these items as they are now, in the order given (a few: those a mark
        or a star just changed)."""
        marks = ", ".join("?" * len(item_ids))
        found = self._read(f"SELECT {ROW_COLUMNS} FROM items WHERE id IN ({marks})", item_ids)
        rows = {row.id: row for row in map(to_row, found)}
        return [rows[item_id] for item_id in item_ids if item_id in rows]

    def position(self, view: View, item_id: str) -> int | None:
        """The index of ``item_id`` in ``view``, or None when the view does not hold it."""
        with self._read_lock:
            table, where, params = self.hits.table(view, extra="id = ?")
            if not self._read(f"SELECT 1 FROM {table} {where}", (*params, item_id)):
                return None
            return self.rank(view, item_id)

    def rank(self, view: View, item_id: str) -> int | None:
        """How many rows of ``view`` come before ``item_id`` (held by the view or not; a
        query view places only the items that match its query)."""
        with self._read_lock:
            slot = self.hits.slot(view)
            if slot is not None:
                pos = self.hits.pos(slot, item_id)
                if pos is None:
                    return None
                where, params = filters(view, extra="h.pos < ?", prefix="i.", slot=slot)
                found = self._read(f"SELECT count(*) FROM {HITS} {where}", (*params, pos))
                return int(str(found[0][0]))
        key = self._key(item_id)
        if key is None:
            return None
        total = 0
        for condition, extra in _before(key):
            where, params = filters(view, extra=condition)
            total += int(
                str(self._read(f"SELECT count(*) FROM items {where}", (*params, *extra))[0][0])
            )
        return total

    def next_unread(self, view: View, after: str | None, *, backwards: bool = False) -> str | None:
        """The id of the first unread item after (or before) ``after`` in view order."""
        with self._read_lock:
            slot = self.hits.slot(view)
            if slot is not None:
                return self._next_unread_hit(view, slot, after, backwards)
        key = self._key(after) if after is not None else None
        if key is None:
            if backwards and after is not None:
                return None
            ranges: list[tuple[str, tuple[object, ...]]] = [("1", ())]
        else:
            ranges = _before(key)[::-1] if backwards else _after(key)
        order = "published ASC, seq DESC, id DESC" if backwards else ORDER
        for condition, extra in ranges:
            where, params = filters(view, extra=f"{readstate.unread()} AND {condition}")
            rows = self._read(
                f"SELECT id FROM items {where} ORDER BY {order} LIMIT 1", (*params, *extra)
            )
            if rows:
                return str(rows[0][0])
        return None

    def _next_unread_hit(
        self, view: View, slot: int, after: str | None, backwards: bool
    ) -> str | None:
        pos = self.hits.pos(slot, after) if after is not None else None
        if pos is None and backwards and after is not None:
            return None  # like an unknown item in a dated view
        condition = "1" if pos is None else "h.pos < ?" if backwards else "h.pos > ?"
        unread = readstate.unread("i.")
        where, params = filters(view, extra=f"{unread} AND {condition}", prefix="i.", slot=slot)
        found = self._read(
            f"SELECT i.id FROM {HITS} {where} ORDER BY h.pos {'DESC' if backwards else ''} LIMIT 1",
            (*params, *(() if pos is None else (pos,))),
        )
        return str(found[0][0]) if found else None

    def _key(self, item_id: str) -> _Key | None:
        rows = self._read("SELECT published, seq FROM items WHERE id = ?", (item_id,))
        if not rows:
            return None
        # The value as stored, not as a float: an old database's "nan" text or 1e999 must
        # compare in SQL exactly as the ORDER BY sorted it.
        return rows[0][0], int(str(rows[0][1])), item_id

    def search(self, query: str, *, source_id: int | None = None, limit: int = 50) -> list[Row]:
        """The ``limit`` best matches of ``query`` (of one source), best first; with no words
        to search, the newest items."""
        view = View(source_id, query=query)
        expression = match_expression(query)
        if expression is None:
            return self.rows(view, 0, limit)
        ranking, params = self.hits.ranking(view, expression, limit)
        return [
            to_row(r)
            for r in self._read(
                f"SELECT {row_columns('i.')} FROM ({ranking}) r "
                "JOIN items i ON i.id = r.item_id ORDER BY r.score, r.published DESC, r.seq, i.id",
                params,
            )
        ]

    def article(self, item_id: str) -> Article | None:
        """The item with its body: the one query that reads the bodies table."""
        rows = self._read(
            f"SELECT {row_columns('i.')}, s.name, b.summary, b.body, b.link, b.path, "
            "b.encoding, coalesce(b.html, 0), coalesce(nullif(s.feed_url, ''), s.location), "
            "coalesce(b.author, '') FROM items i "
            "JOIN sources s ON s.id = i.source_id "
            "LEFT JOIN bodies b ON b.item_id = i.id WHERE i.id = ?",
            (item_id,),
        )
        if not rows:
            return None
        found = rows[0]
        name, summary, body, link, path, encoding = (str(v or "") for v in found[8:14])
        enclosures = tuple(
            Enclosure(str(url), str(kind), int(str(length)), int(str(duration)))
            for url, kind, length, duration in self._read(
                "SELECT url, type, length, duration FROM enclosures WHERE item_id = ?", (item_id,)
            )
        )
        return Article(
            to_row(found[:8]),
            name,
            summary,
            body,
            link,
            path,
            encoding,
            html=bool(found[14]),
            enclosures=enclosures,
            base=without_login(str(found[15] or "")),
            author=str(found[16]),
        )

    def iter_articles(self, view: View) -> Iterator[tuple[Row, str, str]]:
        """Every item of ``view`` in order with its summary and link (for headless output)."""
        with self._read_lock:
            slot = self.hits.slot(view)
            if slot is None:
                where, params = filters(view, prefix="i.")
                table, order = "items i", prefixed(ORDER)
            else:
                where, params = filters(view, prefix="i.", slot=slot)
                table, order = HITS, "h.pos"
            rows = self._read(
                f"SELECT {row_columns('i.')}, b.summary, b.link FROM {table} "
                f"LEFT JOIN bodies b ON b.item_id = i.id {where} ORDER BY {order}",
                params,
            )
        for found in rows:
            yield to_row(found[:8]), str(found[8] or ""), str(found[9] or "")

    def ids_with_prefix(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [
            str(r[0])
            for r in self._read(
                "SELECT id FROM items WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (escaped + "%",)
            )
        ]


_Key = tuple[object, int, str]
"""Where an item is in list order: its published value as stored, its seq, its id."""


def _before(key: _Key) -> list[tuple[str, tuple[object, ...]]]:
    """The rows before ``key`` in list order, as three index ranges (one OR of them is not
    an index range: measured 150 ms at 100k items against a few ms for the three)."""
    published, seq, item_id = key
    return [
        ("published > ?", (published,)),
        ("published = ? AND seq < ?", (published, seq)),
        ("published = ? AND seq = ? AND id < ?", (published, seq, item_id)),
    ]


def _after(key: _Key) -> list[tuple[str, tuple[object, ...]]]:
    """The rows after ``key`` in list order, nearest range first."""
    published, seq, item_id = key
    return [
        ("published = ? AND seq = ? AND id > ?", (published, seq, item_id)),
        ("published = ? AND seq > ?", (published, seq)),
        ("published < ?", (published,)),
    ]
