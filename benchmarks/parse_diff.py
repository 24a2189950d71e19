"""The fast parse path against feedparser's: the same bytes through ``parse_feed`` both ways.

Run: .venv/bin/python benchmarks/parse_diff.py [--fuzz 2000] [--shuffles 5000] [--seed 1]
(and as the "parse" part of ``reliability.py``: 20,000 fuzz inputs and 100,000 shuffles, or
1,000 and 5,000 with ``--quick``)

For every document the fast path (``core/parse/fast.py``) accepts, ``parse_feed`` with it and
without it (``feeds.FAST_PATH``) must give the same outcome: the same ``ParsedFeed`` (title,
link, warning, version and every ``Item``: id, title, summary, body, link, html flag,
enclosures, date and dated flag, search text) or the same error; and the same ``_Entry`` for each
entry (guid, link, title and its HTML-ness, summary, body, raw date text, xml:base...), which is
stricter than the items (an item hides, say, the raw date of an entry that has a guid).

Documents:

* ``corpus``: ``../shared/corpus/feeds``;
* ``feedparser-tests``: ``../shared/corpus/feedparser-tests``, feedparser's own test suite;
* ``fuzz``: ``benchmarks/fuzz.py``'s byte mutations of the corpus and its fixtures (most are
  no longer well-formed, so feedparser's recovery reads them: few are accepted);
* ``shuffles``: well-formed mutations made here, on a DOM: elements moved, copied, removed or
  added (with the names and namespaces the state machine knows, a few it does not, and unusual
  prefixes), texts and attributes replaced by tricky values (markup as text, character
  references, mojibake, cp1252 controls, dates in many formats, relative, protocol-relative and
  javascript: URLs, xml:base, type/mode/rel/isPermaLink values), XHTML content. These exercise
  the state machine where the other sets leave it alone.

Prints, for each set: documents, accepted by the fast path, differences (0 is the only pass),
and the time taken. Differing inputs are written to a temporary folder whose path is printed.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.dom import minidom
from xml.parsers.expat import ExpatError

import feedparser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz
from _reliability import Row

from streamtui.core.errors import SourceError
from streamtui.core.parse import fast as fastfeed
from streamtui.core.parse import feed as feeds

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TESTS = SHARED / "feedparser-tests"
SEEN = datetime(2026, 3, 1, tzinfo=UTC)
URL = "https://diff.example/blog/feed.xml"


@dataclass
class Tally:
    name: str
    documents: int = 0
    accepted: int = 0
    differences: list[str] = field(default_factory=list)
    crashes: int = 0
    """Comparisons that raised (parse_feed raises nothing but SourceError)."""
    seconds: float = 0.0

    def line(self) -> str:
        share = self.accepted / self.documents if self.documents else 0.0
        return (
            f"{self.name:<17} {self.documents:>6,} documents, {self.accepted:>6,} accepted "
            f"({share:.0%}), {len(self.differences)} differences, {self.seconds:.1f} s"
        )


Outcome = feeds.ParsedFeed | tuple[str, str]


def _outcome(data: bytes, fast: bool) -> tuple[Outcome, Any]:
    """parse_feed with the fast path on or off, and the raw result the entries came from."""
    seen: dict[str, Any] = {}
    original = fastfeed.parse

    def watched(utf8: bytes) -> dict[str, Any] | None:
        seen["fast"] = result = original(utf8)
        return result

    feeds.FAST_PATH, fastfeed.parse = fast, watched
    try:
        return feeds.parse_feed(data, source_key="diff", url=URL, seen_at=SEEN), seen.get("fast")
    except SourceError as error:
        return ("error", error.reason), seen.get("fast")
    finally:
        feeds.FAST_PATH, fastfeed.parse = True, original


def _reference_entries(data: bytes) -> list[Any]:
    """feedparser's entries for the bytes, as _run_feedparser would get them."""
    utf8 = feeds.defuse(convert_to_utf8({}, data, {}))
    result = feedparser.parse(io.BytesIO(utf8), sanitize_html=False, resolve_relative_uris=False)
    return [feeds._from_feedparser(entry) for entry in result.get("entries", [])]


def compare(data: bytes) -> tuple[bool, str]:
    """(accepted, difference): difference is "" when both paths agree."""
    fast, raw = _outcome(data, True)
    if raw is None:
        return False, ""
    reference, _ = _outcome(data, False)
    if fast != reference:
        return True, _describe(fast, reference)
    if isinstance(fast, feeds.ParsedFeed):
        ours = [feeds._from_feedparser(entry) for entry in raw["entries"]]
        theirs = _reference_entries(data)
        if ours != theirs:
            pairs = [(a, b) for a, b in zip(ours, theirs, strict=False) if a != b]
            first = pairs[0] if pairs else (len(ours), len(theirs))
            return True, f"entries differ: {first[0]!r} != {first[1]!r}"[:600]
    return True, ""


