"""Shared fixtures: every test runs with data, config and HOME under its own tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streamtui.core.library import Library
from streamtui.core.models import Item
from streamtui.core.store import Store
from tests.support import items
from tests.support.paths import CORPUS_DIR

WritePage = Callable[..., Path]

BUNDLED_PAGE = """\
Tiny guide

The bundled guide of the tests, one page long.

More from this stream

Tiny teaser

A teaser that points nowhere.
"""


SLOW_FIRST = (
    "tests/reliability/test_terminal_safety.py",
    "tests/ui/test_markup.py",
    "tests/reliability/test_secrets.py",
    "tests/reliability/test_reader_benchmarks.py",
    "tests/reliability/test_bigfeed.py",
    "tests/test_benchmarks.py",
    "tests/core/test_sync_clients.py",  # the sync-servers group: one worker starts tt-rss once
    "tests/reliability/test_links_shell.py",
    "tests/reliability/test_accounts_real.py",
    "tests/reliability/test_image_terminal.py",
    "tests/reliability/test_app_resilience.py",
    "tests/reliability/test_dates.py",
    "tests/ui/test_reaching_the_end.py",
)
"""Files whose tests take the longest (a full run's ``--durations=0``: the longest single tests
first, then the longest files; 2026-12-03, after the suite's pass of that day): they
are collected first, so that xdist hands them out first and the run does not end with one
worker still in a long test while the other has nothing left."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order within a file and among the rest is kept


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point data, config and HOME at tmp folders so no test can touch the real home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("STREAMTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STREAMTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


@pytest.fixture
def write_page() -> WritePage:
    """``write_page(dir, name, text, mtime=None)``: write a stream page, return its path."""
    return items.write_page


@pytest.fixture
def bundled_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bundled"
    items.write_page(folder, "guide.txt", BUNDLED_PAGE, mtime=1_600_000_000)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "db" / "streamtui.db")
    yield opened
    opened.close()


@pytest.fixture
def library(store: Store, bundled_dir: Path) -> Library:
    """A Library over a fresh database file, with a one-page bundled guide."""
    return Library(store, bundled=bundled_dir)


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"the shared feed corpus is absent ({CORPUS_DIR}); it lives beside the repo")
    return CORPUS_DIR


@pytest.fixture
def item() -> Callable[..., Item]:
    """``item(id, title="", published=..., **fields)``: build an Item for store tests."""
    return items.make_item
