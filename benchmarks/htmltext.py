"""HTML to text: the stdlib path (``htmltext.html_to_text``) against the Lexbor one
(``htmlfast.fast_html_to_text``) and selectolax's own ``text()`` for scale.

Run: .venv/bin/python benchmarks/htmltext.py [--repeat 5] [--generated 2000] [--quick]

Bodies: every HTML summary and content of the corpus feeds (``../shared/corpus/feeds``, read
with feedparser), of feedparser's own test suite (``../shared/corpus/feedparser-tests``) and
``--generated`` bodies like a refresh benchmark's (three paragraphs, about 1 KB). Prints, per
set: bodies, µs per body for each converter (median of ``--repeat`` runs), the ratio, and how
many bodies the two paths turn into different text (the first few are printed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._bench import machine, stories  # noqa: E402
from streamtui.core.text.htmlfast import fast_html_to_text  # noqa: E402
from streamtui.core.text.htmltext import html_to_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
HTML_TYPES = {"text/html", "application/xhtml+xml"}


def feed_bodies(folder: Path, limit: int | None = None) -> list[str]:
    """The HTML summaries and contents of every feed in ``folder`` (feedparser's view)."""
    import feedparser  # type: ignore[import-untyped]

    bodies: list[str] = []
    files = sorted(p for p in folder.rglob("*") if p.is_file())[:limit]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            parsed = feedparser.parse(path.read_bytes(), sanitize_html=False)
            for entry in parsed.entries:
                bodies.extend(_html_values(entry))
    return bodies


def _html_values(entry: dict[str, object]) -> Iterator[str]:
    details = [entry.get("summary_detail"), *(entry.get("content") or [])]  # type: ignore[misc]
    for detail in details:
        if isinstance(detail, dict) and detail.get("type") in HTML_TYPES:
            value = detail.get("value")
            if isinstance(value, str) and value:
                yield value


def generated_bodies(count: int) -> list[str]:
    per_feed = 100
    return [s.html for f in range(-(-count // per_feed)) for s in stories(f, per_feed)][:count]


def per_body_us(convert: Callable[[str], object], bodies: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for body in bodies:
            convert(body)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) / max(1, len(bodies)) * 1e6


def lexbor_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(html).text()


def report(name: str, bodies: list[str], repeat: int, show: int) -> None:
    if not bodies:
        print(f"{name}: no bodies (folder absent?)")
        return
    slow = per_body_us(html_to_text, bodies, repeat)
    fast = per_body_us(fast_html_to_text, bodies, repeat)
    raw = per_body_us(lexbor_text, bodies, repeat)
    differ = [b for b in bodies if html_to_text(b) != fast_html_to_text(b)]
    size = statistics.mean(len(b) for b in bodies)
    print(
        f"{name}: {len(bodies)} bodies (mean {size:,.0f} chars): stdlib {slow:.1f} µs, "
        f"Lexbor path {fast:.1f} µs ({slow / fast:.1f}x faster), selectolax text() alone "
        f"{raw:.1f} µs; text differs on {len(differ)}"
    )
    for body in differ[:show]:
        print(f"  body {body[:120]!r}\n    stdlib {html_to_text(body)[:160]!r}")
        print(f"    Lexbor {fast_html_to_text(body)[:160]!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generated", type=int, default=2000)
    parser.add_argument("--show", type=int, default=3, help="differing bodies printed per set")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few bodies, 1 run")
    args = parser.parse_args(argv)
    repeat, limit = (1, 3) if args.quick else (args.repeat, None)
    print(machine())
    report("generated", generated_bodies(50 if args.quick else args.generated), repeat, args.show)
    for folder in ("feeds", "feedparser-tests"):
        path = CORPUS / folder
        bodies = feed_bodies(path, limit) if path.is_dir() else []
        report(f"corpus/{folder}", bodies, repeat, args.show)


if __name__ == "__main__":
    main()
