"""Quitting during a refresh is as quick as quitting idle: the real app in a pseudo-terminal,
its refresh stuck in name lookups that take 10 s each (see ``support/quitting.py``). Before the
fix, asyncio.run's end joined the lookup threads and quitting took as long as they did."""

from __future__ import annotations

from pathlib import Path

from tests.support.quitting import LOOKUP_SECONDS, build, quit_seconds

BOUND = 3.0
"""Seconds: quitting idle takes about 0.35 s on the 2-core machine; a lookup is 10 s."""


def test_quitting_during_a_refresh_stuck_in_name_lookups_is_quick(tmp_path: Path) -> None:
    build(tmp_path, feeds=40)
    seconds, status = quit_seconds(tmp_path, refreshing=True)
    assert status == 0
    assert seconds < BOUND < LOOKUP_SECONDS  # a hang detector, not a speed target
