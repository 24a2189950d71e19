"""Full articles: the article extracted from an item's web page (issue 16), kept beside the item.

A row of ``full_articles`` (migration 10) holds the extracted HTML, its title, its plain text and
when it was fetched, or the one line saying why there is none (``error``: a failure is kept
too, so that the background fetch after a refresh does not ask the same page again and again;
asking for it by hand fetches it again). The row hangs on its item by a foreign key: retention,
a source's removal and a local file's deletion drop it with the item. Its text joins the item's
entry in the full-text index (search.py), so a search finds words of the whole story.

Which sources want their items' pages fetched after a refresh is ``sources.full_text``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from streamtui.core import dates
from streamtui.core.errors import StoreError
from streamtui.core.models import FullArticle
from streamtui.core.store import search
from streamtui.core.store.connection import Database

NEWEST = 20
"""How many of a source's newest items the background fetch looks at, at most: new items are
always among them, and turning the setting on never crawls a feed's whole history."""


class FullArticlesPart(Database):
    """Storing and reading full articles, and the sources that want them."""

    def save_full_article(self, full: FullArticle, text: str = "") -> bool:
        """Keep ``full`` for its item (replacing what was stored), ``text`` (its plain text)
        in the search index; False when the item is gone meanwhile (nothing is kept)."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM items WHERE id = ?", (full.item_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT OR REPLACE INTO full_articles (item_id, url, title, html, text, words, "
                "fetched_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    full.item_id,
                    full.url,
                    full.title,
                    full.html,
                    text if full.ok else "",
                    full.words,
                    dates.stamp(full.fetched_at),
                    full.error,
                ),
            )
            search.reindex(db, [full.item_id])
            self.hits.changed()
        return True

    def full_article(self, item_id: str) -> FullArticle | None:
        """The full article stored for an item (a failure too), or None."""
        rows = self._read(
            "SELECT url, title, html, words, fetched_at, error FROM full_articles "
            "WHERE item_id = ?",
            (item_id,),
        )
        if not rows:
            return None
        url, title, html, words, fetched_at, error = rows[0]
        return FullArticle(
            item_id,
            str(url),
            dates.from_stamp(fetched_at),
            title=str(title),
            html=str(html),
            error=str(error),
            words=int(str(words)),
        )

    def set_full_text(self, source_id: int, on: bool) -> None:
        with self._write() as db:
            db.execute("UPDATE sources SET full_text = ? WHERE id = ?", (int(on), source_id))

    def wanting_full_text(
        self, source_ids: Collection[int] | None = None, *, newest: int = NEWEST
    ) -> list[tuple[str, str, str]]:
        """(item id, link, source location) of the items whose page the background fetch
        should read: among the ``newest`` items of each source that wants full text (of
        ``source_ids``), those with a link and nothing stored yet, newest first."""
        chosen = list(source_ids or ())
        marks = ", ".join("?" * len(chosen))
        wanted = self._read(
            "SELECT id, location FROM sources WHERE full_text = 1"
            + ("" if source_ids is None else f" AND id IN ({marks})")
            + " ORDER BY id",
            chosen,
        )
        found: list[tuple[str, str, str]] = []
        with self._read_lock:
            for source_id, location in wanted:
                try:
                    rows = self._reader.execute(
                        "SELECT i.id, coalesce(b.link, ''), EXISTS (SELECT 1 FROM full_articles f "
                        "WHERE f.item_id = i.id) FROM items i INDEXED BY items_by_source "
                        "LEFT JOIN bodies b ON b.item_id = i.id WHERE i.source_id = ? "
                        "ORDER BY i.published DESC, i.seq, i.id LIMIT ?",
                        (source_id, newest),
                    ).fetchall()
                except sqlite3.Error as error:
                    raise StoreError(f"{self.path or 'database'}: cannot read ({error})") from error
                found += [
                    (str(item), str(link), str(location))
                    for item, link, stored in rows
                    if link and not stored
                ]
        return found
