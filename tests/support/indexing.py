"""Waiting for a detached indexer (core/library/indexer.py) in tests."""

from __future__ import annotations

import time
from pathlib import Path

from streamtui.core.library import indexer
from streamtui.core.store import Store


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
