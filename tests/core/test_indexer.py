"""The search entries of a big refresh, written by a process of its own (issue 15,
core/library/indexer.py): the command line's refresh returns once the items are stored, and
their entries are written a moment later, one indexer at a time, never lost."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streamtui.core.errors import StoreError
from streamtui.core.library import Library, indexer
from streamtui.core.models import FullArticle, SourceKind, Update
from streamtui.core.refresh import writer as writer_module
from streamtui.core.refresh.writer import Writer
from streamtui.core.store import Store
from streamtui.core.store import search as store_search
from tests.support.fakes import FakeFetcher, InProcessParser
from tests.support.indexing import URL, indexed_and_ended, items, pending, stored_pending
from tests.support.items import make_item

RSS_TWO = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>Two</title>"
    b"<item><guid>a</guid><title>Kiwi one</title></item>"
    b"<item><guid>b</guid><title>Kiwi two</title></item></channel></rss>"
)


def searched(database: Path, word: str) -> int:
    store = Store.open(database)
    try:
        return len(store.search(word, limit=10_000))
    finally:
        store.close()


@pytest.mark.parametrize(("count", "left"), [(6, 6), (5, 0)], ids=["many", "a few"])
async def test_a_writer_with_entries_later_leaves_many_entries_and_writes_a_few(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, left: int
) -> None:
    """Past ENTRIES_NOW pending entries, they are left to the indexer; up to it, they are
    written before the refresh returns."""
    monkeypatch.setattr(writer_module, "ENTRIES_NOW", 5)
    store = Store.open(tmp_path / "streamtui.db")
    try:
        source = store.add_source("news", SourceKind.FEED, URL)
        with Writer(store, entries_later=True) as writer:
            await writer.apply(Update(source.id, items=items(count), whole=True))
        assert store.pending_entries() == left
        assert len(store.search("wombats")) == count - left
    finally:
        store.close()


def test_the_indexer_writes_every_pending_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_search, "INDEX_CHUNK", 4)  # several transactions
    database = tmp_path / "streamtui.db"
    stored_pending(database, 10)
    assert indexer.main([str(database)]) == 0
    assert pending(database) == 0
    assert searched(database, "wombats") == 10
    assert searched(database, "wombat") == 10  # the text made again from the stored body


def test_one_indexer_at_a_time_and_nothing_left_behind(tmp_path: Path) -> None:
    database = tmp_path / "streamtui.db"
    stored_pending(database, 3)
    with indexer.holding(database) as held:
        assert held
        assert indexer.write_pending(database) == 0  # another is at it: ends at once
        assert pending(database) == 3
    assert indexer.write_pending(database) == 3
    assert pending(database) == 0


@pytest.mark.parametrize("before", [3, 0], ids=["with entries", "with nothing to write"])
def test_the_indexer_looks_again_after_letting_the_lock_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: int
) -> None:
    """A refresh that stores items while the indexer holds the lock starts an indexer that
    ends at once; the one holding the lock writes them after all, even after a round that
    found nothing to write (another writer took those entries first)."""
    database = tmp_path / "streamtui.db"
    stored_pending(database, before)
    write = Store.index_all_pending
    rounds: list[int] = []

    def meanwhile(store: Store, pause: float = 0.0) -> int:
        written = write(store, pause)
        if not rounds:  # while the lock is held: another refresh stores more items
            other = Store.open(database)
            try:
                (source,) = other.sources()
                more = items(2, word="numbat")
                other.apply([Update(source.id, items=more, whole=False)], index=False)
                assert indexer.write_pending(database) == 0  # its indexer finds the lock taken
            finally:
                other.close()
        rounds.append(written)
        return written

    monkeypatch.setattr(Store, "index_all_pending", meanwhile)
    assert indexer.write_pending(database) == before + 2
    assert rounds == [before, 2]
    assert pending(database) == 0 and searched(database, "numbat") == 2


def test_the_indexer_never_makes_a_database(tmp_path: Path) -> None:
    database = tmp_path / "gone" / "streamtui.db"
    assert indexer.main([str(database)]) == 0
    assert not database.exists()
    assert indexer.main([]) == 2


def test_a_failing_indexer_ends_quietly_and_leaves_the_entries_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "streamtui.db"
    stored_pending(database, 3)

    def broken(store: Store, limit: int | None = None) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "index_pending", broken)
    assert indexer.main([str(database)]) == 1  # not a store error: at once
    monkeypatch.undo()
    assert pending(database) == 3


def test_the_indexer_started_detached_makes_the_items_searchable(tmp_path: Path) -> None:
    database = tmp_path / "streamtui.db"
    stored_pending(database, 20)
    assert indexer.start(database)
    assert indexed_and_ended(database)  # every entry written, and the process ended
    assert searched(database, "wombats") == 20


def test_entries_made_from_stored_bodies_go_in_in_rowid_order(tmp_path: Path) -> None:
    """FTS5 writes its pending terms to disk whenever a rowid is not above the last one:
    entries made again from the stored bodies (which come in item id order) are sorted."""
    database = tmp_path / "streamtui.db"
    store = Store.open(database)
    try:
        source = store.add_source("news", SourceKind.FEED, URL)
        # Ids in the opposite order of their keys.
        reversed_ids = tuple(
            make_item(f"z{9 - n}", title=f"Story {n} about quolls", body="<p>quoll</p>")
            for n in range(10)
        )
        store.apply([Update(source.id, items=reversed_ids, whole=True)], index=False)
        store.search_texts.clear()  # as in another process: every text made again
        rowids: list[int] = []

        def traced(statement: str) -> None:
            found = re.match(r"INSERT INTO search_index \(rowid, .*?VALUES \((\d+)", statement)
            if found:
                rowids.append(int(found[1]))

        store._db.set_trace_callback(traced)
        assert store.index_all_pending() == 10
        store._db.set_trace_callback(None)
        assert len(rowids) == 10 and rowids == sorted(rowids)
        assert len(store.search("quolls")) == 10
    finally:
        store.close()


def test_writer_pending_check_survives_a_closed_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    store.close()
    writer = Writer(store, entries_later=True)
    assert writer._few_pending() is False


def test_the_indexer_pauses_between_chunks_for_other_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Back to back, its chunks kept another process's write waiting in SQLite's busy
    handler (which tries again now and then) until the indexer was done."""
    monkeypatch.setattr(store_search, "INDEX_CHUNK", 4)
    database = tmp_path / "streamtui.db"
    stored_pending(database, 10)
    pauses: list[float] = []
    sleep, here = time.sleep, threading.get_ident()

    def recorded(seconds: float) -> None:  # time.sleep itself: other threads still sleep
        if threading.get_ident() == here:
            pauses.append(seconds)
        else:
            sleep(seconds)

    monkeypatch.setattr(indexer.time, "sleep", recorded)
    assert indexer.write_pending(database) == 10
    assert pauses == [indexer.PAUSE, indexer.PAUSE]  # after the two full chunks


