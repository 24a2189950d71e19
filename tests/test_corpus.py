"""The shared feed corpus (../shared/corpus, beside the repository) through the feed parser.

The corpus is read where it lies, never copied into the repository; without it these tests skip.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.store import last_error

from feedserver import FeedServer
from feedserver import feed as served
from feedserver import feed_server_fixture as feed_server_fixture  # the feed_server fixture
from streamtui.core.errors import SourceError
from streamtui.core.library import Library
from streamtui.core.models import ParsedFeed, SourceKind, View
from streamtui.core.parse.feed import parse_feed
from streamtui.core.parse.pool import FeedParser
from streamtui.core.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SEEN = datetime(2026, 3, 1, tzinfo=UTC)
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")

# Where our item count differs from feedparser's entry count in the manifest, and why.
EXPECTED_DIFFERENCES = {
    # Two guids appear twice (an item edited and republished under the same guid); a repeated
    # id is the same story, so the first entry is kept.
    "feeds/nnw_scriptingnews.rss": 48,  # manifest: 50
    # "geekistry-2.mp3" is the guid of two episodes (a regular and an extended version).
    "feeds/rssparser_taverncast_podcast.rss": 130,  # manifest: 131
}

# feedparser 6.0.14 reads no JSON Feed, so the manifest says 0; the notes give the real counts.
JSON_FEEDS = {
    "feeds/nnw_daringfireball.json": 48,
    "feeds/nnw_curtclifton.json": 26,
    "feeds/feedrs_influxdata.json": 3,
    "synthetic/feedparser_json_example.json": 2,  # feedparser's own test: two items
}
NOT_JSON_FEED = "feeds/nnw_scriptingnews_rss_in_json.json"

# Ill-formed documents with no entries at all: errors, each with its reason.
REJECTED = {
    NOT_JSON_FEED: "not a feed (JSON, but not JSON Feed)",
    "synthetic/feedparser_illformed_aaa_illformed.xml": "not a valid feed: line 7",
    "synthetic/feedparser_illformed_rss_empty_document.xml": "not a valid feed: line 6",
    "synthetic/feedparser_illformed_undeclared_namespace.xml": "not a valid feed: line 9",
    "synthetic/feedparser_encoding_bozo_invalid-bytes-with-bom.xml": "not a valid feed: line 11",
}


@dataclass(frozen=True, slots=True)
class Entry:
    file: str
    format: str
    entries: int


@pytest.fixture(scope="module")
def manifest() -> dict[str, Entry]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"the shared feed corpus is absent ({CORPUS}); it lives beside the repo")
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {
            row["file"]: Entry(row["file"], row["format"], int(row["entries"]))
            for row in rows
            if not row["file"].startswith("opml/")
        }


def parse(name: str) -> ParsedFeed:
    return parse_feed(
        (CORPUS / name).read_bytes(),
        source_key=f"corpus:{name}",
        url=f"https://corpus.example/{name}",
        seen_at=SEEN,
    )


def outcomes(names: list[str]) -> Iterator[tuple[str, ParsedFeed | SourceError]]:
    for name in names:
        try:
            yield name, parse(name)
        except SourceError as error:
            yield name, error


def test_the_manifest_lists_every_feed_file(manifest: dict[str, Entry]) -> None:
    on_disk = {
        path.relative_to(CORPUS).as_posix()
        for folder in ("feeds", "synthetic")
        for path in (CORPUS / folder).iterdir()
    }
    assert on_disk == set(manifest)


def test_every_file_loads_or_fails_with_a_source_error(manifest: dict[str, Entry]) -> None:
    results = dict(outcomes(sorted(manifest)))  # anything but SourceError propagates
    errors = {name: r.reason for name, r in results.items() if isinstance(r, SourceError)}
    assert set(errors) == set(REJECTED)
    for name, reason in errors.items():
        assert reason.startswith(REJECTED[name]), (name, reason)


def test_item_counts_match_the_manifest(manifest: dict[str, Entry]) -> None:
    xml = [name for name, entry in manifest.items() if entry.entries > 0]
    got = {name: len(feed.items) for name, feed in outcomes(xml) if isinstance(feed, ParsedFeed)}
    expected = {name: EXPECTED_DIFFERENCES.get(name, manifest[name].entries) for name in xml}
    assert got == expected
    assert len(xml) > 40


def test_json_feeds_load_with_their_item_counts(manifest: dict[str, Entry]) -> None:
    counts = {name: len(parse(name).items) for name in JSON_FEEDS}
    assert counts == JSON_FEEDS
    example = parse("synthetic/feedparser_json_example.json")
    assert example.title == "My Example Feed"
    assert [item.title for item in example.items] == ["post 2", "Hello, world!"]
    assert example.items[0].enclosures[0].length == 12_000_000
    assert "<script>" not in example.items[1].summary


def test_rss_in_json_is_rejected(manifest: dict[str, Entry]) -> None:
    with pytest.raises(SourceError) as caught:
        parse(NOT_JSON_FEED)
    assert caught.value.reason == "not a feed (JSON, but not JSON Feed)"


def test_stored_strings_hold_no_control_characters(manifest: dict[str, Entry]) -> None:
    for name, feed in outcomes(sorted(manifest)):
        if isinstance(feed, SourceError):
            continue
        values = [feed.title, feed.link, feed.warning]
        for item in feed.items:
            values += [item.id, item.title, item.summary, item.body, item.link]
            values += [text for e in item.enclosures for text in (e.url, e.type)]
            assert item.published.tzinfo is not None
        bad = [value[:60] for value in values if CONTROLS.search(value)]
        assert not bad, (name, bad)
        assert len({item.id for item in feed.items}) == len(feed.items)


def test_the_corpus_through_the_worker_pool(manifest: dict[str, Entry]) -> None:
    with FeedParser() as parser:
        for name in sorted(manifest):
            data = (CORPUS / name).read_bytes()
            try:
                pooled = parser.parse(data, source_key=name, url="https://c.example/", seen_at=SEEN)
            except SourceError as error:
                assert name in REJECTED, (name, error.reason)
                continue
            assert pooled == parse_feed(
                data, source_key=name, url="https://c.example/", seen_at=SEEN
            )


# Tiny inputs feedparser raises on (or that break what it hands back), served as feeds.
CRASHERS = {
    "crashers/width.xml": b"</width>",
    "crashers/surrogate.xml": b"<>&#xD800;",
    "crashers/rss_surrogate.xml": b"<rss>&#xD800;</rss>",
    "crashers/punycode.xml": b'<?xml version="1.0" encoding="punycode"?><rss>' + b"a" * 5000,
}


def test_the_corpus_and_known_crashers_through_one_refresh(
    manifest: dict[str, Entry], feed_server: FeedServer, library: Library, store: Store
) -> None:
    """Every corpus file and the crashers, served on 127.0.0.1 as feed sources, in one
    Library.refresh: each source ends with its items or with a stored error naming the reason
    (a parse error, never an internal one), and nothing stored holds a control character."""
    documents = {name: (CORPUS / name).read_bytes() for name in sorted(manifest)}
    documents.update(CRASHERS)
    for name, data in documents.items():
        feed_server.route(f"/{name}", served(data))
        store.add_source(name, SourceKind.FEED, feed_server.url(f"/{name}"), key=name)
    summary = library.refresh()  # anything raised fails the test
    assert summary.failed == len(REJECTED) + len(CRASHERS)
    for source in store.sources():
        items, error = store.count(View(source_id=source.id)), last_error(store, source.id)
        if source.name in REJECTED:
            assert items == 0 and error.startswith(REJECTED[source.name]), (source.name, error)
        elif source.name in CRASHERS:
            assert items == 0 and error.startswith(("could not be parsed", "not a valid feed"))
        else:
            expected = JSON_FEEDS.get(source.name) or EXPECTED_DIFFERENCES.get(
                source.name, manifest[source.name].entries
            )
            assert (items, error) == (expected, ""), source.name
    assert store.path is not None
    assert not list(_stored_controls(store.path))


def _stored_controls(path: Path) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) of every stored string with a control character in it: every
    text column of every table, the search index included."""
    db = sqlite3.connect(path)
    try:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and CONTROLS.search(value):
                        yield table, column, value[:80]
    finally:
        db.close()
