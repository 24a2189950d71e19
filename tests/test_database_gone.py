"""The data folder deleted (or the database replaced) while streamtui runs (issue 12).

SQLite goes on writing to the open file, which vanishes at close: "Starred." and
"Refreshed…" still showed and everything since was lost at quit, silently. Every save now
compares the path with the file opened; the app also looks every couple of seconds, says so
at once, browses what is open without saving and offers to write it back.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import streamtui
from feedserver import FeedServer, Reply, Request, rss
from feedserver import feed_server_fixture as feed_server_fixture  # the feed_server fixture
from streamtui.core.errors import DatabaseGoneError
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.dialogs import ConfirmScreen

SRC = str(Path(streamtui.__file__).resolve().parents[1])


def folder_source(tmp_path: Path, count: int = 3) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir(exist_ok=True)
    for n in range(count):
        (folder / f"{n}.txt").write_text(f"Story {n}\n\nBody {n}.\n", encoding="utf-8")
    return folder


def library_in(data: Path, tmp_path: Path) -> Library:
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "none")
    library.add_source(str(folder_source(tmp_path)), "Pages")
    return library


def starred_in(db: Path) -> set[str]:
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as raw:
        return {str(r[0]) for r in raw.execute("SELECT id FROM items WHERE starred = 1")}


def test_a_save_after_the_folder_was_deleted_fails_and_says_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    library = library_in(data, tmp_path)
    first = library.rows(library.view(), 0, 1)[0].id
    shutil.rmtree(data)
    with pytest.raises(DatabaseGoneError) as caught:
        library.set_starred([first], True)
    message = str(caught.value)
    assert message == (
        f"{data / 'streamtui.db'}: the database file was deleted while streamtui was "
        "running; nothing since then can be saved"
    )
    assert caught.value.deleted and library.read_only
    assert library.count(library.view()) == 3  # what is open can still be read
    with pytest.raises(DatabaseGoneError):
        library.mark_read([first])
    library.close()
    assert not data.exists()  # closing created nothing


def test_a_database_replaced_by_another_file_is_noticed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    library = library_in(data, tmp_path)
    first = library.rows(library.view(), 0, 1)[0].id
    other = tmp_path / "other.db"
    Store.open(other).close()
    os.replace(other, data / "streamtui.db")  # another streamtui started afresh, say
    with pytest.raises(DatabaseGoneError, match="was replaced by another file") as caught:
        library.set_starred([first], True)
    assert not caught.value.deleted
    with pytest.raises(Exception, match="nothing to restore"):
        library.restore_database()
    library.close()
    assert starred_in(data / "streamtui.db") == set()


def test_a_deleted_database_is_written_back_and_saving_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    library = library_in(data, tmp_path)
    ids = [row.id for row in library.rows(library.view(), 0, 3)]
    library.set_starred(ids[:1], True)
    shutil.rmtree(data)
    with pytest.raises(DatabaseGoneError):
        library.set_starred(ids[1:2], True)
    library.restore_database()
    assert library.gone is None and not library.read_only
    library.set_starred(ids[2:], True)  # saved in the restored file
    assert library.search("Body")  # the search index came back too
    library.close()
    assert starred_in(data / "streamtui.db") == {ids[0], ids[2]}
    assert (data / "streamtui.db").stat().st_mode & 0o777 == 0o600
    again = Store.open(data / "streamtui.db")
    assert again.count(Library(again).view()) == 3
    again.close()


def test_a_refresh_stops_and_recreates_nothing_when_the_file_goes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The refresh's checkpoint opened the path again at its end, which created an empty
    database there: the next start found nothing. Now it stops and says why."""
    data = tmp_path / "data"
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "none")
    feed_server.route("/one.xml", lambda r: Reply(200, [], rss(1, 2).encode()))
    source, _ = library.add_source(feed_server.url("/one.xml"))

    def slow(request: Request) -> Reply:
        (data / "streamtui.db").unlink()  # while the refresh is under way
        return Reply(200, [], rss(1, 2, 3).encode())

    feed_server.route("/one.xml", slow)
    with pytest.raises(DatabaseGoneError, match="was deleted"):
        library.refresh([source])
    library.close()
    assert not (data / "streamtui.db").exists()


def test_the_command_line_says_it_in_one_line(tmp_path: Path, feed_server: FeedServer) -> None:
    data = tmp_path / "data"
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "none")
    feed_server.route("/one.xml", lambda r: Reply(200, [], rss(1).encode()))
    library.add_source(feed_server.url("/one.xml"), "One")
    library.close()
    feed_server.route("/one.xml", lambda r: Reply(200, [], [1.5, rss(1, 2).encode()]))
    feed_server.reset()
    env = {**os.environ, "PYTHONPATH": SRC}
    command = [sys.executable, "-m", "streamtui", "--data-dir", str(data), "refresh"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while not feed_server.requests_to("/one.xml") and time.monotonic() < deadline:
        time.sleep(0.05)
    shutil.rmtree(data)  # while the feed is being fetched
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == "", (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"streamtui: {data / 'streamtui.db'}: the database file was deleted")
    assert not data.exists()


async def test_the_app_says_so_at_once_claims_no_save_and_offers_to_write_it_back(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    library = library_in(data, tmp_path)
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        first = app.stream.current
        assert first is not None
        await pilot.press("s")
        await pilot.pause()
        assert [str(n.message) for n in app._notifications] == ["Starred."]
        app.clear_notifications()
        shutil.rmtree(data)
        await pilot.press("j", "s")  # star another item: it cannot be kept
        await pilot.pause()
        shown = [(n.severity, str(n.message)) for n in app._notifications]
        assert not [m for _, m in shown if m == "Starred."]
        assert [s for s, m in shown if "was deleted while streamtui was running" in m] == ["error"]
        assert isinstance(app.screen, ConfirmScreen)
        assert not app.library.row(app.stream.current.id).starred  # type: ignore[union-attr]
        await pilot.press("y")  # write it back
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("Restored" in str(n.message) for n in app._notifications)
        await pilot.press("s")
        await pilot.pause()
        second = app.stream.current
        assert second is not None and second.starred
    library.close()
    assert starred_in(data / "streamtui.db") == {first.id, second.id}


async def test_the_app_notices_without_a_key_press(tmp_path: Path) -> None:
    """Within a couple of seconds, reading along: no save is needed to find out."""
    data = tmp_path / "data"
    library = library_in(data, tmp_path)
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        (data / "streamtui.db").unlink()
        (data / "streamtui.db").write_bytes(b"")  # replaced: not offered back
        waited = 0.0
        while waited < 6 and not app._notifications:
            await pilot.pause(0.25)
            waited += 0.25
        (notice,) = app._notifications
        assert notice.severity == "error" and "replaced by another file" in str(notice.message)
        assert "quit and start streamtui again" in str(notice.message)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("r")  # a refresh could keep nothing
        await pilot.pause()
        assert not app.workers._workers or all(w.group != "refresh" for w in app.workers._workers)
    library.close()
    assert (data / "streamtui.db").read_bytes() == b""  # the other file is left alone


def test_a_store_in_a_source_kind_sees_nothing_amiss(tmp_path: Path) -> None:
    """Nothing changes for a database left where it was: every save checks and passes."""
    store = Store.open(tmp_path / "data" / "streamtui.db")
    source = store.add_source("x", SourceKind.FOLDER, "/x")
    for _ in range(100):
        store.rename_source(source.id, "y")
    assert store.gone is None
    store.close()
