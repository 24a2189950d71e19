"""Enclosures keep their type, size and playing time (itunes:duration, JSON Feed's
duration_in_seconds) from the feed to the stored item, on both parse paths; migration 9."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streamtui.core.library import Library
from streamtui.core.models import Enclosure, SourceKind
from streamtui.core.parse import fast
from streamtui.core.parse import feed as feed_module
from streamtui.core.parse.entries import _duration
from streamtui.core.parse.feed import parse_feed
from streamtui.core.store import MIGRATIONS, Store
from tests.support.feedserver import FeedServer, feed, feed_server_fixture  # noqa: F401
from tests.support.store import merge_items

SEEN = datetime(2025, 1, 1, tzinfo=UTC)
PODCAST = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Cast</title><link>https://cast.example/</link>
<item><title>One</title><guid>e1</guid><pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="https://cast.example/1.mp3" type="audio/mpeg" length="12345678"/>
  <itunes:duration>1:02:03</itunes:duration></item>
<item><title>Two</title><guid>e2</guid><pubDate>Sun, 05 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="/2.m4a" type="audio/x-m4a" length="99"/>
  <itunes:duration>45:30</itunes:duration></item>
<item><title>Three</title><guid>e3</guid><pubDate>Sat, 04 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="https://cast.example/3.ogg" type="audio/ogg" length="5"/>
  <itunes:duration>5400</itunes:duration></item>
<item><title>Four</title><guid>e4</guid><pubDate>Fri, 03 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="https://cast.example/4.mp3" type="audio/mpeg" length="5"/>
  <itunes:duration>a while</itunes:duration></item>
</channel></rss>
"""
EXPECTED = [
    (Enclosure("https://cast.example/1.mp3", "audio/mpeg", 12345678, 3723),),
    (Enclosure("https://cast.example/2.m4a", "audio/x-m4a", 99, 2730),),
    (Enclosure("https://cast.example/3.ogg", "audio/ogg", 5, 5400),),
    (Enclosure("https://cast.example/4.mp3", "audio/mpeg", 5, 0),),
]


def parsed(data: bytes) -> list[tuple[Enclosure, ...]]:
    result = parse_feed(data, source_key="k", url="https://cast.example/feed", seen_at=SEEN)
    return [item.enclosures for item in result.items]


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "feedparser"])
def test_itunes_duration_reaches_each_enclosure_on_both_paths(
    monkeypatch: pytest.MonkeyPatch, fast_path: bool
) -> None:
    monkeypatch.setattr(feed_module, "FAST_PATH", fast_path)
    assert (fast.parse(PODCAST.encode()) is not None) is True  # the fast path is sure of it
    assert parsed(PODCAST.encode()) == EXPECTED


def test_a_duration_element_with_attributes_reads_as_feedparser_reads_it() -> None:
    """feedparser stores an unhandled element with attributes as a dictionary (no text):
    the fast path must keep what it keeps, or the two paths would disagree."""
    odd = PODCAST.replace(
        "<itunes:duration>5400</itunes:duration>",
        '<itunes:duration>5400</itunes:duration><itunes:duration unit="s">60</itunes:duration>',
    ).encode()
    on_fast = parsed(odd)
    feed_module.FAST_PATH = False
    try:
        on_feedparser = parsed(odd)
    finally:
        feed_module.FAST_PATH = True
    assert on_fast == on_feedparser
    assert on_fast[2] == (Enclosure("https://cast.example/3.ogg", "audio/ogg", 5, 0),)


