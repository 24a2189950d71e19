"""Waiting for a detached indexer (core/library/indexer.py) in tests."""

from __future__ import annotations

import time
from pathlib import Path

from streamtui.core.library import indexer
from streamtui.core.models import Item, SourceKind, Update
from streamtui.core.store import Store
from tests.support.items import make_item

URL = "http://127.0.0.1:9/feed.xml"
"""The feed of the stores made here (nothing listens there: never refreshed for real)."""


def items(count: int, word: str = "wombat", start: int = 0) -> tuple[Item, ...]:
    """``count`` items whose titles and bodies hold ``word`` ("Story 3 about wombats")."""
    return tuple(
        make_item(f"{word}-{n}", title=f"Story {n} about {word}s", body=f"<p>{word} {n}</p>")
        for n in range(start, start + count)
    )


def stored_pending(database: Path, count: int) -> None:
    """A store whose ``count`` items wait for their search entries (a refresh left them)."""
    store = Store.open(database)
    try:
        source = store.add_source("news", SourceKind.FEED, URL)
        if count:
            store.apply([Update(source.id, items=items(count), whole=True)], index=False)
        assert store.pending_entries() == count
    finally:
        store.close()


def pending(database: Path) -> int:
    """Items of ``database`` whose search entry is not written yet."""
    store = Store.open(database)
    try:
        return store.pending_entries()
    finally:
        store.close()


def indexed_and_ended(database: Path, seconds: float = 120.0) -> bool:
    """Wait until every entry of ``database`` is written and no indexer holds its lock;
    whether that happened within ``seconds``."""
    deadline = time.monotonic() + seconds
    while pending(database):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    while time.monotonic() < deadline:
        with indexer.holding(database) as held:
            if held:
                return True
        time.sleep(0.05)
    return False
