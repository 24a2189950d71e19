"""Source names under concurrency, and an import that scales (issue 12).

Two `import`s at once of files with the same outline titles: the second stopped part-way
("cannot save (UNIQUE constraint failed: sources.name)", 601 of 1,200 stored), because names
were chosen outside the transaction that saved them. Every place that chooses a name (add,
import, rename, a refresh naming a source after its feed) now chooses it inside that
transaction. The import was quadratic (1,000 outlines 1.7 s, 20,000 about 670 s): the
statements it runs are counted here; its times are benchmarks/import_scale.py.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

import streamtui
from faults import v2_database
from streamtui.core.library import Library
from streamtui.core.library import subscriptions as library_module
from streamtui.core.models import SourceKind, Update
from streamtui.core.refresh.decide import better_name
from streamtui.core.sources.opml import MAX_FOLDER_DEPTH, read_subscriptions
from streamtui.core.store import MIGRATIONS, Store
from streamtui.core.store.naming import NamePicker, name_key

PYTHON = sys.executable
SRC = str(Path(streamtui.__file__).resolve().parents[1])


def opml(path: Path, count: int, tag: str, *, titles: int = 50) -> Path:
    """An OPML file of ``count`` feeds titled ``Feed 0`` .. ``Feed {titles-1}`` (repeated),
    at loopback URLs under ``/tag/``."""
    outlines = "\n".join(
        f'<outline type="rss" text="Feed {n % titles}" xmlUrl="http://127.0.0.1:9/{tag}/{n}"/>'
        for n in range(count)
    )
    path.write_text(f'<opml version="2.0"><head/><body>\n{outlines}\n</body></opml>')
    return path


def names_in(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [str(r[0]) for r in connection.execute("SELECT name FROM sources")]


def started_together(argvs: list[list[str]], data: Path) -> list[subprocess.CompletedProcess[str]]:
    """Run the command lines as separate processes started at the same moment."""
    env = {**os.environ, "STREAMTUI_DATA_DIR": str(data), "PYTHONPATH": SRC}
    processes = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    return [subprocess.CompletedProcess(p.args, p.wait(60), *p.communicate()) for p in processes]


def test_two_imports_at_once_both_complete_with_unique_names(tmp_path: Path) -> None:
    first = opml(tmp_path / "a.opml", 600, "a")
    second = opml(tmp_path / "b.opml", 600, "b")
    for round_ in range(4):
        data = tmp_path / f"data{round_}"
        done = started_together(
            [[PYTHON, "-m", "streamtui", "import", str(path)] for path in (first, second)], data
        )
        for result in done:
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith("added 600,"), result.stdout
            # The second may find the first creating the database: "upgrading", at most.
            assert all("upgrading the database" in line for line in result.stderr.splitlines())
        names = names_in(data / "streamtui.db")
        feeds = [name for name in names if name.startswith("Feed ")]
        assert len(feeds) == 1200
        assert len({name_key(name) for name in names}) == len(names)  # unique, any case


ADD_AND_RENAME = r"""
import sys
from pathlib import Path
from streamtui.core.library import Library
from streamtui.core.store import Store
folder, data, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
library = Library(Store.open(data / "streamtui.db"))
added = []
for n in range(count):
    place = folder / f"{n}.txt"
    place.write_text(f"Story {n}\n\nBody.\n")
    added.append(library.add_source(str(place), "News")[0])
for source in added:
    library.rename_source(str(source.id), "Renamed")