def test_json_feed_attachments_keep_their_own_duration() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Cast",
        "items": [
            {
                "id": "1",
                "title": "One",
                "attachments": [
                    {"url": "https://cast.example/a.mp3", "mime_type": "audio/mpeg",
                     "size_in_bytes": 10, "duration_in_seconds": 61.5},
                    {"url": "https://cast.example/b.mp3", "mime_type": "audio/mpeg",
                     "duration_in_seconds": "nonsense"},
                ],
            }
        ],
    }  # fmt: skip
    (enclosures,) = parsed(json.dumps(document).encode())
    assert enclosures == (
        Enclosure("https://cast.example/a.mp3", "audio/mpeg", 10, 61),
        Enclosure("https://cast.example/b.mp3", "audio/mpeg", 0, 0),
    )


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("3600", 3600),
        ("1:00:00", 3600),
        ("59:59", 3599),
        ("0:42", 42),
        ("12:34.5", 754),
        (" 90 ", 90),
        ("", 0),
        ("0", 0),
        ("-5", 0),
        ("1h", 0),
        ("1:2:3:4", 0),
        ("99999999999", 0),  # longer than ten years: garbage
        (float("nan"), 0),
        (True, 0),
        (None, 0),
    ],
)
def test_durations_as_feeds_write_them(written: object, seconds: int) -> None:
    assert _duration(written) == seconds


def test_a_podcast_refreshed_from_a_server_keeps_durations(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/cast.xml", feed(PODCAST))
    library = Library(Store.open(tmp_path / "s.db"))
    try:
        source, report = library.add_feed(feed_server.url("/cast.xml"))
        assert not report.error
        view = library.view(source.id)
        got = [library.article(row.id).enclosures for row in library.rows(view, 0, 10)]
    finally:
        library.close()
    relative = (Enclosure(feed_server.url("/2.m4a"), "audio/x-m4a", 99, 2730),)
    assert got == [EXPECTED[0], relative, *EXPECTED[2:]]


def version_6_database(path: Path) -> None:
    """A database as streamtui left it at schema version 6, holding one podcast item."""
    with sqlite3.connect(path, isolation_level=None) as db:
        for step in MIGRATIONS[:6]:
            if callable(step):
                step(db)
            else:
                db.executescript(step)
        db.execute("PRAGMA user_version=6")
        db.execute(
            "INSERT INTO sources (id, name, name_key, kind, location, key, added_at) "
            "VALUES (1, 'cast', 'cast', 'feed', 'https://cast.example/feed', "
            "'https://cast.example/feed', 0)"
        )
        db.execute(
            "INSERT INTO items (id, source_id, title, published, seq, digest) "
            "VALUES ('e1', 1, 'One', 1.0, 16777216, '')"
        )
        db.execute(
            "INSERT INTO bodies (item_id, summary, body, link, path, encoding) "
            "VALUES ('e1', 's', 'b', '', '', 'utf-8')"
        )
        db.execute(
            "INSERT INTO enclosures (item_id, url, type, length) "
            "VALUES ('e1', 'https://cast.example/1.mp3', 'audio/mpeg', 7)"
        )
    path.with_name(path.name + "-wal").unlink(missing_ok=True)


def test_migration_9_keeps_enclosures_and_adds_a_duration_of_zero(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    version_6_database(path)
    store = Store.open(path)
    try:
        article = store.article("e1")
        assert article is not None
        assert article.enclosures == (Enclosure("https://cast.example/1.mp3", "audio/mpeg", 7),)
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 9


def test_an_item_stored_without_a_duration_takes_it_when_the_feed_gives_one(
    tmp_path: Path,
) -> None:
    """The body's digest says when an item changed; a duration counts once there is one."""
    (item, *_rest) = parse_feed(
        PODCAST.encode(), source_key="https://cast.example/feed", seen_at=SEEN
    ).items
    store = Store.open(tmp_path / "s.db")
    try:
        source = store.add_source("cast", SourceKind.FEED, "https://cast.example/feed")
        silent = tuple(replace(e, duration=0) for e in item.enclosures)
        merge_items(store, source.id, [replace(item, enclosures=silent)])
        merge_items(store, source.id, [item])
        article = store.article(item.id)
        assert article is not None and article.enclosures[0].duration == 3723
    finally:
        store.close()


# -- authors ------------------------------------------------------------------------------------

AUTHORS_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T</title>
<link>https://cast.example/</link><managingEditor>ed@cast.org (The Editor)</managingEditor>
<item><guid>a</guid><title>a</title><dc:creator>Jane Doe</dc:creator></item>
<item><guid>b</guid><title>b</title><author>jo@cast.org (Jo Smith)</author></item>
<item><guid>c</guid><title>c</title><dc:creator>Ann</dc:creator><dc:creator>Bob</dc:creator>
  <dc:creator>Ann</dc:creator></item>
<item><guid>d</guid><title>d</title><itunes:author>The Cast Team</itunes:author></item>
<item><guid>e</guid><title>e</title><author>only@cast.org</author></item>
<item><guid>f</guid><title>f</title></item>
</channel></rss>
"""
AUTHORS_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<author><name>Feed Owner</name></author>
<entry><id>urn:1</id><title>one</title><author><name>Ann</name><email>ann@x.org</email>
  <uri>https://x.example/ann</uri></author><author><name>Bob</name></author></entry>
<entry><id>urn:2</id><title>two</title><author><uri>/me</uri><name>Cy</name></author></entry>
<entry><id>urn:3</id><title>three</title><contributor><name>Not An Author</name></contributor>
</entry>
</feed>
"""


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "feedparser"])
def test_authors_are_read_the_same_on_both_paths(
    monkeypatch: pytest.MonkeyPatch, fast_path: bool
) -> None:
    monkeypatch.setattr(feed_module, "FAST_PATH", fast_path)
    for document in (AUTHORS_RSS, AUTHORS_ATOM):
        assert fast.parse(document.encode()) is not None  # the fast path is sure of both
    rss = parse_feed(AUTHORS_RSS.encode(), source_key="k", seen_at=SEEN).items
    assert [item.author for item in rss] == [
        "Jane Doe", "Jo Smith", "Ann, Bob", "The Cast Team", "only@cast.org", ""
    ]  # fmt: skip
    atom = parse_feed(AUTHORS_ATOM.encode(), source_key="k", seen_at=SEEN).items
    assert [item.author for item in atom] == ["Ann, Bob", "Cy", ""]


