"""OPML import and export: formats, folders, refusals, hostile XML, corpus files, round trip."""

from __future__ import annotations

import csv
import string
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamtui.core.errors import SourceError
from streamtui.core.sources.opml import (
    ImportList,
    Rejected,
    Subscription,
    read_subscriptions,
    write_opml,
)
from streamtui.core.text.sanitize import sanitize

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
OPML_DIR = CORPUS / "opml"
OPML_FILES = sorted(OPML_DIR.iterdir()) if OPML_DIR.is_dir() else []

OPML_2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Mine</title><dateCreated>Mon, 01 Jan 2024 00:00:00 GMT</dateCreated></head>
  <body>
    <outline text="Text only" type="rss" xmlUrl="https://one.example/feed.xml"/>
    <outline text="Text" title="Title wins" type="atom" xmlUrl="https://two.example/atom"/>
    <outline text="Lower-case attribute" type="rss" xmlurl="http://three.example/rss"/>
    <outline text="url attribute" type="link" url="https://four.example/feed"/>
    <outline text="no type" xmlUrl="https://five.example/"/>
  </body>
</opml>
"""

OPML_1 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0">
<head><title>old</title></head>
<body>
<outline text="Scripting News" type="rss" version="RSS" xmlUrl="http://scripting.com/rss.xml"
  htmlUrl="http://scripting.com/"/>
<outline title="Only a title" type="rss" xmlUrl="http://example.org/index.xml"/>
</body>
</opml>
"""

NESTED = b"""<?xml version="1.0"?>
<opml version="2.0">
  <head><outline text="ignored, not in the body" xmlUrl="https://head.example/"/></head>
  <body>
    <outline text="top" xmlUrl="https://top.example/"/>
    <outline text="Tech" title="ignored for folders">
      <outline text="t1" xmlUrl="https://t1.example/"/>
      <outline title="Blogs">
        <outline text="b1" xmlUrl="https://b1.example/"/>
        <outline text="Deep"><outline text="d1" xmlUrl="https://d1.example/"/></outline>
      </outline>
      <outline text="t2" xmlUrl="https://t2.example/"/>
    </outline>
    <outline text="Empty folder"/>
    <outline><outline text="nameless folder" xmlUrl="https://n.example/"/></outline>
  </body>
</opml>
"""


