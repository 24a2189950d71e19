"""A large store made fast: rows written straight into the list table (no bodies, no search
entries), for tests that count what one action costs at 100k items."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamtui.core.models import SourceKind
from streamtui.core.store import SEQ_SPAN, Store

T0 = 1_700_000_000.0


def narrow_store(path: Path, items: int, sources: int = 50) -> Path:
    """A database at ``path`` with ``sources`` feeds sharing ``items`` unread items (ids
    ``i0000000``...); returns the path."""
    store = Store.open(path)
    try:
        store.set_meta("default_source_added", "1")
        ids = [
            store.add_source(f"Feed {n}", SourceKind.FEED, f"http://127.0.0.1:9/{n}.xml").id
            for n in range(sources)
        ]
        rows = (
            (
                f"i{n:07d}",
                ids[n % sources],
                f"Story {n}",
                T0 + n,
                ids[n % sources] * SEQ_SPAN + n // sources,
            )
            for n in range(items)
        )
        with store._write() as db:
            db.executemany(
                "INSERT INTO items (id, source_id, title, published, seq) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
    finally:
        store.close()
    return path


def copy_store(pristine: Path, folder: Path) -> Path:
    """A copy of a store made by :func:`narrow_store` in ``folder`` (each test marks its own)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / pristine.name
    shutil.copyfile(pristine, target)
    return target
