"""Full articles and images (issue 16): extraction, image decode and draw, worker memory.

Run: .venv/bin/python benchmarks/reader.py [--repeat 5] [--textual-image PYTHON] [--smoke]

1. Extraction with the chosen extractor (``core/reader/extract.extract_page``, readability-lxml)
   on the pages of ``tests/support/article_pages.py`` (23 corpus items inside page chrome of
   our own): time per page, median and p95 (each page the median of ``--repeat`` runs, after
   a warm-up), token recall and precision; and a page just under the 4 MiB markup cap.
2. The peak memory of a worker doing the extraction: a child process (as the parser pool's
   workers are) that extracts every page and then the near-cap page; its VmHWM before and
   after, as benchmarks/hostile_net.py reads it.
3. Images: decode (``ui/images/decode.decode_image``, Pillow) and first draw (the half-block
   lines, and those lines written by a truecolor Rich console, what the terminal receives) for
   a few sizes, into an 80 x 24 cell area (80 x 48 pixels).
3b. Kitty graphics: one 800 x 600 PNG made ready for a Kitty terminal as the pane does it (decoded
   for 120 x 24 cells of 10 x 20 pixels, its pixels compressed, base64'd and cut into the
   protocol's chunks, its placeholder cells made: the worker thread's part), then written to a
   pty whose other end a thread drains (the transmission: what the UI thread hands Textual's
   writer, and the writer's write), median and p95 of ``--repeat`` runs (at least 20); and
   the same picture through the Sixel encoder (``ui/images/sixel.py``; the pane writes it
   after the frames that touch it: benchmarks/sixel_xterm.py shows it in a real xterm).
4. With ``--textual-image PYTHON`` (an interpreter whose environment has textual-image 0.12.0,
   which streamtui does not depend on): its half-cell renderable on the same images and area,
   the same way, and what importing it does on a terminal (a pty whose other end answers
   nothing, as a terminal without graphics replies to neither of its queries): bytes written,
   time taken.
5. Full articles through the Library: each saved page served by a loopback server, fetched,
   extracted in the parser's worker processes and stored, one key press at a time (median,
   p95), then all of them as the background fetch after a refresh does.
6. Key to repaint in the article pane while its images load: the app (headless, 120 x 40)
   opens an article of ``--images`` pictures (640 x 480 PNGs, each answered after 50 ms by a
   loopback server), and j and k presses are timed from the key to the next frame the app
   hands to its display, while the pictures are fetched, decoded and drawn near the visible
   lines; the same presses with ``images = "off"`` are the peer. Target: <= 16 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import io
import json
import os
import pty
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.article_pages import article_pages as all_article_pages
from tests.support.article_pages import score, simple_page

PAGES: int | None = int(os.environ.get("BENCH_READER_PAGES") or 0) or None
"""How many of the article pages sections 1, 2 and 5 use (``--smoke``: 3; all by default;
section 2's child process gets it through the environment)."""


SMOKE = bool(os.environ.get("BENCH_READER_SMOKE"))
"""``--smoke`` (the suite's run): the near-cap page is a sixteenth of the cap, and the Kitty
and Sixel encodings run ``--repeat`` times and once, not 20 and 3 times (about 20 s less; the
section 2 child gets it through the environment)."""


@functools.cache
def _article_pages() -> tuple[Any, ...]:
    return tuple(all_article_pages())[:PAGES]


def article_pages() -> list[Any]:
    """The corpus's article pages (made once: about 2 s, and three sections use them)."""
    return list(_article_pages())


AREA = (80, 48)  # pixels: 80 columns x 24 rows of half blocks
SIZES = (("PNG", 640, 480), ("JPEG", 1920, 1080), ("PNG", 2000, 2000), ("JPEG", 4000, 3000))


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def near_cap_page() -> bytes:
    from streamtui.core.reader.extract import MAX_MARKUP_CHARS

    paragraph = "<p>" + "A sentence of the story that goes on for a while. " * 20 + "</p>"
    count = (MAX_MARKUP_CHARS - 20_000) // len(paragraph) // (16 if SMOKE else 1)
    return simple_page("Near the cap", paragraph * count).encode()


def extraction(repeat: int) -> None:
    from streamtui.core.reader.extract import Extracted, extract_page
    from streamtui.core.text.htmltext import html_to_text

    pages = article_pages()
    if not pages:
        print("1. extraction: the shared corpus is missing (../shared/corpus): skipped")
        return
    for page in pages:
        extract_page(page.body, page.url, page.content_type)  # warm-up
    seconds, recall, precision = [], [], []
    for page in pages:
        took, result = timed(lambda p=page: extract_page(p.body, p.url, p.content_type), repeat)
        seconds.append(took)
        if isinstance(result, Extracted):
            got = score(page.article_text, html_to_text(result.html), page.title)
            recall.append(got.recall)
            precision.append(got.precision)
    print(f"1. extraction (readability-lxml), {len(pages)} pages, median of {repeat} runs each")
    print(
        f"   time per page: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"p95 {pct(seconds, 0.95) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms"
    )
    print(
        f"   extracted {len(recall)}/{len(pages)}; token recall mean {statistics.mean(recall):.3f} "
        f"(worst {min(recall):.2f}), precision mean {statistics.mean(precision):.3f} "
        f"(worst {min(precision):.2f})"
    )
    big = near_cap_page()
    took, result = timed(lambda: extract_page(big, "https://example.org/big", "text/html"), 1)
    kind = type(result).__name__
    print(
        f"   a page {'of a sixteenth of' if SMOKE else 'just under'} the markup cap "
        f"({len(big) / 1048576:.1f} MiB): {took:.2f} s, {kind}"
    )


def worker_memory() -> None:
    code = (
        "import sys, json\n"
        "from benchmarks.reader import near_cap_page\n"
        "from benchmarks.reader import article_pages\n"
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024\n"
        "from streamtui.core.reader.extract import extract_page\n"
        "start = hwm()\n"
        "extract_page(b'<html><body><p>warm</p></body></html>', 'https://e.org/')\n"
        "loaded = hwm()\n"
        "for p in article_pages(): extract_page(p.body, p.url, p.content_type)\n"
        "pages = hwm()\n"
        "extract_page(near_cap_page(), 'https://e.org/big', 'text/html')\n"
        "print(json.dumps([start, loaded, pages, hwm()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BENCH_READER_PAGES": str(PAGES or "")},
    )
    if done.returncode != 0:
        print(f"2. worker memory: the child failed: {done.stderr.strip().splitlines()[-1:]}")
        return
    start, loaded, pages, big = json.loads(done.stdout)
    print(
        f"2. worker peak memory (VmHWM): {start:.0f} MB at start, {loaded:.0f} MB with lxml "
        f"and readability loaded, {pages:.0f} MB after the {len(article_pages())} pages, "
        f"{big:.0f} MB after the near-cap page (the parser workers' limit is 1024 MB)"
    )


def images_of(kind: str, width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (30, 60, 90))
    draw = ImageDraw.Draw(image)
    for step in range(0, width, max(1, width // 16)):
        draw.rectangle((step, 0, step + width // 32, height), fill=(200, step % 256, 40))
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 85} if kind == "JPEG" else {}))
    return out.getvalue()


def images(repeat: int) -> dict[str, Any]:
    from rich.console import Console

    from streamtui.ui.images.blocks import HalfBlocks, half_block_lines
    from streamtui.ui.images.decode import Picture, decode_image

    started = time.perf_counter()
    import PIL.Image  # noqa: F401

    pillow_import = time.perf_counter() - started
    cells = f"{AREA[0]} x {AREA[1] // 2} cells"
    print(f"3. images into {cells} (Pillow import {pillow_import * 1000:.0f} ms)")
    figures = {}
    for kind, width, height in SIZES:
        data = images_of(kind, width, height)
        decode_s, picture = timed(lambda d=data: decode_image(d, *AREA), repeat)
        assert isinstance(picture, Picture)
        lines_s, _ = timed(lambda p=picture: half_block_lines(p), repeat)

        def draw(p: Picture = picture) -> str:
            console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor")
            console.print(HalfBlocks(p))
            return console.file.getvalue()  # type: ignore[attr-defined]

        draw_s, output = timed(draw, repeat)
        label = f"{kind} {width}x{height} ({len(data) / 1024:.0f} KiB)"
        figures[label] = {"data": data, "decode": decode_s, "draw": draw_s}
        print(
            f"   {label:28} decode {decode_s * 1000:6.1f} ms  lines {lines_s * 1000:5.2f} ms  "
            f"first draw {draw_s * 1000:5.2f} ms  ({len(output) / 1024:.0f} KiB written)"
        )
    return figures


def kitty(repeat: int) -> None:
    import random

    from PIL import Image

    noise = io.BytesIO()
    pixels = random.Random(3).randbytes(800 * 600 * 3)
    Image.frombytes("RGB", (800, 600), pixels).save(noise, "PNG")
    print("3b. kitty: an 800x600 PNG for 120 x 24 cells of 10 x 20 pixels")
    for label, data in (
        ("stripes", images_of("PNG", 800, 600)),
        ("gradient", gradient(800, 600)),
        ("noise", noise.getvalue()),
    ):
        kitty_one(label, data, repeat)


def gradient(width: int, height: int) -> bytes:
    """A PNG of smooth colour gradients: many colours in every band, as a photo has."""
    from PIL import Image

    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    down = Image.linear_gradient("L").resize((width, height))
    round_ = Image.radial_gradient("L").resize((width, height))
    out = io.BytesIO()
    Image.merge("RGB", (across, down, round_)).save(out, "PNG")
    return out.getvalue()


def kitty_one(label: str, data: bytes, repeat: int) -> None:
    import threading

    from streamtui.ui.images import kitty as protocol
    from streamtui.ui.images.decode import Picture, decode_image

    cell, columns, rows = (10, 20), 120, 24
    encodes, writes, sizes = [], [], []
    master, slave = pty.openpty()
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                os.read(master, 1 << 20)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        for _ in range(repeat if SMOKE else max(repeat, 20)):
            started = time.perf_counter()
            picture = decode_image(data, columns * cell[0], rows * cell[1])
            assert isinstance(picture, Picture)
            wide, high = protocol.cells_for(picture, cell)
            image_id = protocol.new_id()
            escapes = protocol.transmit(image_id, picture, wide, high)
            protocol.placeholder_rows(image_id, wide, high)
            encodes.append(time.perf_counter() - started)
            payload = (escapes + protocol.delete(image_id)).encode()
            started = time.perf_counter()
            view = memoryview(payload)
            while view:
                view = view[os.write(slave, view) :]
            writes.append(time.perf_counter() - started)
            sizes.append(len(payload))
    finally:
        stop.set()
        reader.join(2)
        os.close(master)
        os.close(slave)
    total = [e + w for e, w in zip(encodes, writes, strict=True)]
    print(
        f"   {label} ({len(data) / 1024:.0f} KiB): {picture.width}x{picture.height} pixels in "
        f"{wide}x{high} cells, {sizes[0] / 1024:.0f} KiB of escapes"
    )
    from streamtui.ui.images.sixel import encode_sixel

    sixels = []
    for _ in range(1 if SMOKE else 3):
        started = time.perf_counter()
        sixel = encode_sixel(picture)
        sixels.append(time.perf_counter() - started)
    for part, values in (("decode+encode", encodes), ("write", writes), ("total", total)):
        print(
            f"     {part:14} median {statistics.median(values) * 1000:6.1f} ms"
            f"  p95 {pct(values, 0.95) * 1000:6.1f} ms"
        )
    print(
        f"     {'sixel encode':14} median {statistics.median(sixels) * 1000:6.1f} ms"
        f" of {len(sixels)} ({len(sixel) / 1024:.0f} KiB)"
    )


TEXTUAL_IMAGE_CHILD = r"""
import io, json, sys, time, statistics
started = time.perf_counter()
from textual_image.renderable.halfcell import Image as Halfcell
imported = time.perf_counter() - started
from rich.console import Console
from PIL import Image
out = {"import": imported, "rows": {}}
for label, path in json.loads(sys.argv[1]).items():
    data = open(path, "rb").read()
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter()
        console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                          width=80, height=24)
        console.print(Halfcell(io.BytesIO(data), width=80))
        times.append(time.perf_counter() - t)
    out["rows"][label] = statistics.median(times)
print(json.dumps(out))
"""


def textual_image(python: str, figures: dict[str, Any], repeat: int, folder: Path) -> None:
    paths = {}
    for number, (label, row) in enumerate(figures.items()):
        path = folder / f"image-{number}"
        path.write_bytes(row["data"])
        paths[label] = str(path)
    done = subprocess.run(
        [python, "-c", TEXTUAL_IMAGE_CHILD, json.dumps(paths), str(repeat)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        print(f"4. textual-image: failed: {done.stderr.strip().splitlines()[-1:]}")
        return
    result = json.loads(done.stdout)
    imported = f"import {result['import'] * 1000:.0f} ms, not a tty"
    print(f"4. textual-image half cells, same images and area ({imported})")
    for label, seconds in result["rows"].items():
        ours = figures[label]["decode"] + figures[label]["draw"]
        print(
            f"   {label:28} decode+draw {seconds * 1000:7.1f} ms  (ours {ours * 1000:6.1f} ms, "
            f"{seconds / ours:.1f}x)"
        )
    written, took = import_on_a_tty(python)
    print(
        f"   importing textual_image.renderable on a terminal that answers nothing: {took:.2f} s, "
        f"and it wrote {len(written)} bytes to it: {written[:80]!r}"
    )


def import_on_a_tty(python: str) -> tuple[bytes, float]:
    """Run ``import textual_image.renderable`` with a pty as its terminal; what it writes."""
    pid, master = pty.fork()
    if pid == 0:  # the child: its stdin and stdout are the pty
        started = time.perf_counter()
        os.execvp(python, [python, "-c", "import textual_image.renderable"])
    started = time.perf_counter()
    written = b""
    while True:
        ready, _, _ = select.select([master], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        written += chunk
    os.waitpid(pid, 0)
    os.close(master)
    return written, time.perf_counter() - started


def full_articles(count: int) -> None:
    """Full articles through the Library as the article key gets them: a summary-only feed on
    a loopback server whose items link to the saved pages; each item's page fetched, its
    article extracted in the parser's worker processes and stored. One at a time (the pool
    started and stopped for each, as a key press alone does), then all of them as the
    background fetch after a refresh does (the pool held for the job)."""
    import html
    import tempfile

    from streamtui.core.library import Library
    from streamtui.core.store import Store
    from tests.support.feedserver import FeedServer, Reply, feed

    pages = article_pages() or [
        type(
            "P", (), {"body": simple_page(f"Page {n}", "<p>" + "A word. " * 400 + "</p>").encode()}
        )
        for n in range(count)
    ]
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        for n, page in enumerate(pages):
            body = page.body
            server.route(
                f"/p{n}", lambda r, body=body: Reply(200, [("Content-Type", "text/html")], body)
            )

        def channel(prefix: str) -> str:
            items = "".join(
                f"<item><title>{prefix}{n}</title><guid>{prefix}{n}</guid>"
                f"<link>{html.escape(server.url(f'/p{n}'))}</link>"
                "<description>s</description></item>"
                for n in range(len(pages))
            )
            head = '<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>'
            return f"{head}{items}</channel></rss>"

        server.route("/one.xml", feed(channel("one-")))
        server.route("/all.xml", feed(channel("all-")))
        library = Library(Store.open(Path(folder) / "s.db"))
        try:
            one, _ = library.add_feed(server.url("/one.xml"))
            ids = [row.id for row in library.rows(library.view(one.id), 0, 1000)]
            times = []
            for item_id in ids:
                started = time.perf_counter()
                full = library.fetch_full_article(item_id).result()
                times.append(time.perf_counter() - started)
                assert full.ok, full.error
            every, _ = library.add_feed(server.url("/all.xml"))
            library.set_full_text(str(every.id), True)
            started = time.perf_counter()
            job = library.fetch_new_full_articles([every.id], newest=len(pages))
            report = job.result() if job else None
            whole = time.perf_counter() - started
        finally:
            library.close()
    done = report.fetched if report else 0
    print(f"5. full articles through the Library, {len(pages)} pages from a loopback server")
    print(
        "   one key press each (pool started for it): "
        f"median {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {pct(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )
    print(
        f"   the background fetch after a refresh (pool held): {done} articles in {whole:.2f} s, "
        f"{whole / max(1, done) * 1000:.0f} ms each"
    )


def key_repaint(count: int, presses: int) -> None:
    """Section 6: key to repaint while the article's images load, against images off."""
    print(f"6. key to repaint in the article pane, {count} images loading ({presses} presses)")
    for setting in ("auto", "off"):
        times, drawn = asyncio.run(_repaints(setting, count, presses))
        print(
            f"   images {setting:>4}: median {statistics.median(times):.1f} ms, "
            f"p95 {pct(times, 0.95):.1f} ms, max {max(times):.1f} ms; "
            f"{drawn} picture(s) drawn meanwhile"
        )


async def _repaints(setting: str, count: int, presses: int) -> tuple[list[float], int]:
    import tempfile

    from streamtui.core.config import Config
    from streamtui.core.library import Library
    from streamtui.core.models import SourceKind
    from streamtui.core.store import Store
    from streamtui.ui.app import StreamApp
    from streamtui.ui.widgets.article import ArticleView
    from tests.support.feedserver import FeedServer, Reply
    from tests.support.items import make_item
    from tests.support.store import merge_items

    picture = images_of("PNG", 640, 480)
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        server.route("/p.png", lambda request: Reply(200, [("Content-Type", "image/png")],
                                                     [0.05, picture]))  # fmt: skip
        words = "<p>" + "Words of the story between the pictures. " * 12 + "</p>"
        body = "".join(
            f'{words}<p><img src="{server.url(f"/p.png?n={n}")}" alt="picture {n}"></p>'
            for n in range(count)
        )
        store = Store.open(Path(folder) / "s.db")
        source = store.add_source("S", SourceKind.FEED, "https://example.org/feed.xml")
        merge_items(store, source.id, [make_item("i-1", "Pictures", body=body, html=True)])
        library = Library(store, bundled=Path(folder) / "none")
        app = StreamApp(library, sync_on_start=False, config=Config(images=setting))
        frames: list[float] = []
        display = app._display

        def stamped(*args: Any, **kwargs: Any) -> Any:
            frames.append(time.perf_counter())
            return display(*args, **kwargs)

        app._display = stamped  # type: ignore[method-assign]
        times: list[float] = []
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("enter")
                await pilot.pause(0.2)
                for n in range(presses):
                    key = "j" if (n // 20) % 2 == 0 else "k"
                    before = len(frames)
                    started = time.perf_counter()
                    await pilot.press(key)
                    while len(frames) == before and time.perf_counter() - started < 2:
                        await asyncio.sleep(0.0005)
                    if len(frames) > before:
                        times.append((frames[before] - started) * 1000)
                    await pilot.pause(0.02)
                pane = app.screen.query_one(ArticleView)
                drawn = sum(1 for rows in pane._pictures.values() if rows)
        finally:
            library.close()
        return times, drawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--textual-image", metavar="PYTHON", default="")
    parser.add_argument("--images", type=int, default=12, help="section 6: images in the article")
    parser.add_argument("--presses", type=int, default=120, help="section 6: key presses")
    parser.add_argument("--only-keys", action="store_true", help="section 6 alone")
    parser.add_argument("--only-kitty", action="store_true", help="section 3b alone")
    parser.add_argument("--smoke", action="store_true", help="3 pages in sections 1, 2 and 5")
    args = parser.parse_args()
    global PAGES, SMOKE
    if args.smoke:
        PAGES, SMOKE = 3, True
        os.environ["BENCH_READER_SMOKE"] = "1"  # section 2's child
    if args.only_keys:
        key_repaint(args.images, args.presses)
        return 0
    if args.only_kitty:
        kitty(args.repeat)
        return 0
    extraction(args.repeat)
    worker_memory()
    figures = images(args.repeat)
    kitty(args.repeat)
    full_articles(PAGES or 23)
    key_repaint(args.images, args.presses)
    if args.textual_image:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            textual_image(args.textual_image, figures, args.repeat, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
