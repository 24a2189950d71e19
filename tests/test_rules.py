"""One home for each rule (issue 13): what a feed URL is, when two URLs name the same feed,
how entity declarations are cut and how bytes are decoded, asked the same way by adding a
feed, importing a list, fetching and reading a subscription file."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamtui.core.errors import SourceError
from streamtui.core.fetch import FetchError, fetch_one
from streamtui.core.library import Library
from streamtui.core.sources.feedurl import check_url
from streamtui.core.sources.opml import read_subscriptions
from streamtui.core.text.links import base_for

# (first, second, whether they name the same feed)
PAIRS = [
    ("https://a.example/feed", "https://a.example/feed/", True),
    ("https://A.example/Feed", "HTTPS://a.EXAMPLE/Feed", True),
    ("https://a.example/feed", "https://a.example/feed#top", True),
    ("https://a.example/", "https://a.example", True),
    ("https://a.example/Feed", "https://a.example/feed", False),
    ("http://a.example/feed", "https://a.example/feed", False),
    ("https://a.example/f?a=1", "https://a.example/f?a=2", False),
    ("https://Alice@a.example/f", "https://alice@a.example/f", False),
]


@pytest.mark.parametrize(("first", "second", "same"), PAIRS)
def test_a_list_and_the_library_agree_on_duplicates(
    tmp_path: Path, library: Library, first: str, second: str, same: bool
) -> None:
    """The duplicates inside one imported file and those against what is stored are found
    by the same rule (the library dropped a trailing slash and a fragment and the import did
    not; the library folded the user name's case)."""
    inside = read_subscriptions(f"{first}\n{second}\n".encode())
    assert inside.duplicates == int(same)
    listed = tmp_path / "first.txt"
    listed.write_text(first + "\n")
    library.import_subscriptions(str(listed))
    listed.write_text(second + "\n")
    report = library.import_subscriptions(str(listed))
    assert report.duplicates == int(same)
    assert len(report.added) == int(not same)


UNPRINTABLE = ["http://127.0.0.1/\u200bfeed", "http://127.0.0.1/\u00adfeed"]
"""Adding let these through (the import did not): a fetch percent-encodes them."""
REFUSED = [
    "http://x.example:0/feed",  # the import let port 0 through
    "ftp://x.example/feed",
    "gopher://x.example/feed",
    "http:///feed",
    "http://[::1/feed",
    "http://x.example:99999/feed",
]


@pytest.mark.parametrize("url", REFUSED + UNPRINTABLE)
def test_adding_and_importing_refuse_the_same_urls(url: str) -> None:
    with pytest.raises(SourceError):
        check_url(url)
    assert not read_subscriptions(f"{url}\n".encode()).subscriptions


@pytest.mark.parametrize("url", REFUSED)
def test_a_fetch_refuses_them_before_connecting(url: str) -> None:
    with pytest.raises(FetchError) as refused:
        fetch_one(url)
    assert refused.value.kind == "refused"


@pytest.mark.parametrize("url", ["http://x.example:0/", "http://[::1/", "ftp://x/", "http:///"])
def test_links_resolve_only_on_a_feed_url(url: str) -> None:
    assert base_for(url, "https://ok.example/") == "https://ok.example/"


@pytest.mark.parametrize("codec", ["utf-32", "utf-16", "utf-8-sig"])
def test_a_list_is_decoded_like_a_feed_file(codec: str) -> None:
    """A byte-order mark of any Unicode form (a UTF-32 list was called binary data)."""
    listing = read_subscriptions("https://a.example/feed\n".encode(codec))
    assert [s.url for s in listing.subscriptions] == ["https://a.example/feed"]


def test_a_cut_declaration_keeps_the_line_numbers_of_an_opml_error() -> None:
    """Entity declarations are cut by one function (parse/defuse.py), which keeps their
    newlines: the OPML cut dropped them and errors named the wrong line."""
    data = b'<!DOCTYPE opml [\n<!ENTITY a "b">\n\n]>\n<opml><body><outline></body></opml>'
    with pytest.raises(SourceError, match="line 5"):
        read_subscriptions(data, name="x.opml")
