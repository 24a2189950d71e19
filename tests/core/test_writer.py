"""The refresh's writer gathers updates that arrive close together into one transaction
(issue 15: a transaction per parsed feed wrote the same index pages again at every commit)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streamtui.core.models import SourceKind, Update
from streamtui.core.parse.feed import parse_feed
from streamtui.core.refresh import writer as writer_module
from streamtui.core.refresh.writer import Writer
from streamtui.core.store import Store
from tests.core.test_feed_sources import rss


async def test_updates_that_arrive_close_together_share_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "GATHER_SECONDS", 60.0)  # the batch fills first
    monkeypatch.setattr(writer_module, "MAX_BATCH_ITEMS", 2)
    store = Store.open(tmp_path / "streamtui.db")
    updates = []
    for number in (1, 2, 3):
        url = f"http://127.0.0.1/{number}.xml"
        source = store.add_source(f"Feed {number}", SourceKind.FEED, url)
        parsed = parse_feed(
            rss(number).encode(), source_key=f"k{number}", url=url, seen_at=datetime.now(UTC)
        )
        updates.append(Update(source.id, items=parsed.items, whole=True))
    batches: list[int] = []
    apply = store.apply

    def recorded(batch: Any, **options: Any) -> Any:
        batches.append(len(batch))
        return apply(batch, **options)

    store.apply = recorded  # type: ignore[method-assign]
    with Writer(store) as writer:
        first = asyncio.ensure_future(writer.apply(updates[0]))
        await asyncio.sleep(0.3)  # the first waits for company, not for the end
        assert not first.done()
        second = writer.apply(updates[1])
        await asyncio.wait_for(asyncio.gather(first, second), 30)
        third = asyncio.ensure_future(writer.apply(updates[2]))
        await asyncio.sleep(0.1)
    await asyncio.wait_for(third, 30)  # the refresh's end writes what waits at once
    assert batches == [2, 1]
    store.close()
    with sqlite3.connect(tmp_path / "streamtui.db") as db:
        assert db.execute("SELECT count(*) FROM items").fetchone() == (3,)


async def test_search_entries_keep_up_with_the_items_while_updates_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates queued back to back leave the writer no idle moment; the entries of each
    batch are written before the next batch, not all at the end (a cold refresh's tail)."""
    monkeypatch.setattr(writer_module, "MAX_BATCH_ITEMS", 3)  # one feed of 3 items a batch
    monkeypatch.setattr(writer_module, "INDEX_CHUNK", 2)  # two chunks keep up with a batch
    store = Store.open(tmp_path / "streamtui.db")
    updates = []
    for number in range(4):
        url = f"http://127.0.0.1/{number}.xml"
        source = store.add_source(f"Feed {number}", SourceKind.FEED, url)
        parsed = parse_feed(
            rss(1, 2, 3).encode(), source_key=f"k{number}", url=url, seen_at=datetime.now(UTC)
        )
        updates.append(Update(source.id, items=parsed.items, whole=True))
    pending: list[int] = []
    apply = store.apply

    def recorded(batch: Any, **options: Any) -> Any:
        pending.append(store.pending_entries())
        return apply(batch, **options)

    store.apply = recorded  # type: ignore[method-assign]
    with Writer(store) as writer:
        await asyncio.wait_for(asyncio.gather(*(writer.apply(u) for u in updates)), 30)
    assert pending == [0, 0, 0, 0]  # each batch found the one before it searchable
    assert store.pending_entries() == 0
    assert len(store.search("Story")) == 12
    store.close()