def _describe(fast: Outcome, reference: Outcome) -> str:
    if isinstance(fast, tuple) or isinstance(reference, tuple):
        return f"{fast!r:.300} != {reference!r:.300}"
    for name in ("title", "link", "warning", "version"):
        if getattr(fast, name) != getattr(reference, name):
            return f"feed {name}: {getattr(fast, name)!r:.200} != {getattr(reference, name)!r:.200}"
    if len(fast.items) != len(reference.items):
        return f"{len(fast.items)} items != {len(reference.items)}"
    for ours, theirs in zip(fast.items, reference.items, strict=True):
        for name in ours.__dataclass_fields__:
            if getattr(ours, name) != getattr(theirs, name):
                a, b = getattr(ours, name), getattr(theirs, name)
                return f"item {name}: {a!r:.200} != {b!r:.200}"
    return "differ"


def run(name: str, documents: Iterable[tuple[str, bytes]], saved: Path | None = None) -> Tally:
    tally = Tally(name)
    began = time.perf_counter()
    for label, data in documents:
        tally.documents += 1
        try:
            accepted, difference = compare(data)
        except Exception as error:
            tally.crashes += 1
            accepted, difference = False, f"raised {error!r:.300}"
        tally.accepted += accepted
        if difference:
            tally.differences.append(f"{label}: {difference}")
            if saved is not None:
                (saved / f"{name}-{tally.documents}.xml").write_bytes(data)
    tally.seconds = time.perf_counter() - began
    return tally


# -- the document sets -------------------------------------------------------------------------