def opml(body: str, *, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f'{declaration}\n<opml version="2.0"><head/><body>{body}</body></opml>'.encode()


# --- reading OPML ----------------------------------------------------------------------------


def test_opml_2_titles_attributes_and_types() -> None:
    result = read_subscriptions(OPML_2, name="mine.opml")
    assert result == ImportList(
        (
            Subscription("https://one.example/feed.xml", "Text only"),
            Subscription("https://two.example/atom", "Title wins"),
            Subscription("http://three.example/rss", "Lower-case attribute"),
            Subscription("https://four.example/feed", "url attribute"),
            Subscription("https://five.example/", "no type"),
        ),
        (),
    )


def test_opml_1_in_latin_1_declared_encoding() -> None:
    data = OPML_1.replace(b"Only a title", "Café Müller".encode("latin-1"))
    assert b"\xe9" in data  # a real Latin-1 byte, invalid as UTF-8
    result = read_subscriptions(data)
    assert result.subscriptions == (
        Subscription("http://scripting.com/rss.xml", "Scripting News"),
        Subscription("http://example.org/index.xml", "Café Müller"),
    )


def test_nested_outlines_become_folders() -> None:
    result = read_subscriptions(NESTED)
    assert [(s.title, s.folder) for s in result.subscriptions] == [
        ("top", ""),
        ("t1", "Tech"),
        ("b1", "Tech/Blogs"),
        ("d1", "Tech/Blogs/Deep"),
        ("t2", "Tech"),
        ("nameless folder", ""),
    ]
    assert result.rejected == ()


def test_other_encodings_bom_and_mislabelled_utf8() -> None:
    body = '<outline text="café €" xmlUrl="https://x.example/"/>'
    utf16 = opml(body, declaration='<?xml version="1.0" encoding="UTF-16"?>').decode()
    cp1252 = opml(body, declaration='<?xml version="1.0" encoding="windows-1252"?>').decode()
    for data in (
        utf16.encode("utf-16"),  # with a BOM
        cp1252.encode("cp1252"),
        b"\xef\xbb\xbf" + opml(body),
        opml(body).decode().encode("cp1252"),  # says UTF-8, is Windows-1252: repaired
    ):
        assert read_subscriptions(data).subscriptions[0].title == "café €"


def test_titles_are_sanitised() -> None:
    data = opml(
        '<outline text="a&#x9b;31m&#x9d;0;x&#x9c; &#x202E;b\t\tc" xmlUrl="https://x.example/"/>'
    )
    assert read_subscriptions(data).subscriptions[0].title == "a b c"


def test_outlines_without_a_usable_url_are_rejected() -> None:
    data = opml(
        '<outline type="rss" text="typed, no URL"/><outline text="blank" xmlUrl="  "/>'
        '<outline text="a folder with nothing in it"/>'
    )
    result = read_subscriptions(data)
    assert result.subscriptions == ()
    assert result.rejected == (
        Rejected("typed, no URL", "the outline has no feed URL"),
        Rejected("blank", "the outline has no feed URL"),
    )


# --- plain lists -----------------------------------------------------------------------------


def test_plain_url_list_with_comments_and_blank_lines() -> None:
    data = (
        b"\xef\xbb\xbf# my feeds\r\n\r\n  https://a.example/feed  \r\n"
        b"# http://commented.example/\n\thttp://b.example/rss?x=1&y=2\n\n"
    )
    result = read_subscriptions(data, name="urls")
    assert result == ImportList(
        (Subscription("https://a.example/feed"), Subscription("http://b.example/rss?x=1&y=2")), ()
    )


def test_detection_is_by_content_not_name() -> None:
    assert read_subscriptions(OPML_2, name="feeds.txt").subscriptions[0].title == "Text only"
    listed = read_subscriptions(b"https://a.example/\n", name="feeds.opml")
    assert listed.subscriptions == (Subscription("https://a.example/"),)


def test_empty_input_imports_nothing() -> None:
    assert read_subscriptions(b"") == ImportList((), ())
    assert read_subscriptions(b"# only a comment\n\n") == ImportList((), ())


# --- refusals and duplicates -----------------------------------------------------------------

ONLY = "only http and https feeds can be imported"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", f"{ONLY}; file: URLs are refused"),
        ("exec:~/bin/make-feed", f"{ONLY}; exec: URLs are refused (newsboat runs them as"),
        ("filter:~/bin/f:https://x.example/", f"{ONLY}; filter: URLs are refused (newsboat"),
        ('query:Unread:unread = "yes"', "the URL contains whitespace"),
        ("query:Unread:unread=yes", f"{ONLY}; query: URLs are refused"),
        ("feeds/local.xml", f"{ONLY}; this is a relative path or a URL without a scheme"),
        ("example.com/feed", f"{ONLY}; this is a relative path or a URL without a scheme"),
        ("//example.com/feed", f"{ONLY}; this is a relative path or a URL without a scheme"),
        ("/home/me/feed.xml", f"{ONLY}; local paths are refused"),
        ("~/feed.xml", f"{ONLY}; local paths are refused"),
        ("./feed.xml", f"{ONLY}; local paths are refused"),
        ("C:\\feeds\\a.xml", f"{ONLY}; local paths are refused"),
        ("ftp://ftp.example/feed.xml", f"{ONLY}; ftp: URLs are refused"),
        ("javascript:alert(1)", f"{ONLY}; javascript: URLs are refused"),
        ("feed://x.example/rss", f"{ONLY}; feed: URLs are refused"),
        ("http:///feed.xml", "the URL has no host"),
        ("https:/x.example/feed", "the URL has no host"),
        ("http://bad host/feed", "the URL contains whitespace or control characters"),
        ("http://x.example/\x9b31m", "the URL contains whitespace or control characters"),
        ("http://x.example/\u202ecdf.exe", "the URL contains whitespace or control characters"),
        ("http://x.example:port/", "not a valid URL"),
        ("http://[::1/feed", "not a valid URL"),
    ],
)
def test_refused_urls_say_why(url: str, reason: str) -> None:
    for data in (url.encode() + b"\n", opml(f'<outline text="t" xmlUrl="{_attr(url)}"/>')):
        result = read_subscriptions(data)
        assert result.subscriptions == ()
        [rejected] = result.rejected
        assert rejected.entry == sanitize(url)
        assert rejected.reason.startswith(reason)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def test_plain_list_lines_with_escape_sequences_are_refused_one_by_one() -> None:
    result = read_subscriptions(b"https://ok.example/\nhttps://x.example/\x1b]0;title\x07\n")
    assert result.subscriptions == (Subscription("https://ok.example/"),)
    assert result.rejected == (
        Rejected("https://x.example/", "the URL contains whitespace or control characters"),
    )