def test_the_lock_file_is_private_and_never_a_followed_link(tmp_path: Path) -> None:
    database = tmp_path / "streamtui.db"
    stored_pending(database, 2)
    target = tmp_path / "elsewhere"
    indexer.lock_path(database).symlink_to(target)
    assert indexer.main([str(database)]) == 1  # ended quietly, nothing written
    assert not target.exists() and pending(database) == 2
    indexer.lock_path(database).unlink()
    assert indexer.main([str(database)]) == 0
    assert indexer.lock_path(database).stat().st_mode & 0o777 == 0o600


def test_a_full_article_saved_rewrites_its_own_entry_and_leaves_the_rest_pending(
    tmp_path: Path,
) -> None:
    """After a big refresh from the command line, saving a full article wrote every pending
    entry in its own transaction; it now rewrites its item's entry alone."""
    store = Store.open(tmp_path / "streamtui.db")
    try:
        written = store.add_source("written", SourceKind.FEED, URL)
        store.apply([Update(written.id, items=items(3, word="quokka"), whole=True)])
        waiting = store.add_source("waiting", SourceKind.FEED, "http://127.0.0.1:9/b.xml")
        store.apply([Update(waiting.id, items=items(5, start=10), whole=True)], index=False)
        store.search_texts.clear()  # as in the process that saves articles after a refresh
        assert store.pending_entries() == 5

        def save(item_id: str, text: str) -> None:
            now = datetime.now(UTC)
            assert store.save_full_article(FullArticle(item_id, URL, now, html="<p/>"), text)

        save("quokka-0", "the platypus article")
        assert store.pending_entries() == 5  # the others still wait for the indexer
        assert len(store.search("platypus")) == 1
        assert len(store.search("quokkas")) == 3  # its own words are still found
        save("wombat-10", "the echidna article")  # an item whose entry is pending
        assert store.pending_entries() == 5 and store.search("echidna") == []
        assert store.index_all_pending() == 5
        assert len(store.search("echidna")) == 1 and len(store.search("wombats")) == 5
    finally:
        store.close()


