"""Images in articles: decoding within caps, half blocks, the terminal's graphics, a cache."""

from __future__ import annotations

import io
import os
import pickle
import pty
import stat
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console
from rich.segment import Segment

from streamtui.core.reader.cache import DiskCache, image_cache
from streamtui.ui.images.blocks import UPPER_HALF, HalfBlocks, half_block_lines
from streamtui.ui.images.decode import MAX_PIXELS, Picture, Unreadable, decode_image, fit
from streamtui.ui.images.terminal import (
    COLOURS_QUERY,
    QUERY,
    Answer,
    from_environment,
    needs_query,
    parse_answer,
    query_terminal,
    resolve,
    sixel_colours,
)
from tests.support.images import bomb, png_declaring

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def encoded(image: Image.Image, kind: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def halves(width: int = 200, height: int = 100) -> bytes:
    """Red on the left half, blue on the right."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return encoded(image)


# --- decoding ---------------------------------------------------------------------------------


def test_an_image_is_scaled_to_fit_and_keeps_its_colours() -> None:
    picture = decode_image(halves(), 80, 48)
    assert isinstance(picture, Picture)
    assert (picture.width, picture.height) == (80, 40)
    assert picture.pixel(5, 5) == RED
    assert picture.pixel(75, 35) == BLUE
    assert len(picture.rgb) == 80 * 40 * 3
    assert pickle.loads(pickle.dumps(picture)) == picture  # crosses a process boundary
    small = decode_image(halves(10, 4), 80, 48)
    assert isinstance(small, Picture) and (small.width, small.height) == (10, 4)  # never up


def test_fit_keeps_proportions() -> None:
    assert fit(1000, 500, 80, 48) == (80, 40)
    assert fit(500, 1000, 80, 48) == (24, 48)
    assert fit(3, 100000, 80, 48) == (1, 48)


def test_transparency_is_laid_on_the_background() -> None:
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    image.putpixel((0, 0), (*GREEN, 255))
    picture = decode_image(encoded(image), 4, 4, background=(10, 20, 30))
    assert isinstance(picture, Picture)
    assert picture.pixel(0, 0) == GREEN
    assert picture.pixel(3, 3) == (10, 20, 30)


def test_an_animated_gif_shows_its_first_frame() -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, BLUE)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    picture = decode_image(data, 8, 8)
    assert isinstance(picture, Picture) and picture.pixel(4, 4) == RED


def test_a_large_jpeg_is_decoded_at_a_reduced_scale() -> None:
    data = encoded(Image.new("RGB", (4000, 3000), BLUE), "JPEG", quality=80)
    started = time.perf_counter()
    picture = decode_image(data, 80, 48)
    assert isinstance(picture, Picture) and (picture.width, picture.height) == (64, 48)
    assert time.perf_counter() - started < 5
    red, green, blue = picture.pixel(30, 20)
    assert blue > 200 and red < 40 and green < 40


def test_a_jpeg_over_the_pixel_cap_is_drawn_from_its_reduced_decode() -> None:
    data = encoded(Image.new("RGB", (7000, 5000), GREEN), "JPEG", quality=50)  # 35 Mpx
    picture = decode_image(data, 80, 48)
    assert isinstance(picture, Picture), picture
    assert (picture.width, picture.height) == (67, 48)


def test_a_huge_image_is_refused_before_it_is_decoded() -> None:
    # 6000 x 4001 declared: over the cap, under Pillow's own error threshold; no pixel data at
    # all, so a decode would fail differently: the refusal comes from the header alone
    data = png_declaring(6000, 4001)
    result = decode_image(data, 80, 48)
    assert isinstance(result, Unreadable)
    assert "6000 x 4001" in result.reason and "decompression bomb" in result.reason
    assert MAX_PIXELS < 6000 * 4001


@pytest.mark.parametrize(
    "data",
    [bomb(12_000), bomb(5_000)],  # 144 and 25 million pixels in about 140 and 25 KB
    ids=["over twice the cap", "just over the cap"],
)
def test_a_decompression_bomb_is_refused_without_its_memory(data: bytes) -> None:
    assert len(data) < 1024 * 1024
    code = (
        "import sys\n"
        "from streamtui.ui.images.decode import decode_image\n"
        "data = sys.stdin.buffer.read()\n"
        "result = decode_image(data, 80, 48)\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "peak = int(status) // 1024  # this process's own peak (ru_maxrss survives exec)\n"
        "print(type(result).__name__, peak, getattr(result, 'reason', ''))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, timeout=60, check=False
    )
    kind, peak, reason = done.stdout.decode().split(" ", 2)
    assert kind == "Unreadable", done.stderr.decode()
    assert "decompression bomb" in reason
    assert int(peak) < 150  # MB: the pixels (144 MB as greyscale, 576 as RGBA) were never made
    assert done.stderr == b""  # no DecompressionBombWarning on the terminal either


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "not an image"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not an image"),
        (halves()[:60], "damaged"),
        (b"\x89PNG" + bytes(6 * 1024 * 1024), "larger than"),
    ],
    ids=["empty", "html", "eps", "truncated", "too many bytes"],
)
def test_what_is_no_image_is_refused_in_one_line(data: bytes, words: str) -> None:
    result = decode_image(data, 80, 48)
    assert isinstance(result, Unreadable)
    assert words in result.reason and "\n" not in result.reason


def test_the_image_modules_import_without_pillow() -> None:
    code = (
        "import sys\n"
        "import streamtui.ui.images, streamtui.ui.images.blocks, streamtui.ui.images.terminal\n"
        "import streamtui.ui.images.decode, streamtui.core.reader.cache\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PIL', 'textual_image')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


# --- half blocks ------------------------------------------------------------------------------


def test_half_blocks_put_two_pixels_in_a_cell() -> None:
    rgb = bytes([*RED, *BLUE, *GREEN, *GREEN, *BLUE, *BLUE])  # 2 x 3: rows RB, GG, BB
    lines = half_block_lines(Picture(2, 3, rgb))
    assert len(lines) == 2
    first = lines[0]
    assert [segment.text for segment in first] == [UPPER_HALF, UPPER_HALF]
    assert first[0].style is not None and first[0].style.color is not None
    assert first[0].style.color.triplet == RED and first[0].style.bgcolor.triplet == GREEN  # type: ignore[union-attr]
    assert first[1].style.color.triplet == BLUE  # type: ignore[union-attr]
    last = lines[1]  # the odd row: its lower half is the pane's background
    assert [segment.text for segment in last] == [UPPER_HALF * 2]
    assert last[0].style.bgcolor is None  # type: ignore[union-attr]


def test_equal_cells_are_one_segment_and_every_line_is_the_width() -> None:
    picture = decode_image(halves(), 80, 48)
    assert isinstance(picture, Picture)
    lines = half_block_lines(picture)
    assert len(lines) == 20
    for line in lines:
        assert sum(len(segment.text) for segment in line) == 80
        assert len(line) == 2  # a red run and a blue run


def test_half_blocks_write_only_colours_and_blocks() -> None:
    picture = decode_image(halves(), 40, 20)
    assert isinstance(picture, Picture)
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=100)
    console.print(HalfBlocks(picture))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert output.count("\n") == 10
    without_colours = Segment.strip_styles([Segment(output)])
    import re

    escapes = re.findall(r"\x1b(.)", output)
    assert set(escapes) == {"["}  # SGR only: no APC (Kitty) or DCS (Sixel)
    assert not re.search(r"\x1b\[[0-9;]*[^0-9;m]", output)
    assert list(without_colours)


# --- the terminal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, "blocks"),
        ({"TERM": "tmux-256color"}, "blocks"),
        ({"TERM": "screen-256color"}, "blocks"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "tmux"}, "blocks"),
        ({"TERM": "dumb"}, "blocks"),
        ({}, "blocks"),
        ({"TERM": "xterm-kitty"}, "kitty"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "kitty"),
        ({"TERM": "xterm-ghostty"}, "kitty"),
        ({"TERM": "foot"}, "sixel"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, "sixel"),
        (
            {
                "TERM": "xterm-256color",
                "TERM_PROGRAM": "iTerm.app",
                "TERM_PROGRAM_VERSION": "3.5.2",
            },
            "sixel",
        ),
        (
            {
                "TERM": "xterm-256color",
                "TERM_PROGRAM": "iTerm.app",
                "TERM_PROGRAM_VERSION": "3.4.19",
            },
            None,
        ),
        ({"TERM": "xterm-256color"}, None),
    ],
)
def test_the_environment_names_some_terminals(environ: dict[str, str], mode: str | None) -> None:
    assert from_environment(environ) == mode


def test_parse_answer_reads_kitty_and_sixel_replies_among_typed_keys() -> None:
    assert parse_answer(b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c") == Answer(True, True, False)
    assert parse_answer(b"\x1b[?63;1;2;4;6;9;15;22c") == Answer(True, False, True)
    assert parse_answer(b"j\x1b[?1;2ck") == Answer(True, False, False)
    assert parse_answer(b"\x1b_Gi=31;ENOTSUPPORTED\x1b\\\x1b[?64;4c") == Answer(True, False, True)
    assert parse_answer(b"") == Answer()
    assert parse_answer(b"\x1b[?4") == Answer()  # cut short: not answered


def test_resolve_the_setting() -> None:
    xterm = {"TERM": "xterm-256color"}
    assert resolve("off", {"TERM": "xterm-kitty"}) == "off"
    assert resolve("blocks", {"TERM": "xterm-kitty"}) == "blocks"
    assert resolve("auto", {"TERM": "xterm-kitty"}) == "kitty"
    assert resolve("auto", xterm) == "blocks"
    assert resolve("auto", xterm, Answer(True, False, True)) == "sixel"
    assert resolve("auto", xterm, Answer(True, True, True)) == "kitty"
    # OK to the query, but no Unicode placeholders: what else it said
    wezterm = {"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}
    assert resolve("auto", wezterm, Answer(True, True, True)) == "sixel"
    konsole = {"TERM": "xterm-256color", "KONSOLE_VERSION": "240802"}
    assert resolve("auto", konsole, Answer(True, True, False)) == "blocks"
    # the answer wins over a TERM carried into another terminal by ssh
    assert resolve("auto", {"TERM": "xterm-kitty"}, Answer(True, False, False)) == "blocks"
    # an unanswered query leaves the environment's word
    assert resolve("auto", {"TERM": "foot"}, Answer()) == "sixel"
    # tmux never, whatever is said
    tmux = {"TERM": "tmux-256color", "TMUX": "x"}
    assert resolve("auto", tmux, Answer(True, True, True)) == "blocks"
    assert not needs_query("auto", tmux) and not needs_query("off", xterm)
    assert needs_query("auto", xterm)
    with pytest.raises(ValueError, match="auto, off, blocks"):
        resolve("kitty", xterm)


def _fake_terminal(master: int, replies: list[bytes], seen: list[bytes]) -> None:
    for reply in replies:  # a question (ending with DA1) at a time, then its reply
        data = b""
        deadline = time.monotonic() + 5
        while not data.endswith(b"\x1b[c") and time.monotonic() < deadline:
            data += os.read(master, 1024)
        seen.append(data)
        if reply:
            os.write(master, reply)


SIXEL_DA1 = b"\x1b[?63;1;2;4;6;9;15;16;22;28c"


@pytest.mark.parametrize(
    ("replies", "expected", "questions"),
    [
        ([b"\x1b_Gi=31;OK\x1b\\\x1b[?62;c"], Answer(True, True, False), [QUERY]),
        (
            [SIXEL_DA1, b"\x1b[?1;0;16S" + SIXEL_DA1],  # xterm: asked its registers next
            Answer(True, False, True, 16),
            [QUERY, COLOURS_QUERY],
        ),
        ([b"\x1b[?63;4c", b"\x1b[?63;4c"], Answer(True, False, True), [QUERY, COLOURS_QUERY]),
        ([b""], Answer(), [QUERY]),
    ],
    ids=["kitty", "sixel", "sixel-no-registers", "silent"],
)
def test_query_terminal_asks_a_real_tty_and_restores_it(
    replies: list[bytes], expected: Answer, questions: list[bytes]
) -> None:
    reply = replies[0]
    master, slave = pty.openpty()
    try:
        before = termios.tcgetattr(slave)
        seen: list[bytes] = []
        fake = threading.Thread(target=_fake_terminal, args=(master, replies, seen))
        fake.start()
        started = time.monotonic()
        answer = query_terminal(slave, slave, timeout=0.5)
        elapsed = time.monotonic() - started
        fake.join(5)
        assert answer == expected
        assert seen == questions
        assert termios.tcgetattr(slave) == before
        assert elapsed < (0.45 if reply else 2)  # an answer ends the wait; silence times out
    finally:
        os.close(master)
        os.close(slave)


def test_sixel_colours_are_the_terminals_registers_up_to_256() -> None:
    assert parse_answer(b"\x1b[?1;0;1024S\x1b[?63;4c").colours == 1024
    assert parse_answer(b"\x1b[?1;3;0S\x1b[?63;4c").colours == 0  # failed: not said
    assert parse_answer(b"\x1b[?63;4c").colours == 0
    assert [sixel_colours(Answer(True, False, True, n)) for n in (16, 256, 1024, 1, 0)] == [
        16, 256, 256, 256, 256,
    ]  # fmt: skip
    assert sixel_colours(None) == 256


def test_query_terminal_on_something_that_is_no_tty(tmp_path: Path) -> None:
    with open(tmp_path / "file", "w+b") as file:
        assert query_terminal(file.fileno(), file.fileno()) == Answer()
        assert file.read() == b""


# --- the disk cache ---------------------------------------------------------------------------


def test_the_cache_keeps_and_returns_bytes_privately(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache" / "images", max_bytes=1000)
    assert cache.get("https://e.org/a.png") is None
    assert not (tmp_path / "cache").exists()  # nothing made before the first write
    assert cache.put("https://e.org/a.png", b"A" * 100)
    assert cache.get("https://e.org/a.png") == b"A" * 100
    assert stat.S_IMODE((tmp_path / "cache" / "images").stat().st_mode) == 0o700
    hostile = cache.path("../../etc/passwd")
    assert hostile.parent == tmp_path / "cache" / "images"


def test_the_cache_drops_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "images", max_bytes=300)
    for name in ("a", "b", "c"):
        assert cache.put(name, name.encode() * 100)
    assert cache.get("a") == b"a" * 100  # a is now the most recent
    assert cache.put("d", b"d" * 100)
    assert cache.get("b") is None
    assert [cache.get(name) is not None for name in ("a", "c", "d")] == [True, True, True]
    assert cache.size() == 300
    assert not cache.put("huge", b"x" * 301)  # larger than the whole cache: not kept
    assert cache.size() == 300


def test_the_cache_survives_entries_removed_by_another_process(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "images", max_bytes=300)
    cache.put("a", b"1" * 10)
    cache.path("a").unlink()
    assert cache.get("a") is None
    stale = tmp_path / "images" / ".part-left-by-a-crash"
    stale.write_bytes(b"x")
    os.utime(stale, (1, 1))
    cache.put("b", b"2")
    assert not stale.exists()


def test_the_cache_cannot_be_written_says_false(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    assert not DiskCache(blocker / "images").put("a", b"1")


def test_the_image_cache_lives_in_the_data_folder(tmp_path: Path) -> None:
    cache = image_cache()
    assert cache.folder == Path(os.environ["STREAMTUI_DATA_DIR"]) / "cache" / "images"
