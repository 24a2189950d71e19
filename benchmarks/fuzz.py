"""Mutation fuzzing of the feed pipeline: corpus feeds, mutated, parsed and stored as a refresh
does, and what the store then holds checked for terminal controls.

Run: .venv/bin/python benchmarks/fuzz.py [--count 100000] [--seed 1] [--quick] [--workers N]

Each input is a seed document (the feeds of ``../shared/corpus``, or without it the small
documents below) changed by one family of mutation, then by up to two more of any family:

* flips: bytes flipped, set to 0x00/0xff/ESC, or deleted;
* truncation: the document cut anywhere;
* splices: the head of one seed and the tail of another, or a region repeated;
* hostile fragments inserted anywhere: entity declarations and DOCTYPEs (billion laughs,
  external entities), character references to surrogates and controls, C0/C1 bytes, escape
  sequences, bidi controls, a 200 KB attribute, nested CDATA, BOMs and encoding declarations
  that lie (UTF-16, UTF-7, EBCDIC, punycode), ``</width>`` and the other tiny feedparser
  crashers, unclosed comments, JSON Feed pieces.

Input ``n`` of seed ``s`` is the same on every run (its generator is seeded with "s:n"). Each
goes through ``FeedParser.parse`` (the worker pool with its time and memory limits, as a
refresh calls it; ``--workers`` processes, all cores by default), and then into a Store in a
temporary folder as a refresh stores it: items, feed title as the source's name, warning and
site link, or the failure's reason as the source's error. Then every stored string of that
source is read back from SQLite (item titles, summaries, bodies, links, enclosures, the
source's name, error, warning and site link) and checked: no C0 control (newline and tab are
allowed in bodies only), DEL, C1 control, ESC or bidi control.

A crash is anything but a SourceError out of the parse, or any error storing; an escape is a
stored string with a control in it. Each failing input is saved (its bytes and what went wrong)
in a folder whose path is printed. Timeouts and worker deaths are clear per-source errors (the
defence working), counted in the note and saved too, since they mean a slow input.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _reliability import Row, report

from streamtui.core.errors import SourceError
from streamtui.core.models import ParsedFeed, SourceChange, SourceKind, Update
from streamtui.core.parse.pool import FeedParser
from streamtui.core.store import Store
from streamtui.core.text.sanitize import sanitize

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FULL = 100_000
QUICK = 1_000
SEEN = datetime(2026, 3, 1, tzinfo=UTC)
URL = "https://fuzz.example/feed.xml"

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")
"""What no stored string may hold (bodies may hold newline and tab; nothing else may)."""
LINE_BREAKS = re.compile("[\n\t]")

# -- seeds -------------------------------------------------------------------------------------

FIXTURES: dict[str, bytes] = {
    "rss2": b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Example &amp; Co</title><link>https://example.com/</link>
<item><title>First &#8217;post&#8217;</title><link>https://example.com/1</link>
<guid isPermaLink="false">tag:example.com,2026:1</guid>
<pubDate>Sun, 01 Mar 2026 08:30:00 +0100</pubDate>
<description><![CDATA[<p>Hello <b>world</b></p><script>alert(1)</script>]]></description>
<content:encoded><![CDATA[<p>Full <em>text</em> here.</p>]]></content:encoded>
<enclosure url="https://cdn.example/ep1.mp3" type="audio/mpeg" length="1000"/></item>
<item><title>Second</title><link>/posts/2</link>
<description>Plain &lt;i&gt;x&lt;/i&gt;</description></item></channel></rss>""",
    "atom": b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
