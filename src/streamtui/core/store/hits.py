"""The ranked ids of a query view, computed once and kept: the search-hit cache.

A view with a query is ranked, so its order comes from no index. Its ranked ids are computed
once into a temp table of the reading connection, ``search_hits (slot, pos, item_id)``, and
every view function joins that table to the items and applies the view's filters again
(rows.HITS): a window of 128 rows, a position or the next unread item then costs at most
``cap`` lookups (about a millisecond) rather than a new ranking per call (tens of
milliseconds at 100k items), and the list asks for a window at every page while scrolling.
A temp table rather than a list in Python: the same SQL then serves count, rows, rank, next
unread, marking read and the headless listing, and no call binds a thousand parameters.

The hits are computed again when a write could have added a row to the view (items stored
or removed, stars, items marked unread, an undo: each calls :meth:`SearchHits.changed`) and
after any commit by another connection (PRAGMA data_version). Marking read adds no row (an
unread-only view keeps what was read after its moment), and a row that leaves the view (a
star taken off) is filtered out at once by the join. The last few query views stay cached,
so going back to a search costs nothing.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from streamtui.core.errors import StoreError
from streamtui.core.models import View
from streamtui.core.store import search
from streamtui.core.store.rows import HITS, filters
from streamtui.core.text.query import literals, match_expression

SEARCH_CAP = 1000
"""The most rows a query view holds: the best-ranked matches (Library.search_cap)."""
SEARCH_WINDOW = 10_000
"""The most matches a query ranks: the newest stored. A word found in every item of a large
library ranks among its newest 10,000 matches; rarer words rank all of theirs. bm25 costs
about 1.5 us a match: ranking 10,000 is 15 ms of the 22 ms a new query view takes at 100k
items, and ranking all 100k matches of a common word took 100 ms."""
SCOPE_LIMIT = 100_000
"""The most items a source's or the starred items' query view reads its keys from first
(_ranked_in_scope); a larger one reads the matches newest first (about 4 us a key read,
against two lookups a match: a scope of 100,000 at a million items still wins)."""
SLOTS = 4
"""Query views whose hits stay cached (the one shown, and a few to go back to)."""
_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_hits (slot INTEGER NOT NULL, pos INTEGER NOT NULL,"
    " item_id TEXT NOT NULL, PRIMARY KEY (slot, pos), UNIQUE (slot, item_id)) WITHOUT ROWID"
)


class Reading(Protocol):
    """What the hits need of their database (connection.Database, which holds them): its
    path for errors, and its reading connection, where the temp table lives."""

    path: Path | None

    def reading(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _read(self, query: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...


class SearchHits:
    """The cache of a database's query views: which slot of ``search_hits`` holds which
    view, and what it was computed from."""

    def __init__(self, database: Reading) -> None:
        self._database = database
        self.cap = SEARCH_CAP
        self.window = SEARCH_WINDOW
        self._generation = 0
        """Bumped by every write that could add a row to a query view."""
        self._slots: OrderedDict[tuple[View, float], tuple[tuple[int, ...], int]] = OrderedDict()
        """Cached query views: (view, since) -> (what they were computed from, their slot)."""

    def changed(self) -> None:
        """A write may have added a row to some query view: compute them again when asked."""
        self._generation += 1

    def reset(self) -> None:
        """Forget every slot (the reading connection that held them was replaced)."""
        self._slots.clear()
        self._generation += 1

    def slot(self, view: View) -> int | None:
        """The slot of search_hits that holds ``view``'s ranked ids (computed again if a write
        may have changed them), or None for a view without a query."""
        expression = match_expression(view.query) if view.query else None
        if expression is None:
            return None
        with self._database.reading() as reader:
            version = int(str(self._database._read("PRAGMA data_version")[0][0]))
            stamp = (self._generation, version, self.cap, self.window)
            key = (view, view.since if view.unread_only else 0.0)  # since matters only there
            cached = self._slots.pop(key, None)
            if cached is not None and cached[0] == stamp:
                self._slots[key] = cached
                return cached[1]
            if cached is not None:
                slot = cached[1]
            elif len(self._slots) < SLOTS:
                slot = min(set(range(SLOTS)) - {taken for _, taken in self._slots.values()})
            else:
                _, (_, slot) = self._slots.popitem(last=False)  # the least recently used
            ranking, params = self.ranking(view, expression, self.cap)
            try:
                reader.execute(_TABLE)
                reader.execute("DELETE FROM temp.search_hits WHERE slot = ?", (slot,))
                reader.execute(
                    "INSERT INTO temp.search_hits (slot, pos, item_id) SELECT ?, row_number() "
                    "OVER (ORDER BY score, published DESC, seq, item_id), item_id "
                    f"FROM ({ranking})",
                    (slot, *params),
                )
            except sqlite3.Error as error:
                # The slot is out of the cache, so a half-written one is never read.
                path = self._database.path or "database"
                raise StoreError(f"{path}: cannot search ({error})") from error
            self._slots[key] = (stamp, slot)
            return slot

    def table(self, view: View, *, extra: str = "") -> tuple[str, str, list[object]]:
        """The table a view's rows come from (the items, or its hits joined to them) and
        its WHERE clause. Call under the read lock: the hits' slot must stay put."""
        slot = self.slot(view)
        if slot is None:
            return "items", *filters(view, extra=extra)
        return HITS, *filters(view, extra=extra, prefix="i.", slot=slot)

    def pos(self, slot: int, item_id: str) -> int | None:
        """Where ``item_id`` ranks in the view held by ``slot`` (None: not among its hits)."""
        found = self._database._read(
            "SELECT pos FROM temp.search_hits WHERE slot = ? AND item_id = ?", (slot, item_id)
        )
        return int(str(found[0][0])) if found else None

    def ranking(self, view: View, expression: str, limit: int) -> tuple[str, list[object]]:
        """The query ranking a view's matches: its columns are item_id, score, published and
        seq, best first. Only the newest ``window`` matches that pass the view's filters (by
        rowid: the order items were stored) are ranked, so that a word in every item, or the
        first letter typed, costs no more than a rarer word.

        A view of one source or of the starred items drives from its items when they are
        fewer than the matches and at most SCOPE_LIMIT (:func:`_ranked_in_scope`); otherwise
        the filters are applied while the matches are read, newest first, until ``window``
        pass (a rare word: few matches to read; an unread-only view: most items pass). Both
        give the same rows; the sizes are counted up to the point that decides."""
        typed = literals(view.query)  # c++, c#, .net: as typed, not just "c"
        extra = "search_index MATCH ?" + (
            " AND instr(lower(search_index.title || ' ' || search_index.text), ?)" * len(typed)
        )
        if view.source_id is None and not view.unread_only and not view.starred:
            return _ranked_first(extra), [expression, *typed, self.window, max(limit - 1, 0), limit]
        if view.source_id is not None or view.starred:
            scope = self._scope_size(view)
            if scope == 0:
                return _NOTHING, []
            if scope <= SCOPE_LIMIT and self._more_matches(expression, scope):
                condition, params = filters(view, prefix="i.")
                return _ranked_in_scope(condition, extra), [
                    *params,
                    expression,
                    *typed,
                    self.window,
                    limit,
                ]
        condition, params = filters(view, extra=extra, prefix="i.")
        query = (
            "SELECT item_id, score, published, seq FROM ("
            f"SELECT k.item_id AS item_id, {search.RANK} AS score, i.published AS published, "
            "i.seq AS seq FROM search_index JOIN search_keys k ON k.num = search_index.rowid "
            f"JOIN items i ON i.id = k.item_id {condition} "
            "ORDER BY search_index.rowid DESC LIMIT ?"
            ") ORDER BY score, published DESC, seq, item_id LIMIT ?"
        )
        return query, [*params, expression, *typed, self.window, limit]

    def _scope_size(self, view: View) -> int:
        """How many items the view's source and star filters leave, counted up to one past
        SCOPE_LIMIT (an index range: a source's items, or the partial index of stars)."""
        condition, params = filters(View(view.source_id, starred=view.starred), prefix="i.")
        found = self._database._read(
            f"SELECT count(*) FROM (SELECT 1 FROM items i {condition} LIMIT ?)",
            [*params, SCOPE_LIMIT + 1],
        )
        return int(str(found[0][0]))

    def _more_matches(self, expression: str, scope: int) -> bool:
        """Whether ``expression`` has more matches than ``scope``. The last word as a whole
        word is counted first (its matches are among the prefix's): a prefix of three letters
        or more has no index of its own, and FTS5 merges the lists of every word it starts
        before the first match (38 ms for "river*" at a million items, load 2.7), which the
        ranking then does again; a word typed whole ("river") decides it at once."""
        whole = expression.removesuffix(" *")
        if self._matches(whole, scope + 1) > scope:
            return True
        return whole != expression and self._matches(expression, scope + 1) > scope

    def _matches(self, expression: str, most: int) -> int:
        """How many entries match ``expression``, counted up to ``most`` (the index alone,
        about 0.07 us an entry)."""
        found = self._database._read(
            "SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ? LIMIT ?)",
            [expression, most],
        )
        return int(str(found[0][0]))


