"""A :class:`~streamtui.ui.images.decode.Picture` drawn with Kitty graphics' Unicode placeholders.

The image is transmitted once to the terminal (outside the screen's text), with a *virtual
placement* of ``columns`` x ``rows`` cells; the pane then draws those cells as ordinary text:
each is the placeholder character U+10EEEE, followed by two combining marks that say its row and
column in the image, in a foreground colour that is the image's id (24 bits, so truecolor).
Textual moves, clips and repaints these cells like any text; the terminal draws the image's
part over each. Scrolling, a dialog over the pane, a toast: nothing here has to know.

What is written (the Kitty graphics protocol, sw.kovidgoyal.net/kitty/graphics-protocol):

- :func:`transmit`: ``a=T`` with ``U=1`` (transmit and create the virtual placement), ``q=2``
  (the terminal answers nothing, success or failure: an answer would arrive as keys), ``f=24``
  raw RGB compressed with zlib (``o=z``), its base64 cut into chunks of at most 4096 bytes,
  ``m=1`` on every chunk but the last (``m=0``); only the first carries the keys.
- :func:`delete`: ``a=d,d=I`` frees the image and its placement when the article changes.

Every cell carries both its row and its column mark (the protocol lets a cell inherit them from
its left neighbour, but Textual redraws a changed span of a line from wherever it starts).
Pure apart from :func:`cell_pixels`, which asks the tty its size in pixels.
"""

from __future__ import annotations

import base64
import itertools
import random
import zlib
from math import ceil
from typing import IO

from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from streamtui.ui.images.decode import Picture

__all__ = [
    "CHUNK",
    "DIACRITICS",
    "PLACEHOLDER",
    "cell_pixels",
    "cells_for",
    "delete",
    "new_id",
    "placeholder_rows",
    "transmit",
    "tty_cell_pixels",
]

PLACEHOLDER = "\U0010eeee"
CHUNK = 4096
"""The most base64 bytes in one escape (the protocol's limit)."""
DEFAULT_CELL = (10, 20)
"""Pixels of a cell when the tty does not say (a pty in a test, some terminals)."""
LEVEL = 1
"""zlib's level: the fastest (a photo's pixels compress little better at 6, and slower)."""

# The combining marks that number rows and columns, in the protocol's order (its
# rowcolumn-diacritics.txt: marks of combining class 230 without decompositions, Unicode 6.0);
# the first 129, more than the pane ever draws (120 columns, 24 rows).
_MARKS = (
    "0305 030D 030E 0310 0312 033D 033E 033F 0346 034A 034B 034C 0350 0351 0352 0357 035B "
    "0363 0364 0365 0366 0367 0368 0369 036A 036B 036C 036D 036E 036F 0483 0484 0485 0486 "
    "0487 0592 0593 0594 0595 0597 0598 0599 059C 059D 059E 059F 05A0 05A1 05A8 05A9 05AB "
    "05AC 05AF 05C4 0610 0611 0612 0613 0614 0615 0616 0617 0657 0658 0659 065A 065B 065D "
    "065E 06D6 06D7 06D8 06D9 06DA 06DB 06DC 06DF 06E0 06E1 06E2 06E4 06E7 06E8 06EB 06EC "
    "0730 0732 0733 0735 0736 073A 073D 073F 0740 0741 0743 0745 0747 0749 074A 07EB 07EC "
    "07ED 07EE 07EF 07F0 07F1 07F3 0816 0817 0818 0819 081B 081C 081D 081E 081F 0820 0821 "
    "0822 0823 0825 0826 0827 0829 082A 082B 082C 082D"
)
DIACRITICS = tuple(chr(int(code, 16)) for code in _MARKS.split())

_ids = itertools.count(random.randrange(1 << 16, (1 << 24) - (1 << 20)))


def new_id() -> int:
    """An image id for this run: 24 bits (the foreground colour holds it), never 0, starting
    at a random place so that two apps in one terminal rarely share one. Thread-safe."""
    return next(_ids) % ((1 << 24) - 1) + 1


def _escape(keys: str, payload: bytes = b"") -> str:
    if payload:
        return f"\x1b_G{keys};{payload.decode('ascii')}\x1b\\"
    return f"\x1b_G{keys}\x1b\\"


def cells_for(picture: Picture, cell: tuple[int, int]) -> tuple[int, int]:
    """The columns and rows a picture takes with cells of ``cell`` pixels."""
    return max(1, ceil(picture.width / cell[0])), max(1, ceil(picture.height / cell[1]))


def transmit(image_id: int, picture: Picture, columns: int, rows: int) -> str:
    """The escapes that send ``picture`` as image ``image_id`` and place it virtually over
    ``columns`` x ``rows`` cells (the terminal fits it in, keeping its proportions)."""
    data = base64.standard_b64encode(zlib.compress(picture.rgb, LEVEL))
    chunks = [data[start : start + CHUNK] for start in range(0, len(data), CHUNK)] or [b""]
    first = (
        f"a=T,U=1,q=2,f=24,o=z,s={picture.width},v={picture.height},i={image_id},"
        f"c={columns},r={rows},C=1"
    )
    parts = []
    for index, chunk in enumerate(chunks):
        more = int(index < len(chunks) - 1)
        keys = f"{first},m={more}" if index == 0 else f"q=2,m={more}"
        parts.append(_escape(keys, chunk))
    return "".join(parts)


def delete(image_id: int) -> str:
    """The escape that deletes image ``image_id``, its placements and its data."""
    return _escape(f"a=d,d=I,i={image_id},q=2")


def placeholder_rows(image_id: int, columns: int, rows: int) -> tuple[tuple[Segment, ...], ...]:
    """The cells that show image ``image_id``: ``rows`` lines of ``columns`` placeholders,
    each with its row and column marks, coloured with the id."""
    columns = min(columns, len(DIACRITICS))
    rows = min(rows, len(DIACRITICS))
    style = Style(color=Color.from_rgb(image_id >> 16 & 255, image_id >> 8 & 255, image_id & 255))
    lines = []
    for row in range(rows):
        mark = DIACRITICS[row]
        text = "".join(PLACEHOLDER + mark + DIACRITICS[column] for column in range(columns))
        lines.append((Segment(text, style),))
    return tuple(lines)


def cell_pixels(tty: int | IO[str] | None) -> tuple[int, int]:
    """The size of a cell in pixels, from the tty (a file descriptor or a stream:
    ``TIOCGWINSZ``), or :data:`DEFAULT_CELL` when it does not say."""
    return tty_cell_pixels(tty) or DEFAULT_CELL


def tty_cell_pixels(tty: int | IO[str] | None) -> tuple[int, int] | None:
    """The size of a cell in pixels as the tty says it, or None when it does not (Sixel
    needs the true size: an image sized with a guess could overrun its cells)."""
    import fcntl
    import struct
    import termios

    try:
        fd = tty if isinstance(tty, int) else tty.fileno() if tty is not None else -1
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
        lines, columns, width, height = struct.unpack("HHHH", packed)
    except (OSError, ValueError):
        return None
    if not (lines and columns and width and height):
        return None
    return max(1, width // columns), max(1, height // lines)