def test_long_refused_entries_are_shortened() -> None:
    [rejected] = read_subscriptions(b"x" * 5000).rejected
    assert len(rejected.entry) == 200


def test_duplicates_compare_scheme_and_host_case_insensitively() -> None:
    data = opml(
        '<outline text="first" xmlUrl="https://A.example/Feed"/>'
        '<outline text="same" xmlUrl="HTTPS://a.EXAMPLE/Feed"/>'
        '<outline text="Folder"><outline text="again" xmlUrl=" https://a.example/Feed "/></outline>'
        '<outline text="other path case" xmlUrl="https://a.example/feed"/>'
        '<outline text="other scheme" xmlUrl="http://a.example/Feed"/>'
    )
    result = read_subscriptions(data)
    assert result.duplicates == 2
    assert [s.title for s in result.subscriptions] == ["first", "other path case", "other scheme"]
    assert result.subscriptions[0] == Subscription("https://A.example/Feed", "first")


# --- broken and hostile input ----------------------------------------------------------------


def test_undefined_entities_and_bare_ampersands_are_repaired() -> None:
    data = opml(
        '<outline text="Tom&nbsp;&amp;&nbsp;Jerry &eacute;t&eacute;" xmlUrl="https://x.example/"/>'
        '<outline text="Q&A &> /dev/null &bogus; &#0; &#123456789012;" xmlUrl="https://y.example/?a=1&b=2"/>'
    )
    result = read_subscriptions(data)
    assert [(s.title, s.url) for s in result.subscriptions] == [
        ("Tom\xa0&\xa0Jerry été", "https://x.example/"),
        ("Q&A &> /dev/null &bogus; &#123456789012;", "https://y.example/?a=1&b=2"),
    ]


def test_billion_laughs_does_not_expand() -> None:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)).replace(
        "&lol0;", "lol"
    )
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY lol0 "lol">{levels}]>'
        '<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://x.example/&lol9;"/>'
        "</body></opml>"
    ).encode()
    started = time.perf_counter()
    result = read_subscriptions(data)
    assert time.perf_counter() - started < 1
    assert result.subscriptions == (Subscription("https://x.example/&lol9;", "&lol9;"),)


def test_external_entities_are_never_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "{secret.as_uri()}" '
        f'[<!ENTITY xxe SYSTEM "{secret.as_uri()}"><!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]>'
        '<opml><body><outline text="&xxe;" xmlUrl="https://x.example/"/></body></opml>'
    ).encode()
    [subscription] = read_subscriptions(data).subscriptions
    assert subscription.title == "&xxe;"


def test_entity_declarations_that_escape_the_cut_are_refused() -> None:
    # UTF-16 is not cut byte-wise; expat then meets the declaration and we stop.
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY a "aaaa">]>'
        '<opml><body><outline text="&a;" xmlUrl="https://x.example/"/></body></opml>'
    )
    with pytest.raises(SourceError, match="entity declarations are not allowed"):
        read_subscriptions(text.encode("utf-16"), name="wide.opml")


def test_comments_and_cdata_that_mention_a_doctype_are_kept_intact() -> None:
    data = opml(
        '<!-- <!DOCTYPE opml [ <!ENTITY x "y"> ]> -->'
        '<outline text="kept" xmlUrl="https://x.example/"/>'
    )
    assert read_subscriptions(data).subscriptions == (Subscription("https://x.example/", "kept"),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 3, "neither OPML nor a list of feed URLs (binary data)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither OPML nor a list of feed URLs"),
        (
            b"<opml><body><outline text='a' xmlUrl='https://x/'></body>",
            "not valid OPML: mismatched",
        ),
        (b'<opml><body><outline text="a "b"" xmlUrl="https://x/"/></body></opml>', "not valid"),
        (b"<opml><head/></opml>", "not valid OPML: the <opml> element has no <body>"),
        (b'<rss version="2.0"><channel/></rss>', "not OPML: the root element is <rss>"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "not OPML: the root element is <html>"),
        (b'<?xml version="1.0" encoding="nope"?><opml/>', "not valid OPML: unknown encoding"),
        (b"<opml><body/></opml><opml/>", "not valid OPML: junk after document element"),
    ],
)
def test_unreadable_input_raises_source_error_with_the_name(data: bytes, message: str) -> None:
    with pytest.raises(SourceError) as raised:
        read_subscriptions(data, name="subs.opml")
    assert raised.value.source == "subs.opml"
    assert str(raised.value).startswith(f"subs.opml: {message}")


