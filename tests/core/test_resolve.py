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


def _starts() -> list[str]:
    """Every scheme, head and host as drawing them in turn gives them (a scheme, one of its
    four heads, a host when the head ends in //), each as often: a scheme's every head has
    len(HOSTS) entries, and the empty scheme (no head, no host) as many as another scheme."""
    starts = []
    for scheme in SCHEMES:
        heads = [f"{scheme}://", f"{scheme}:", "//", ""] if scheme else [""] * 4
        for head in heads:
            hosts = HOSTS if head.endswith("//") else [""] * len(HOSTS)
            starts += [head + host for host in hosts]
    return starts


# One draw a URL (five draws a URL took most of the property's time), over the same URLs
# with the same weights.
URLS = [start + path + tail for start in _starts() for path in PATHS for tail in TAILS]


def _url() -> st.SearchStrategy[str]:
    return st.sampled_from(URLS)


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
