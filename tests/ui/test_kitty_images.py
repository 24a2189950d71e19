"""Kitty graphics' escapes and placeholder cells (the pty test in tests/reliability/
test_image_terminal.py shows the app writing them)."""

from __future__ import annotations

import base64
import fcntl
import os
import pty
import re
import struct
import termios
import unicodedata
import zlib
from pathlib import Path

from rich.cells import cell_len

from streamtui.ui.images.decode import Picture
from streamtui.ui.images.kitty import (
    CHUNK,
    DEFAULT_CELL,
    DIACRITICS,
    PLACEHOLDER,
    cell_pixels,
    cells_for,
    delete,
    new_id,
    placeholder_rows,
    transmit,
)
from tests.support.sixel import decode_sixel

APC = re.compile(r"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def test_a_transmission_is_chunked_and_carries_its_keys_once() -> None:
    rgb = os.urandom(120 * 70 * 3)  # random: compresses to about its size, many chunks
    text = transmit(77, Picture(120, 70, rgb), 12, 4)
    escapes = APC.findall(text)
    assert APC.sub("", text) == "" and len(escapes) > 2  # escapes only, several
    first = dict(pair.split("=") for pair in escapes[0][0].split(","))
    assert first == {
        "a": "T", "U": "1", "q": "2", "f": "24", "o": "z", "s": "120", "v": "70",
        "i": "77", "c": "12", "r": "4", "C": "1", "m": "1",
    }  # fmt: skip
    assert [keys for keys, _ in escapes[1:-1]] == ["q=2,m=1"] * (len(escapes) - 2)
    assert escapes[-1][0] == "q=2,m=0"
    assert all(0 < len(payload) <= CHUNK for _, payload in escapes)
    assert all(len(payload) % 4 == 0 for _, payload in escapes[:-1])  # the protocol asks it
    assert zlib.decompress(base64.standard_b64decode("".join(p for _, p in escapes))) == rgb


def test_a_small_transmission_is_one_escape() -> None:
    (keys, payload), *rest = APC.findall(transmit(5, Picture(1, 1, b"\x01\x02\x03"), 1, 1))
    assert not rest and keys.endswith(",m=0") and len(payload) <= CHUNK


def test_placeholders_number_every_cell_and_carry_the_id_in_their_colour() -> None:
    image_id = 0x12_34_56
    rows = placeholder_rows(image_id, 3, 2)
    assert len(rows) == 2
    for row, (segment,) in enumerate(rows):
        assert segment.text == "".join(
            PLACEHOLDER + DIACRITICS[row] + DIACRITICS[column] for column in range(3)
        )
        assert cell_len(segment.text) == 3  # one cell each: the marks take none
        assert segment.style is not None and segment.style.color is not None
        assert segment.style.color.triplet == (0x12, 0x34, 0x56)


def test_the_marks_are_the_protocols() -> None:
    # its first marks, as the protocol's documentation spells them; all of the same kind
    assert DIACRITICS[:3] == ("\u0305", "\u030d", "\u030e") and len(DIACRITICS) >= 120
    for mark in DIACRITICS:
        assert unicodedata.category(mark) == "Mn" and unicodedata.combining(mark) == 230
        assert unicodedata.decomposition(mark) == ""


def test_delete_frees_the_image_quietly() -> None:
    assert delete(9) == "\x1b_Ga=d,d=I,i=9,q=2\x1b\\"


def test_ids_fit_the_colour_and_differ() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(0 < i < 1 << 24 for i in ids)


def test_cells_come_from_the_tty_or_a_default() -> None:
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 900, 720))
        assert cell_pixels(slave) == (9, 18)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        assert cell_pixels(slave) == DEFAULT_CELL
    finally:
        os.close(master)
        os.close(slave)
    assert cell_pixels(-1) == DEFAULT_CELL
    assert cells_for(Picture(95, 41, b""), (10, 20)) == (10, 3)


# -- Sixel: the encoder (tests/reliability/test_image_terminal.py: the app drawing it) ---------


def test_sixel_is_one_framed_sequence_that_decodes_to_the_picture() -> None:
    from streamtui.ui.images.sixel import encode_sixel

    width, height = 37, 23  # not a multiple of six rows
    rgb = bytearray()
    for y in range(height):
        for x in range(width):
            rgb += bytes((255, 0, 0) if x < 18 else (0, 0, 255) if y < 12 else (0, 200, 0))
    data = encode_sixel(Picture(width, height, bytes(rgb)))
    assert data.count(b"\x1b") == 2 and not re.search(rb"[\x00-\x1a\x1c-\x1f\x7f-\xff]", data)
    decoded_width, decoded_height, palette, painted = decode_sixel(data)
    assert (decoded_width, decoded_height) == (width, height)
    assert 0 < len(palette) <= 256
    assert set(painted) == {(x, y) for x in range(width) for y in range(height)}
    assert palette[painted[(0, 0)]] == (100, 0, 0)
    assert palette[painted[(30, 2)]] == (0, 0, 100)
    assert palette[painted[(30, 20)]] == (0, 78, 0)


def test_sixel_of_long_runs_and_sparse_colours_decodes_to_the_picture() -> None:
    """Runs longer than the encoder's stand-in (64 empty sixels), full and partial runs, a
    colour in a few far-apart columns: each pixel decodes to its colour."""
    from streamtui.ui.images.sixel import encode_sixel

    width, height = 300, 14
    colours = [(250, 250, 250), (200, 0, 0), (0, 0, 200), (0, 150, 0)]
    chosen = []
    for y in range(height):
        for x in range(width):
            chosen.append(
                1 if x in (7, 150, 299) else 2 if 70 <= x < 270 and y % 3 else 3 if y == 13 else 0
            )
    rgb = b"".join(bytes(colours[c]) for c in chosen)
    data = encode_sixel(Picture(width, height, rgb))
    decoded_width, decoded_height, palette, painted = decode_sixel(data)
    assert (decoded_width, decoded_height) == (width, height)
    assert set(painted) == {(x, y) for x in range(width) for y in range(height)}
    percent = {c: tuple(round(v * 100 / 255) for v in colours[c]) for c in range(4)}
    for y in range(height):
        for x in range(width):
            assert palette[painted[(x, y)]] == percent[chosen[y * width + x]], (x, y)
    assert re.search(rb"!2\d\d\?", data), "a run of empty sixels longer than 64 is one repeat"


def test_sixel_of_a_photo_keeps_to_256_colours() -> None:
    from streamtui.ui.images.sixel import encode_sixel

    rgb = os.urandom(64 * 30 * 3)
    _, _, palette, painted = decode_sixel(encode_sixel(Picture(64, 30, rgb)))
    assert len(palette) <= 256 and len(painted) == 64 * 30
    assert len(decode_sixel(encode_sixel(Picture(64, 30, rgb), colours=16))[2]) <= 16


def test_cells_from_a_stream_or_none(tmp_path: Path) -> None:
    with open(tmp_path / "not-a-tty", "w") as stream:
        assert cell_pixels(stream) == DEFAULT_CELL
    assert cell_pixels(stream) == DEFAULT_CELL  # closed: fileno() raises ValueError
    assert cell_pixels(None) == DEFAULT_CELL
