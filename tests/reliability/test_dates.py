"""Dates can never crash anything: year 1, year 9999, negative epochs, absurd offsets, and an
old database's NaN or infinite times, in time zones east and west of UTC (and a ``TZ`` that
Python's datetime refuses), through the parser, the store, the CLI and the app's start-up."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from streamtui.core import dates
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.parse.feed import parse_feed
from streamtui.core.sources.pages import load_source
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.format import long_date, short_date
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.bytecode import src_path
from tests.support.escapes import Terminal
from tests.support.feedserver import FeedServer, feed
from tests.support.feedserver import (
    feed_server_fixture as feed_server_fixture,  # the feed_server fixture
)
from tests.support.store import add_source_with_items, merge_items

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Pacific/Kiritimati",  # UTC+14
    "Etc/GMT+12",  # UTC-12
    "Asia/Kathmandu",  # UTC+5:45
    "UTC-24:59:59",  # the C library takes it; datetime refuses offsets of a day or more
)
SEEN = datetime(2026, 6, 1, tzinfo=UTC)
RSS_DATES = {
    # title: pubDate
    "Year one": "Mon, 01 Jan 0001 00:00:00 GMT",
    "Year one west": "Mon, 01 Jan 0001 00:00:00 -2400",
    "Year one east": "Mon, 01 Jan 0001 00:00:00 +2359",
    "Before the epoch": "Thu, 01 Jan 1960 00:00:00 GMT",
    "Year 9999": "Fri, 31 Dec 9999 23:59:59 GMT",
    "Absurd offset": "Mon, 01 Jan 2001 00:00:00 +9999",
    "Absurd west": "Fri, 31 Dec 9999 23:59:59 -9959",
    "Ordinary": "Mon, 01 Jun 2026 10:00:00 GMT",
}
JSON_DATES = {
    "JSON year one east": "0001-01-01T00:00:00+23:59",
    "JSON year one west": "0001-01-01T00:00:00-23:59",
    "JSON end of time": "9999-12-31T23:59:59-23:59",
    "JSON 1900": "1900-01-01T00:00:00Z",
}
STORED = {
    # an old database's published value (an SQL literal): what it must read back as
    "'nan'": dates.EARLIEST,
    "'garbage'": dates.EARLIEST,
    "9e999": dates.LATEST,  # infinity
    "-9e999": dates.EARLIEST,
    "1e300": dates.LATEST,
    "-1e300": dates.EARLIEST,
    "-62135596800": dates.EARLIEST,  # 0001-01-01
    "253402300799": dates.LATEST,  # 9999-12-31 23:59:59
}


def rss_extremes() -> str:
    items = "".join(
        f"<item><title>{title}</title><guid>{title}</guid><link>http://127.0.0.1/{n}</link>"
        f"<pubDate>{date}</pubDate><description>Text {n}.</description></item>"
        for n, (title, date) in enumerate(RSS_DATES.items())
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Extremes</title>'
        f"<link>http://127.0.0.1/</link>{items}</channel></rss>"
    )


def json_extremes() -> str:
    items = [
        {"id": title, "title": title, "date_published": date, "content_text": "x"}
        for title, date in JSON_DATES.items()
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})


@pytest.fixture
def zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's local time zone set to ``request.param``, and put back afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def in_range(moment: datetime) -> bool:
    return dates.EARLIEST <= moment <= dates.LATEST


# -- the rule itself -------------------------------------------------------------------------


def test_clamp_and_stored_values() -> None:
    east = timezone(timedelta(hours=23, minutes=59))
    west = timezone(-timedelta(hours=23, minutes=59))
    assert dates.clamp(datetime(1, 1, 1, tzinfo=east)) == dates.EARLIEST
    assert dates.clamp(datetime(1, 1, 1)) == dates.EARLIEST  # naive: taken as UTC
    assert dates.clamp(datetime(9999, 12, 31, 23, 59, tzinfo=west)) == dates.LATEST
    ordinary = datetime(2026, 5, 5, 12, 0, tzinfo=east)
    assert dates.clamp(ordinary) == ordinary and dates.clamp(ordinary).tzinfo == UTC
    for value in (float("nan"), "nan", "garbage", None, b"\x00", -1e300, float("-inf"), 5):
        assert dates.from_stamp(value) == dates.EARLIEST
    for value in (float("inf"), "inf", 1e300, 10**40, "9e999"):
        assert dates.from_stamp(value) == dates.LATEST
    assert dates.from_stamp("1700000000.5") == datetime.fromtimestamp(1_700_000_000.5, UTC)
    assert dates.iso_utc(datetime(1, 1, 1, tzinfo=UTC)) == "1970-01-02T00:00:00Z"


@pytest.mark.parametrize("zone", ZONES, indirect=True)
def test_every_date_draws_in_every_zone(zone: str) -> None:
    east = timezone(timedelta(hours=23, minutes=59))
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=east),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
        datetime.fromtimestamp(-(2**31), UTC),
        dates.EARLIEST,
        dates.LATEST,
        datetime.now(UTC),
    ]
    for moment in moments:
        local = dates.local(moment)
        assert 1969 <= local.year <= 9999
        assert short_date(moment) and long_date(moment)
        assert short_date(moment, now=datetime(1, 1, 1, tzinfo=UTC))
    assert short_date(dates.LATEST).startswith("9999-12-")
    assert short_date(datetime(1, 1, 1, tzinfo=UTC)).startswith(("1970-01-0", "1969-12-31"))


# -- on the way in -----------------------------------------------------------------------------


def test_feed_dates_are_clamped_on_the_way_in() -> None:
    rss = parse_feed(rss_extremes().encode(), source_key="k", url="http://127.0.0.1/", seen_at=SEEN)
    jsn = parse_feed(
        json_extremes().encode(), source_key="j", url="http://127.0.0.1/", seen_at=SEEN
    )
    published = {item.title: item.published for item in (*rss.items, *jsn.items)}
    assert set(published) == set(RSS_DATES) | set(JSON_DATES)
    assert all(in_range(moment) for moment in published.values()), published
    for title in ("Year one", "Year one west", "Before the epoch", "JSON year one east"):
        assert published[title] == dates.EARLIEST, title
    assert published["JSON 1900"] == dates.EARLIEST
    assert published["Year 9999"] == SEEN  # the future: a broken clock, dated when seen
    assert published["Ordinary"] == datetime(2026, 6, 1, 10, tzinfo=UTC)


def test_file_times_are_clamped_on_the_way_in(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "old.txt").write_text("Old page\n\nBody.\n")
    (folder / "late.txt").write_text("Late page\n\nBody.\n")
    os.utime(folder / "old.txt", (-(2**31), -(2**31)))  # 1901, as far back as ext4 goes
    os.utime(folder / "late.txt", (2**40, 2**40))  # as late as the file system keeps
    result = load_source("pages", folder)
    assert result is not None
    published = {item.title: item.published for item in result.items}
    assert published["Old page"] == dates.EARLIEST
    assert in_range(published["Late page"])


def old_database(path: Path, rss: str) -> None:
    """A database holding the extremes, then the raw times an old version could leave."""
    store = Store.open(path)
    items = parse_feed(rss.encode(), source_key="k", url="http://127.0.0.1/", seen_at=SEEN).items
    add_source_with_items(
        store, "Extremes", SourceKind.FEED, "http://127.0.0.1/x", items, fingerprint=""
    )
    store.close()
    with sqlite3.connect(path) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM items ORDER BY id")]
        for item_id, literal in zip(ids, STORED, strict=False):
            db.execute(f"UPDATE items SET published = {literal} WHERE id = ?", (item_id,))
        db.execute("UPDATE sources SET updated_at = 9e999, retry_at = 'nan'")


def test_the_store_reads_any_stored_time(tmp_path: Path) -> None:
    path = tmp_path / "streamtui.db"
    old_database(path, rss_extremes())
    with sqlite3.connect(path) as db:
        raw = {row[0]: row[1] for row in db.execute("SELECT id, published FROM items")}
    store = Store.open(path)
    library = Library(store, bundled=tmp_path / "none")
    try:
        view = library.view()
        rows = library.rows(view, 0, 100)
        assert len(rows) == len(RSS_DATES)
        assert all(in_range(row.published) for row in rows)
        # Keyset paging and ranks follow the stored order, even over "nan" text and infinity.
        assert [library.position(view, row.id) for row in rows] == list(range(len(rows)))
        assert [r.id for r in library.rows(view, 3, 100)] == [r.id for r in rows[3:]]
        for row in rows:
            assert library.article(row.id).row.published == row.published
        nan_id = next(i for i, value in raw.items() if value == "nan")
        assert library.row(nan_id) is not None
        assert library.row(nan_id).published == dates.EARLIEST  # type: ignore[union-attr]
        (source,) = [s for s in library.sources() if s.name == "Extremes"]
        assert source.updated_at == dates.LATEST and source.retry_at == dates.EARLIEST
        # An undated item merged again keeps its (clamped) time: no NaN reaches NOT NULL.
        items = parse_feed(
            rss_extremes().encode(), source_key="k", url="http://127.0.0.1/", seen_at=SEEN
        ).items
        merge_items(store, source.id, items)
        assert all(in_range(row.published) for row in library.rows(view, 0, 100))
    finally:
        library.close()


# -- the command line, in real processes with TZ set ----------------------------------------


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def cli_env(tmp_path: Path, zone: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TZ=zone,
        STREAMTUI_DATA_DIR=str(tmp_path / "data"),
        STREAMTUI_CONFIG_DIR=str(tmp_path / "config"),
    )
    return env


CLI_ZONES = ("UTC", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu", "UTC-24:59:59")
"""The zones the CLI's eight processes run in: every kind of offset once (none, the furthest
east, the furthest west, a fraction of an hour, one the datetime module refuses). New York is
a whole-hours zone west of UTC as Etc/GMT+12 is (its CLI runs on an old database below and its
app in a pty), London one east of it as Kiritimati is (in 1970 it kept UTC+1 all year); both
still draw in-process with every other zone (test_every_date_draws_in_every_zone)."""


@pytest.mark.parametrize("zone_name", CLI_ZONES)
def test_cli_verbs_in_every_zone(tmp_path: Path, feed_server: FeedServer, zone_name: str) -> None:
    feed_server.route("/extremes.xml", feed(rss_extremes()))
    feed_server.route("/extremes.json", feed(json_extremes(), content_type="application/json"))
    env = cli_env(tmp_path, zone_name)
    for path in ("/extremes.xml", "/extremes.json"):
        added = run_cli(env, "add", feed_server.url(path))
        assert added.returncode == 0, added.stderr
    checks = [
        ("list",),
        ("list", "--json"),
        ("search", "year"),
        ("preview", feed_server.url("/extremes.xml")),
        ("preview", "--json", feed_server.url("/extremes.json")),
        ("sources", "--json"),
    ]
    out: dict[tuple[str, ...], str] = {}
    for args in checks:
        done = run_cli(env, *args)
        assert done.returncode == 0 and "internal error" not in done.stderr, (args, done.stderr)
        out[args] = done.stdout
    listed = [json.loads(line) for line in out["list", "--json"].splitlines()]
    by_title = {record["title"]: record["published"] for record in listed}
    assert by_title["Year one"] == "1970-01-02T00:00:00Z"
    assert by_title["JSON year one west"] == "1970-01-02T00:00:00Z"
    for text in (out["list",], out["search", "year"]):
        year_one = next(line for line in text.splitlines() if line.endswith("Year one"))
        assert " 1970-01-0" in year_one  # the 2nd in UTC, the 1st west of it, the 3rd at +24:59
    assert "Year 9999" in out["preview", feed_server.url("/extremes.xml")]


@pytest.mark.parametrize("zone_name", ["America/New_York", "Pacific/Kiritimati", "UTC-24:59:59"])
def test_cli_reads_an_old_database_in_any_zone(tmp_path: Path, zone_name: str) -> None:
    old_database(tmp_path / "data" / "streamtui.db", rss_extremes())
    env = cli_env(tmp_path, zone_name)
    out: dict[tuple[str, ...], str] = {}
    for args in (("list",), ("list", "--json"), ("sources",), ("sources", "--json")):
        done = run_cli(env, *args)
        assert done.returncode == 0 and "internal error" not in done.stderr, (args, done.stderr)
        out[args] = done.stdout
    records = [json.loads(line) for line in out["list", "--json"].splitlines()]
    stamps = {record["published"] for record in records if record["source"] == "Extremes"}
    assert {"1970-01-02T00:00:00Z", "9999-12-30T00:00:00Z"} <= stamps


# -- the app's start-up ------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES, indirect=True)
async def test_the_app_starts_on_extreme_dates(tmp_path: Path, zone: str) -> None:
    path = tmp_path / "data" / "streamtui.db"
    old_database(path, rss_extremes())
    store = Store.open(path)
    items = parse_feed(json_extremes().encode(), source_key="j", url="", seen_at=SEEN).items
    add_source_with_items(store, "J", SourceKind.FEED, "http://127.0.0.1/j", items, fingerprint="")
    app = StreamApp(Library(store, bundled=tmp_path / "none"), sync_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        stream = app.query_one(StreamList)
        assert stream.count == len(RSS_DATES) + len(JSON_DATES)
        drawn = "\n".join(stream.render_line(y).text for y in range(stream.count))
        assert "9999-12-" in drawn and "1970-01-0" in drawn
        await pilot.press("G", "enter")  # the oldest: year one, drawn with its long date
        article = app.query_one(ArticleView)
        assert article.article is not None
        assert " 1970-01-0" in article.rendered_text()
        await pilot.press("ctrl+p")  # the palette lists the newest items with their dates
        await pilot.pause()
        await pilot.press("escape")
        assert app.is_running
    app.library.close()


def test_the_real_app_starts_west_of_utc(tmp_path: Path) -> None:
    """The report: the app died at start-up in a zone west of UTC (exit status 0)."""
    old_database(tmp_path / "data" / "streamtui.db", rss_extremes())
    env = cli_env(tmp_path, "America/New_York")
    env.update(TERM="xterm-256color", PYTHONPATH=src_path())
    terminal = Terminal([sys.executable, "-m", "streamtui"], env, size=(120, 40))
    try:
        assert terminal.wait_for(b"Year one", timeout=30), terminal.output[-2000:]
        assert b"1970-01-01" in terminal.output  # year one, in New York
        terminal.send("q")
    finally:
        status = terminal.close(timeout=20)
    assert status == 0
    assert b"Traceback" not in terminal.output and b"OverflowError" not in terminal.output