print(len(added))
library.close()
"""


def test_two_processes_adding_and_renaming_to_one_name_at_once(tmp_path: Path) -> None:
    """Folder sources added with the same name, then renamed to the same name, by two
    processes at once: every add and rename succeeds and every name stays unique."""
    data = tmp_path / "data"
    Store.open(data / "streamtui.db").close()  # created (and migrated) before the race
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    done = started_together(
        [[PYTHON, "-c", ADD_AND_RENAME, str(folder), str(data), "100"] for folder in folders], data
    )
    for result in done:
        assert result.returncode == 0 and result.stdout == "100\n", result.stderr
    names = names_in(data / "streamtui.db")
    assert len(names) == 200 and len({name_key(name) for name in names}) == 200
    assert all(name.startswith("Renamed") for name in names)


def test_a_name_that_differs_only_in_case_is_taken(store: Store) -> None:
    store.add_source("News", SourceKind.FOLDER, "/a")
    assert store.add_source("news", SourceKind.FOLDER, "/b").name == "news (2)"
    assert store.add_source("NEWS", SourceKind.FOLDER, "/c").name == "NEWS (3)"
    renamed = store.add_source("other", SourceKind.FOLDER, "/d")
    assert store.rename_source(renamed.id, "nEWS (2)") == "nEWS (2) (2)"
    assert store.rename_source(renamed.id, "Other") == "Other"  # its own name, new case
    assert store.path is not None
    with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(store.path) as raw:
        raw.execute(
            "INSERT INTO sources (name, name_key, kind, location, added_at) "
            "VALUES ('nEwS', 'news', 'folder', '/e', 0)"
        )


def test_a_refresh_names_a_source_after_its_feed_as_it_saves(store: Store) -> None:
    """The feed's title replaces a host-name placeholder only if the name is still the
    placeholder when the feed is saved (a rename meanwhile stays), made unique there."""
    host = "127.0.0.1:9"
    store.add_source("Daily", SourceKind.FOLDER, "/daily")
    first = store.add_source(host, SourceKind.FEED, f"http://{host}/one")
    second = store.add_source(host, SourceKind.FEED, f"http://{host}/two")
    assert second.name == f"{host} (2)"
    store.rename_source(second.id, "Mine")  # the user renamed it during the refresh
    outcomes = store.apply(
        [
            Update(first.id, items=(), whole=True, rename=partial(better_name, host, "daily")),
            Update(second.id, items=(), whole=True, rename=partial(better_name, host, "Daily")),
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert store.source_names() == {1: "Daily", first.id: "daily (2)", second.id: "Mine"}


def test_an_import_is_one_transaction_of_a_few_statements_an_outline(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duplicate check compared every known feed with each outline, each name tried
    every suffix, and each source had a transaction of its own. Counted here, importing
    200 and then 2,000 outlines of one title into a store of 2,000 feeds of that title:
    one transaction, a few statements and URL comparisons an outline, plus one look at
    each stored feed and each taken name."""
    library = Library(store)
    library.import_subscriptions(str(opml(tmp_path / "before.opml", 2000, "x", titles=1)))
    compared = []
    identity = library_module.feed_identity
    monkeypatch.setattr(
        library_module, "feed_identity", lambda url: compared.append(url) or identity(url)
    )
    stored = 2000
    for size in (200, 2000):
        statements: list[str] = []
        compared.clear()
        store._db.set_trace_callback(statements.append)
        report = library.import_subscriptions(
            str(opml(tmp_path / f"{size}.opml", size, f"n{size}", titles=1))
        )
        store._db.set_trace_callback(None)
        assert len(report.added) == size and report.duplicates == 0
        assert sum(s.startswith("BEGIN") for s in statements) == 1
        assert len(statements) <= 4 * size + stored + 10
        assert len(compared) <= 3 * size + 2 * stored
        stored += size
        again = library.import_subscriptions(str(tmp_path / f"{size}.opml"))
        assert again.duplicates == size and not again.added


def test_naming_many_sources_alike_checks_each_number_once() -> None:
    taken: set[str] = set()
    checks = []

    def is_taken(key: str) -> bool:
        checks.append(key)
        return key in taken

    picker = NamePicker(is_taken)
    for _ in range(5000):
        taken.add(name_key(picker.pick("News")))
    assert "news (5000)" in taken and len(taken) == 5000
    assert len(checks) < 3 * 5000


def test_deeply_nested_folders_name_a_bounded_folder() -> None:
    """Each outline joined every folder name above it: 20,000 nested folders took 29 s."""
    depth = 3000
    body = "".join(
        f'<outline text="f{n}"><outline type="rss" text="F{n}" xmlUrl="http://h/{n}"/>'
        for n in range(depth)
    )
    data = f'<opml version="2.0"><head/><body>{body}{"</outline>" * depth}</body></opml>'
    found = read_subscriptions(data.encode())
    assert len(found.subscriptions) == depth
    assert found.subscriptions[1].folder == "f0/f1"
    deepest = found.subscriptions[-1].folder
    assert deepest.split("/") == [f"f{n}" for n in range(MAX_FOLDER_DEPTH)]


def test_the_migration_makes_names_that_differ_in_case_unique(tmp_path: Path) -> None:
    db = tmp_path / "streamtui.db"
    v2_database(db, 0)
    with sqlite3.connect(db) as raw:
        raw.executemany(
            "INSERT INTO sources (name, kind, location, key, added_at) VALUES (?, 'feed', ?, ?, 0)",
            [("News", "https://a/", "https://a/"), ("news (2)", "https://b/", "https://b/"),
             ("NEWS", "https://c/", "https://c/")],
        )  # fmt: skip
    started = time.time()
    store = Store.open(db)
    assert [s.name for s in store.sources()] == ["feed", "News", "news (2)", "NEWS (3)"]
    assert float(store.meta("arrivals_since") or 0) >= started
    store.close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
