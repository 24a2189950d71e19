"""Reliability rows for issue 16: hostile pages through extraction, hostile images through decode.

Run: .venv/bin/python benchmarks/reader_cases.py [--quick]
(``rows(quick)`` is the ``"reader"`` part of reliability.py.)

- pages: the hostile pages of ``tests/support/article_pages.py`` (empty, PDF, PNG, JSON, a
  paywall stub, a home page, a 16 MiB blob, a 12 MiB page, 10,000 nested divs) and byte
  mutations of the corpus article pages, each through ``extract_page`` in a worker process
  limited to 1 GiB (as the parser's). Survived: an Extracted or a one-line Refused within
  30 s. A crash: an exception, a dead worker, a timeout. An escape: an ESC or BEL left in the
  title or in the document ``render_html`` makes of the article.
- served: the same pages served by a loopback server as items' web pages, each through
  ``Library.fetch_full_article`` (the fetch limits, extraction in the parser's workers, the
  store); an escape is a control character in the article as ``show`` renders it.
- images: decompression bombs, declared sizes over the cap, HTML, EPS, truncated and
  byte-mutated PNG, JPEG and GIF files through ``decode_image`` in the same kind of worker.
  Survived: a Picture that fits the area or a one-line Unreadable.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import random
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from benchmarks._reliability import Row, report
from tests.support.article_pages import article_pages as corpus_article_pages
from tests.support.article_pages import hostile_pages, nested_divs

DEADLINE = 30.0
MEMORY_MB = 1024
AREA = (80, 48)


def _limit(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def check_page(body: bytes) -> str:
    """ "" when the page came out right; else "escape: ..." or a reason for a crash."""
    from streamtui.core.reader.extract import Extracted, Refused, extract_page
    from streamtui.core.text.render import render_html

    result = extract_page(body, "https://example.org/page", "text/html")
    if isinstance(result, Refused):
        return "" if "\n" not in result.reason else "crash: a reason of several lines"
    assert isinstance(result, Extracted)
    texts = [result.title, *(block.text for block in render_html(result.html, result.url).blocks)]
    if any("\x1b" in text or "\x07" in text for text in texts):
        return "escape: a control character reached the document"
    return ""


def check_image(data: bytes) -> str:
    from streamtui.ui.images.decode import Picture, Unreadable, decode_image

    result = decode_image(data, *AREA)
    if isinstance(result, Unreadable):
        return "" if "\n" not in result.reason else "crash: a reason of several lines"
    assert isinstance(result, Picture)
    fits = result.width <= AREA[0] and result.height <= AREA[1]
    whole = len(result.rgb) == result.width * result.height * 3
    return "" if fits and whole else "crash: a picture larger than its area"


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        kind = rng.random()
        at = rng.randrange(len(data)) if data else 0
        if kind < 0.4 and data:
            data[at] = rng.randrange(256)
        elif kind < 0.6:
            data[at:at] = rng.choice([b"<div>", b"</", b"\x1b]52;c;AAAA\x07", b"&#27;", b"\x00"])
        elif kind < 0.8 and data:
            del data[at : at + rng.randint(1, 200)]
        else:
            data[at:at] = data[at : at + rng.randint(1, 2000)]
    return bytes(data)


@functools.cache
def article_pages() -> list[Any]:
    """The corpus's article pages, made once (about 2 s): two cases use them."""
    return corpus_article_pages()


def page_inputs(quick: bool) -> list[bytes]:
    rng = random.Random(16)
    inputs = [page.body for page in hostile_pages()] + [nested_divs(10_000)]
    articles = article_pages()
    escape = b"<p>Title \x1b]52;c;QUJD\x07 and &#27;[31m red &#7; bell, a paragraph of words.</p>"
    if articles:
        inputs.append(articles[0].body.replace(b"</h1>", escape + b"</h1>", 1))
        count = 40 if quick else 400
        inputs += [mutate(rng.choice(articles).body, rng) for _ in range(count)]
    return inputs


