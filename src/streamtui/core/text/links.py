"""Links found in feed items: resolving them, and deciding whether one may be opened.

Feed data is untrusted: an item's link can be ``javascript:``, an enclosure ``file:``, a body
may link to ``smb:`` shares or carry control characters inside a URL. The app asks
:func:`refusal` before it opens anything, and opens only ``http``, ``https`` and ``mailto``
(through ``webbrowser`` or an argv list, never a shell).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from streamtui.core.urls import WEB_SCHEMES, is_web

OPENABLE = frozenset({"http", "https", "mailto"})
MAX_URL = 8192
"""Longer links are refused: no site needs them and a terminal line cannot show them."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")


def base_for(*candidates: str) -> str:
    """The first candidate that is an absolute http(s) URL, else ``""`` (resolve nothing).

    For an article: its own link, then its source's location."""
    return next((candidate for candidate in candidates if is_web(candidate)), "")


def resolve(url: str, base: str) -> str:
    """``url`` made absolute against ``base`` when ``base`` is an http(s) URL.

    Surrounding whitespace goes (as browsers drop it from attributes); a URL that cannot be
    joined (a malformed IPv6 host) comes back as it was, for :func:`refusal` to judge."""
    url = url.strip()
    if not url or not is_web(base):
        return url
    try:
        return urljoin(base, url)
    except ValueError:
        return url


def refusal(url: str) -> str | None:
    """None when ``url`` may be opened, else a one-line reason to show the user."""
    if not url.strip():
        return "The link is empty."
    if _CONTROL.search(url):
        return "The link contains control characters; it is not opened."
    if len(url) > MAX_URL:
        return f"The link is longer than {MAX_URL} characters; it is not opened."
    try:
        parts = urlsplit(url)
    except ValueError:
        return "The link is malformed; it is not opened."
    scheme = parts.scheme
    if url != url.strip():
        return "The link has spaces around it; it is not opened."
    if not scheme:
        return "The link has no scheme (http, https or mailto); it is not opened."
    if scheme not in OPENABLE:
        return f"{scheme[:40]}: links are not opened; only http, https and mailto are."
    if scheme in WEB_SCHEMES and not parts.hostname:
        return f"The {scheme} link has no host; it is not opened."
    if scheme == "mailto" and not parts.path.strip():
        return "The mailto link has no address; it is not opened."
    return None
