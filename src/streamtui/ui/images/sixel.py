"""A :class:`~streamtui.ui.images.decode.Picture` as Sixel: ready, but not drawn by the app yet.

A Sixel image is pixels written at the cursor, not cells: Textual knows nothing of it, and
any frame it writes over those cells (a scroll, a toast, the progress in the pane's border)
cuts through it. Drawing it would mean writing it again after every frame that touches its
region, and only while nothing covers it; until that is done and seen right on a Sixel
terminal, Sixel terminals get half blocks. The encoder is here, tested, for that step.

The format (DEC's VT330/340 manual, chapter 14, as xterm, foot and mlterm read it):
``ESC P 0;1;0 q`` (the picture's own aspect, unset pixels left alone), raster attributes
``"1;1;W;H`` (square pixels, the size), the palette ``#n;2;r;g;b`` (RGB in percent), then
bands of six pixel rows: for each colour used in the band, ``#n`` and one character per
column (``?`` + a bit for each of the six rows that has the colour; ``!k`` repeats one),
``$`` back to the band's start, ``-`` to the next band; ``ESC \\`` ends it.

Pure but for Pillow (quantising to at most 256 colours), imported on the first call: run it
off the UI thread, as the decode is.
"""

from __future__ import annotations

import re

from streamtui.ui.images.decode import Picture

__all__ = ["MAX_COLOURS", "encode_sixel"]

MAX_COLOURS = 256
_RUN = re.compile(rb"(.)\1{3,}")
_TO_SIXEL = bytes(range(63, 127)) + bytes(192)  # bits 0-63 -> "?" .. "~"


def encode_sixel(picture: Picture, colours: int = MAX_COLOURS) -> bytes:
    """The picture as one Sixel sequence (DCS ... ST), in at most ``colours`` colours."""
    from PIL import Image

    colours = max(2, min(colours, MAX_COLOURS))
    width, height = picture.width, picture.height
    image = Image.frombytes("RGB", (width, height), picture.rgb)
    indexed = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    palette = (indexed.getpalette() or [])[: 3 * colours]
    pixels = indexed.tobytes()
    used = max(pixels) + 1 if pixels else 0
    out = [b'\x1bP0;1;0q"1;1;%d;%d' % (width, height)]
    for index in range(used):
        red, green, blue = palette[3 * index : 3 * index + 3]
        out.append(b"#%d;2;%d;%d;%d" % (index, *(round(v * 100 / 255) for v in (red, green, blue))))
    for top in range(0, height, 6):
        out.append(_band(pixels, width, top, min(6, height - top)))
        if top + 6 < height:
            out.append(b"-")
    out.append(b"\x1b\\")
    return b"".join(out)


def _band(pixels: bytes, width: int, top: int, rows: int) -> bytes:
    """Six rows (fewer at the bottom) of palette indexes as Sixel: a line per colour."""
    bits: dict[int, bytearray] = {}
    for row in range(rows):
        start = (top + row) * width
        line = pixels[start : start + width]
        bit = 1 << row
        for x, index in enumerate(line):
            columns = bits.get(index)
            if columns is None:
                columns = bits[index] = bytearray(width)
            columns[x] |= bit
    lines = []
    for index, columns in sorted(bits.items()):
        text = bytes(columns).translate(_TO_SIXEL).rstrip(b"?")
        text = _RUN.sub(lambda run: b"!%d%c" % (len(run.group()), run.group()[0]), text)
        lines.append(b"#%d%s" % (index, text))
    return b"$".join(lines)
