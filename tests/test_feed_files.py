"""Feed files on disk are feed sources, judged by content (issue 12: ``add ./feed.atom``
gave one item titled ``<feed xmlns=...>`` holding the raw XML, and ``file://`` URLs were
refused). RSS, Atom, RDF and JSON Feed fixtures, under names that do not give them away;
a stream page, a binary file and an HTML page beside them."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.store import add_source_with_items

from streamtui.core.errors import SourceError
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.sources.feedfile import feed_format, is_html_document, local_path
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList

RSS = """<?xml version="1.0" encoding="utf-8"?>
<!-- saved from a podcast site -->
<rss version="2.0"><channel><title>Local RSS</title><link>https://rss.example/</link>
<item><title>RSS one</title><guid>r1</guid><link>https://rss.example/1</link>
<pubDate>Mon, 01 Jun 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;First.&lt;/p&gt;</description></item>
<item><title>RSS two</title><guid>r2</guid><pubDate>Tue, 02 Jun 2026 10:00:00 GMT</pubDate></item>
</channel></rss>
"""
ATOM = """<?xml version="1.0"?>
<!DOCTYPE feed [ <!ENTITY x "y"> ]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Local Atom</title><id>urn:a</id>
<updated>2026-06-01T00:00:00Z</updated>
<entry><title>Atom one</title><id>urn:a1</id><updated>2026-06-03T00:00:00Z</updated></entry>
</feed>
"""
RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://rdf.example/"><title>Local RDF</title><link>https://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="https://rdf.example/1"><title>RDF one</title><link>https://rdf.example/1</link></item>
</rdf:RDF>
"""
JSON_FEED = json.dumps(
    {
        "title": "Local JSON",
        "items": [{"id": "j1", "title": "JSON one", "content_text": "Hello."}],
        "version": "https://jsonfeed.org/version/1.1",  # last: found wherever it is
    }
)
PAGE = 'Why <feed> and <rss> tags matter\n\n<rss version="2.0"> opens a feed; this is a page.\n'
HTML = "<!DOCTYPE html>\n<html><head><title>A page</title></head><body>x</body></html>\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "podcast.txt").write_text(RSS)  # a feed under a page's name
    (folder / "feed.atom").write_text(ATOM)
    (folder / "news.rdf").write_text(RDF)
    (folder / "feed.json").write_text(JSON_FEED)
    utf16 = RSS.replace('encoding="utf-8"', 'encoding="utf-16"')
    (folder / "utf16.xml").write_bytes(codecs.BOM_UTF16_LE + utf16.encode("utf-16-le"))
    (folder / "page.txt").write_text(PAGE)
    (folder / "page.html").write_text(HTML)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    return folder


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(Store.open(tmp_path / "streamtui.db"), bundled=tmp_path / "none")


def titles(library: Library, source_id: int) -> list[str]:
    return sorted(row.title for row in library.rows(library.view(source_id), 0, 100))


def test_the_format_is_judged_by_content(files: Path) -> None:
    formats = {path.name: feed_format(path.read_bytes()) for path in sorted(files.iterdir())}
    assert formats == {
        "feed.atom": "Atom",
        "feed.json": "JSON Feed",
        "image.png": "",
        "news.rdf": "RDF",
        "page.html": "",
        "page.txt": "",
        "podcast.txt": "RSS",
        "utf16.xml": "RSS",
    }
    assert is_html_document((files / "page.html").read_bytes())
    assert not is_html_document((files / "podcast.txt").read_bytes())
    assert not is_html_document(PAGE.encode())


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("podcast.txt", "Local RSS", ["RSS one", "RSS two"]),
        ("feed.atom", "Local Atom", ["Atom one"]),
        ("news.rdf", "Local RDF", ["RDF one"]),
        ("feed.json", "Local JSON", ["JSON one"]),
        ("utf16.xml", "Local RSS", ["RSS one", "RSS two"]),
    ],
)
def test_a_feed_file_is_a_feed_source(
    library: Library, files: Path, name: str, source: str, expected: list[str]
) -> None:
    added, report = library.add_source(str(files / name))
    assert added.kind is SourceKind.FILE and added.name == source  # the feed's own title
    assert report.stats is not None and report.stats.added == len(expected)
    assert titles(library, added.id) == expected
    article = library.article(library.rows(library.view(added.id), 0, 1)[0].id)
    assert "<" not in article.row.title and "xmlns" not in article.body