def image_inputs(quick: bool) -> list[bytes]:
    from PIL import Image

    from tests.support.images import bomb, png_declaring

    rng = random.Random(17)
    samples = []
    for kind in ("PNG", "JPEG", "GIF"):
        out = io.BytesIO()
        Image.new("RGB", (300, 200), (rng.randrange(256), 80, 120)).save(out, kind)
        samples.append(out.getvalue())
    inputs = [
        bomb(12_000),
        bomb(5_000),
        png_declaring(6000, 4001),
        png_declaring(2**31 - 1, 2**31 - 1),
        png_declaring(0, 10),
        b"<!DOCTYPE html><html><body>Not an image</body></html>",
        b"%!PS-Adobe-3.0 EPSF-3.0\n",
        b"",
    ]
    inputs += [sample[: len(sample) // 2] for sample in samples]
    count = 60 if quick else 600
    inputs += [mutate(rng.choice(samples), rng) for _ in range(count)]
    return inputs


def run(case: str, check: Callable[[bytes], str], inputs: Iterable[bytes]) -> Row:
    from pebble import ProcessExpired

    started = time.monotonic()
    tried = survived = crashes = escapes = 0
    notes: list[str] = []
    pool = _pool()
    try:
        for data in inputs:
            tried += 1
            future = pool.schedule(check, args=(data,), timeout=DEADLINE)
            try:
                outcome = future.result()
            except FutureTimeout:  # pebble stopped the worker; the pool starts another
                outcome = "crash: over the deadline"
            except ProcessExpired as error:
                outcome = f"crash: the worker died ({error.exitcode})"
            except Exception as error:  # a check that raised, or a broken pool
                outcome = f"crash: {type(error).__name__}"
                pool.stop()
                pool = _pool()
            if not outcome:
                survived += 1
            elif outcome.startswith("escape"):
                escapes += 1
            else:
                crashes += 1
            if outcome and len(notes) < 2:
                notes.append(outcome)
    finally:
        pool.stop()
        pool.join()
    note = "; ".join(notes) or "each a result or a one-line reason"
    return Row(case, tried, survived, crashes, escapes, 0, time.monotonic() - started, note)


def _pool() -> Any:
    import multiprocessing

    from pebble import ProcessPool

    return ProcessPool(
        1,
        context=multiprocessing.get_context("forkserver"),
        initializer=_limit,
        initargs=(MEMORY_MB,),
    )


def served(quick: bool) -> Row:
    """The hostile pages (and mutated article pages) served by a loopback server as items'
    web pages, each through Library.fetch_full_article: fetch with the feed limits, extraction
    in the parser's workers, the store. Survived: an article or a one-line reason within the
    fetch and parse limits; an escape: a control character in what the stored article
    renders to."""
    import html
    import tempfile

    from streamtui.core.fetch import Limits
    from streamtui.core.library import Library
    from streamtui.core.reader.sheet import article_sheet
    from streamtui.core.store import Store
    from tests.support.feedserver import FeedServer, Reply, feed

    bodies = page_inputs(quick)[: 20 if quick else None]
    started = time.monotonic()
    tried = survived = crashes = escapes = 0
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        for n, body in enumerate(bodies):
            server.route(f"/p{n}", lambda r, b=body: Reply(200, [("Content-Type", "text/html")], b))
        items = "".join(
            f"<item><title>t{n}</title><guid>g{n}</guid>"
            f"<link>{html.escape(server.url(f'/p{n}'))}</link></item>"
            for n in range(len(bodies))
        )
        head = '<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>'
        server.route("/feed.xml", feed(f"{head}{items}</channel></rss>"))
        library = Library(Store.open(Path(folder) / "s.db"))
        library.page_limits = Limits(connect=5, read=10, total=20)
        try:
            source, _ = library.add_feed(server.url("/feed.xml"))
            for row in library.rows(library.view(source.id), 0, 100_000):
                tried += 1
                outcome = ""
                try:
                    full = library.fetch_full_article(row.id).result(timeout=DEADLINE + 30)
                    if not full.ok and "\n" in full.error:
                        outcome = "crash: a reason of several lines"
                    elif full.ok:
                        sheet = article_sheet(library.article(row.id), full)
                        texts = [
                            sheet.title,
                            sheet.notice,
                            *(b.text for b in sheet.document.blocks),
                        ]
                        if any("\x1b" in text or "\x07" in text for text in texts):
                            outcome = "escape: a control character reached the document"
                except Exception as error:  # a future that raised or ran out of time
                    outcome = f"crash: {type(error).__name__}"
                if not outcome:
                    survived += 1
                elif outcome.startswith("escape"):
                    escapes += 1
                else:
                    crashes += 1
                if outcome and len(notes) < 2:
                    notes.append(outcome)
        finally:
            library.close()
    note = "; ".join(notes) or "each an article or a one-line reason"
    seconds = time.monotonic() - started
    return Row("hostile pages served to the Library's full article (issue 16)", tried, survived,
               crashes, escapes, 0, seconds, note)  # fmt: skip


def rows(quick: bool) -> list[Row]:
    return [
        run("hostile and mutated pages through extraction (issue 16)", check_page,
            page_inputs(quick)),
        run("bombs, lies and mutated images through decode (issue 16)", check_image,
            image_inputs(quick)),
        served(quick),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return report(rows(args.quick))


if __name__ == "__main__":
    sys.exit(main())
