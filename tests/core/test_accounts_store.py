"""The store's side of server accounts: the conflict rule (core/sync/conflicts.py) case by case,
a mark or star of an account item and its queued copy written in one transaction (a queue that
cannot be written leaves the mark unmade), and a mark whose acknowledgement was lost (sent,
then a crash) never beating the later mark made here."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamtui.core.errors import StoreError
from streamtui.core.library import Library
from streamtui.core.models import View
from streamtui.core.sync.conflicts import Pending, Settled, settle
from tests.support.accountsync import ServerThere, here, library_at, row
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import feed_site_fixture  # noqa: F401
from tests.support.servers.greader import GReaderServer

T = 1_000.0  # when the sync saw the server's state


@pytest.mark.parametrize(
    ("here_", "seen", "there", "pending", "expected"),
    [
        # nothing changed there: a queued mark goes out, else the two agree
        (True, False, False, Pending(True, T - 5), Settled(True, False)),
        (True, False, False, None, Settled(False, False)),  # drifted: the server's state
        # changed there, nothing queued here: taken
        (False, False, True, None, Settled(True, True)),
        # changed there to what the queued mark says: agreed, the mark is dropped
        (True, False, True, Pending(True, T - 5), Settled(True, True, drop=True)),
        # a conflict: the latest mark here (read again) against unread there
        (True, True, False, Pending(True, T - 5), Settled(False, False, drop=True)),
        (True, True, False, Pending(True, T + 5), Settled(True, False)),  # here is newer
        # the state there is this side's own mark, sent before a crash: here's later one wins
        (False, False, True, Pending(False, T - 5, frozenset({True})), Settled(False, True)),
    ],
)
def test_the_newer_change_wins(
    here_: bool, seen: bool, there: bool, pending: Pending | None, expected: Settled
) -> None:
    assert settle(here=here_, seen=seen, there=there, pending=pending, there_at=T) == expected


@pytest.fixture
def synced(tmp_path: Path, feed_site: FeedSite) -> tuple[Library, ServerThere]:
    server = GReaderServer(dialect="miniflux").start()
    there = ServerThere(server, feed_site)
    there.feed(3)
    library = library_at(tmp_path)
    library.add_account("greader", there.url, there.user, there.password, "work")
    return library, there


def refuse_queue(library: Library) -> None:
    db = library.store._db  # type: ignore[attr-defined]
    db.execute(
        "CREATE TEMP TRIGGER no_queue BEFORE INSERT ON pending_marks "
        "BEGIN SELECT RAISE(ABORT, 'queue refused'); END"
    )


def test_a_mark_and_its_queued_copy_are_one_transaction(
    synced: tuple[Library, ServerThere],
) -> None:
    library, there = synced
    try:
        rows = library.store.rows(library.view(None), 0, 10)
        refuse_queue(library)
        for change in (
            lambda: library.mark_read([rows[0].id]),
            lambda: library.set_starred([rows[1].id], True),
            lambda: library.mark_view_read(View(rows[2].source_id)),
            lambda: library.mark_view_read(View(query=rows[2].title)),
            lambda: library.mark_view_read(View()),  # everything: one mark (readstate.py)
        ):
            with pytest.raises(StoreError):
                change()
        assert [(r.read, r.starred) for r in library.store.rows(library.view(None), 0, 10)] == [
            (False, False)
        ] * len(rows)
        assert library.accounts()[0].pending == 0
    finally:
        there.server.stop()


def test_undo_of_an_account_item_queues_its_mark_too(synced: tuple[Library, ServerThere]) -> None:
    library, there = synced
    try:
        ids = [r.id for r in library.store.rows(library.view(None), 0, 10)]
        library.mark_read(ids)
        library.sync_accounts()
        assert all(e.read for e in there.server.store.entries.values())
        assert library.undo() is not None
        assert library.accounts()[0].pending == len(ids)
        library.sync_accounts()
        assert not any(e.read for e in there.server.store.entries.values())
    finally:
        there.server.stop()


def test_marking_everything_read_and_its_undo_queue_every_account_item(
    synced: tuple[Library, ServerThere],
) -> None:
    library, there = synced
    try:
        entries = there.server.store.entries
        assert entries and not any(e.read for e in entries.values())
        changes = library.mark_view_read(library.view())
        assert changes.count >= len(entries)
        assert library.store._read("SELECT count(*) FROM read_marks") == [(1,)]  # type: ignore[attr-defined]
        assert library.accounts()[0].pending == len(entries)
        library.sync_accounts()
        assert all(e.read for e in entries.values())
        assert library.count(library.view(unread_only=True)) == 0
        assert library.undo() is not None
        assert library.accounts()[0].pending == len(entries)
        library.sync_accounts()
        assert not any(e.read for e in entries.values())
        assert library.count(library.view(unread_only=True)) == changes.count
    finally:
        there.server.stop()


def test_a_mark_sent_whose_acknowledgement_was_lost_never_undoes_a_later_one(
    synced: tuple[Library, ServerThere], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, there = synced
    try:
        title = _first_title(library)
        library.mark_read([row(library, title).id])

        def crash(*args: object, **kwargs: object) -> int:
            raise StoreError("killed before the acknowledgement was written")

        with monkeypatch.context() as patched:
            patched.setattr(library.store, "settle_pushed", crash)
            (report,) = library.sync_accounts()
        assert "killed" in report.error and there.state(title) == (True, False)
        time.sleep(0.01)
        library.mark_read([row(library, title).id], False)  # the later change, here
        library.sync_accounts()
        assert here(library, title) == (False, False)
        assert there.state(title) == (False, False)
    finally:
        there.server.stop()


def _first_title(library: Library) -> str:
    return library.store.rows(library.view(None), 0, 1)[0].title