<title type="html">Atom &lt;b&gt;Blog&lt;/b&gt;</title><link href="https://atom.example/"/>
<id>urn:feed</id><updated>2026-02-02T00:00:00Z</updated>
<entry><title type="html">Entry &lt;em&gt;one&lt;/em&gt;</title><id>urn:1</id>
<link href="entries/1"/><updated>2026-02-02T00:00:00Z</updated><summary>Short</summary>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Body</p></div></content>
<link rel="enclosure" href="media/ep1.mp3" type="audio/mpeg" length="123"/></entry></feed>""",
    "rss1": b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>RDF</title><link>https://example.org/</link>
</channel><item rdf:about="https://example.org/a"><title>A</title>
<link>https://example.org/a</link><description>About A</description>
<dc:date>2026-02-01T10:00:00+02:00</dc:date></item></rdf:RDF>""",
    "json": b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
"home_page_url": "https://example.com/", "items": [{"id": "a", "url": "/posts/a",
"title": "Post &#8211; A", "content_html": "<p>Hello <b>there</b></p>", "summary": "S",
"date_published": "2026-02-01T10:00:00+02:00",
"attachments": [{"url": "a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 42}]},
{"id": 17, "content_text": "Just text\\nin two lines"}]}""",
}


SEED_BYTES = 64 * 1024
"""Seeds are cut to this (the largest corpus feed is 1.1 MB, the median 0.8 KB): the few large
ones would otherwise take most of the run's time (53 inputs/s uncut, on 2 busy cores)."""


def corpus_seeds(folder: Path = CORPUS) -> dict[str, bytes]:
    """The corpus's feed files (name -> their first SEED_BYTES); empty without the corpus."""
    found: dict[str, bytes] = {}
    for sub in ("feeds", "synthetic"):
        if (folder / sub).is_dir():
            for path in sorted((folder / sub).iterdir()):
                if path.is_file():
                    found[f"{sub}/{path.name}"] = path.read_bytes()[:SEED_BYTES]
    return found


# -- mutations ---------------------------------------------------------------------------------

LAUGHS = "".join(
    f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 9)
)  # l8: 10^8 copies of l0
FRAGMENTS: tuple[bytes, ...] = (
    b'<!DOCTYPE rss [<!ENTITY l0 "lol">' + LAUGHS.encode() + b"]>",
    b"&l8;&l8;&l8;",
    b'<!ENTITY big "' + b"A" * 60_000 + b'">',
    b"&big;" * 200,
    b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE rss [<!ENTITY web SYSTEM "http://127.0.0.1:1/x"><!ENTITY % p SYSTEM '
    b'"http://127.0.0.1:1/d"> %p;]>',
    b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:1/external.dtd">',
    b"&xxe;&web;",
    b"<!ENTITY",
    b"<!DOCTYPE",
    b"<!DOCTYPE x [",
    b"&#xD800;",
    b"&#xDFFF;&#xD83D;",
    b"&#0;&#1;&#x1b;&#27;&#x9b;&#155;&#x85;&#x202e;&#8238;&#x110000;&#99999999999;",
    b"&#x1b;]52;c;SGVsbG8=&#7;",
    bytes(range(0, 32)),
    b"\x7f\x80\x85\x9b\x9d\x9f",
    b"\xc2\x9b31m\xc2\x9d0;x\x07\xc2\x85",
    "\u202eevil\u202c\u2066iso\u2069\u061c".encode(),
    b"\x1b]52;c;SGVsbG8=\x07",
    b"\x1b]0;owned\x1b\\",
    b"\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    b"\x1b[2J\x1b[H\x1b[6n\x1bc\x1bP+q544e\x1b\\",
    b"&amp;#27;[2J",
    b'<a href="' + b"x" * 200_000 + b'">',
    b'<title x="' + b"\x1b" * 1000 + b'">',
    b"<![CDATA[<![CDATA[x]]>]]>",
    b"<![CDATA[" * 50,
    b"]]>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="utf-32"?>',
    b'<?xml version="1.0" encoding="utf-7"?>+ABs-]52;c;eA==+AAc-',
    b'<?xml version="1.0" encoding="ebcdic-cp-us"?>',
    b'<?xml version="1.0" encoding="punycode"?>',
    b'<?xml version="1.0" encoding="x-no-such-charset"?>',
    b'<?xml version="1.0" encoding="iso-8859-1"?>\xe9\xff',
    b"</width>",
    b"<>&#xD800;",
    b"<rss>&#xD800;</rss>",
    b"<!--",
    b"<?",
    b"<script>alert(1)</script>",
    b'<link href="javascript:alert(1)"/>',
    b'<enclosure url="file:///etc/passwd" length="99999999999999999999999"/>',
    b"<item><title>x</title></item>" * 50,
    b"<entry><title>x</title></entry>",
    b"<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>",
    b"<pubDate>\x00\xff garbage 99:99</pubDate>",
    b'{"version": "https://jsonfeed.org/version/1", "items": [',
    b'"title": "\\u001b]52;c;eA==\\u0007\\ud800"',
    b"\\u202e",
    b"<" * 500,
    b"&" * 500,
)


def _flips(rng: random.Random, data: bytes, _seeds: Sequence[bytes]) -> bytes:
    buffer = bytearray(data or b" ")
    for _ in range(rng.randint(1, 16)):
        at = rng.randrange(len(buffer))
        choice = rng.random()
        if choice < 0.5:
            buffer[at] ^= 1 << rng.randrange(8)
        elif choice < 0.8:
            buffer[at] = rng.choice((0x00, 0xFF, 0x1B, 0x3C, 0x26, 0x9B, 0x0C))
        elif len(buffer) > 1:
            del buffer[at]
    return bytes(buffer)


def _truncation(rng: random.Random, data: bytes, _seeds: Sequence[bytes]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _splice(rng: random.Random, data: bytes, seeds: Sequence[bytes]) -> bytes:
    if rng.random() < 0.7:
        other = rng.choice(seeds)
        return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]
    start = rng.randrange(len(data) + 1)
    end = min(len(data), start + rng.randint(1, 4096))
    return data[:start] + data[start:end] * rng.randint(2, 50) + data[end:]


def _hostile(rng: random.Random, data: bytes, _seeds: Sequence[bytes]) -> bytes:
    for _ in range(rng.randint(1, 3)):
        fragment = rng.choice(FRAGMENTS)
        # At the start (where declarations and BOMs act), inside a tag, or anywhere.
        where = rng.random()
        if where < 0.25:
            at = 0
        elif where < 0.6 and b"<" in data:
            starts = [m.start() for m in re.finditer(rb"<[a-zA-Z]", data[:200_000])] or [0]
            at = rng.choice(starts) + rng.randint(0, 12)
        else:
            at = rng.randrange(len(data) + 1)
        data = data[:at] + fragment + data[at:]
    return data


MUTATIONS: dict[str, Callable[[random.Random, bytes, Sequence[bytes]], bytes]] = {
    "byte flips": _flips,
    "truncation": _truncation,
    "splices": _splice,
    "hostile fragments": _hostile,
}


def mutate(seed: int, index: int, seeds: Sequence[bytes]) -> tuple[str, bytes]:
    """Input ``index`` of run ``seed``: its family and its bytes (the same on every run)."""
    rng = random.Random(f"{seed}:{index}")
    family = list(MUTATIONS)[index % len(MUTATIONS)]
    data = MUTATIONS[family](rng, rng.choice(seeds), seeds)
    for _ in range(rng.choice((0, 0, 1, 2))):
        data = rng.choice(list(MUTATIONS.values()))(rng, data, seeds)
    return family, data


# -- one input through the pipeline -----------------------------------------------------------


@dataclass
class Outcome:
    family: str
    loaded: bool = False
    crash: str = ""
    escapes: list[str] = field(default_factory=list)
    slow: str = ""
    """A timeout or a dead worker: a clear error, but a slow input."""


class Pipeline:
    """Parse (the pool) and store (a Store in ``folder``), then read back what was stored."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.parser = FeedParser(workers=workers)
        self.store = Store.open(folder / "fuzz.db")
        self.reader = sqlite3.connect(folder / "fuzz.db", check_same_thread=False)
        self._reading = threading.Lock()
        self._names = 0
        self._naming = threading.Lock()

    def close(self) -> None:
        self.parser.close()
        self.reader.close()
        self.store.close()

    def run(self, family: str, data: bytes) -> Outcome:
        outcome = Outcome(family)
        with self._naming:
            self._names += 1
            number = self._names
        try:
            source = self.store.add_source(
                f"fuzz {number}", SourceKind.FEED, f"{URL}?{number}", key=f"k{number}"
            )
        except Exception as error:
            outcome.crash = f"adding the source: {error!r}"
            return outcome
        try:
            self._load(source.id, data, outcome)
            if not outcome.crash:
                outcome.escapes = self._stored_controls(source.id)
        finally:
            self.store.remove_source(source.id)
        return outcome

    def _load(self, source_id: int, data: bytes, outcome: Outcome) -> None:
        try:
            feed: ParsedFeed = self.parser.parse(
                data, source_key=f"k{source_id}", url=URL, seen_at=SEEN
            )
        except SourceError as error:
            if "took longer" in error.reason or "parser process stopped" in error.reason:
                outcome.slow = error.reason
            try:  # as a refresh keeps a failure (refresh/decide.py)
                self.store.change_source(source_id, SourceChange(last_error=sanitize(error.reason)))
            except Exception as failure:
                outcome.crash = f"storing the error: {failure!r}"
            return
        except Exception as error:
            outcome.crash = f"parse: {error!r}"
            return
        name = f"{feed.title} ({source_id})" if feed.title else f"untitled {source_id}"
        change = SourceChange(warning=feed.warning, site_url=feed.link, last_error="")
        try:  # as a refresh stores it (the feed's title names the source)
            (stored,) = self.store.apply(
                [Update(source_id, change, feed.items, whole=True, rename=lambda _: name)]
            )
            if isinstance(stored, Exception):
                raise stored
            outcome.loaded = True
        except Exception as error:
            outcome.crash = f"store: {error!r}"

    def _stored_controls(self, source_id: int) -> list[str]:
        queries = {
            "item title": "SELECT title FROM items WHERE source_id = ?",
            "summary": "SELECT b.summary FROM bodies b JOIN items i ON i.id = b.item_id "
            "WHERE i.source_id = ?",
            "body": "SELECT b.body FROM bodies b JOIN items i ON i.id = b.item_id "
            "WHERE i.source_id = ?",
            "link": "SELECT b.link FROM bodies b JOIN items i ON i.id = b.item_id "
            "WHERE i.source_id = ?",
            "enclosure": "SELECT e.url || ' ' || e.type FROM enclosures e JOIN items i "
            "ON i.id = e.item_id WHERE i.source_id = ?",
            "source": "SELECT name || ' ' || last_error || ' ' || warning || ' ' || site_url "
            "FROM sources WHERE id = ?",
        }
        found = []
        with self._reading:
            for name, sql in queries.items():
                for (value,) in self.reader.execute(sql, (source_id,)):
                    text = str(value)
                    if CONTROLS.search(text) or (name != "body" and LINE_BREAKS.search(text)):
                        bad = CONTROLS.search(text) or LINE_BREAKS.search(text)
                        assert bad is not None
                        found.append(f"{name}: {text[max(0, bad.start() - 30) : bad.end() + 30]!r}")
        return found


# -- a run ---------------------------------------------------------------------------------------


@dataclass
class Totals:
    tried: Counter[str] = field(default_factory=Counter)
    survived: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)
    escapes: Counter[str] = field(default_factory=Counter)
    loaded: Counter[str] = field(default_factory=Counter)
    slow: Counter[str] = field(default_factory=Counter)
    saved: list[Path] = field(default_factory=list)


def fuzz(
    count: int,
    seed: int,
    seeds: dict[str, bytes],
    *,
    workers: int | None = None,
    progress: Callable[[int, float], None] | None = None,
    failures: Path | None = None,
) -> tuple[Totals, float]:
    """Run ``count`` inputs; (totals, seconds). Failing inputs go to ``failures``."""
    documents = [seeds[name] for name in sorted(seeds)]
    totals = Totals()
    lock = threading.Lock()
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="streamtui-fuzz-") as folder:
        pipeline = Pipeline(Path(folder), workers)
        try:

            def one(index: int) -> None:
                family, data = mutate(seed, index, documents)
                outcome = pipeline.run(family, data)
                with lock:
                    totals.tried[family] += 1
                    totals.loaded[family] += outcome.loaded
                    bad = bool(outcome.crash or outcome.escapes)
                    totals.survived[family] += not bad
                    totals.crashes[family] += bool(outcome.crash)
                    totals.escapes[family] += bool(outcome.escapes)
                    totals.slow[family] += bool(outcome.slow)
                    done = sum(totals.tried.values())
                if bad or outcome.slow:
                    totals.saved.append(_save(failures, seed, index, data, outcome))
                if progress is not None and done % 1000 == 0:
                    progress(done, time.perf_counter() - started)

            # Twice as many threads as workers: a parse is always waiting for each worker.
            with ThreadPoolExecutor(max_workers=2 * workers) as threads:
                for future in [threads.submit(one, index) for index in range(count)]:
                    future.result()
        finally:
            pipeline.close()
    return totals, time.perf_counter() - started


def _save(folder: Path | None, seed: int, index: int, data: bytes, outcome: Outcome) -> Path:
    folder = folder or Path(tempfile.gettempdir()) / "streamtui-fuzz-failures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed{seed}-{index}.bin"
    path.write_bytes(data)
    lines = [f"seed {seed} input {index} ({outcome.family})", outcome.crash, outcome.slow]
    path.with_suffix(".txt").write_text("\n".join([*lines, *outcome.escapes]) + "\n")
    return path


def rows(
    quick: bool, *, count: int | None = None, seed: int = 1, workers: int | None = None
) -> list[Row]:
    """One row per mutation family, over the corpus (or the fixtures without it)."""
    seeds = corpus_seeds() or FIXTURES
    origin = f"{len(seeds)} corpus feeds" if seeds is not FIXTURES else "4 fixtures (no corpus)"
    total = count if count is not None else QUICK if quick else FULL

    def progress(done: int, seconds: float) -> None:
        if done % 10_000 == 0 or quick:
            print(f"  {done:,} inputs, {done / seconds:,.0f}/s", file=sys.stderr, flush=True)

    failures = Path(tempfile.mkdtemp(prefix="streamtui-fuzz-failures-"))
    totals, seconds = fuzz(
        total, seed, seeds, workers=workers, progress=progress, failures=failures
    )
    done = sum(totals.tried.values())
    print(
        f"fuzz: {done:,} inputs from {origin}, seed {seed}, in {seconds:.1f} s "
        f"({done / seconds:,.0f} inputs/s on {os.cpu_count()} cores, shared with other work); "
        f"saved inputs: {failures if totals.saved else 'none'}",
        flush=True,
    )
    if not totals.saved:
        failures.rmdir()
    result = []
    for family in MUTATIONS:
        tried = totals.tried[family]
        note = f"{totals.loaded[family]:,} loaded, the rest per-source errors"
        if totals.slow[family]:
            note += f"; {totals.slow[family]} timed out or killed the worker (saved)"
        result.append(
            Row(
                f"fuzz: {family}",
                tried,
                totals.survived[family],
                crashes=totals.crashes[family],
                escapes=totals.escapes[family],
                seconds=seconds * tried / max(1, done),
                note=note,
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, help=f"inputs (default {FULL:,}, quick {QUICK:,})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} inputs")
    parser.add_argument("--workers", type=int, help="parse workers (default: one a core)")
    args = parser.parse_args()
    found = rows(args.quick, count=args.count, seed=args.seed, workers=args.workers)
    sys.exit(report(found))


if __name__ == "__main__":
    main()
