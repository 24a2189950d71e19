"""The fast parse path (core/parse/fast.py) against feedparser's: the same items, or "not sure".

The differential tests run ``benchmarks/parse_diff.py`` on the shared corpus (skipped with the
reason when it is absent), on every file of feedparser's own test suite, and on a fixed slice of
mutated feeds; the small cases below are our own fixtures and need no corpus.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import parse_diff
from streamtui.core.parse import fast as fastfeed
from streamtui.core.parse import feed as feeds
from streamtui.core.parse.defuse import defuse
from streamtui.core.parse.entries import Entry
from streamtui.core.parse.feed import parse_feed

SEEN = datetime(2026, 3, 1, tzinfo=UTC)
FEEDS = parse_diff.SHARED / "feeds"
FEEDPARSER_TESTS = parse_diff.TESTS

NOT_ACCEPTED = {
    # not XML: JSON Feed (ours) and RSS in JSON (refused)
    "feedrs_influxdata.json": "JSON",
    "nnw_curtclifton.json": "JSON",
    "nnw_daringfireball.json": "JSON",
    "nnw_scriptingnews_rss_in_json.json": "JSON",
    # not well-formed: feedparser's loose parser recovers them, with a warning
    "feedjira_techcrunch.xml": "XML declaration after whitespace",
    "rssparser_taverncast_podcast.rss": "XML declaration after whitespace",
    "feedrs_dbengines_undefined_entity.xml": "undefined entity",
    # feedparser doubts the encoding (declared UTF-8, decoded as windows-1252): a warning
    "miniflux_psychologies_no_decl_latin1.xml": "encoding",
    "rssparser_uol_misdeclared.rss": "encoding",
}


def _skip_without(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is absent ({folder}); it lives beside the repository")


def _accepted(data: bytes) -> bool:
    return parse_diff.compare(data)[0]


def test_every_well_formed_corpus_feed_is_accepted_and_the_same() -> None:
    _skip_without(FEEDS)
    began = time.perf_counter()
    # parse_diff.run's comparisons, keeping which feeds were accepted (asking that apart
    # compared every feed a second time); one that raises fails here, with its traceback.
    tally = parse_diff.Tally("corpus")
    rejected: set[str] = set()
    for label, data in parse_diff.files(FEEDS):
        accepted, difference = parse_diff.compare(data)
        tally.documents += 1
        tally.accepted += accepted
        if difference:
            tally.differences.append(f"{label}: {difference}")
        if not accepted:
            rejected.add(label)
    tally.seconds = time.perf_counter() - began
    assert tally.differences == []
    names = {path.name for path in FEEDS.iterdir()}
    assert tally.documents == len(names)
    assert rejected == set(NOT_ACCEPTED)
    assert tally.accepted == len(names) - len(NOT_ACCEPTED) == 27
    print(f"\n{tally.line()} ({time.perf_counter() - began:.1f} s)")


def test_feedparsers_own_tests_give_the_same_items() -> None:
    _skip_without(FEEDPARSER_TESTS)
    tally = parse_diff.run("feedparser-tests", parse_diff.files(FEEDPARSER_TESTS))
    assert tally.documents > 2200
    assert (tally.differences, tally.crashes) == ([], 0)
    # The rest: ill-formed on purpose, encodings feedparser doubts, base64, CDF, GeoRSS...
    assert tally.accepted > 1800
    print(f"\n{tally.line()}")


def test_mutated_feeds_give_the_same_items() -> None:
    """Byte mutations (most are no longer well-formed, so few are accepted) and well-formed
    mutations of the tree (elements moved, copied, added; tricky texts and attributes)."""
    fuzzed = parse_diff.run("fuzz", parse_diff.fuzzed(300, seed=1))
    shuffled = parse_diff.run(
        "shuffles", parse_diff.shuffles(1500, seed=1, seeds=parse_diff.shuffle_seeds())
    )
    assert (fuzzed.differences, fuzzed.crashes) == ([], 0)
    assert (shuffled.differences, shuffled.crashes) == ([], 0)
    assert shuffled.accepted > 500
    print(f"\n{fuzzed.line()}\n{shuffled.line()}")


# -- our own fixtures ----------------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:d="http://purl.org/dc/elements/1.1/" xmlns:m="http://search.yahoo.com/mrss/"
  xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd"><channel>
<title>Example &amp; Co</title><link>https://example.com/</link>
<image><title>Logo</title><url>/logo.png</url><link>https://example.com/</link></image>
<item><title>First &#8217;post&#8217;</title><link>https://example.com/1?a=1&amp;b=2</link>
<guid isPermaLink="false">tag:example.com,2026:1</guid>
<pubDate>Sun, 01 Mar 2026 08:30:00 +0100</pubDate>
<description><![CDATA[<p>Hello <b>world</b></p>]]></description>
<content:encoded><![CDATA[<p>Full <em>text</em> here.</p>]]></content:encoded>
<enclosure url="/media/ep1.mp3" type="Audio/MPEG" length="1000"/>
<m:content url="https://cdn.example/v.mp4"/><itunes:summary>Pod</itunes:summary>
<category>news</category><d:creator>Ann</d:creator></item>
<item><title>AT&amp;amp;T</title><guid>relative/2</guid><d:date>2026-02-01T10:00:00+02:00</d:date>
<description>Plain &lt;i&gt;x&lt;/i&gt;</description><description>Second description</description>
</item>
<item><description>No title, only text</description></item></channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
<title type="html">Atom &lt;b&gt;Blog&lt;/b&gt;</title><link rel="self" href="feed.xml"/>
<id>urn:feed</id><updated>2026-02-02T00:00:00Z</updated>
<entry><id>urn:1</id><title type="html">Entry &lt;em&gt;one&lt;/em&gt;</title>
<link rel="alternate" type="text/html" href="entries/1"/><updated>2026-02-02T00:00:00Z</updated>
<summary>Short</summary>
<content type="xhtml" xml:base="/other/"><div xmlns="http://www.w3.org/1999/xhtml"><p>Body
<a href="x?a=1&amp;b=2">link</a></p></div></content>
<link rel="enclosure" href="media/ep1.mp3" type="audio/mpeg" length="123"/></entry>
<entry><title>No link</title><id>https://atom.example/2</id><published>2026-01-01</published>
<content type="html">&lt;p&gt;Escaped&lt;/p&gt;</content></entry></feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>RDF</title><link>https://example.org/</link>
<items><rdf:Seq><rdf:li rdf:resource="https://example.org/a"/></rdf:Seq></items></channel>
<item rdf:about="https://example.org/a"><title>A</title><link>https://example.org/a</link>
<description>About A</description><dc:date>2026-02-01T10:00:00+02:00</dc:date></item>
<item rdf:about="https://example.org/b"><title>B</title><link>https://example.org/b</link>
</item></rdf:RDF>"""


