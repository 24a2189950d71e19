"""Waiting in Pilot tests for what the app does off its thread or a few messages later."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def until(pilot: Pilot[None], done: Callable[[], bool], seconds: float = 30) -> None:
    """Let the app run until ``done()`` (asserting it within ``seconds``: a loaded machine
    may take that long), then a moment more for what was queued behind it."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)
    await pilot.pause(0.1)
