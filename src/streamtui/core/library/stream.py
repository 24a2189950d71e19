"""The Library's stream: views, windows of rows, positions, articles, search."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from streamtui.core.errors import UnknownItemError
from streamtui.core.library.base import LibraryBase
from streamtui.core.models import Article, Row, View
from streamtui.core.text.sanitize import excerpt

MIN_ID_PREFIX = 6


class StreamPart(LibraryBase):
    """Reading what the list and the article show."""

    def view(
        self,
        source_id: int | None = None,
        *,
        unread_only: bool = False,
        starred: bool = False,
        query: str = "",
    ) -> View:
        """A view built now: the filters apply together. With a query that has words, the
        view holds the best ``search_cap`` matches, best first (title above text, then
        newest); otherwise newest first."""
        return View(source_id, unread_only, self._clock(), starred=starred, query=query)

    @property
    def search_cap(self) -> int:
        """The most items a view with a query holds (the best matches)."""
        return self.store.search_cap

    @search_cap.setter
    def search_cap(self, cap: int) -> None:
        self.store.search_cap = cap

    def search(self, query: str, *, source_id: int | None = None, limit: int = 50) -> list[Row]:
        """The ``limit`` best matches of ``query`` (in one source), best first; for the
        command line and the command palette. A query with no words gives the newest items."""
        return self.store.search(query, source_id=source_id, limit=limit)

    def count(self, view: View) -> int:
        return self.store.count(view)

    def rows(self, view: View, offset: int, limit: int) -> list[Row]:
        return self.store.rows(view, offset, limit)

    def position(self, view: View, item_id: str) -> int | None:
        return self.store.position(view, item_id)

    def rank(self, view: View, item_id: str) -> int | None:
        """Where ``item_id`` is, or would be, in ``view``: the row to keep the cursor near."""
        return self.store.rank(view, item_id)

    def row(self, item_id: str) -> Row | None:
        return self.store.row(item_id)

    def next_unread(self, view: View, after: str | None, *, backwards: bool = False) -> str | None:
        return self.store.next_unread(view, after, backwards=backwards)

    def article(self, item_id: str) -> Article:
        found = self.store.article(item_id)
        if found is None:
            raise UnknownItemError(f"{item_id}: no such item")
        return found

    def iter_articles(self, view: View) -> Iterator[tuple[Row, str, str]]:
        return self.store.iter_articles(view)

    def source_names(self) -> dict[int, str]:
        return self.store.source_names()

    def changed_elsewhere(self) -> bool:
        """Whether another process changed the library since the last call (a source added
        or removed with the command line, items marked in another streamtui)."""
        return self.store.changed_elsewhere()

    def resolve_ids(self, references: Sequence[str]) -> list[str]:
        """Full item ids from ids or unique prefixes (at least MIN_ID_PREFIX characters)."""
        resolved = []
        for reference in references:
            shown = excerpt(reference, 40)
            if len(reference) < MIN_ID_PREFIX:
                raise UnknownItemError(
                    f"{shown}: too short for an item id (give at least {MIN_ID_PREFIX} characters)"
                )
            # Longer than any id: no item (SQLite refuses LIKE patterns of 50,000 bytes).
            matches = self.store.ids_with_prefix(reference) if len(reference) <= 1000 else []
            if len(matches) != 1:
                reason = "ambiguous id prefix" if matches else "no such item"
                raise UnknownItemError(f"{shown}: {reason}")
            resolved.append(matches[0])
        return resolved