def test_a_busy_store_is_tried_again_before_the_entries_are_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "streamtui.db"
    stored_pending(database, 3)
    monkeypatch.setattr(indexer, "RETRY_SECONDS", 0.0)
    index_pending = Store.index_pending
    tries: list[int] = []

    def busy_twice(store: Store, limit: int | None = None) -> int:
        tries.append(1)
        if len(tries) <= 2:
            raise StoreError("streamtui.db: another streamtui kept the database busy")
        return index_pending(store, limit)

    monkeypatch.setattr(Store, "index_pending", busy_twice)
    assert indexer.main([str(database)]) == 0
    assert pending(database) == 0
    tries.clear()
    stored_more = Store.open(database)
    try:
        (source,) = stored_more.sources()
        more = items(2, word="numbat")
        stored_more.apply([Update(source.id, items=more, whole=False)], index=False)
    finally:
        stored_more.close()

    def always_busy(store: Store, limit: int | None = None) -> int:
        tries.append(1)
        raise StoreError("streamtui.db: another streamtui kept the database busy")

    monkeypatch.setattr(Store, "index_pending", always_busy)
    assert indexer.main([str(database)]) == 1
    assert len(tries) == indexer.ATTEMPTS
    monkeypatch.undo()
    assert pending(database) == 2


def test_a_write_with_a_backlog_joins_it_instead_of_writing_it_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account's page, a feed added: their entries were written with every pending one
    in their transaction (20,000 after a big refresh from the command line)."""
    monkeypatch.setattr(store_search, "ENTRIES_NOW", 5)
    database = tmp_path / "streamtui.db"
    stored_pending(database, 6)  # a big refresh's backlog
    store = Store.open(database)
    try:
        source = store.add_source("more", SourceKind.FEED, "http://127.0.0.1:9/more.xml")
        store.apply([Update(source.id, items=items(2, word="numbat"), whole=True)])
        assert store.pending_entries() == 8  # joined the backlog, for the indexer
        assert store.index_all_pending() == 8
        store.apply([Update(source.id, items=items(2, word="numbat", start=5), whole=False)])
        assert store.pending_entries() == 0  # no backlog: written in its transaction
        assert len(store.search("numbats")) == 4
    finally:
        store.close()


def test_the_library_starts_the_indexer_when_a_write_leaves_entries(
    tmp_path: Path, bundled_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_search, "ENTRIES_NOW", 5)
    started: list[Path] = []
    monkeypatch.setattr(indexer, "start", lambda database: started.append(database) or True)
    database = tmp_path / "streamtui.db"
    fetcher = FakeFetcher()
    library = Library(
        Store.open(database), bundled=bundled_dir, fetcher=fetcher, parser=InProcessParser()
    )
    try:
        fetcher.pages = {URL: RSS_TWO}
        library.add_source(URL)
        assert started == []  # nothing left: written with the feed
        stored_more = library.store
        assert isinstance(stored_more, Store)
        (source,) = [s for s in stored_more.sources() if s.location == URL]
        stored_more.apply([Update(source.id, items=items(6), whole=False)], index=False)
        fetcher.pages = {URL.replace("feed", "other"): RSS_TWO}
        library.add_source(URL.replace("feed", "other"))
        assert started == [database]  # its entries joined the backlog: the indexer writes them
    finally:
        library.close()
