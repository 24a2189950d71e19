"""Images and the terminal (issue 16): the real app in a pseudo-terminal writes no graphics
protocol bytes (Kitty's ``ESC _G``, Sixel's ``ESC P ... q``) with ``images = "off"``, nor on a
terminal without graphics support, where it draws the image in half blocks (the one Kitty
escape it writes there is the question whether the terminal draws them, which stores and shows
nothing); on a terminal that answers the question with OK, the image is sent once in Kitty's
chunks and drawn as placeholder cells, and deleted when the reader leaves the article; and the
escape corpus in an image's alt text, title and URL reaches no line the article pane draws."""

from __future__ import annotations

import base64
import html
import io
import os
import random
import re
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from streamtui.core.models import Article, Row, SourceKind
from streamtui.core.store import Store
from streamtui.ui.article.layout import layout, piece_lines
from streamtui.ui.article.page import article_page
from streamtui.ui.images.kitty import DIACRITICS, PLACEHOLDER
from streamtui.ui.images.terminal import COLOURS_QUERY, QUERY
from tests.support.bytecode import src_path
from tests.support.escapes import PAYLOADS, Payload, Terminal
from tests.support.feedserver import FeedServer, Reply, feed
from tests.support.sixel import decode_sixel

GRAPHICS = re.compile(rb"\x1b_G|\x1bP[0-9;]*q|\x9bP|\x90[0-9;]*q")
"""Kitty graphics (APC G) and Sixel (DCS ... q), 7-bit and 8-bit introducers."""
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")
HALF = "▀".encode()


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 16), (10, 200, 90)).save(out, "PNG")
    return out.getvalue()