def test_json_feed_authors() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T",
        "items": [
            {"id": "1", "title": "a", "authors": [{"name": "Ann"}, {"url": "https://b"}]},
            {"id": "2", "title": "b", "author": {"name": "Old \x1b[31mStyle"}},
            {"id": "3", "title": "c", "authors": "nonsense"},
        ],
    }
    items = parse_feed(json.dumps(document).encode(), source_key="k", seen_at=SEEN).items
    assert [item.author for item in items] == ["Ann", "Old Style", ""]


def test_a_huge_author_is_clipped_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """feedparser's e-mail search sees the first 1,000 characters (parse/feed.py); the fast
    path's port of it does the same, and the line kept is at most 200 characters."""
    huge = "x" * 5000 + " writer@example.org (Name)"
    document = AUTHORS_RSS.replace("Jane Doe", huge).encode()
    got = []
    for fast_path in (True, False):
        monkeypatch.setattr(feed_module, "FAST_PATH", fast_path)
        got.append(parse_feed(document, source_key="k", seen_at=SEEN).items[0].author)
    assert got[0] == got[1] and len(got[0]) <= 200 and got[0].startswith("xxxx")


def test_the_author_is_stored_and_read_with_the_article(tmp_path: Path) -> None:
    items = parse_feed(AUTHORS_RSS.encode(), source_key="k", seen_at=SEEN).items
    store = Store.open(tmp_path / "s.db")
    try:
        source = store.add_source("t", SourceKind.FEED, "https://cast.example/feed")
        merge_items(store, source.id, [replace(items[1], author="")])  # stored before authors
        merge_items(store, source.id, [items[1]])  # the same item, now with its author
        article = store.article(items[1].id)
        assert article is not None and article.author == "Jo Smith"
    finally:
        store.close()