def test_unnamed_input_still_gets_a_name() -> None:
    with pytest.raises(SourceError, match=r"^subscription list: "):
        read_subscriptions(b"\x00\x01\x02")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: b"<opml><body>" + s.encode()))
def test_any_bytes_import_or_raise_source_error(data: bytes) -> None:
    try:
        result = read_subscriptions(data, name="fuzz")
    except SourceError as error:
        assert error.source == "fuzz"
    else:
        for subscription in result.subscriptions:
            parts = urlsplit(subscription.url)
            assert parts.scheme.lower() in ("http", "https") and parts.hostname


# --- writing ---------------------------------------------------------------------------------

CREATED = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)


def test_write_opml_2_with_head_and_nested_folders() -> None:
    text = write_opml(
        [
            Subscription("https://a.example/", "A", "Tech/Blogs"),
            Subscription("https://b.example/", "B", "Tech"),
            Subscription("https://c.example/", "C"),
        ],
        title="My feeds",
        created=CREATED,
    )
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "My feeds"
    assert parsedate_to_datetime(root.findtext("head/dateCreated") or "") == CREATED
    [tech, c] = root.findall("body/outline")
    assert tech.attrib == {"text": "Tech"}
    [blogs, b] = tech.findall("outline")
    assert blogs.get("text") == "Blogs"
    feed = blogs.find("outline")
    assert feed is not None
    assert feed.attrib == {
        "type": "rss",
        "text": "A",
        "title": "A",
        "xmlUrl": "https://a.example/",
    }
    assert (b.get("xmlUrl"), c.get("xmlUrl")) == ("https://b.example/", "https://c.example/")


def test_write_escapes_every_attribute_and_drops_controls() -> None:
    nasty = 'Tom & "Jerry" <b>\'s</b> \x1b]52;c;eHg=\x07\x00\x0b\ufffe\u202e!'
    text = write_opml(
        [Subscription('https://x.example/?a=1&b="2"<3>', nasty, "R&D/<x>")],
        title="a & b <c>",
        created=CREATED,
    )
    assert "\x1b" not in text and "\x00" not in text and "\ufffe" not in text
    assert "&amp;" in text and "&lt;b&gt;" in text and "&quot;Jerry&quot;" in text
    root = ET.fromstring(text.encode("utf-8"))
    assert root.findtext("head/title") == "a & b <c>"
    folder = root.find("body/outline")
    assert folder is not None
    assert folder.get("text") == "R&D"
    feed = folder.find("outline/outline")
    assert feed is not None
    assert feed.get("title") == feed.get("text") == 'Tom & "Jerry" <b>\'s</b> !'
    assert feed.get("xmlUrl") == 'https://x.example/?a=1&b="2"<3>'


def test_write_dates_are_rfc_822_in_gmt() -> None:
    local = datetime(2024, 3, 5, 8, 7, 8, tzinfo=timezone(timedelta(hours=2)))
    assert "<dateCreated>Tue, 05 Mar 2024 06:07:08 GMT</dateCreated>" in write_opml(
        [], created=local
    )
    naive = write_opml([], created=datetime(2024, 3, 5, 6, 7, 8))
    assert "<dateCreated>Tue, 05 Mar 2024 06:07:08 GMT</dateCreated>" in naive
    assert "GMT</dateCreated>" in write_opml([])


def test_written_folders_keep_the_given_order() -> None:
    subscriptions = (
        Subscription("https://a.example/", "a", "X"),
        Subscription("https://b.example/", "b"),
        Subscription("https://c.example/", "c", "X"),
    )
    text = write_opml(subscriptions, created=CREATED)
    assert text.count('<outline text="X">') == 2
    assert read_subscriptions(text.encode()).subscriptions == subscriptions


# --- round trip ------------------------------------------------------------------------------

