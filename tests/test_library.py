"""The facade: sources, syncing, finding, id resolution, read state."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.store import sync_items

from streamtui.core.errors import SourceError, UnknownItemError, UnknownSourceError
from streamtui.core.library import BUNDLED_LOCATION, BUNDLED_NAME, Library
from streamtui.core.models import Item, Source, SourceKind, SyncStats, Undone, View
from streamtui.core.store import Store

WritePage = Callable[..., Path]  # the write_page fixture of conftest.py

PAGE = "Lead story\n\nFirst paragraph.\n\nMore from this stream\n\nA teaser\n\nText...\n"


@pytest.fixture
def news(tmp_path: Path, write_page: WritePage) -> Path:
    folder = tmp_path / "news"
    write_page(folder, "front.txt", PAGE, mtime=1_700_000_000)
    write_page(folder, "other.txt", "Other story\n\nBody.\n", mtime=1_700_000_100)
    return folder


def titles(library: Library, view: View | None = None) -> list[str]:
    return [row.title for row in library.rows(view or library.view(), 0, 1000)]


def row_by_title(library: Library, title: str) -> str:
    return next(r.id for r in library.rows(library.view(), 0, 1000) if r.title == title)


# -- the bundled guide ---------------------------------------------------------------------


def test_default_source_is_added_once(library: Library) -> None:
    added = library.ensure_default_source()
    assert added is not None
    assert (added.name, added.kind, added.location) == (
        BUNDLED_NAME, SourceKind.BUNDLED, BUNDLED_LOCATION,
    )  # fmt: skip
    assert library.ensure_default_source() is None
    assert [s.location for s in library.sources()] == [BUNDLED_LOCATION]
    report = library.sync(added)
    assert report.error == "" and report.stats == SyncStats(added=2)
    assert titles(library) == ["Tiny guide", "Tiny teaser"]


def test_default_source_stays_removed(library: Library, store: Store, bundled_dir: Path) -> None:
    library.ensure_default_source()
    library.remove_source(BUNDLED_NAME)
    assert library.ensure_default_source() is None
    assert Library(store, bundled=bundled_dir).ensure_default_source() is None
    assert library.sources() == []


# -- adding sources ------------------------------------------------------------------------


def test_add_folder(library: Library, news: Path) -> None:
    source, report = library.add_source(str(news))
    assert (source.name, source.kind, source.location) == ("news", SourceKind.FOLDER,
                                                           str(news.resolve()))  # fmt: skip
    assert report.stats == SyncStats(added=3) and report.problems == () and report.error == ""
    assert titles(library) == ["Other story", "Lead story", "A teaser"]
    [listed] = library.sources()
    assert (listed.unread, listed.total, listed.last_error) == (3, 3, "")


def test_add_file_with_a_name(library: Library, news: Path) -> None:
    source, report = library.add_source(str(news / "front.txt"), "Front Page")
    assert (source.name, source.kind) == ("Front Page", SourceKind.FILE)
    assert source.location == str((news / "front.txt").resolve())
    assert report.stats == SyncStats(added=2)
    second, _ = library.add_source(str(news / "other.txt"))
    assert second.name == "other"


def test_adding_the_same_place_twice_is_an_error(
    library: Library, news: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    library.add_source(str(news))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alias").symlink_to(news)
    for spelling in (str(news), str(news) + "/", "news", "./news/../news", "alias"):
        with pytest.raises(SourceError, match="already added as 'news'"):
            library.add_source(spelling)
    assert len(library.sources()) == 1


def test_missing_path_is_an_error_and_stores_nothing(library: Library, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "at-all"
    with pytest.raises(SourceError) as caught:
        library.add_source(str(missing))
    assert str(caught.value) == f"{missing}: no such file or folder"
    assert library.sources() == []


@pytest.mark.parametrize("url", ["gopher://example.com/", "ftp://example.com/feed"])
def test_only_http_and_https_urls_are_accepted(library: Library, url: str) -> None:
    with pytest.raises(SourceError) as caught:
        library.add_source(url)
    assert caught.value.source == url
    assert "only http and https" in caught.value.reason
    assert "\n" not in str(caught.value)
    assert library.sources() == []
    with pytest.raises(SourceError, match="only http and https"):
        library.preview(url)


def test_unreachable_feed_is_an_error_and_stores_nothing(library: Library) -> None:
    with pytest.raises(SourceError, match=r"unreachable|refused"):
        library.add_source("http://127.0.0.1:1/feed.xml")
    assert library.sources() == []


def test_fifo_and_binary_file_are_refused(library: Library, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="not a folder or a regular file"):
        library.add_source(str(fifo))
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00")
    with pytest.raises(SourceError, match="binary file"):
        library.add_source(str(binary))
    assert library.sources() == []


def test_names_are_unique_ignoring_case(library: Library, tmp_path: Path) -> None:
    for parent in ("a", "b", "c"):
        (tmp_path / parent / ("News" if parent == "b" else "news")).mkdir(parents=True)
    names = [library.add_source(str(tmp_path / p / n))[0].name
             for p, n in (("a", "news"), ("b", "News"), ("c", "news"))]  # fmt: skip
    assert names == ["news", "News (2)", "news (3)"]
    (tmp_path / "d").mkdir()
    assert library.add_source(str(tmp_path / "d"), "NEWS")[0].name == "NEWS (4)"


def test_source_name_from_a_hostile_folder_name_is_sanitised(
    library: Library, tmp_path: Path
) -> None:
    folder = tmp_path / "evil\x1b]0;pwned\x07\u202e"
    folder.mkdir()
    source, _ = library.add_source(str(folder))
    assert "\x1b" not in source.name and "\u202e" not in source.name
    assert "\x1b" not in library.sources()[0].name


# -- finding sources -----------------------------------------------------------------------


def test_find_source_by_number_name_and_path(
    library: Library, news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library.ensure_default_source()
    source, _ = library.add_source(str(news), "Daily News")
    assert library.find_source(str(source.id)).id == source.id
    for reference in ("Daily News", "daily news", "DAILY NEWS", str(news), str(news.resolve())):
        assert library.find_source(reference).id == source.id
    monkeypatch.chdir(tmp_path)
    assert library.find_source("news").id == source.id
    assert library.find_source("1").name == BUNDLED_NAME
    assert library.find_source(BUNDLED_NAME.upper()).location == BUNDLED_LOCATION


@pytest.mark.parametrize("reference", ["99", "nothing", "/no/such/path", "https://x.example/"])
def test_find_unknown_source(library: Library, news: Path, reference: str) -> None:
    library.add_source(str(news))
    with pytest.raises(UnknownSourceError, match="no such source"):
        library.find_source(reference)


def test_remove_source_keeps_the_others_and_their_read_state(
    library: Library, news: Path, tmp_path: Path, write_page: WritePage
) -> None:
    write_page(tmp_path / "blog", "post.txt", "Blog post\n\nBody.\n")
    library.add_source(str(news))
    library.add_source(str(tmp_path / "blog"))
    library.mark_read([row_by_title(library, "Blog post")])
    removed = library.remove_source("news")
    assert removed.name == "news"
    assert [(r.title, r.read) for r in library.rows(library.view(), 0, 100)] == [
        ("Blog post", True)
    ]
    assert [s.name for s in library.sources()] == ["blog"]
    with pytest.raises(UnknownSourceError):
        library.remove_source("news")


# -- ids -----------------------------------------------------------------------------------


def item(item_id: str) -> Item:
    return Item(item_id, f"t {item_id}", "", "", datetime.fromtimestamp(0, UTC))


def test_resolve_ids_by_full_id_and_unique_prefix(library: Library) -> None:
    source = library.store.add_source("s", SourceKind.FOLDER, "/s")
    sync_items(library.store, source.id, [item("abcdef0123"), item("abcdef4567"),
                                         item("0123456789")], fingerprint="")  # fmt: skip
    assert library.resolve_ids(["abcdef0123", "abcdef4", "012345"]) == [
        "abcdef0123", "abcdef4567", "0123456789",
    ]  # fmt: skip
    assert library.resolve_ids(["ABCDEF0"]) == ["abcdef0123"]
    with pytest.raises(UnknownItemError, match="abcdef: ambiguous id prefix"):
        library.resolve_ids(["abcdef"])
    with pytest.raises(UnknownItemError, match="ffffff: no such item"):
        library.resolve_ids(["ffffff"])
    with pytest.raises(UnknownItemError, match=r"01234: too short .*at least 6 characters"):
        library.resolve_ids(["01234"])  # shorter than 6: never a prefix
    with pytest.raises(UnknownItemError) as caught:
        library.resolve_ids(["0123456789", "nope\x1b[2Jzz"])
    assert str(caught.value) == "nopezz: no such item"


def test_article_of_an_unknown_item(library: Library) -> None:
    with pytest.raises(UnknownItemError, match="no such item"):
        library.article("missing")


# -- syncing -------------------------------------------------------------------------------


def test_sync_keeps_read_state_across_a_body_edit(
    library: Library, news: Path, write_page: WritePage
) -> None:
    source, _ = library.add_source(str(news))
    lead = row_by_title(library, "Lead story")
    teaser = row_by_title(library, "A teaser")
    assert library.mark_read([lead, teaser]).ids == (lead, teaser)
    write_page(news, "front.txt",
               PAGE.replace("First paragraph.", "A rewritten, longer first paragraph.\n\nNew."),
               mtime=1_700_000_500)  # fmt: skip
    report = library.sync(source)
    assert report.stats is not None and report.stats.updated >= 1
    assert row_by_title(library, "Lead story") == lead
    assert library.article(lead).body == "A rewritten, longer first paragraph.\n\nNew."
    assert library.article(lead).row.read and library.article(teaser).row.read
    assert not library.article(row_by_title(library, "Other story")).row.read


def test_sync_of_an_unchanged_source_does_nothing(library: Library, news: Path) -> None:
    source, _ = library.add_source(str(news))
    assert library.sync(source) == library.sync(source)
    assert library.sync(source).stats == SyncStats()
    assert library.sync(source, force=True).stats == SyncStats()


def test_sync_of_a_vanished_folder_keeps_items_and_records_the_error(
    library: Library, news: Path
) -> None:
    source, _ = library.add_source(str(news))
    for page in news.iterdir():
        page.unlink()
    news.rmdir()
    report = library.sync(source)
    assert "no such file or folder" in report.error
    [listed] = library.sources()
    assert listed.last_error == "no such file or folder"
    assert listed.total == 3


def test_skipped_files_are_reported_and_kept_on_the_source(
    library: Library, news: Path, write_page: WritePage
) -> None:
    write_page(news, "broken.txt", b"\x00\x01")
    _, report = library.add_source(str(news))
    assert report.problems == ("broken.txt: binary file (contains NUL bytes)",)
    [listed] = library.sources()
    assert listed.last_error == "1 file(s) skipped: broken.txt: binary file (contains NUL bytes)"
    (news / "broken.txt").unlink()
    assert [r.problems for r in library.sync_all()] == [()]
    assert library.sources()[0].last_error == ""


def test_error_clears_when_synced_with_a_source_held_from_before(
    library: Library, news: Path, write_page: WritePage
) -> None:
    write_page(news, "broken.txt", b"\x00\x01")
    source, _ = library.add_source(str(news))
    (news / "broken.txt").unlink()
    library.sync(source)
    assert library.sources()[0].last_error == ""


def test_one_failing_source_does_not_stop_the_others(
    library: Library, news: Path, tmp_path: Path, write_page: WritePage
) -> None:
    gone = tmp_path / "gone"
    write_page(gone, "a.txt", "Gone\n\nBody.\n")
    library.add_source(str(gone))
    library.add_source(str(news))
    write_page(news, "new.txt", "Brand new\n\nBody.\n")
    (gone / "a.txt").unlink()
    gone.rmdir()
    reports = list(library.sync_all())
    assert [bool(r.error) for r in reports] == [True, False]
    assert "Brand new" in titles(library)


# -- read state ----------------------------------------------------------------------------


def test_mark_view_read_and_unread(library: Library, news: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    source, _ = library.add_source(str(news))
    library.add_source(str(tmp_path / "empty"))
    assert library.mark_view_read(library.view(source.id)).count == 3
    lead = row_by_title(library, "Lead story")
    assert library.mark_read([lead], False).ids == (lead,)
    assert library.count(library.view(unread_only=True)) == 1
    assert library.next_unread(library.view(), None) == lead
    assert library.position(library.view(), lead) == 1


def test_view_takes_its_moment_from_the_clock(store: Store, bundled_dir: Path) -> None:
    library = Library(store, clock=lambda: 1234.5, bundled=bundled_dir)
    view = library.view(7, unread_only=True)
    assert (view.source_id, view.unread_only, view.since) == (7, True, 1234.5)


def test_rebuilt_unread_view_drops_read_items_with_an_injected_clock(
    store: Store, bundled_dir: Path, news: Path
) -> None:
    ticks = iter(range(1_000, 2_000))
    library = Library(store, clock=lambda: float(next(ticks)), bundled=bundled_dir)
    library.add_source(str(news))
    view = library.view(unread_only=True)
    lead = row_by_title(library, "Lead story")
    library.mark_read([lead])
    assert library.count(view) == 3  # read after the view was built: still shown
    assert library.count(library.view(unread_only=True)) == 2


def test_sources_value_objects(library: Library, news: Path) -> None:
    source, _ = library.add_source(str(news))
    assert isinstance(source, Source)
    assert library.source_names() == {source.id: "news"}
    [listed] = library.sources()
    assert listed.updated_at is not None and listed.updated_at.tzinfo is not None


# -- stars ---------------------------------------------------------------------------------


def test_star_toggle_starred_view_and_count(library: Library, news: Path) -> None:
    library.add_source(str(news))
    lead, other = row_by_title(library, "Lead story"), row_by_title(library, "Other story")
    assert library.set_starred([lead], True).ids == (lead,)
    assert library.set_starred([lead], True).ids == ()
    assert library.starred_count() == 1
    assert library.set_starred([other], True).ids == (other,)
    assert titles(library, library.view(starred=True)) == ["Other story", "Lead story"]
    assert library.set_starred([other], False).ids == (other,)
    assert titles(library, library.view(starred=True)) == ["Lead story"]
    assert library.starred_count() == 1
    assert library.undo_description() is None  # one item at a time: its own undo


def test_a_starred_local_item_survives_its_file_vanishing(
    library: Library, news: Path, write_page: WritePage
) -> None:
    source, _ = library.add_source(str(news))
    other = row_by_title(library, "Other story")
    library.set_starred([other], True)
    library.mark_read([other])
    (news / "other.txt").unlink()
    report = library.sync(source)
    assert report.stats == SyncStats()
    assert titles(library, library.view(starred=True)) == ["Other story"]
    kept = library.article(other)
    assert kept.body == "Body." and kept.row.read and kept.row.starred
    write_page(news, "other.txt", "Other story\n\nBody, edited.\n", mtime=1_700_000_100)
    library.sync(source)
    assert library.article(other).body == "Body, edited."
    assert library.article(other).row.starred and library.article(other).row.read


# -- search --------------------------------------------------------------------------------


def test_search_and_query_views(library: Library, news: Path, tmp_path: Path,
                                write_page: WritePage) -> None:  # fmt: skip
    write_page(tmp_path / "blog", "post.txt", "Blog post\n\nThe lead of a blog.\n")
    news_source, _ = library.add_source(str(news))
    library.add_source(str(tmp_path / "blog"))
    assert [r.title for r in library.search("lead")] == ["Lead story", "Blog post"]
    assert [r.title for r in library.search("lead", source_id=news_source.id)] == ["Lead story"]
    assert [r.title for r in library.search("lead", limit=1)] == ["Lead story"]
    view = library.view(query="lead")
    assert (view.query, view.starred) == ("lead", False)
    assert titles(library, view) == ["Lead story", "Blog post"]
    assert library.count(library.view(news_source.id, query="le")) == 1
    assert library.search_cap == 1000
    library.search_cap = 1
    assert library.count(library.view(query="lead")) == 1


def test_views_compare_their_query_and_star() -> None:
    assert View(query="a") != View(query="b") and View(starred=True) != View()
    assert View(None, True, 1.0, query="a") == View(None, True, 2.0, query="a")


# -- undo ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def timed(store: Store, bundled_dir: Path) -> tuple[Library, Clock]:
    clock = Clock()
    return Library(store, clock=clock, bundled=bundled_dir), clock


def read_state(library: Library) -> dict[str, tuple[int, float | None]]:
    return {r[0]: (r[1], r[2])
            for r in library.store._db.execute("SELECT id, read, read_at FROM items")}  # fmt: skip


def test_mark_all_read_then_undo_restores_exactly(
    timed: tuple[Library, Clock], news: Path, tmp_path: Path, write_page: WritePage
) -> None:
    library, _ = timed
    write_page(tmp_path / "blog", "post.txt", "Blog post\n\nBody.\n")
    library.add_source(str(news))
    library.add_source(str(tmp_path / "blog"))
    library.mark_read([row_by_title(library, "Lead story")])
    before = read_state(library)
    assert library.undo() is None and library.undo_description() is None
    assert library.mark_view_read(library.view()).count == 3
    assert library.undo_description() == "mark all read"
    assert library.undo() == Undone("mark all read", 3)
    assert read_state(library) == before
    assert library.undo() is None


def test_undo_goes_back_in_order(library: Library, news: Path, tmp_path: Path,
                                 write_page: WritePage) -> None:  # fmt: skip
    write_page(tmp_path / "blog", "post.txt", "Blog post\n\nBody.\n")
    news_source, _ = library.add_source(str(news))
    blog, _ = library.add_source(str(tmp_path / "blog"))
    library.mark_source_read(blog.id)
    library.mark_view_read(library.view(news_source.id, query="lead"))
    starred = library.set_starred([row_by_title(library, "A teaser"),
                                   row_by_title(library, "Other story")], True)  # fmt: skip
    assert library.undo_description() == "star 2 items"
    assert library.undo() == Undone("star 2 items", 2)
    assert library.starred_count() == 0 and starred.count == 2
    assert library.undo() == Undone("mark all read in search 'lead', news", 1)
    assert library.undo_description() == "mark all read in blog"
    assert library.count(library.view(unread_only=True)) == 3
    assert library.undo() == Undone("mark all read in blog", 1)
    assert library.count(library.view(unread_only=True)) == 4
    assert library.undo() is None


def test_undo_leaves_items_changed_since(timed: tuple[Library, Clock], news: Path) -> None:
    library, _ = timed
    library.add_source(str(news))
    lead, other = row_by_title(library, "Lead story"), row_by_title(library, "Other story")
    library.mark_view_read(library.view())
    library.mark_read([lead], False)  # single toggles since: no entries of their own
    library.mark_read([lead], True)
    assert library.undo() == Undone("mark all read", 2)
    state = read_state(library)
    assert state[lead][0] == 1 and state[other] == (0, None)


def test_mark_read_of_several_items_and_unread_can_be_undone(
    timed: tuple[Library, Clock], news: Path
) -> None:
    library, _ = timed
    library.add_source(str(news))
    ids = [r.id for r in library.rows(library.view(), 0, 10)]
    library.mark_read(ids[:2])
    read = read_state(library)
    assert library.undo_description() == "mark 2 items read"
    library.mark_read(ids, False)
    assert library.undo_description() == "mark 2 items unread"
    assert library.undo() == Undone("mark 2 items unread", 2)
    assert read_state(library) == read  # read again, at the very moments they were read
    library.mark_read([ids[2]])
    assert library.undo_description() == "mark 2 items read"  # a single item: no entry


def test_only_the_last_twenty_changes_can_be_undone(library: Library, news: Path) -> None:
    library.add_source(str(news))
    ids = [r.id for r in library.rows(library.view(), 0, 10)]
    for _ in range(13):
        library.set_starred(ids, True)
        library.set_starred(ids, False)
    undone = 0
    while library.undo() is not None:
        undone += 1
    assert undone == 20
