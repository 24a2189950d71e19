"""The SQLite store: sources, the narrow list table, bodies, read state, search and retention.

One :class:`Store` over one database file, made of parts that each read one topic:

- connection.py: the two connections (one writes, one reads), transactions, the file watched
- opening.py: opening, migrating, a corrupt file moved aside, a read-only folder, privacy
- schema.py: every migration (passwords.py: the one that moved passwords out)
- sources.py: adding, renaming, removing and listing sources, their fetch state
- items.py: a local source's items made exact, a feed's merged, kept state
- marks.py: read state and stars, and putting them back (undo); readstate.py: an item's read
  state in SQL (read on its own, or covered by one mark of everything read)
- views.py: counts, windows, positions and next unread of a view; articles; search results
- hits.py: the ranked ids of query views, cached (rows.py: a view's filters in SQL)
- search.py: the full-text index; retention.py: which feed items go, and the cleanup
- accounts.py: server accounts and their feeds; remote.py: their items' server state and the
  queue of marks made here
- articles.py: full articles extracted from items' web pages, and the sources that want them
- protocol.py: what the Library needs of a store (:class:`StoreProtocol`)
"""

from __future__ import annotations

from streamtui.core.store.accounts import AccountsPart, RemoteFeedRow
from streamtui.core.store.articles import FullArticlesPart
from streamtui.core.store.items import SEQ_SPAN
from streamtui.core.store.marks import MarksPart, PriorRead, ViewMarked
from streamtui.core.store.opening import Opening, make_private
from streamtui.core.store.protocol import StoreProtocol
from streamtui.core.store.remote import Queued, RemoteEntry, RemotePart, RemoteStats
from streamtui.core.store.retention import RetentionPart
from streamtui.core.store.schema import MIGRATIONS
from streamtui.core.store.sources import CHURN_FETCHES, SourcesPart
from streamtui.core.store.views import ViewsPart

__all__ = [
    "CHURN_FETCHES",
    "MIGRATIONS",
    "SEQ_SPAN",
    "PriorRead",
    "Queued",
    "RemoteEntry",
    "RemoteFeedRow",
    "RemoteStats",
    "Store",
    "StoreProtocol",
    "ViewMarked",
    "make_private",
]


class Store(
    Opening,
    SourcesPart,
    AccountsPart,
    RemotePart,
    MarksPart,
    ViewsPart,
    RetentionPart,
    FullArticlesPart,
):
    """The database of one library (see the parts above): open it with :meth:`open`,
    :meth:`open_or_recover` or :meth:`memory`."""