_NOTHING = "SELECT '' AS item_id, 0.0 AS score, 0.0 AS published, 0 AS seq WHERE 0"
"""The ranking of a view whose filters leave no item (no star yet): FTS5 is not asked."""


def _ranked_in_scope(condition: str, match: str) -> str:
    """The ranking of a view whose filters leave few items (a source, the starred items):
    their keys are read first (an index range, a lookup each), then the matches are read
    newest first and each is kept if its key is among them, before its rank is computed and
    before any join. The rows are those of the general path: the newest ``window`` matches
    that pass the filters, ranked.

    A year of feeds (benchmarks/README.md): "river" in one feed of 2,000 items took 13.3 s
    by joining each of its 935,684 matches to its key and item. Looking each of the source's
    keys up in the index instead (``rowid = ?``) cost 87 us a key and, worse, FTS5 computes
    bm25's counts over every match again at each lookup (42 ms a row): the matches are read
    in one pass, bounded by the lowest and highest key of the scope (one source's items
    stored in a short time are a short range). Measured at load 5: 89 ms for a feed whose
    keys are one range, 600 ms for 2,000 stars spread over the year (the pass over every
    match and bm25's own pass, which any query of that word pays). Its parameters: the
    filters', the match's, the window and the limit."""
    return (
        "WITH scope AS MATERIALIZED (SELECT k.num AS num FROM items i "
        f"JOIN search_keys k ON k.item_id = i.id {condition}), "
        "ranked AS MATERIALIZED ("
        f"SELECT rowid AS num, {search.RANK} AS score FROM search_index WHERE {match} "
        "AND +rowid IN (SELECT num FROM scope) "
        "AND rowid >= (SELECT min(num) FROM scope) AND rowid <= (SELECT max(num) FROM scope) "
        "ORDER BY rowid DESC LIMIT ?) "
        "SELECT k.item_id AS item_id, r.score AS score, i.published AS published, "
        "i.seq AS seq FROM ranked r JOIN search_keys k ON k.num = r.num "
        "JOIN items i ON i.id = k.item_id ORDER BY score, published DESC, seq, item_id LIMIT ?"
    )


def _ranked_first(match: str) -> str:
    """The ranking of a view with no filter but its query: the newest ``window`` matches are
    ranked from the index alone, and only the best ``limit`` (with any that tie with the
    last of them, so that the order's other keys decide as for every view) are joined to
    their keys and items. Joining every match first cost a lookup of both per match: at a
    million items a common word's 10,000 (benchmarks/README.md, a year of feeds). Its
    parameters: the match's, the window, ``limit - 1`` and ``limit``."""
    return (
        "WITH ranked AS MATERIALIZED ("
        f"SELECT rowid AS num, {search.RANK} AS score FROM search_index WHERE {match} "
        "ORDER BY rowid DESC LIMIT ?) "
        "SELECT k.item_id AS item_id, r.score AS score, i.published AS published, "
        "i.seq AS seq FROM ranked r JOIN search_keys k ON k.num = r.num "
        "JOIN items i ON i.id = k.item_id "
        "WHERE r.score <= coalesce((SELECT score FROM ranked ORDER BY score LIMIT 1 OFFSET ?), "
        "r.score) ORDER BY score, published DESC, seq, item_id LIMIT ?"
    )