def files(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md"):
        if path.name not in ("LICENSE", "README"):
            yield path.relative_to(folder).as_posix(), path.read_bytes()


def fuzzed(count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    seeds = list(fuzz.corpus_seeds(SHARED).values()) or list(fuzz.FIXTURES.values())
    for index in range(count):
        family, data = fuzz.mutate(seed, index, seeds)
        yield f"fuzz {seed}:{index} ({family})", data


# -- well-formed mutations ---------------------------------------------------------------------

NAMESPACES = {
    "": "",
    "atom": "http://www.w3.org/2005/Atom",
    "rss1": "http://purl.org/rss/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "media": "http://search.yahoo.com/mrss/",
    "itunes": "http://www.itunes.com/DTDs/PodCast-1.0.dtd",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "georss": "http://www.georss.org/georss",
    "cc": "http://web.resource.org/cc/",
    "other": "http://unknown.example/ns#",
}
NAMES = {
    "": "title link description summary content guid id pubDate published updated created "
    "modified issued enclosure source image author category comments date item entry foo "
    "width url name",
    "atom": "title link summary content id updated published author entry name source",
    "rss1": "title link description item",
    "dc": "date title description creator subject",
    "dcterms": "modified created issued",
    "content": "encoded",
    "media": "content title description group thumbnail",
    "itunes": "summary subtitle author image keywords",
    "xhtml": "div p b body",
    "rdf": "RDF li about",
    "georss": "point line polygon box",
    "cc": "license",
    "other": "title date link summary",
}
PREFIXES = ("a", "x", "dc", "atom", "content", "media", "feed", "rdf")
"""Prefixes for a namespace, the unusual ones included (an unknown namespace as ``dc``)."""
TEXTS = (
    "",
    "   ",
    "Plain title",
    "  padded\n\ttext  ",
    "AT&T; <b>bold</b> & <i>it</i>",
    "Fish &amp; chips &lt;p&gt;",
    "&#8217;quoted&#8217; &nbsp; &copy;",
    "</p>closing only",
    "<p>Para</p><script>x()</script>",
    "<div>wrapped</div>",
    "Ã©tÃ© mojibake",
    "\x85\x93cp1252\x94\x80",
    "café 日本 😀",
    "x" * 300,
    "Sun, 01 Mar 2026 08:30:00 +0100",
    "Sun, 01 Mar 2026 08:30:00 GMT",
    "01 Mar 2026 08:30 EST",
    "2026-02-01T10:00:00+02:00",
    "2026-02-01T10:00:00Z",
    "2026-02-01",
    "2026-13-45T99:99:99Z",
    "Fri, 01 Jan 2100 00:00:00 GMT",
    "2004-02-28T18:14:55-08:00",
    "Thu Jan  1 00:00:00 2026",
    "45.256 -71.92",
    "45.256 -110.45 46.46 -109.48 43.84 -109.86 45.256 -110.45",
    "yesterday",
    "/relative/path?a=1&b=2",
    "relative/item",
    "//cdn.example/file.mp3",
    "https://example.com/a/../b?x=1&amp;y=2",
    "javascript:alert(1)",
    "tag:example.com,2026:1",
    "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
)
ATTRIBUTES = {
    "type": ("html", "text", "xhtml", "text/html", "text/plain", "application/xhtml+xml", "HTML",
             "image/png", "", "text/xml", "audio/MPEG"),
    "rel": ("alternate", "enclosure", "self", "related", "", "ALTERNATE"),
    "href": ("https://example.com/x", "/local", "rel/ative", "", "javascript:alert(1)"),
    "url": ("https://cdn.example/a.mp3", "a.mp3", ""),
    "length": ("123", "", "-5", "99999999999999999999999", "abc"),
    "isPermaLink": ("true", "false", "TRUE", ""),
    "xml:base": ("https://base.example/dir/", "sub/", "/root/", "javascript:evil", "",
                 "http://other.example/x/y"),
    "base": ("https://plainbase.example/",),
    "mode": ("escaped", "base64", "xml"),
    "version": ("2.0", "0.91", "1.0", "0.3"),
    "src": ("https://example.com/content",),
    "lastmod": ("2026-01-01",),
}  # fmt: skip


def shuffles(count: int, seed: int, seeds: list[bytes]) -> Iterator[tuple[str, bytes]]:
    documents = [document for document in seeds if len(document) < 65536]
    for index in range(count):
        rng = random.Random(f"shuffle:{seed}:{index}")
        data = rng.choice(documents)
        try:
            doc = minidom.parseString(data)
        except (ExpatError, ValueError):
            continue
        for _ in range(rng.randint(1, 6)):
            rng.choice(OPERATIONS)(rng, doc)
        yield f"shuffle {seed}:{index}", doc.toxml("utf-8")


def _elements(doc: minidom.Document) -> list[minidom.Element]:
    return list(doc.getElementsByTagName("*"))


def _below_root(doc: minidom.Document) -> list[minidom.Element]:
    return [e for e in _elements(doc) if e is not doc.documentElement]


def _new_element(rng: random.Random, doc: minidom.Document) -> minidom.Element:
    key = rng.choice(list(NAMESPACES))
    local = rng.choice(NAMES[key].split())
    if not key:
        return doc.createElement(local)
    prefix = rng.choice((*PREFIXES, "")) if rng.random() < 0.5 else key
    element = doc.createElementNS(NAMESPACES[key], f"{prefix}:{local}" if prefix else local)
    element.setAttribute(f"xmlns:{prefix}" if prefix else "xmlns", NAMESPACES[key])
    return element


def _move(rng: random.Random, doc: minidom.Document) -> None:
    candidates = _below_root(doc)
    if not candidates:
        return
    node = rng.choice(candidates)
    targets = [e for e in _elements(doc) if not _inside(e, node)]
    target = rng.choice(targets)
    node.parentNode.removeChild(node)
    _insert(rng, target, node)


def _inside(element: minidom.Node, ancestor: minidom.Node) -> bool:
    while element is not None:
        if element is ancestor:
            return True
        element = element.parentNode
    return False


def _insert(rng: random.Random, parent: minidom.Node, node: minidom.Node) -> None:
    children = list(parent.childNodes)
    if children and rng.random() < 0.7:
        parent.insertBefore(node, rng.choice(children))
    else:
        parent.appendChild(node)


def _copy(rng: random.Random, doc: minidom.Document) -> None:
    candidates = _below_root(doc)
    if candidates:
        node = rng.choice(candidates)
        _insert(rng, node.parentNode, node.cloneNode(True))


def _remove(rng: random.Random, doc: minidom.Document) -> None:
    candidates = _below_root(doc)
    if candidates:
        node = rng.choice(candidates)
        node.parentNode.removeChild(node)


def _add(rng: random.Random, doc: minidom.Document) -> None:
    element = _new_element(rng, doc)
    if rng.random() < 0.8:
        element.appendChild(doc.createTextNode(rng.choice(TEXTS)))
    parents = [e for e in _elements(doc) if e.tagName.split(":")[-1] in ("item", "entry")]
    _insert(rng, rng.choice(parents or _elements(doc)), element)


def _text(rng: random.Random, doc: minidom.Document) -> None:
    element = rng.choice(_elements(doc))
    if rng.random() < 0.7:
        while element.firstChild is not None:
            element.removeChild(element.firstChild)
    text = rng.choice(TEXTS)
    node = doc.createCDATASection(text) if rng.random() < 0.3 and "]]>" not in text else None
    _insert(rng, element, node or doc.createTextNode(text))


def _attribute(rng: random.Random, doc: minidom.Document) -> None:
    element = rng.choice(_elements(doc))
    name = rng.choice(list(ATTRIBUTES))
    element.setAttribute(name, rng.choice(ATTRIBUTES[name]))


def _about(rng: random.Random, doc: minidom.Document) -> None:
    element = rng.choice(_elements(doc))
    prefix = rng.choice(("rdf", "r", "dc"))
    element.setAttribute(f"xmlns:{prefix}", NAMESPACES["rdf"])
    element.setAttribute(f"{prefix}:about", rng.choice(TEXTS[25:]))


def _xhtml(rng: random.Random, doc: minidom.Document) -> None:
    element = rng.choice(_elements(doc))
    while element.firstChild is not None:
        element.removeChild(element.firstChild)
    element.setAttribute("type", "xhtml")
    div = doc.createElement("div")
    div.setAttribute("xmlns", NAMESPACES["xhtml"])
    inner = doc.createElement(rng.choice(("p", "b", "div", "a", "br", "title")))
    inner.appendChild(doc.createTextNode(rng.choice(TEXTS)))
    if rng.random() < 0.5:
        inner.setAttribute("href", "x&y")
        inner.setAttribute("xml:lang", "en")
    for node in (doc.createTextNode("\n "), inner, doc.createTextNode(rng.choice(TEXTS))):
        div.appendChild(node)
    element.appendChild(doc.createTextNode(" "))
    element.appendChild(div)


OPERATIONS: tuple[Callable[[random.Random, minidom.Document], None], ...] = (
    _move, _copy, _remove, _add, _add, _text, _text, _attribute, _attribute, _about, _xhtml,
)  # fmt: skip


def shuffle_seeds() -> list[bytes]:
    """Well-formed documents to mutate: the corpus and feedparser's tests, else the fixtures."""
    found = list(fuzz.FIXTURES.values())[:3]
    for folder in (SHARED / "feeds", TESTS / "wellformed"):
        if folder.is_dir():
            found += [data for _name, data in files(folder)]
    return found


def rows(quick: bool, *, seed: int = 1) -> list[Row]:
    """Reliability rows: a difference or a crash makes its row unclean."""
    saved = Path(tempfile.mkdtemp(prefix="parse-diff-"))
    tallies = [
        run(name, files(folder), saved)
        for name, folder in (("corpus", SHARED / "feeds"), ("feedparser-tests", TESTS))
        if folder.is_dir()
    ]
    tallies.append(run("fuzz", fuzzed(1_000 if quick else 20_000, seed), saved))
    shuffled = shuffles(5_000 if quick else 100_000, seed, shuffle_seeds())
    tallies.append(run("shuffles", shuffled, saved))
    found = [
        Row(
            f"fast parse path = feedparser's: {tally.name}",
            tally.documents,
            tally.documents - len(tally.differences),
            crashes=tally.crashes,
            seconds=tally.seconds,
            note=f"{tally.accepted:,} accepted, {len(tally.differences)} differ"
            + (f" (saved in {saved})" if tally.differences else ""),
        )
        for tally in tallies
    ]
    if not any(tally.differences for tally in tallies):
        saved.rmdir()
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--fuzz", type=int, default=2000, help="byte-mutated inputs")
    parser.add_argument("--shuffles", type=int, default=5000, help="well-formed mutations")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    saved = Path(tempfile.mkdtemp(prefix="parse-diff-"))
    tallies = []
    for name, folder in (("corpus", SHARED / "feeds"), ("feedparser-tests", TESTS)):
        if folder.is_dir():
            tallies.append(run(name, files(folder), saved))
        else:
            print(f"({name} skipped: {folder} is absent)")
    tallies.append(run("fuzz", fuzzed(args.fuzz, args.seed), saved))
    tallies.append(run("shuffles", shuffles(args.shuffles, args.seed, shuffle_seeds()), saved))
    for tally in tallies:
        print(tally.line())
        for difference in tally.differences[:10]:
            print("   ", difference)
    if any(tally.differences for tally in tallies):
        print(f"differing inputs: {saved}")


if __name__ == "__main__":
    main()
