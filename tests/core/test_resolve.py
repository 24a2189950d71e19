"""An item's link resolved against its feed (parse/entries.resolve): what urljoin gives,
with the base's scheme read once a feed (entries._absolute)."""

from __future__ import annotations

from urllib.parse import urljoin

from hypothesis import given, settings
from hypothesis import strategies as st

from streamtui.core.parse import entries
from streamtui.core.parse.entries import resolve

SCHEMES = ["http", "https", "HTTP", "ftp", "mailto", "javascript", "data", "file", "x-y", ""]
HOSTS = ["example.com", "a.example:8080", "[::1]", "[::1", "u:p@h", "", "xn--d1a.example"]
PATHS = ["", "/", "/a/b", "a/b", "../c", "./", ";p", "/x;y", "//", "///z", " ", "\t/t", "%2F"]
TAILS = ["", "?", "?q=1", "#", "#f", "?a=1&b=2#x", "?#"]


@st.composite
def _url(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(SCHEMES))
    head = draw(st.sampled_from([f"{scheme}://", f"{scheme}:", "//", ""])) if scheme else ""
    host = draw(st.sampled_from(HOSTS)) if head.endswith("//") else ""
    path = draw(st.sampled_from(PATHS))
    return head + host + path + draw(st.sampled_from(TAILS))


def _reference(base: str, href: str) -> str:
    href = href.strip()
    if not href or not base:
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


@settings(max_examples=2000, deadline=None, database=None)
@given(st.lists(_url(), min_size=1, max_size=3), st.lists(_url(), min_size=1, max_size=5))
def test_an_items_link_is_what_urljoin_gives(bases: list[str], hrefs: list[str]) -> None:
    for base in bases:
        for href in hrefs:  # the second link of a base takes the remembered scheme
            assert resolve(base, href) == _reference(base, href), (base, href)


def test_the_base_is_parsed_once_a_feed() -> None:
    entries._SCHEMES.clear()
    base = "https://feed.example/rss"
    links = [f"https://feed.example/{n}" for n in range(5)] + ["http://other.example/x"]
    assert [resolve(base, link) for link in links] == links
    assert dict(entries._SCHEMES) == {base: "https"}
    assert resolve(base, "../up?q") == "https://feed.example/up?q"  # joined by urljoin
