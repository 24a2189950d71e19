"""A :class:`~streamtui.ui.images.decode.Picture` as Sixel, the graphics of DEC's VT340 that
xterm, foot, mlterm, WezTerm, contour and iTerm2 draw (the article pane places it:
``ui/widgets/sixels.py``).

The format (DEC's VT330/340 manual, chapter 14, as xterm, foot and mlterm read it):
``ESC P 0;1;0 q`` (the picture's own aspect, unset pixels left alone), raster attributes
``"1;1;W;H`` (square pixels, the size), the palette ``#n;2;r;g;b`` (RGB in percent), then
bands of six pixel rows: for each colour used in the band, ``#n`` and one character per
column (``?`` + a bit for each of the six rows that has the colour; ``!k`` repeats one),
``$`` back to the band's start, ``-`` to the next band; ``ESC \\`` ends it.

Fast without numpy: a band's six rows of palette indexes are one ``bytes``; for each colour
in it, ``bytes.translate`` marks that colour's pixels with 1 (the rest 0), the marks become one
integer, and the six rows' parts of it are shifted by their row number and OR'd (each byte is
0 or 1, so a shift never carries into the next column): the six-bit column values in a few
big-integer operations, then ``translate`` to characters and a regular expression for the
runs. Everything per pixel happens in C; Python's loop is per band and colour.

Pure but for Pillow (quantising to at most 256 colours), imported on the first call: run it
off the UI thread, as the decode is.
"""

from __future__ import annotations

import re
from functools import lru_cache

from streamtui.ui.images.decode import Picture

__all__ = ["MAX_COLOURS", "encode_sixel"]

MAX_COLOURS = 256
_LONG = 64
_STAND_IN = b"\x01"
"""A run of :data:`_LONG` empty sixels (``?``), swapped in by ``bytes.replace`` before the
runs are looked for: a photo's lines are mostly empty sixels (a colour is in a few columns),
and a regular expression scans the band much shorter then."""
_RUN = re.compile(rb"(\x01+\?*|\?{4,}|([@-~])\2{3,})")
"""A run of empty sixels (whole stand-ins and the rest), or four or more equal sixels:
``!k`` and the sixel is shorter."""


class _Repeats(dict[bytes, bytes]):
    """A run as its repeat (``!k`` and the sixel), each run's text worked out once: the band's
    runs are all looked up by ``map`` in C."""

    def __missing__(self, run: bytes) -> bytes:
        stand_ins = run.count(_STAND_IN)
        char = run[-1] if run[-1] != _STAND_IN[0] else ord("?")
        repeat = self[run] = b"!%d%c" % (stand_ins * _LONG + len(run) - stand_ins, char)
        return repeat


_REPEATS = _Repeats()
_REPEATS_KEPT = 100_000
_TO_SIXEL = bytes(range(63, 127)) + bytes(192)  # six bits 0-63 -> "?" .. "~"


def encode_sixel(picture: Picture, colours: int = MAX_COLOURS) -> bytes:
    """The picture as one Sixel sequence (DCS ... ST), in at most ``colours`` colours."""
    from PIL import Image

    colours = max(2, min(colours, MAX_COLOURS))
    width, height = picture.width, picture.height
    image = Image.frombytes("RGB", (width, height), picture.rgb)
    indexed = image.quantize(colors=colours, method=Image.Quantize.FASTOCTREE)
    palette = (indexed.getpalette() or [])[: 3 * colours]
    pixels = indexed.tobytes()
    used = max(pixels) + 1 if pixels else 0
    out = [b'\x1bP0;1;0q"1;1;%d;%d' % (width, height)]
    for index in range(used):
        red, green, blue = palette[3 * index : 3 * index + 3]
        out.append(b"#%d;2;%d;%d;%d" % (index, *(round(v * 100 / 255) for v in (red, green, blue))))
    band = 6 * width
    for top in range(0, height, 6):
        out.append(_band(pixels[top * width : top * width + band], width))
        if top + 6 < height:
            out.append(b"-")
    out.append(b"\x1b\\")
    return b"".join(out)


def _band(rows: bytes, width: int) -> bytes:
    """Up to six rows of palette indexes (``width`` each) as Sixel: a line per colour."""
    out = []
    for index in sorted(set(rows)):
        out.append(b"#%d" % index)
        out.append(_columns(rows, width, index).translate(_TO_SIXEL).rstrip(b"?"))
        out.append(b"$")
    out.pop()
    return _runs(b"".join(out))


def _columns(rows: bytes, width: int, index: int) -> bytes:
    """Each column's six bits (a bit a row) for colour ``index``: one ``translate`` marks its
    pixels 1 (the rest 0) and the marks become one integer, row ``r`` at byte ``r * width``;
    rows 3-5 are shifted onto 0-2 by 3 bits, then rows 1 and 2 onto 0 by 1 and 2 bits (each
    byte is 0 or 1 before, so no shift carries into the next column)."""
    if len(rows) < 6 * width:  # the last band, fewer rows: a row at a time
        tables = _markers(index)
        columns = 0
        for row, start in enumerate(range(0, len(rows), width)):
            line = rows[start : start + width]
            columns |= int.from_bytes(line.translate(tables[row]), "little")
        return columns.to_bytes(width, "little")
    row_bits = 8 * width
    one, three = _masks(width)
    marks = int.from_bytes(rows.translate(_markers(index)[0]), "little")
    marks = (marks & three) | (marks >> 3 * row_bits) << 3
    columns = (marks & one) | ((marks >> row_bits) & one) << 1 | (marks >> 2 * row_bits) << 2
    return columns.to_bytes(width, "little")


@lru_cache(maxsize=16)
def _masks(width: int) -> tuple[int, int]:
    """All bits of one row, and of three rows, of ``width`` bytes."""
    return (1 << 8 * width) - 1, (1 << 24 * width) - 1


def _runs(band: bytes) -> bytes:
    """A band's lines with their runs as repeats, the whole band at a time (a line's ``#n``
    and ``$`` end any run)."""
    parts = _RUN.split(band.replace(b"?" * _LONG, _STAND_IN))
    # [text, run, its sixel or None, text, ...]: runs become repeats, the sixels nothing
    if len(_REPEATS) > _REPEATS_KEPT:  # a bound on the runs remembered (widths vary)
        _REPEATS.clear()
    parts[1::3] = map(_REPEATS.__getitem__, parts[1::3])
    del parts[2::3]
    return b"".join(parts)


@lru_cache(maxsize=MAX_COLOURS)
def _markers(index: int) -> tuple[bytes, ...]:
    """Six translate tables, one a row of the band: palette index ``index`` -> that row's
    bit, every other -> 0."""
    tables = []
    for row in range(6):
        table = bytearray(256)
        table[index] = 1 << row
        tables.append(bytes(table))
    return tuple(tables)