@pytest.mark.parametrize("document", [RSS, ATOM, RDF], ids=["rss", "atom", "rdf"])
def test_our_fixtures_are_accepted_and_the_same(document: bytes) -> None:
    assert parse_diff.compare(document) == (True, "")


def test_parse_feed_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the fast path, parse_feed would call feedparser.parse: here it raises."""
    import feedparser  # type: ignore[import-untyped]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("feedparser.parse was called")

    monkeypatch.setattr(feedparser, "parse", refuse)
    for document, count in ((RSS, 3), (ATOM, 2), (RDF, 2)):
        parsed = parse_feed(document, source_key="k", url="https://example.com/f", seen_at=SEEN)
        assert len(parsed.items) == count
    rss = parse_feed(RSS, source_key="k", url="https://example.com/feed", seen_at=SEEN)
    first, second, third = rss.items
    assert first.title == "First ’post’"
    assert first.link == "https://example.com/1?a=1&b=2"
    assert first.enclosures[0].url == "https://example.com/media/ep1.mp3"
    assert first.enclosures[0].type == "audio/mpeg"
    assert first.published == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert "Full" in first.body and first.html
    assert second.title == "AT&T"  # "&amp;" in the text: feedparser sniffs HTML
    # feedparser reads a second description as the content: summary and body differ
    assert (second.summary, second.body) == ("Plain x", "Second description")
    assert third.title == "No title, only text"


def test_the_fast_path_gives_entries_not_feedparser_dictionaries() -> None:
    """It builds each Entry from its state (no FeedParserDict for _from_feedparser to read
    back: about a tenth of an item's time), and they are those feedparser's path makes."""
    from feedparser.util import FeedParserDict  # type: ignore[import-untyped]

    for document in (RSS, ATOM, RDF):
        found = fastfeed.parse(document)
        assert found is not None
        assert all(type(entry) is Entry for entry in found["entries"])
        assert not any(isinstance(value, FeedParserDict) for value in found["feed"].values())
        assert found["entries"] == parse_diff._reference_entries(document)


def test_item_ids_are_those_of_the_feedparser_path() -> None:
    """Ids come from the same _Entry values: a store made before keeps its ids."""
    for document in (RSS, ATOM, RDF):
        feeds.FAST_PATH = False
        try:
            before = parse_feed(document, source_key="k", url="https://e.example/", seen_at=SEEN)
        finally:
            feeds.FAST_PATH = True
        after = parse_feed(document, source_key="k", url="https://e.example/", seen_at=SEEN)
        assert [item.id for item in after.items] == [item.id for item in before.items]


UNSURE = {
    "not well-formed": RSS.replace(b"</channel>", b""),
    "undefined entity": RSS.replace(b"Plain", b"&nbsp;Plain"),
    "leading whitespace": b"\n " + RSS,
    "base64 content": ATOM.replace(b"<summary>Short", b'<summary mode="base64">U2hvcnQ='),
    "markup in a text title": RSS.replace(b"<title>AT", b"<title><b>x</b>AT"),
    "an element inside a guid": RSS.replace(b"<guid>relative/2", b"<guid><x/>relative/2"),
    "unmodelled handler": RSS.replace(
        b"<category>", b'<g:where xmlns:g="http://www.georss.org/georss">1 2</g:where><category>'
    ),
    "CDF attribute": RSS.replace(b"<item>", b'<item lastmod="2026-01-01">', 1),
    "unknown element landing on a read key": RSS.replace(
        b"<category>", b"<date>x</date><category>"
    ),
    "an item in an item": RSS.replace(b"<category>news", b"<category><item/>news"),
    "Atom without its namespace": ATOM.replace(b' xmlns="http://www.w3.org/2005/Atom"', b""),
    "no feed": b"<?xml version='1.0'?><html><body>page</body></html>",
    "svg outside content": RSS.replace(b"<category>", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
}


@pytest.mark.parametrize("document", UNSURE.values(), ids=UNSURE.keys())
def test_what_the_fast_path_is_not_sure_of_goes_to_feedparser(document: bytes) -> None:
    assert fastfeed.parse(defuse(document)) is None
    assert parse_diff.compare(document) == (False, "")  # parse_feed still reads it


def test_an_encoding_feedparser_doubts_goes_to_feedparser() -> None:
    latin = RSS.replace(b"Example &amp; Co", "Exémple".encode("latin-1"))
    assert not _accepted(latin)  # declared UTF-8, not UTF-8: feedparser warns
    declared = latin.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
    assert _accepted(declared)  # declared right: converted as feedparser converts it
    parsed = parse_feed(declared, source_key="k", url="https://e.example/", seen_at=SEEN)
    assert parsed.title == "Exémple"


LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>
<rss version="2.0"><channel><title>&g;&g;&g;&g;&g;</title><item><title>&g;</title></item>
</channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&x;</title><item><title>t&x;</title></item></channel></rss>"""


@pytest.mark.parametrize("document", [LAUGHS, XXE], ids=["billion laughs", "XXE"])
def test_entities_never_expand_on_the_fast_path(document: bytes) -> None:
    """Even handed raw bytes (parse_feed defuses first), a DOCTYPE means "not sure"."""
    began = time.perf_counter()
    assert fastfeed.parse(document) is None
    assert fastfeed.parse(defuse(document)) is None  # undefined entities: not well-formed
    parsed = parse_feed(document, source_key="k", url="https://e.example/", seen_at=SEEN)
    assert "lol" not in parsed.title and "root:" not in parsed.title
    assert all("root:" not in item.title for item in parsed.items)
    assert time.perf_counter() - began < 10


def test_without_the_fast_path_feeds_still_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """A feedparser without the helpers fastfeed reuses: feedparser reads every feed."""
    expected = parse_feed(RSS, source_key="k", url="https://e.example/", seen_at=SEEN)
    import streamtui.core.parse

    monkeypatch.setitem(sys.modules, "streamtui.core.parse.fast", None)  # import fails
    monkeypatch.delattr(streamtui.core.parse, "fast")
    parsed = parse_feed(RSS, source_key="k", url="https://e.example/", seen_at=SEEN)
    assert parsed == expected


REBOUND = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item>
<dc:description xmlns:dc="http://purl.org/dc/elements/1.1/" type="xhtml"><div
xmlns="http://www.w3.org/1999/xhtml"><a xmlns:dc="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
dc:about="x">A</a></div></dc:description><description>Some text</description>
</item></channel></rss>"""


def test_a_prefix_rebound_inside_xhtml_content() -> None:
    """feedparser keeps namespace prefixes for good: once ``dc`` names RDF (inside the
    content), ``</dc:description>`` names no handler, the content stays open and takes in the
    next description as text. Found by the shuffles (seed 7)."""
    assert parse_diff.compare(REBOUND) == (True, "")
    parsed = parse_feed(REBOUND, source_key="k", url="https://e.example/", seen_at=SEEN)
    assert "</description>" in parsed.items[0].body


def test_feedparser_never_asks_chardet(monkeypatch: pytest.MonkeyPatch) -> None:
    """readability-lxml installs chardet, and feedparser then guessed undeclared encodings
    with it: minutes on some mutated feeds, and items that differed from the fast path's."""
    chardet = pytest.importorskip("chardet")

    def refuse(data: bytes) -> dict[str, str]:
        raise AssertionError("chardet was asked")

    monkeypatch.setattr(chardet, "detect", refuse)
    latin1 = (
        '<rss version="2.0"><channel><title>Caf\xe9</title><item><guid>1</guid>'
        "<title>Cr\xe8me br\xfbl\xe9e</title></item></channel></rss>"
    ).encode("latin-1")
    feed = parse_feed(latin1, source_key="k", url="https://x.example/", seen_at=SEEN)
    assert [item.title for item in feed.items] == ["Crème brûlée"]