_ODD = st.sampled_from(list("&<>\"'/ \t\n\x00\x1b\x07\x9b\u202e\u2028é€日😀\ufdd0"))
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff") | _ODD,
    max_size=30,
)
_TITLES = _TEXT.map(sanitize)
_SEGMENTS = _TEXT.map(lambda s: sanitize(s.replace("/", ""))).filter(bool)
_FOLDERS = st.lists(_SEGMENTS, max_size=3).map("/".join)
_HOSTS = st.from_regex(
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,15}[A-Za-z0-9])?(\.[A-Za-z]{2,6}){0,2}", fullmatch=True
)
_PATHS = st.text(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@%?#<>\"/é", max_size=30)
_URLS = st.builds(
    "{}://{}{}/{}".format,
    st.sampled_from(["http", "https", "HTTPS"]),
    _HOSTS,
    st.sampled_from(["", ":8080"]),
    _PATHS,
)
_SUBSCRIPTIONS = st.lists(
    st.builds(Subscription, _URLS, _TITLES, _FOLDERS), max_size=8, unique_by=lambda s: s.url.lower()
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SUBSCRIPTIONS)
def test_round_trip(subscriptions: list[Subscription]) -> None:
    text = write_opml(subscriptions, created=CREATED)
    assert read_subscriptions(text.encode("utf-8")) == ImportList(tuple(subscriptions), ())


# --- the shared corpus -----------------------------------------------------------------------

# Files the corpus holds that are not OPML we can read, each with why. Both count 0 feeds in the
# manifest too: listparser crashed on the first and found no <body> in the second.
CORPUS_FAILURES = {
    # Unescaped HTML with nested double quotes inside a description attribute (line 43); the bare
    # "&>" on line 34 is repaired, the quoting cannot be.
    "plenary_programming.opml": "not valid OPML: not well-formed (invalid token): line 43",
    "newsboat_body_missing.opml": "not valid OPML: the <opml> element has no <body>",
}


CORPUS_DUPLICATES = {"nnw_subs.opml": 1}
"""http://feed.katiefloyd.com and http://feed.katiefloyd.com/: the library took the second for
a duplicate of the first as it stored them; the file's own duplicates are found alike now."""


def _manifest_entries() -> dict[str, int]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as manifest:
        rows = csv.DictReader(manifest, delimiter="\t")
        return {row["file"]: int(row["entries"]) for row in rows if row["file"].startswith("opml/")}


@pytest.mark.skipif(not OPML_FILES, reason=f"the shared corpus is absent: {OPML_DIR} not found")
@pytest.mark.parametrize("path", OPML_FILES or [OPML_DIR], ids=lambda path: path.name)
def test_corpus_file_imports_or_fails_naming_the_file(path: Path) -> None:
    expected = _manifest_entries()[f"opml/{path.name}"]
    try:
        result = read_subscriptions(path.read_bytes(), name=path.name)
    except SourceError as error:
        assert str(error).startswith(f"{path.name}: {CORPUS_FAILURES[path.name]}")
        assert expected == 0
        return
    assert path.name not in CORPUS_FAILURES
    # Every file that imports gives exactly the manifest's count (listparser's feeds), with
    # nothing refused and no duplicates but the same feed twice by the one rule of
    # core/urls.py (listparser counts both).
    duplicates = CORPUS_DUPLICATES.get(path.name, 0)
    assert len(result.subscriptions) == expected - duplicates
    assert (result.rejected, result.duplicates) == ((), duplicates)


@pytest.mark.skipif(not OPML_FILES, reason=f"the shared corpus is absent: {OPML_DIR} not found")
def test_corpus_folders_and_undefined_entity() -> None:
    nested = read_subscriptions((OPML_DIR / "newsboat_example_nested.opml").read_bytes())
    assert sorted({s.folder for s in nested.subscriptions}) == [
        "",
        "Blogs",
        "Blogs/friends",
        "eloquent",
    ]
    entity = OPML_DIR / "listparser_malformed_undefined_entity_attr.opml"
    [feed] = read_subscriptions(entity.read_bytes()).subscriptions
    assert feed == Subscription("http://domain1/feed", "arch&egregiouslyundefined;ology")
    latin = read_subscriptions(
        (OPML_DIR / "newsraft_winer_mysubscriptions_latin1.opml").read_bytes()
    )
    assert latin.subscriptions[0] == Subscription(
        "http://news.com.com/2547-1_3-0-5.xml", "CNET News.com"
    )
