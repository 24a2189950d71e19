"""The one facade the UI and the command line call: sources, the stream, search, read state,
stars and undo. One :class:`Library` class, made of parts by topic:

- base.py: what they share (the store, credentials, clock, fetcher, the parser pool)
- sources.py: adding, finding, renaming, removing and re-reading sources
- subscriptions.py: importing and exporting subscription lists
- stream.py: views, rows, positions, articles, search
- marks.py: read state, stars and undo, each returning what it changed
- maintenance.py: refreshing, retention and cleanup, the database file
- reader.py: full articles (fetched, extracted, stored), enclosures downloaded and played
"""

from __future__ import annotations

from pathlib import Path

from streamtui.core import paths
from streamtui.core.files import check_file_or_absent, check_folder_or_absent
from streamtui.core.library.maintenance import MaintenancePart
from streamtui.core.library.marks import MarksPart
from streamtui.core.library.reader import Cancelled, FullTextReport, ReaderPart
from streamtui.core.library.sources import BUNDLED_NAME, SyncReport
from streamtui.core.library.stream import MIN_ID_PREFIX, StreamPart
from streamtui.core.library.subscriptions import ImportReport, SubscriptionsPart
from streamtui.core.library.tree import Group, source_tree
from streamtui.core.sources.local import BUNDLED_LOCATION
from streamtui.core.store import Store

__all__ = [
    "BUNDLED_LOCATION",
    "BUNDLED_NAME",
    "MIN_ID_PREFIX",
    "Cancelled",
    "FullTextReport",
    "Group",
    "ImportReport",
    "Library",
    "SyncReport",
    "open_library",
    "source_tree",
]


class Library(ReaderPart, MaintenancePart, SubscriptionsPart, StreamPart, MarksPart):
    """Everything a user can do, over one store (see the parts above)."""


DATABASE_FILES = ("", "-wal", "-shm", "-journal")
"""The database file and the companions SQLite keeps beside it."""


def open_library(data_dir: Path) -> tuple[Library, str]:
    """Open the library in ``data_dir``; returns it and a message for the user, if any.

    A data folder that is not one, or a database (or companion) that is not a regular file
    (a folder, a FIFO, /dev/null, a link that loops or points nowhere), is refused with what
    it is: SQLite would hang on a FIFO or call the rest a disk I/O error."""
    database = data_dir / paths.DB_NAME
    check_folder_or_absent(data_dir)
    for suffix in DATABASE_FILES:
        check_file_or_absent(database.with_name(database.name + suffix), "a database file")
    store, message = Store.open_or_recover(database)
    notice = paths.private_file(data_dir / paths.CREDENTIALS_NAME)
    return Library(store), "\n".join(line for line in (message, notice) if line)
