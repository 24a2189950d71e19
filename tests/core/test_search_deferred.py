"""Search entries written after the items (issue 15): a refresh's writer stores items first and
writes their search entries when it is idle; entries a stopped process left pending are
written by the next refresh; a key is never given out below the watermark; migration 7 keeps
an existing store searchable."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from streamtui.core.library import Library
from streamtui.core.models import Item, SourceKind, Update, View
from streamtui.core.store import MIGRATIONS, Store
from streamtui.core.store import search as store_search
from tests.support.fakes import FakeFetcher, InProcessParser
from tests.support.items import make_item
from tests.support.store import merge_items, sync_items

URL = "http://127.0.0.1:9/feed.xml"


def rss(*numbers: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n} about wombats</title><link>http://127.0.0.1:9/{n}</link>"
        f"<guid>story-{n}</guid><description>&lt;p&gt;Marsupial number {n}&lt;/p&gt;"
        "</description></item>"
        for n in numbers
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Fake news</title>'
        f"<link>http://127.0.0.1:9/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def fetcher() -> FakeFetcher:
    return FakeFetcher()


@pytest.fixture
def library(tmp_path: Path, bundled_dir: Path, fetcher: FakeFetcher) -> Iterator[Library]:
    library = Library(
        Store.open(tmp_path / "data" / "streamtui.db"),
        bundled=bundled_dir,
        fetcher=fetcher,
        parser=InProcessParser(),
    )
    yield library
    library.close()


def found(store: Store, word: str) -> set[str]:
    return {row.id for row in store.search(word, limit=1000)}


def test_a_refresh_stores_items_first_and_their_entries_a_moment_later(
    library: Library, fetcher: FakeFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher.pages = {f"{URL}?{n}": rss(1, 2, 3) for n in range(3)}
    for url in fetcher.pages:
        library.add_source(url)
    for url in fetcher.pages:
        fetcher.pages[url] = rss(1, 2, 3, 4, 5)
    store = library.store
    assert isinstance(store, Store)
    apply = store.apply
    pending_after_writes: list[int] = []

    def recorded(updates: Sequence[Update], *, index: bool = True) -> object:
        outcome = apply(updates, index=index)
        pending_after_writes.append(store.pending_entries())
        return outcome

    monkeypatch.setattr(store, "apply", recorded)
    summary = library.refresh()
    assert summary.failed == 0 and summary.added == 6
    # Each write stored the new items without their entries ...
    assert pending_after_writes and max(pending_after_writes) > 0
    # ... and the refresh ended with every entry written.
    assert store.pending_entries() == 0
    assert len(found(store, "wombats")) == 15 and len(found(store, "marsupial")) == 15


def test_entries_a_stopped_process_left_pending_are_written_by_the_next_refresh(
    tmp_path: Path, bundled_dir: Path, fetcher: FakeFetcher
) -> None:
    db = tmp_path / "data" / "streamtui.db"
    store = Store.open(db)
    source = store.add_source("news", SourceKind.FEED, URL, key=URL)
    store.close()
    # Another process stores items without their entries and dies before writing them.
    script = f"""
import os
from datetime import UTC, datetime
from pathlib import Path
from streamtui.core.models import Item, Update
from streamtui.core.store import Store
store = Store.open(Path({str(db)!r}))
items = tuple(Item(id=f"i{{n}}", title=f"Quokka {{n}}", summary="", body="<p>numbat</p>",
    html=True, text="numbat", published=datetime.now(UTC)) for n in range(50))
store.apply([Update({source.id}, items=items, whole=True)], index=False)
os._exit(9)
"""
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == 9
    fetcher.pages = {URL: rss(1)}
    library = Library(
        Store.open(db), bundled=bundled_dir, fetcher=fetcher, parser=InProcessParser()
    )
    try:
        store = library.store
        assert isinstance(store, Store)
        assert store.count(View()) == 50 and store.pending_entries() == 50
        assert found(store, "quokka") == set()  # stored, not searchable yet
        library.refresh()
        assert store.pending_entries() == 0
        assert len(found(store, "quokka")) == 50
        # made again from the stored body (the text was in the other process's memory)
        assert len(found(store, "numbat")) == 50
    finally:
        library.close()


def test_a_key_is_never_given_out_below_the_watermark(store: Store) -> None:
    """The newest item removed, its key is free: a new item given that key would count as
    indexed and never be found."""
    source = store.add_source("notes", SourceKind.FOLDER, "/notes")

    def note(name: str) -> Item:
        return make_item(name, f"{name} platypus", summary="", body="", path=f"{name}.txt")

    sync_items(store, source.id, [note("a"), note("b")], fingerprint="1")
    sync_items(store, source.id, [note("a")], fingerprint="2")  # b, the newest key, goes
    apply_one_deferred(store, source.id, [note("a"), note("c")])
    assert store.pending_entries() == 1
    assert store.index_pending() == 1
    assert found(store, "platypus") == {"a", "c"}


def apply_one_deferred(store: Store, source_id: int, items: list[Item]) -> None:
    (outcome,) = store.apply([Update(source_id, items=tuple(items), exact=True)], index=False)
    assert not isinstance(outcome, Exception)


def test_a_changed_item_is_found_by_its_new_text_only(store: Store) -> None:
    source = store.add_source("feed", SourceKind.FEED, URL, key=URL)
    first = make_item("x", "Echidna", summary="", body="", text="spines")
    merge_items(store, source.id, [first])
    changed = make_item("x", "Echidna", summary="", body="new", text="puggle")
    store.apply([Update(source.id, items=(changed,))], index=False)
    assert store.pending_entries() == 1
    assert found(store, "spines") == set()  # the old entry went with the change
    store.index_pending()
    assert found(store, "puggle") == {"x"} and found(store, "spines") == set()
    db = store._db
    db.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")
    assert db.execute("SELECT count(*) FROM search_index").fetchone()[0] == 1


def test_migration_7_keeps_an_existing_store_searchable(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "streamtui.db"
    store = Store.open(db_path)
    source = store.add_source("feed", SourceKind.FEED, URL, key=URL)
    items = [make_item(f"k{n}", f"Bilby {n}", summary="", body="", text="desert") for n in range(5)]
    merge_items(store, source.id, items)
    before = [(row.id, row.read) for row in store.rows(View(), 0, 100)]
    store.close()
    with sqlite3.connect(db_path) as db:  # as streamtui left it at schema version 6
        db.execute("DELETE FROM meta WHERE key = ?", (store_search.INDEXED,))
        db.execute("PRAGMA user_version = 6")
    store = Store.open(db_path)
    try:
        assert store._read("PRAGMA user_version")[0][0] == len(MIGRATIONS) >= 7
        assert store.meta(store_search.INDEXED) == "5"
        assert store.pending_entries() == 0
        assert [(row.id, row.read) for row in store.rows(View(), 0, 100)] == before
        assert len(found(store, "desert")) == 5 and len(found(store, "bilby")) == 5
        merge_items(store, source.id, [*items, make_item("new", "Bilby", summary="", body="")])
        assert len(found(store, "bilby")) == 6
    finally:
        store.close()