def environment(root: Path, images: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")
        and not key.startswith(("TEXTUAL", "STREAMTUI", "XDG_", "KITTY", "TERM_PROGRAM"))
        and key not in ("NO_COLOR", "COLUMNS", "LINES", "TMUX")
    }
    (root / "home").mkdir(parents=True, exist_ok=True)
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "config.toml").write_text(f'images = "{images}"\n')
    env.update(
        TERM="xterm-256color",  # no graphics; and a pty answers no terminal query
        COLORTERM="truecolor",
        HOME=str(root / "home"),
        STREAMTUI_DATA_DIR=str(root / "data"),
        STREAMTUI_CONFIG_DIR=str(root / "config"),
        TEXTUAL_ANIMATIONS="none",
        PYTHONPATH=src_path(keep=True),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


KITTY_REPLIES = [(QUERY, b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c")]
"""What kitty answers to the query: OK to the graphics question, then its device attributes."""
SIXEL_REPLIES = [
    (QUERY, b"\x1b[?63;1;2;4;6;9;15;16;22;28c"),
    (COLOURS_QUERY, b"\x1b[?1;0;1024S\x1b[?63;1;2;4;6;9;15;16;22;28c"),
]
"""What xterm -ti vt340 answers: nothing to Kitty's question, device attributes with 4 (Sixel);
then its colour registers (1024) and its device attributes again."""
CELL = (10, 20)
"""A cell's pixels, as the pty tells them in the Sixel tests (a Sixel image needs them)."""


@pytest.mark.parametrize(
    ("images", "replies", "tmux"),
    [
        ("off", (), False),
        ("auto", (), False),
        ("off", KITTY_REPLIES, False),
        ("blocks", KITTY_REPLIES, False),
        ("off", SIXEL_REPLIES, False),
        ("blocks", SIXEL_REPLIES, False),
        ("auto", SIXEL_REPLIES, True),
    ],
    ids=[
        "off", "auto", "off-on-kitty", "blocks-on-kitty", "off-on-sixel", "blocks-on-sixel",
        "tmux-on-sixel",
    ],
)  # fmt: skip
def test_no_graphics_protocol_bytes_reach_a_terminal_without_graphics(
    tmp_path: Path, images: str, replies: list[tuple[bytes, bytes]], tmux: bool
) -> None:
    """A terminal without graphics (a pty answers no query); ``off`` or ``blocks`` on one
    that would answer Kitty's question OK or say it draws Sixel (then it is not even asked);
    and tmux in a Sixel terminal (not asked either: tmux draws over graphics)."""
    with FeedServer() as server:
        server.route("/plan.png", lambda request: Reply(200, [("Content-Type", "image/png")],
                                                        picture()))  # fmt: skip
        description = html.escape(
            f'<p>Plan: <img src="{server.url("/plan.png")}" alt="quay plan"></p>'
        )
        rss = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>'
            "<item><title>Plan</title><guid>p1</guid><pubDate>Sat, 01 Nov 2025 10:00:00 GMT"
            f"</pubDate><description>{description}"
            "</description></item></channel></rss>"
        )
        server.route("/feed.xml", feed(rss))
        data = tmp_path / "data"
        data.mkdir()
        store = Store.open(data / "streamtui.db")
        store.add_source("Harbour", SourceKind.FEED, server.url("/feed.xml"))
        store.close()
        env = environment(tmp_path, images)
        if tmux:
            env["TMUX"] = "/tmp/tmux-0/default,1,0"
        terminal = Terminal(
            [sys.executable, "-m", "streamtui"], env, size=(120, 40), replies=replies, cell=CELL
        )
        try:
            assert terminal.wait_for(b"Plan", timeout=60), terminal.output[-2000:]
            terminal.wait_quiet(1.0, timeout=10)
            mark = terminal.mark()
            terminal.send("G\r")  # the oldest item (the bundled guide's are newer)
            assert terminal.wait_for(b"quay plan", since=mark, timeout=30)
            if images != "off":
                assert terminal.wait_for(HALF, since=mark, timeout=30), "no half blocks drawn"
            else:
                terminal.wait_quiet(1.0, timeout=10)
            terminal.send("q")
        finally:
            terminal.close(20)
        output = terminal.output
        if tmux:
            assert QUERY not in output, "under tmux the terminal is not asked"
        if images == "auto" and not tmux:  # asked, unanswered: the one escape written
            assert output.count(QUERY) == 1
            output = output.replace(QUERY, b"")
        assert not GRAPHICS.search(output), GRAPHICS.search(output)
        assert PLACEHOLDER.encode() not in output
        if images == "off":
            assert HALF not in output and server.requests_to("/plan.png") == []


APC = re.compile(rb"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def noise(width: int, height: int) -> bytes:
    """A PNG of random pixels: its pixels compress badly, so it takes many chunks."""
    out = io.BytesIO()
    pixels = random.Random(16).randbytes(width * height * 3)
    Image.frombytes("RGB", (width, height), pixels).save(out, "PNG")
    return out.getvalue()


def keys_of(text: bytes) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in text.decode("ascii").split(","))


def two_items(server: FeedServer) -> str:
    description = html.escape(f'<p>Plan: <img src="{server.url("/plan.png")}" alt="quay plan"></p>')
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>'
        "<item><title>Tides</title><guid>p2</guid><pubDate>Sat, 01 Nov 2025 11:00:00 GMT"
        "</pubDate><description>High water at noon.</description></item>"
        "<item><title>Plan</title><guid>p1</guid><pubDate>Sat, 01 Nov 2025 10:00:00 GMT"
        f"</pubDate><description>{description}</description></item></channel></rss>"
    )


def test_a_kitty_terminal_gets_the_image_once_its_placeholders_and_its_deletion(
    tmp_path: Path,
) -> None:
    image = noise(160, 90)
    with FeedServer() as server:
        server.route("/plan.png", lambda request: Reply(200, [("Content-Type", "image/png")],
                                                        image))  # fmt: skip
        server.route("/feed.xml", feed(two_items(server)))
        data = tmp_path / "data"
        data.mkdir()
        store = Store.open(data / "streamtui.db")
        store.add_source("Harbour", SourceKind.FEED, server.url("/feed.xml"))
        store.close()
        terminal = Terminal(
            [sys.executable, "-m", "streamtui"],
            environment(tmp_path, "auto"),
            size=(120, 40),
            replies=KITTY_REPLIES,
        )
        try:
            assert terminal.wait_for(b"Tides", timeout=60), terminal.output[-2000:]
            terminal.wait_quiet(1.0, timeout=10)
            mark = terminal.mark()
            terminal.send("G\r")  # the oldest item: Plan
            assert terminal.wait_for(b"quay plan", since=mark, timeout=30)
            assert terminal.wait_for(PLACEHOLDER.encode(), since=mark, timeout=30)
            terminal.wait_quiet(1.0, timeout=10)
            shown = terminal.mark()
            terminal.send("\x1b")  # back to the list
            terminal.wait_quiet(0.5, timeout=10)
            terminal.send("k\r")  # and open Tides
            assert terminal.wait_for(b"High water", since=shown, timeout=30)
            assert terminal.wait_for(b"a=d,d=I", since=shown, timeout=30)
            terminal.wait_quiet(0.5, timeout=10)
            terminal.send("q")
        finally:
            terminal.close(20)
    output = terminal.output
    assert output.count(QUERY) == 1
    output = output.replace(QUERY, b"")
    assert not re.search(rb"\x1bP[0-9;]*q", output), "no Sixel"
    escapes = [(keys_of(keys), payload) for keys, payload in APC.findall(output)]
    first = [index for index, (keys, _) in enumerate(escapes) if keys.get("a") == "T"]
    assert len(first) == 1, "the image is sent once"
    keys = escapes[first[0]][0]
    assert (keys["U"], keys["q"], keys["f"], keys["o"]) == ("1", "2", "24", "z")
    image_id, width, height = int(keys["i"]), int(keys["s"]), int(keys["v"])
    assert 0 < image_id < 1 << 24 and (width, height) == (160, 90)
    chunks = []
    for keys, payload in escapes[first[0] :]:
        assert len(payload) <= 4096
        chunks.append(payload)
        if keys["m"] == "0":
            break
        assert keys["m"] == "1"
    followers = escapes[first[0] + 1 : first[0] + len(chunks)]
    assert len(chunks) > 2 and all(set(keys) == {"q", "m"} for keys, _ in followers)
    pixels = zlib.decompress(base64.standard_b64decode(b"".join(chunks)))
    assert pixels == Image.open(io.BytesIO(image)).convert("RGB").tobytes()
    columns, rows = int(escapes[first[0]][0]["c"]), int(escapes[first[0]][0]["r"])
    assert (columns, rows) == (16, 5)  # 160 x 90 pixels in cells of 10 x 20 (the pty's default)
    colour = f"38;2;{image_id >> 16};{image_id >> 8 & 255};{image_id & 255}".encode()
    assert colour in output, "the placeholders' colour is the image's id"
    for row in range(rows):
        cells = "".join(PLACEHOLDER + DIACRITICS[row] + DIACRITICS[c] for c in range(columns))
        assert cells.encode() in output, f"row {row} of the placeholders"
    assert f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\".encode() in output, "deleted on leaving"
    assert b"\xe2\x96\x80" not in output, "no half blocks"


PLACED = re.compile(rb"\x1b7\x1b\[(\d+);(\d+)H(\x1bP[0-9;]*q[^\x1b]*\x1b\\)\x1b8")
"""A Sixel image written at a cell: cursor saved, moved, the image, cursor restored."""
MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")
SGR = re.compile(rb"\x1b\[[0-9;]*m")


def halves(width: int, height: int) -> bytes:
    """A PNG, its left half orange and its right half blue."""
    image = Image.new("RGB", (width, height), (250, 120, 0))
    image.paste((0, 60, 240), (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def long_items(server: FeedServer) -> str:
    """Tides, then Plan: its picture under a line of text, forty paragraphs after it."""
    after = "".join(f"<p>Line {n} after the plan.</p>" for n in range(40))
    body = f'<p>Plan: <img src="{server.url("/plan.png")}" alt="quay plan"></p>{after}'
    return two_items(server).replace(
        html.escape(f'<p>Plan: <img src="{server.url("/plan.png")}" alt="quay plan"></p>'),
        html.escape(body),
    )


def test_a_sixel_terminal_gets_the_image_at_its_cells_again_after_a_scroll(
    tmp_path: Path,
) -> None:
    """On a terminal that says it draws Sixel (and its cells' pixels), the picture is written
    as Sixel, the cursor saved and restored around it, at the cells under its line of text;
    after a scroll, at its new place; none once the reader left the article; no Kitty
    escape and no half block anywhere."""
    image = halves(160, 90)
    with FeedServer() as server:
        server.route("/plan.png", lambda request: Reply(200, [("Content-Type", "image/png")],
                                                        image))  # fmt: skip
        server.route("/feed.xml", feed(long_items(server)))
        data = tmp_path / "data"
        data.mkdir()
        store = Store.open(data / "streamtui.db")
        store.add_source("Harbour", SourceKind.FEED, server.url("/feed.xml"))
        store.close()
        terminal = Terminal(
            [sys.executable, "-m", "streamtui"],
            environment(tmp_path, "auto"),
            size=(120, 40),
            replies=SIXEL_REPLIES,
            cell=CELL,
        )
        try:
            assert terminal.wait_for(b"Tides", timeout=60), terminal.output[-2000:]
            terminal.wait_quiet(1.0, timeout=10)
            opened = terminal.mark()
            terminal.send("G\r")  # the oldest item: Plan
            assert terminal.wait_for(b"quay plan", since=opened, timeout=30)
            assert terminal.wait_for(b"\x1bP0;1;0q", since=opened, timeout=30), "no Sixel"
            terminal.wait_quiet(1.0, timeout=10)
            scrolled = terminal.mark()
            terminal.send("j")  # the article one line down: the picture one line up
            assert terminal.wait_for(b"\x1bP0;1;0q", since=scrolled, timeout=30)
            terminal.wait_quiet(1.0, timeout=10)
            left = terminal.mark()
            terminal.send("\x1b")  # back to the list
            terminal.wait_quiet(0.5, timeout=10)
            terminal.send("k\r")  # and open Tides
            assert terminal.wait_for(b"High water", since=left, timeout=30)
            terminal.wait_quiet(1.0, timeout=10)
            terminal.send("q")
        finally:
            terminal.close(20)
    output = terminal.output
    assert output.count(QUERY) == 1
    first = PLACED.search(output, opened)
    assert first is not None and first.start() < scrolled, "the picture written when shown"
    row, column, sixel = int(first.group(1)), int(first.group(2)), first.group(3)
    width, height, palette, painted = decode_sixel(sixel)
    assert (width, height) == (160, 90) and len(painted) == 160 * 90
    for (x, y), colour in painted.items():  # each pixel its half's colour (in percent)
        assert palette[colour] == ((98, 47, 0) if x < 80 else (0, 24, 94)), (x, y)
    # where: under the picture's line of text (after a blank line), where that text starts
    text_at = output.rindex(b"[image: quay plan]", opened, first.start())
    move = list(MOVE.finditer(output, opened, text_at))[-1]
    before = SGR.sub(b"", output[move.end() : text_at]).decode()  # the line up to the alt
    assert before.endswith("Plan: "), ascii(before)
    assert row == int(move.group(1)) + 2 and column == int(move.group(2)) + before.index("Plan")
    assert column + 16 - 1 <= 120 and row + 5 - 1 < 40, "16 x 5 cells of 10 x 20 pixels"
    again = PLACED.search(output, scrolled)
    assert again is not None and again.start() < left, "written again after the scroll"
    assert (int(again.group(1)), int(again.group(2))) == (row - 1, column)
    assert again.group(3) == sixel
    shown = output.index(b"High water", left)
    assert not re.search(rb"\x1bP[0-9;]*q", output[shown:]), "none once the reader left"
    assert not APC.search(output.replace(QUERY, b"")), "no Kitty graphics"
    assert HALF not in output, "no half blocks"


def image_article(text: str) -> Article:
    row = Row(
        id="raw",
        source_id=1,
        title="Images",
        published=datetime(2026, 1, 2, tzinfo=UTC),
        teaser=False,
        truncated=False,
        read=False,
        starred=False,
    )
    quoted = html.escape(text, quote=True)
    body = (
        f'<p><img src="https://example.org/{quoted}.png" alt="{quoted}" title="{quoted}"></p>'
        f'<p><img src="{quoted}" title="{quoted}"></p>'
        f'<p><a href="https://example.org/x"><img src="/a{quoted}.png" alt="{quoted}"></a></p>'
    )
    return Article(
        row=row, source_name="S", summary="", body=body, link="https://example.org/",
        path="", encoding="utf-8", html=True,
    )  # fmt: skip


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_the_corpus_leaks_nothing_through_image_alt_title_or_url(payload: Payload) -> None:
    page = article_page(image_article(payload.text))
    laid_out = layout(page, 80)
    for index in range(len(page.pieces)):
        for line in piece_lines(laid_out, index):
            for part in (line.prefix, line.body):
                assert not CONTROLS.search(part.plain), ascii(part.plain)
                assert not payload.marker.search(part.plain.encode("utf-8"))
    assert page.images, "the images are found (and would be loaded)"
    for link in page.links:
        assert not CONTROLS.search(link.url + link.label), ascii(link.url + link.label)
