"""The one home of the rules about feed URLs: what counts as a web URL, and when two URLs name
the same feed.

A feed URL is an absolute http or https URL with a host and a port from 1 to 65535, written
without spaces or unprintable characters. Adding a feed, importing a subscription list,
fetching (each redirect too) and resolving an article's links all ask :func:`web_problem` (or
:func:`is_web`); each says the problem in its own words.

Two URLs name the same feed when :func:`feed_identity` gives both the same text: the scheme and
the host compare without case, a trailing slash and a fragment do not count; the user name,
the path and the query count as written. Adding, importing and the duplicates inside one
imported file all compare this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})

ProblemKind = Literal["spaces", "invalid", "scheme", "host", "port"]


@dataclass(frozen=True, slots=True)
class WebProblem:
    """Why a text is not a web URL. ``detail``: the parser's complaint ("invalid") or the
    scheme that is not http or https ("scheme"; "" when there is none)."""

    kind: ProblemKind
    detail: str = ""


def web_problem(url: str) -> WebProblem | None:
    """Why ``url`` is not an absolute http(s) URL that can be fetched, or None when it is."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return WebProblem("spaces")
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 raises here
    except ValueError as error:
        return WebProblem("invalid", str(error))
    return shape_problem(parts.scheme, parts.hostname or "", port)


def shape_problem(scheme: str, host: str, port: int | None) -> WebProblem | None:
    """The rule on the parts of a URL (as urlsplit or an HTTP client parsed them)."""
    if scheme.lower() not in WEB_SCHEMES:
        return WebProblem("scheme", scheme.lower())
    if not host:
        return WebProblem("host")
    if port is not None and not 0 < port < 65536:
        return WebProblem("port")
    return None


def is_web(url: str) -> bool:
    """True for an absolute http(s) URL with a host: one that relative links can resolve on
    (spaces in it do not matter there)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return shape_problem(parts.scheme, parts.hostname or "", port) is None


def feed_identity(url: str) -> str:
    """What two URLs of the same feed have in common (see the module's notes)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    userinfo, at, host = parts.netloc.rpartition("@")
    path = parts.path.rstrip("/") or "/"
    return f"{parts.scheme.lower()}://{userinfo}{at}{host.lower()}{path}?{parts.query}"
