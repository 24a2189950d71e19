"""Subscribing to a feed URL: fetch, recognise (feed, HTML page with feed links, junk), parse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from streamtui.core.errors import SourceError
from streamtui.core.fetch import Fetched, Limits, fetch_one
from streamtui.core.models import ParsedFeed
from streamtui.core.parse.pages import binary_kind, find_feed_links, looks_like_html
from streamtui.core.parse.pool import FeedParser
from streamtui.core.text.sanitize import excerpt
from streamtui.core.urls import WebProblem, web_problem

LISTED_CHOICES = 3
"""How many of a page's feeds the one-line message of FeedChoiceError names."""

if TYPE_CHECKING:
    from streamtui.core.credentials import Credential


class FeedChoiceError(SourceError):
    """The URL is a web page that links feeds: the user picks one. ``choices`` holds every
    feed the page links (the app's dialog offers them all); the message names a few."""

    def __init__(self, source: str, choices: list[tuple[str, str]]) -> None:
        listed = "; ".join(
            f"{excerpt(title or 'feed', 60)} <{excerpt(url, 100)}>"
            for title, url in choices[:LISTED_CHOICES]
        )
        more = len(choices) - LISTED_CHOICES
        if more > 0:
            listed += f"; and {more:,} more"
        super().__init__(source, f"this is a web page, not a feed; it links: {listed}")
        self.choices = choices


@dataclass(frozen=True, slots=True)
class Subscribed:
    fetched: Fetched
    feed: ParsedFeed


def check_url(url: str) -> str:
    """A feed URL as we store it, or SourceError saying why it cannot be one (the rule:
    core/urls.py)."""
    text = url.strip()
    if text.lower().startswith("feed:"):  # feed://host/x and feed:https://host/x
        rest = text[5:].removeprefix("//") if text[5:].startswith("//") else text[5:]
        text = rest if rest.lower().startswith(("http://", "https://")) else f"http://{rest}"
    problem = web_problem(text)
    if problem is not None:
        raise SourceError(excerpt(url), _ADD_REASONS.get(problem.kind) or _invalid(problem))
    return text


_ADD_REASONS = {
    "spaces": "the URL contains spaces or control characters",
    "scheme": "only http and https feed URLs can be added",
    "host": "the URL has no host",
    "port": "not a valid URL (port 0 cannot be connected to)",
}


def _invalid(problem: WebProblem) -> str:
    """urlsplit's complaint in a user's words."""
    text = problem.detail
    if "IPv6" in text or "IPv4" in text:
        return "not a valid URL (the host in [brackets] is not a valid IPv6 address)"
    if text.startswith("Port"):
        return "not a valid URL (the port must be a number from 1 to 65535)"
    return f"not a valid URL ({excerpt(text, 80)})"


def fetch_feed(
    url: str,
    parser: FeedParser,
    *,
    source_key: str,
    limits: Limits | None = None,
    login: Credential | None = None,
) -> Subscribed:
    """Fetch and parse ``url``; an HTML page that links feeds raises FeedChoiceError.
    ``login`` goes with the request to its own origin (see core/fetch/client.py)."""
    fetched = fetch_one(url, limits=limits or Limits(), login=login)
    binary = binary_kind(fetched.body, fetched.content_type)
    if binary:  # as a refresh says it: what the body is, not a parse error
        raise SourceError(excerpt(url), f"not a feed ({binary})")
    try:
        feed = parser.parse(
            fetched.body, source_key=source_key, url=fetched.final_url, seen_at=datetime.now(UTC)
        )
    except SourceError:
        if looks_like_html(fetched.body):
            links = find_feed_links(fetched.body, fetched.final_url)
            if links:
                raise FeedChoiceError(excerpt(url), links) from None
        raise
    return Subscribed(fetched, feed)


def default_name(feed: ParsedFeed, url: str) -> str:
    return feed.title or urlsplit(url).hostname or url
