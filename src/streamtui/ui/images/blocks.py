"""A :class:`~streamtui.ui.images.decode.Picture` drawn with half blocks: every terminal, tmux too.

Each cell shows two pixels, one above the other: the upper half block ``▀`` in the upper
pixel's colour on the lower pixel's colour. A picture ``width`` pixels wide and ``height`` high
takes ``width`` columns and ``ceil(height / 2)`` rows; an odd last row leaves its lower half to
the pane's background. Runs of equal cells are one segment, and one Style is made per colour
pair (a photo of 80 x 48 pixels has fewer pairs than cells), so drawing is cheap enough for the
UI thread: the decode is what must happen elsewhere.

Only Rich is imported here (no Pillow): the lines are Rich ``Segment`` lists, which Textual's
``Strip`` takes as they are (``Strip(segments, width)``).
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from streamtui.ui.images.decode import Picture

__all__ = ["UPPER_HALF", "HalfBlocks", "half_block_lines"]

UPPER_HALF = "▀"
RGB = tuple[int, int, int]


def half_block_lines(picture: Picture) -> list[list[Segment]]:
    """The picture as terminal lines of segments, each line ``picture.width`` cells wide."""
    styles: dict[tuple[RGB, RGB | None], Style] = {}
    lines: list[list[Segment]] = []
    width = picture.width
    rgb = picture.rgb
    row_bytes = width * 3
    for top in range(0, picture.height, 2):
        upper = rgb[top * row_bytes : (top + 1) * row_bytes]
        lower = (
            rgb[(top + 1) * row_bytes : (top + 2) * row_bytes] if top + 1 < picture.height else b""
        )
        lines.append(list(_line(upper, lower, width, styles)))
    return lines


def _line(
    upper: bytes, lower: bytes, width: int, styles: dict[tuple[RGB, RGB | None], Style]
) -> Iterator[Segment]:
    run_key: tuple[RGB, RGB | None] | None = None
    run = 0
    for x in range(width):
        start = x * 3
        up = (upper[start], upper[start + 1], upper[start + 2])
        down = (lower[start], lower[start + 1], lower[start + 2]) if lower else None
        key = (up, down)
        if key == run_key:
            run += 1
            continue
        if run_key is not None:
            yield Segment(UPPER_HALF * run, _style(run_key, styles))
        run_key, run = key, 1
    if run_key is not None:
        yield Segment(UPPER_HALF * run, _style(run_key, styles))


def _style(key: tuple[RGB, RGB | None], styles: dict[tuple[RGB, RGB | None], Style]) -> Style:
    style = styles.get(key)
    if style is None:
        up, down = key
        style = Style(
            color=Color.from_rgb(*up), bgcolor=Color.from_rgb(*down) if down is not None else None
        )
        styles[key] = style
    return style


class HalfBlocks:
    """A Rich renderable of a picture in half blocks (for Rich consoles and Textual's Static;
    the article pane's line renderer takes :func:`half_block_lines` directly)."""

    def __init__(self, picture: Picture) -> None:
        self.picture = picture
        self._lines: list[list[Segment]] | None = None

    def lines(self) -> list[list[Segment]]:
        if self._lines is None:
            self._lines = half_block_lines(self.picture)
        return self._lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines():
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.picture.width, self.picture.width)
