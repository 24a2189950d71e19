"""Snapshots of the main states (pytest-textual-snapshot): wide, narrow, help, search.

Dates are fixed in the past and shown in UTC, so the screens are the same on every machine.
Refresh them after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from streamtui.ui.app import StreamApp
from tests.support.pilot import until
from tests.ui.test_reading import Recorder, make_library

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def app(tmp_path: Path) -> StreamApp:
    return StreamApp(make_library(tmp_path), sync_on_start=False, opener=Recorder())


def test_wide_reading(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(app(tmp_path), press=["enter"], terminal_size=(140, 36))


def test_narrow_reading(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(app(tmp_path), press=["enter"], terminal_size=(80, 24))


def test_narrow_list(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(app(tmp_path), press=["j", "s"], terminal_size=(80, 24))


def test_help(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(app(tmp_path), press=["question_mark"], terminal_size=(120, 40))


def test_search(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def searched(pilot: Pilot[None]) -> None:
        await pilot.press("slash", *"apple")
        main = pilot.app.main  # type: ignore[attr-defined]
        await until(pilot, lambda: main.view.query == "apple")  # the debounced search ran

    assert snap_compare(app(tmp_path), run_before=searched, terminal_size=(140, 36))
