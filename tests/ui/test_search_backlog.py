"""Search entries an earlier run left pending (an indexer killed with the machine) are
written once the app opens: its search finds those items without waiting for a refresh."""

from __future__ import annotations

from pathlib import Path

from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.indexing import indexed_and_ended, pending, stored_pending
from tests.support.pilot import until


async def test_the_app_writes_entries_left_pending_and_its_search_finds_them(
    tmp_path: Path, bundled_dir: Path
) -> None:
    database = tmp_path / "data" / "streamtui.db"
    database.parent.mkdir()
    stored_pending(database, 30)  # no indexer runs: they would wait for the next refresh
    app = StreamApp(Library(Store.open(database), bundled=bundled_dir), sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash", *"wombats")
        stream = app.query_one(StreamList)
        await until(pilot, lambda: pending(database) == 0, seconds=60)
        await until(pilot, lambda: stream.count == 30)  # the search in view takes them in
    assert indexed_and_ended(database)