def test_a_stream_page_and_a_web_page_and_a_binary_file(library: Library, files: Path) -> None:
    page, _ = library.add_source(str(files / "page.txt"))
    assert titles(library, page.id) == ["Why <feed> and <rss> tags matter"]
    with pytest.raises(SourceError, match="a web page \\(HTML\\), not a feed or a stream page"):
        library.add_source(str(files / "page.html"))
    with pytest.raises(SourceError, match="binary"):
        library.add_source(str(files / "image.png"))
    assert [s.name for s in library.sources()] == ["page"]  # nothing else was stored


def test_a_folder_of_stream_pages_stays_a_folder_source(library: Library, files: Path) -> None:
    folder, _ = library.add_source(str(files))
    assert folder.kind is SourceKind.FOLDER
    # it reads *.txt pages as pages, even one that holds a feed (a folder's files are pages)
    assert "Why <feed> and <rss> tags matter" in titles(library, folder.id)


def test_file_urls(library: Library, files: Path) -> None:
    source, _ = library.add_source((files / "feed.atom").as_uri())
    assert source.location == str((files / "feed.atom").resolve())
    assert local_path("file://localhost/tmp/x%20y.xml") == "/tmp/x y.xml"
    assert local_path("file:/tmp/x.xml") == "/tmp/x.xml"
    for url, reason in [
        (
            "file://otherhost/tmp/x.xml",
            "only files on this machine can be added, not on 'otherhost'",
        ),
        ("file:///tmp/x.xml?q=1", "does not name a file"),
        ("file://", "names no file"),
    ]:
        with pytest.raises(SourceError, match=reason):
            library.add_source(url)
    assert library.find_source((files / "feed.atom").as_uri()).id == source.id
    assert [item.title for item in library.preview((files / "news.rdf").as_uri()).items] == [
        "RDF one"
    ]


def test_a_changed_feed_file_is_read_again_and_an_unchanged_one_is_not(
    library: Library, files: Path
) -> None:
    path = files / "feed.atom"
    source, _ = library.add_source(str(path))
    first = library.rows(library.view(source.id), 0, 1)[0].id
    library.mark_read([first])
    report = library.sync(library.find_source(str(source.id)))
    assert report.stats is not None and not (report.stats.added or report.stats.updated)
    entry = "<entry><title>Atom two</title><id>urn:a2</id><updated>2026-06-04T00:00:00Z</updated>"
    path.write_text(ATOM.replace("</feed>", entry + "</entry></feed>"))
    os.utime(path, (1_800_000_000, 1_800_000_000))
    report = library.sync(library.find_source(str(source.id)))
    assert report.stats is not None and report.stats.added == 1
    assert titles(library, source.id) == ["Atom one", "Atom two"]
    row = library.row(first)
    assert row is not None and row.read  # read state kept
    path.write_text("not xml at all <<<")  # a stream page now: judged again by content
    library.sync(library.find_source(str(source.id)))
    assert titles(library, source.id) == ["not xml at all <<<"]


def test_a_feed_file_added_before_the_fix_is_read_again_as_a_feed(
    library: Library, files: Path
) -> None:
    """What the bug stored (one item with the raw XML, a stat fingerprint of the old kind)
    is replaced on the next read, without the file changing."""
    from streamtui.core.sources.pages import load_source

    path = (files / "feed.atom").resolve()
    old = load_source(str(path), path)
    assert old is not None and old.items[0].title.startswith("<?xml")
    source, _ = add_source_with_items(
        library.store, "feed", SourceKind.FILE, str(path), old.items, fingerprint=old.fingerprint
    )
    library.refresh([library.find_source(str(source.id))])
    assert titles(library, source.id) == ["Atom one"]


def test_the_command_line_adds_and_lists_a_feed_file(files: Path) -> None:
    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "streamtui", *args]
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)

    added = run("add", "./feed.atom", cwd=files)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added 'Local Atom' (") and "1 item(s)" in added.stdout
    listed = run("list", "--source", "Local Atom")
    assert "Atom one" in listed.stdout and "xmlns" not in listed.stdout
    refused = run("add", "file://otherhost/x.xml")
    assert refused.returncode == 1
    assert refused.stderr == (
        "streamtui: file://otherhost/x.xml: only files on this machine can be added, "
        "not on 'otherhost'\n"
    )


async def test_the_app_shows_a_feed_file_like_any_source(library: Library, files: Path) -> None:
    library.add_source(str(files / "podcast.txt"))
    app = StreamApp(library, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        sidebar = app.query_one(SourcesSidebar)
        prompts = [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]
        assert any(prompt.startswith("Local RSS") for prompt in prompts)
        stream = app.query_one(StreamList)
        assert [stream.row_at(i).title for i in range(stream.count)] == ["RSS two", "RSS one"]  # type: ignore[union-attr]
        await pilot.press("j", "enter")
        assert "First." in app.article.rendered_text()
    library.close()
