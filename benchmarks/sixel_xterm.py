"""A manual check of Sixel images on a real Sixel terminal: xterm (``-ti vt340``) under Xvfb.

Run: .venv/bin/python benchmarks/sixel_xterm.py [--out DIR] [--keep] [--registers N]

Needs Xvfb, xterm, xdotool, xwd and ImageMagick's convert (Debian: ``apt-get install xvfb
xterm xdotool x11-apps imagemagick``); says so and stops when one is missing. It serves a feed
on 127.0.0.1 whose oldest item has a picture between paragraphs, starts streamtui in xterm on
a display of its own, types keys into it (xdotool, through XTEST: xterm ignores sent events)
and takes a screenshot after each step, as PNG files in ``--out``:

1. ``open``: the item opened, its picture's last rows below the pane (not drawn: cut);
2. ``scrolled``: ten lines down, the picture wholly in the pane (drawn as Sixel);
3. ``toast``: a notice over the picture's lower right (F: the item's page is not found),
   and ``toast-gone`` after it left (the picture whole again);
4. ``help``: the help screen over everything (no picture over it), ``help-closed`` after;
5. ``list``: the focus back on the list (Escape); ``cut-top``: the picture's top rows above
   the pane (not drawn); ``bottom``: scrolled to the end (no pixel of it anywhere);
6. ``small``: the window made 110 x 44 (a new width: the picture drawn again for it).

Look at them (an image viewer, or the PNGs in a review). Nothing is asserted: the CI tests
check the bytes written in a pty (tests/reliability/test_image_terminal.py).
"""

from __future__ import annotations

import argparse
import html
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from tests.support.feedserver import FeedServer, Reply, feed
from tests.support.paths import REPO_ROOT

TOOLS = ("Xvfb", "xterm", "xdotool", "xwd", "convert")


def picture() -> bytes:
    """A photo-like PNG: a colour gradient, discs and bars (many colours, edges)."""
    from PIL import Image, ImageDraw

    width, height = 480, 260
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    assert pixels is not None
    for y in range(height):
        for x in range(width):
            pixels[x, y] = (x * 255 // width, y * 255 // height, 255 - x * 255 // width)
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 200, 200), fill=(250, 220, 30), outline=(0, 0, 0), width=4)
    draw.ellipse((260, 60, 420, 220), fill=(20, 160, 70))
    for step in range(0, width, 40):
        draw.rectangle((step, height - 20, step + 18, height), fill=(230, 30, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def rss(image_url: str) -> str:
    paragraphs = "".join(
        f"<p>Paragraph {n}: the harbour plan, line after line of text around the picture.</p>"
        for n in range(1, 11)
    )
    after = "".join(f"<p>After {n}: more of the plan below the picture.</p>" for n in range(40))
    body = html.escape(
        f'{paragraphs}<p><img src="{image_url}" alt="quay plan"></p>{after}', quote=False
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>'
        "<item><title>Plan</title><guid>p1</guid><pubDate>Sat, 01 Nov 2025 10:00:00 GMT"
        f"</pubDate><description>{body}</description></item></channel></rss>"
    )


def free_display() -> int:
    for number in range(71, 99):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise SystemExit("no free X display number between :71 and :98")


def shot(display: str, path: Path) -> None:
    xwd = subprocess.run(
        ["xwd", "-root", "-silent", "-display", display], capture_output=True, check=True
    )
    subprocess.run(["convert", "xwd:-", str(path)], input=xwd.stdout, check=True)
    print(f"   {path}")


def keys(display: str, *names: str, pause: float = 0.4) -> None:
    env = {**os.environ, "DISPLAY": display}
    for name in names:
        subprocess.run(["xdotool", "key", "--delay", "60", name], env=env, check=True)
        time.sleep(pause)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="", help="where the screenshots go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument(
        "--registers", type=int, default=0, help="xterm's Sixel colour registers (16: a VT340's)"
    )
    args = parser.parse_args()
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"sixel_xterm: {', '.join(missing)} not installed; nothing checked")
        return 0
    out = Path(args.out or tempfile.mkdtemp(prefix="streamtui-sixel-shots-"))
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="streamtui-sixel-"))
    number = free_display()
    display = f":{number}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1100x700x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    xterm = None
    try:
        time.sleep(1.0)
        with FeedServer() as server:
            image = picture()
            server.route("/plan.png", lambda r: Reply(200, [("Content-Type", "image/png")], image))
            server.route("/feed.xml", feed(rss(server.url("/plan.png"))))
            (root / "data").mkdir()
            (root / "config").mkdir()
            (root / "home").mkdir()
            (root / "config" / "config.toml").write_text('images = "auto"\n')
            store = Store.open(root / "data" / "streamtui.db")
            store.add_source("Harbour", SourceKind.FEED, server.url("/feed.xml"))
            store.close()
            env = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("TMUX", "STREAMTUI", "TEXTUAL", "TERM_PROGRAM"))
                and not key.lower().endswith("_proxy")
            }
            env.update(
                DISPLAY=display,
                HOME=str(root / "home"),
                STREAMTUI_DATA_DIR=str(root / "data"),
                STREAMTUI_CONFIG_DIR=str(root / "config"),
                PYTHONPATH=str(REPO_ROOT / "src"),
            )
            registers = (
                ["-xrm", f"XTerm*numColorRegisters: {args.registers}"] if args.registers else []
            )
            xterm = subprocess.Popen(
                ["xterm", "-ti", "vt340", *registers, "-geometry", "150x48+0+0", "-e",
                 sys.executable, "-m", "streamtui"],
                env=env,
            )  # fmt: skip
            time.sleep(8.0)  # the app up, the feed refreshed
            # the pointer over the window: without a window manager, keys go where it is
            subprocess.run(["xdotool", "mousemove", "300", "300"], env=env, check=True)
            print(f"screenshots of streamtui in xterm -ti vt340 (display {display}):")
            keys(display, "G", "Return", pause=0.5)
            time.sleep(3.0)
            shot(display, out / "1-open.png")
            keys(display, *["j"] * 10, pause=0.15)
            time.sleep(1.0)
            shot(display, out / "2-scrolled.png")
            keys(display, "F")
            time.sleep(0.5)
            shot(display, out / "3-toast.png")
            time.sleep(7.0)
            shot(display, out / "3-toast-gone.png")
            keys(display, "question")
            time.sleep(1.0)
            shot(display, out / "4-help.png")
            keys(display, "Escape")
            time.sleep(1.0)
            shot(display, out / "4-help-closed.png")
            keys(display, "Escape")
            time.sleep(1.0)
            shot(display, out / "5-list.png")
            keys(display, "Return", *["j"] * 30, pause=0.15)
            time.sleep(1.0)
            shot(display, out / "5-cut-top.png")
            keys(display, "End")
            time.sleep(1.0)
            shot(display, out / "5-bottom.png")
            keys(display, "Home", *["j"] * 12, pause=0.15)
            subprocess.run(
                ["xdotool", "search", "--class", "xterm", "windowsize", "--usehints", "%@",
                 "110", "44"],
                env=env, check=False,
            )  # fmt: skip
            time.sleep(3.0)
            shot(display, out / "6-small.png")
            keys(display, "q")
            time.sleep(2.0)
    finally:
        if xterm is not None:
            xterm.terminate()
            xterm.wait(10)
        xvfb.terminate()
        xvfb.wait(10)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
