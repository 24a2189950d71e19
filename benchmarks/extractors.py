"""Article extraction: trafilatura against readability-lxml, on pages built from the corpus.

Run, each extractor in a virtual environment of its own (pip 23.2 cannot install both into one):

    python3 -m venv /tmp/traf && /tmp/traf/bin/pip install -e . trafilatura==2.3.1 lxml_html_clean
    python3 -m venv /tmp/read && /tmp/read/bin/pip install -e . readability-lxml==0.9
    .venv/bin/python benchmarks/extractors.py --python /tmp/traf/bin/python \
        --python /tmp/read/bin/python [--repeat 5]

Each ``--python`` runs this script again (``--child``) with the extractor its environment has,
and the parent prints one table. The pages are ``tests/support/article_pages.py``'s: 23 items of
12 corpus feeds, each inside the chrome of one of five kinds of site, plus the hostile pages.

Per extractor:

- accuracy: token recall (how much of the article's text came back) and precision (how much of
  what came back is the article), mean and worst page, from the extraction's HTML turned into
  text by streamtui's own ``html_to_text``; pages where recall fell under 0.8; images, links,
  headings, lists, quotations, code blocks and tables kept (of those in the article);
- time per page: median and p95 over the pages, each page the median of ``--repeat`` runs,
  after a warm-up pass; the import time of the extractor (what a worker pays once);
- memory: peak resident memory (VmHWM) of the child after importing the extractor and after
  extracting every page, and after the hostile pages;
- hostile pages: what each returns and how long it takes (10,000 nested divs, a 12 MiB page);
- footprint: bytes on disk of the extractor's distributions and everything they require that
  streamtui itself does not (read from the environment's installed metadata).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

from tests.support.article_pages import (  # noqa: E402
    article_pages,
    latin1_page,
    nested_divs,
    score,
)

Extractor = Callable[[str, str], tuple[str, str]]
"""(page text, url) -> (title, article HTML)."""
TAGS = {
    "img": ("img",),
    "a": ("a",),
    "h": ("h2", "h3", "h4"),
    "list": ("ul", "ol"),
    "quote": ("blockquote",),
    "pre": ("pre",),
    "table": ("table",),
}


def _trafilatura() -> Extractor:
    import trafilatura

    def run(page: str, url: str) -> tuple[str, str]:
        document = trafilatura.bare_extraction(
            page,
            url=url,
            output_format="html",
            include_images=True,
            include_links=True,
            include_formatting=True,
            include_tables=True,
            include_comments=False,
            with_metadata=True,
        )
        if document is None:
            return "", ""
        from trafilatura.core import determine_returnstring  # type: ignore[import-not-found]
        from trafilatura.settings import Extractor as Options  # type: ignore[import-not-found]

        options = Options(
            output_format="html", images=True, links=True, formatting=True, tables=True
        )
        return str(document.title or ""), str(determine_returnstring(document, options) or "")

    return run


def _readability() -> Extractor:
    from readability import Document  # type: ignore[import-not-found]

    def run(page: str, url: str) -> tuple[str, str]:
        document = Document(page, url=url)
        return str(document.short_title()), str(document.summary(html_partial=True))

    return run


def _which() -> tuple[str, str, Extractor, float]:
    started = time.perf_counter()
    try:
        extractor = _trafilatura()
        import trafilatura

        name, version = "trafilatura", trafilatura.__version__
    except ImportError:
        extractor = _readability()
        from importlib.metadata import version as dist_version

        name, version = "readability-lxml", dist_version("readability-lxml")
    return name, version, extractor, time.perf_counter() - started


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _count(html: str, tags: tuple[str, ...]) -> int:
    import re

    return sum(len(re.findall(rf"<{tag}[\s>/]", html, re.I)) for tag in tags)


def child(repeat: int) -> dict[str, Any]:
    """Measure the extractor this interpreter has; the result as a JSON-ready dict."""
    from streamtui.core.text.htmltext import html_to_text

    base_mb = _vm_hwm_mb()
    name, version, extract, import_s = _which()
    after_import_mb = _vm_hwm_mb()
    pages = article_pages()
    texts = [(page, page.body.decode("utf-8")) for page in pages]
    for page, text in texts:  # warm-up
        extract(text, page.url)
    rows = []
    kept = dict.fromkeys(TAGS, 0)
    wanted = dict.fromkeys(TAGS, 0)
    for page, text in texts:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            title, html = extract(text, page.url)
            times.append(time.perf_counter() - started)
        got = score(page.article_text, html_to_text(html), page.title)
        for key, tags in TAGS.items():
            want = _count(page.article_html, tags)
            wanted[key] += want
            kept[key] += min(want, _count(html, tags))
        rows.append(
            {
                "page": page.name,
                "recall": got.recall,
                "precision": got.precision,
                "seconds": statistics.median(times),
                "title_ok": title.strip() == page.title.strip(),
            }
        )
    after_pages_mb = _vm_hwm_mb()
    hostile = []
    for label, body in (
        ("10,000 nested divs", nested_divs(10_000)),
        ("windows-1252 page", latin1_page()),
        ("12 MiB page", _huge()),
    ):
        started = time.perf_counter()
        try:
            title, html = extract(body.decode("utf-8", "replace"), "https://example.org/x")
            outcome = f"{len(html_to_text(html).split())} words"
        except Exception as error:
            outcome = f"raised {type(error).__name__}: {str(error)[:60]}"
        hostile.append(
            {"page": label, "seconds": time.perf_counter() - started, "outcome": outcome}
        )
    return {
        "name": name,
        "version": version,
        "import_s": import_s,
        "base_mb": base_mb,
        "after_import_mb": after_import_mb,
        "after_pages_mb": after_pages_mb,
        "after_hostile_mb": _vm_hwm_mb(),
        "rows": rows,
        "kept": kept,
        "wanted": wanted,
        "hostile": hostile,
        "footprint": footprint(name),
    }


def _huge() -> bytes:
    from tests.support.article_pages import huge_page

    return huge_page(12 * 1024 * 1024)


def footprint(name: str) -> dict[str, Any]:
    """Bytes of ``name``'s distribution and of every requirement streamtui does not need."""
    import re
    from importlib.metadata import PackageNotFoundError, distribution

    def key(text: str) -> str:
        return re.sub(r"[-_.]+", "-", text).lower()

    def closure(root: str) -> set[str]:
        seen: set[str] = set()
        todo = [root]
        while todo:
            current = key(todo.pop())
            if current in seen:
                continue
            try:
                dist = distribution(current)
            except PackageNotFoundError:
                continue
            seen.add(current)
            for requirement in dist.requires or []:
                if "extra ==" in requirement:
                    continue
                todo.append(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
        return seen

    ours = closure("streamtui") - {"streamtui"}
    theirs = closure(name) - ours
    if name == "trafilatura":
        theirs |= {"lxml-html-clean"} - ours
    total = 0
    for dist_name in sorted(theirs):
        dist = distribution(dist_name)
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
    return {"packages": sorted(theirs), "bytes": total}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(result: dict[str, Any]) -> None:
    rows = result["rows"]
    recall = [r["recall"] for r in rows]
    precision = [r["precision"] for r in rows]
    seconds = [r["seconds"] for r in rows]
    print(f"\n== {result['name']} {result['version']} ({len(rows)} pages)")
    print(
        f"  recall    mean {statistics.mean(recall):.3f}  median {statistics.median(recall):.3f}"
        f"  worst {min(recall):.3f}"
    )
    print(
        f"  precision mean {statistics.mean(precision):.3f}  median "
        f"{statistics.median(precision):.3f}  worst {min(precision):.3f}"
    )
    low = [f"{r['page']} ({r['recall']:.2f})" for r in rows if r["recall"] < 0.8]
    print(f"  pages with recall < 0.8: {len(low)} {', '.join(low)}")
    noisy = [f"{r['page']} ({r['precision']:.2f})" for r in rows if r["precision"] < 0.8]
    print(f"  pages with precision < 0.8: {len(noisy)} {', '.join(noisy)}")
    print(f"  titles exact: {sum(r['title_ok'] for r in rows)} of {len(rows)}")
    kept = ", ".join(
        f"{k} {result['kept'][k]}/{result['wanted'][k]}" for k in TAGS if result["wanted"][k]
    )
    print(f"  elements kept: {kept}")
    print(
        f"  time per page: median {statistics.median(seconds) * 1000:.1f} ms, p95 "
        f"{_pct(seconds, 0.95) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms; import "
        f"{result['import_s'] * 1000:.0f} ms"
    )
    print(
        f"  peak memory (VmHWM): start {result['base_mb']:.0f} MB, after import "
        f"{result['after_import_mb']:.0f} MB, after the pages {result['after_pages_mb']:.0f} MB, "
        f"after the hostile pages {result['after_hostile_mb']:.0f} MB"
    )
    for row in result["hostile"]:
        print(f"  {row['page']}: {row['seconds'] * 1000:.0f} ms, {row['outcome']}")
    foot = result["footprint"]
    print(
        f"  footprint beyond streamtui's own dependencies: {foot['bytes'] / 1e6:.1f} MB "
        f"({', '.join(foot['packages'])})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--python", action="append", default=[], help="an interpreter to run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.repeat)))
        return 0
    if not article_pages():
        print("the shared corpus is missing (../shared/corpus): no pages to measure")
        return 1
    for python in args.python or [sys.executable]:
        done = subprocess.run(
            [python, __file__, "--child", "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            check=False,
        )
        if done.returncode != 0:
            print(f"{python}: failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        report(json.loads(done.stdout.strip().splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
