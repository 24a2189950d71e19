"""Shared fixtures: every test runs with data, config and HOME under its own tmp_path."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streamtui.core.library import Library
from streamtui.core.models import Item
from streamtui.core.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"

WritePage = Callable[..., Path]

BUNDLED_PAGE = """\
Tiny guide

The bundled guide of the tests, one page long.

More from this stream

Tiny teaser

A teaser that points nowhere.
"""


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


def _write_page(
    directory: Path, name: str | bytes, text: str | bytes, mtime: float | None = None
) -> Path:
    """Write a page (str as UTF-8, bytes as they are) and optionally set its mtime."""
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(name, bytes):
        raw = os.path.join(os.fsencode(directory), name)
        with open(raw, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        if mtime is not None:
            os.utime(raw, (mtime, mtime))
        return Path(os.fsdecode(raw))
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def write_page() -> WritePage:
    """``write_page(dir, name, text, mtime=None)``: write a stream page, return its path."""
    return _write_page


@pytest.fixture
def bundled_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bundled"
    _write_page(folder, "guide.txt", BUNDLED_PAGE, mtime=1_600_000_000)
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


def make_item(
    item_id: str, title: str = "", *, published: float = 1_700_000_000, **kw: object
) -> Item:
    """An Item with sensible defaults, for store tests (also the ``item`` fixture)."""
    return Item(
        id=item_id,
        title=title or f"title {item_id}",
        summary=str(kw.pop("summary", f"summary {item_id}")),
        body=str(kw.pop("body", f"body {item_id}")),
        published=datetime.fromtimestamp(published, UTC),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def item() -> Callable[..., Item]:
    """``item(id, title="", published=..., **fields)``: build an Item for store tests."""
    return make_item
