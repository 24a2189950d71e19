"""The notice shown instead of the panes while the terminal is too small to draw them.

Below a few columns Textual's wrapping divides by a zero width, and the app died ("range()
arg 3 must not be zero"). So below :data:`MIN_WIDTH` x :data:`MIN_HEIGHT` the app carries the
class :data:`TOO_SMALL`, under which ``app.tcss`` hides every screen's widgets (the panes, the
dialogs, the toasts: nothing is laid out that could fail to fit) and shows this notice; when
the terminal grows again, the class goes and everything is back as it was.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Static

MIN_WIDTH = 24
MIN_HEIGHT = 6
"""The smallest terminal the app draws itself in: three list rows of about 20 cells."""
TOO_SMALL = "-too-small"
"""The app's class while the terminal is smaller than that."""


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def notice(size: Size) -> Content:
    """The longest of a few wordings that fits the terminal, wrapped."""
    wordings = (
        f"Terminal too small ({size.width}x{size.height}): "
        f"streamtui needs {MIN_WIDTH}x{MIN_HEIGHT}. q quits.",
        f"Too small: needs {MIN_WIDTH}x{MIN_HEIGHT}",
        "Too small",
        "!",
    )
    width = max(size.width, 1)
    fits = (text for text in wordings if -(-len(text) // width) <= size.height)
    return Content(next(fits, wordings[-1]))


class TooSmallNotice(Static):
    """One line of text, wrapped to whatever width there is (even one cell): no border or
    padding that could leave nothing to wrap in."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)

    def on_mount(self) -> None:
        self.show_size(self.app.size)  # a terminal too small from the start

    def show_size(self, size: Size) -> None:
        self.update(notice(size))
