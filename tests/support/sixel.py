"""A small Sixel reader for tests: what a terminal would paint from a Sixel sequence."""

from __future__ import annotations

import re

Painted = dict[tuple[int, int], int]


def decode_sixel(data: bytes) -> tuple[int, int, dict[int, tuple[int, int, int]], Painted]:
    """A small Sixel reader: (width, height, palette, {(x, y): palette index})."""
    assert data.startswith(b"\x1bP") and data.endswith(b"\x1b\\")
    introducer, body = data[2:-2].split(b"q", 1)
    assert re.fullmatch(rb"[0-9;]*", introducer)
    raster = re.match(rb'"(\d+);(\d+);(\d+);(\d+)', body)
    assert raster is not None
    width, height = int(raster.group(3)), int(raster.group(4))
    palette: dict[int, tuple[int, int, int]] = {}
    painted: dict[tuple[int, int], int] = {}
    x = y = colour = 0
    tokens = re.finditer(rb"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|!(\d+)([?-~])|([?-~])|(\$)|(-)", body)
    at = raster.end()
    for token in tokens:
        if token.start() < at:
            continue
        assert token.start() == at, body[at : at + 20]  # nothing between tokens
        at = token.end()
        number, red, green, blue, count, repeated, single, back, down = token.groups()
        if number is not None:
            colour = int(number)
            if red is not None:
                palette[colour] = (int(red), int(green), int(blue))
        elif repeated is not None or single is not None:
            char = (repeated or single)[0] - 63
            for _ in range(int(count) if count else 1):
                for bit in range(6):
                    if char >> bit & 1:
                        painted[(x, y + bit)] = colour
                x += 1
        elif back:
            x = 0
        elif down:
            x, y = 0, y + 6
    assert at == len(body)
    return width, height, palette, painted
