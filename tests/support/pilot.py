"""Waiting in Pilot tests for what the app does off its thread or a few messages later."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.events import Click, MouseDown, MouseUp
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.widget import Widget


async def until(pilot: Pilot[None], done: Callable[[], bool], seconds: float = 30) -> None:
    """Let the app run until ``done()`` (asserting it within ``seconds``: a loaded machine
    may take that long), then a moment more for what was queued behind it."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)
    await pilot.pause(0.1)


async def click(pilot: Pilot[None], widget: type[Widget] | Widget, offset: tuple[int, int]) -> None:
    """A click at ``offset`` in ``widget`` (the first of its type on the screen), as
    ``pilot.click`` sends it (mouse down, up, click) but with one pause before and one after
    instead of one before each event and after: a Pilot pause draws the whole screen, and
    a test that clicks every payload in every widget spent half its time there."""
    await pilot.pause()  # what came before is laid out and drawn: the styles under the mouse
    screen = pilot.app.screen
    target = widget if isinstance(widget, Widget) else screen.query_one(widget)
    x, y = target.region.offset + offset
    assert (x, y) in screen.size.region, f"{offset} in {target} is off the screen"
    common = {
        "widget": target, "x": x, "y": y, "delta_x": 0, "delta_y": 0, "button": 1,
        "shift": False, "meta": False, "ctrl": False, "screen_x": x, "screen_y": y,
    }  # fmt: skip
    pilot.app.mouse_position = Offset(x, y)
    screen._forward_event(MouseDown(**common))
    screen._forward_event(MouseUp(**common))
    screen._forward_event(Click(**common, chain=1))
    await pilot.pause()
