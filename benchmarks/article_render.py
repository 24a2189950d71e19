"""Feed HTML in the article pane: our renderer against HTML -> Markdown -> Textual Markdown.

Run: .venv/bin/python benchmarks/article_render.py [--repeat 5] [--top 4] [--synthetic-kb 1024]
     [--markdown-limit 120] [--no-markdown] [--only NAME]

Takes the largest HTML item bodies of the shared corpus (parsed with the app's own
``parse_feed``) and a synthetic body of about 1 MB, and times, headless in ``App.run_test``:

- ours: ``htmlrender.render_html`` + the ``ArticleView`` layout, from ``show()`` to the first
  paint of the text (a large body is parsed in a worker thread, as in the app);
- markdown: ``markdownify`` (HTML -> Markdown) feeding Textual's ``Markdown`` widget, from the
  conversion to the first paint. markdownify is not a dependency of streamtui; install it
  into the venv for this script only (``.venv/bin/pip install markdownify``). Without it the
  column is skipped.

Each figure is the median of ``--repeat`` runs with min and max. "stall" is the longest time the
event loop did not answer (a 5 ms ticker) while the article was being prepared: what a user
pressing a key at that moment would wait. A markdown run longer than ``--markdown-limit``
seconds is abandoned ("gave up") and not repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from streamtui.core.models import Article, Row
from streamtui.core.parse.feed import parse_feed
from streamtui.core.text.render import render_html
from streamtui.ui.widgets.article import ArticleView

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
SIZE = (100, 40)

try:
    from markdownify import markdownify  # type: ignore[import-not-found, import-untyped]
except ImportError:  # pragma: no cover - optional
    markdownify = None


@dataclass(frozen=True)
class Sample:
    name: str
    html: str
    base: str


def corpus_samples(top: int) -> list[Sample]:
    """The ``top`` largest HTML bodies in the corpus, one per feed at most."""
    found: list[Sample] = []
    now = datetime.now(UTC)
    for path in sorted(CORPUS.iterdir()):
        try:
            feed = parse_feed(path.read_bytes(), source_key=path.name, url="", seen_at=now)
        except Exception:  # the corpus holds broken feeds on purpose
            continue
        bodies = [item for item in feed.items if item.html]
        if bodies:
            item = max(bodies, key=lambda item: len(item.body))
            found.append(Sample(path.name, item.body, item.link))
    return sorted(found, key=lambda sample: -len(sample.html))[:top]


def synthetic(kilobytes: int) -> Sample:
    """A long article of the usual parts: headings, paragraphs with links and emphasis,
    nested lists, quotes, code and a table, repeated to the size asked for."""
    section = (
        "<h2>Section {n}</h2>"
        "<p>Paragraph {n} has <b>bold</b>, <i>italic</i> and <code>code</code> words, and "
        '<a href="/post/{n}">a relative link</a> among enough ordinary words to need wrapping '
        "in a pane of ordinary width, as long articles have them.</p>"
        "<ul><li>First point of {n}</li><li>Second point, with a nested list"
        "<ol><li>one</li><li>two</li></ol></li></ul>"
        "<blockquote><p>A quotation inside section {n}, also long enough to wrap.</p>"
        "</blockquote>"
        "<pre><code>def section_{n}(value):\n    return value * {n}  # unwrapped\n</code></pre>"
        "<table><tr><th>key</th><th>value</th></tr><tr><td>{n}</td><td>{n}</td></tr></table>"
        '<p><img src="/img/{n}.png" alt="figure {n}"></p>'
    )
    parts, size, n = [], 0, 0
    while size < kilobytes * 1024:
        part = section.format(n=n)
        parts.append(part)
        size += len(part)
        n += 1
    return Sample(f"synthetic {kilobytes} KB", "".join(parts), "https://example.org/")


def article(sample: Sample, number: int) -> Article:
    row = Row(
        id=f"bench-{number}",
        source_id=1,
        title=sample.name,
        published=datetime(2026, 1, 1, tzinfo=UTC),
        teaser=False,
        truncated=False,
        read=False,
        starred=False,
    )
    return Article(
        row=row, source_name="bench", summary="", body=sample.html, link=sample.base,
        path="", encoding="utf-8", html=True, base=sample.base,
    )  # fmt: skip


class OursApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ArticleView(id="article")


class MarkdownApp(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown()


async def timed(
    app: App[None], action: Callable[[], Awaitable[Any]], limit: float | None = None
) -> tuple[float, float]:
    """Seconds from the action to the first paint after it, and the longest loop stall.
    A run longer than ``limit`` seconds is abandoned and reported as ``inf``."""
    stall = 0.0
    running = True

    async def ticker() -> None:
        nonlocal stall
        while running:
            tick = time.perf_counter()
            await asyncio.sleep(0.005)
            stall = max(stall, time.perf_counter() - tick - 0.005)

    gc.collect()  # the garbage of earlier runs (a Markdown widget leaves much) is not ours
    task = asyncio.create_task(ticker())
    began = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        began = time.perf_counter()
        stall = 0.0

        async def until_painted() -> None:
            await action()
            await app.workers.wait_for_complete()
            await pilot.pause()

        try:
            await asyncio.wait_for(until_painted(), limit)
            took = time.perf_counter() - began
        except TimeoutError:
            took = math.inf
    running = False
    await task
    return took, stall


async def ours(sample: Sample, number: int) -> tuple[float, float]:
    app = OursApp()

    async def show() -> None:
        app.query_one(ArticleView).show(article(sample, number))

    return await timed(app, show)


async def markdown(sample: Sample, limit: float) -> tuple[float, float]:
    app = MarkdownApp()

    async def show() -> None:
        assert markdownify is not None
        text = markdownify(sample.html)
        await app.query_one(Markdown).update(text)

    return await timed(app, show, limit)


def parse_only(sample: Sample) -> float:
    tick = time.perf_counter()
    render_html(sample.html, sample.base)
    return time.perf_counter() - tick


def convert_only(sample: Sample) -> float:
    assert markdownify is not None
    tick = time.perf_counter()
    markdownify(sample.html)
    return time.perf_counter() - tick


def cell(values: list[float]) -> str:
    if math.inf in values:
        return "gave up"
    ms = sorted(v * 1000 for v in values)
    return f"{statistics.median(ms):7.0f} ({ms[0]:.0f}-{ms[-1]:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=4)
    parser.add_argument("--synthetic-kb", type=int, default=1024)
    parser.add_argument("--only", default="", help="only the articles whose name has this")
    parser.add_argument("--no-markdown", action="store_true", help="skip the markdown columns")
    parser.add_argument(
        "--markdown-limit", type=float, default=120, help="seconds before a markdown run is dropped"
    )
    args = parser.parse_args()
    samples = [*corpus_samples(args.top), synthetic(args.synthetic_kb)]
    samples = [sample for sample in samples if args.only in sample.name]
    if args.no_markdown:
        global markdownify
        markdownify = None
    if markdownify is None:
        print("markdownify is not installed: the markdown columns are skipped.")
        print("Install it for this benchmark only: .venv/bin/pip install markdownify\n")
    header = (
        f"{'article':<34} {'KB':>6} | {'parse':>16} {'ours: paint':>16} {'stall':>6} | "
        f"{'markdownify':>16} {'md widget: paint':>16} {'stall':>6}"
    )
    print("times in ms: median (min-max)")
    print(header)
    print("-" * len(header))
    for number, sample in enumerate(samples):
        parses, paints, stalls = [], [], []
        converts, md_paints, md_stalls = [], [], []
        for _ in range(args.repeat):
            parses.append(parse_only(sample))
            paint, stall = asyncio.run(ours(sample, number))
            paints.append(paint)
            stalls.append(stall)
            if markdownify is not None and math.inf not in md_paints:
                converts.append(convert_only(sample))
                paint, stall = asyncio.run(markdown(sample, args.markdown_limit))
                md_paints.append(paint)
                md_stalls.append(stall)
        line = (
            f"{sample.name[:34]:<34} {len(sample.html) / 1024:6.0f} | {cell(parses):>16} "
            f"{cell(paints):>16} {max(stalls) * 1000:6.0f} | "
        )
        if markdownify is not None:
            line += f"{cell(converts):>16} {cell(md_paints):>16} {max(md_stalls) * 1000:6.0f}"
        else:
            line += f"{'-':>16} {'-':>16} {'-':>6}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
