"""Where both feed formats meet: an :class:`Entry` as the feed gave it, made into a
sanitised :class:`~streamtui.core.models.Item` with a stable id (:func:`entry_item`), and the
small readers of feed fields they share.

Every string that leaves here has passed ``sanitize()``; item links and enclosure URLs are
resolved here, links inside bodies at render time.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlparse, urlunparse, uses_netloc, uses_relative

from streamtui.core.models import SUMMARY_CHARS, Enclosure, Item
from streamtui.core.text.htmlfast import fast_html_to_text, indexed_text
from streamtui.core.text.sanitize import sanitize, sanitize_start

TITLE_CHARS = 80
"""An untitled item is named by this much of its summary."""
TITLE_LIMIT = 500
REASON_CHARS = 240
HTML_SOURCE_CHARS = (8_000, 64_000)
"""At most this much HTML is converted to make a title or a 280-character summary."""
FUTURE_SLACK = timedelta(days=1)
"""Dates further ahead than this are not believed (see :func:`_when`)."""
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_SQL_INT = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Context:
    source_key: str
    url: str
    seen_at: datetime
    source: str
    """How errors name the feed."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry's fields as the feed gave them, before sanitising: both formats meet here."""

    guid: str = ""
    link: str = ""
    title: str = ""
    title_html: bool = False
    summary: str = ""
    summary_html: bool = False
    body: str = ""
    body_html: bool = False
    date: datetime | None = None
    date_text: str = ""
    enclosures: tuple[tuple[str, str, object, object], ...] = ()
    """(url, type, length, duration) as found; a duration of None: the entry's."""
    duration: object = None
    """The entry's ``itunes:duration`` as found: its enclosures' playing time."""
    authors: tuple[str, ...] = ()
    """Who wrote it, as found (names, else e-mail addresses)."""
    base: str = ""
    """xml:base in effect for the entry ("" when none): links resolve against it first."""


def entry_item(entry: Entry, context: Context) -> Item:
    base = resolve(context.url, entry.base) if entry.base else context.url
    summary_source = entry.summary or entry.body
    summary_html = entry.summary_html if entry.summary else entry.body_html
    body = sanitize(entry.body, multiline=True)
    html = entry.body_html and bool(body)
    if html and summary_source == entry.body and len(body) <= HTML_SOURCE_CHARS[0]:
        # The usual RSS item: its description is both the summary and the body. Converted
        # once for both (it was 2 of every 3 html_to_text calls of a parse).
        text = fast_html_to_text(body, clean=True)
        summary = clip(sanitize_start(text, SUMMARY_CHARS + 1, sanitised=True), SUMMARY_CHARS)
    else:
        summary = clip(sanitize(as_text(summary_source, summary_html)), SUMMARY_CHARS)
        text = indexed_text(summary, body, html)
    title = short_title(as_text(entry.title, entry.title_html)) or clip(summary, TITLE_CHARS)
    published, dated = _when(entry.date, context.seen_at)
    return Item(
        id=item_id(context.source_key, _identity(entry)),
        title=title,
        summary=summary,
        body=body,
        published=published,
        link=sanitize(resolve(base, entry.link)),
        html=html,
        enclosures=_enclosures(entry, base),
        dated=dated,
        text=text if text.strip() else "",  # made here, in the pool, not in the writer
        author=_authors(entry.authors),
    )


def item_id(source_key: str, key: str) -> str:
    """A stable id, scoped to the source: sha256 of the source key and the entry's key."""
    digest = hashlib.sha256(f"{source_key}\0{key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


def _identity(entry: Entry) -> str:
    """The entry's key: its id/guid, else its link, else title and raw date.

    Links are taken as the feed wrote them (before resolving against the feed URL) so ids
    survive the source moving to a new URL. An entry with no id, link or title is still
    someone's story (Mastodon and micro.blog posts have only text): its content and date
    name it, stable as long as the feed does not edit it. The markers keep this key apart
    from a title that happens to equal it.
    """
    if entry.guid:
        return entry.guid
    if entry.link:
        return entry.link
    if entry.title:
        return f"{entry.title}\0{entry.date_text}"
    return f"\0content\0{entry.summary or entry.body}\0{entry.date_text}"


def _when(date: datetime | None, seen_at: datetime) -> tuple[datetime, bool]:
    """Publication date and whether the feed gave it.

    A date more than a day ahead of when we saw the entry is a broken clock or a typo
    (2099), and would pin the item to the top of the stream forever; we treat it like a
    missing date: first seen, dated=False, which the store keeps stable across refreshes.
    A day of slack absorbs time zone mistakes.
    """
    if date is None or date > seen_at + FUTURE_SLACK:
        return seen_at, False
    return date, True


def _enclosures(entry: Entry, base: str) -> tuple[Enclosure, ...]:
    found: dict[str, Enclosure] = {}
    for href, kind, length, duration in entry.enclosures:
        url = sanitize(resolve(base, href))
        if url and url not in found:
            seconds = _duration(entry.duration if duration is None else duration)
            found[url] = Enclosure(url, sanitize(kind), _length(length), seconds)
    return tuple(found.values())


AUTHOR_LIMIT = 200
"""Characters of an item's author line at most."""


def _authors(found: tuple[str, ...]) -> str:
    """The authors as one line: each once, sanitised, joined with ", " and clipped."""
    names: list[str] = []
    for name in found:
        shown = sanitize(name)
        if shown and shown not in names:
            names.append(shown)
    return clip(", ".join(names), AUTHOR_LIMIT)


MAX_DURATION = 10 * 365 * 86_400
"""Ten years of playing time: anything longer is garbage, not said."""
_CLOCK = re.compile(r"(?:(\d{1,7}):)?(?:(\d{1,7}):)?(\d{1,9})(?:[.,]\d*)?")


def _duration(value: object) -> int:
    """Seconds of playing time from what a feed wrote: ``itunes:duration`` as seconds
    ("3600"), MM:SS or HH:MM:SS (fractions dropped), or a number; 0 when missing or garbage."""
    seconds = 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = int(value) if math.isfinite(value) else 0
    elif isinstance(value, str):
        found = _CLOCK.fullmatch(value.strip())
        if found:
            hours, minutes, rest = found.groups()
            if minutes is None and hours is not None:  # MM:SS
                hours, minutes = None, hours
            seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(rest)
    return seconds if 0 < seconds <= MAX_DURATION else 0


def _length(value: object) -> int:
    """A byte count from whatever the feed wrote; 0 when missing or garbage."""
    number = 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value):
        number = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip()) if len(value.strip()) <= 19 else -1
    return number if 0 <= number <= MAX_SQL_INT else 0


def unique(items: Iterable[Item]) -> tuple[Item, ...]:
    """Items with distinct ids: a feed repeating an id keeps its first entry."""
    kept: dict[str, Item] = {}
    for item in items:
        kept.setdefault(item.id, item)
    return tuple(kept.values())


def field_text(mapping: object, key: str) -> str:
    # dict first: a plain or feedparser's dict (its own get) passes without the ABC check
    value = mapping.get(key) if isinstance(mapping, (dict, Mapping)) else None
    return value if isinstance(value, str) else ""


def mappings(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def is_html(detail: object) -> bool:
    return field_text(detail, "type") in HTML_TYPES


def as_text(text: str, is_html: bool) -> str:
    """Plain text of a title or summary; of HTML, only the start counts (a summary needs
    280 characters: the first 8,000 of HTML nearly always hold them)."""
    if not is_html or not text:
        return text
    plain = ""
    for limit in HTML_SOURCE_CHARS:
        plain = fast_html_to_text(_head(text, limit))
        if len(plain) >= SUMMARY_CHARS or len(text) <= limit:
            break
    return plain


def _head(html: str, limit: int) -> str:
    if len(html) <= limit:
        return html
    cut = html.rfind("<", 0, limit)
    return html[: cut if cut > 0 else limit]  # never end inside a tag


def short_title(text: str) -> str:
    """A one-line title of sane length (a feed can hold a 40,000-character one)."""
    return clip(sanitize(text), TITLE_LIMIT)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def resolve(base: str, href: str) -> str:
    href = href.strip()
    if not href or not base:
        return href
    try:
        return _absolute(base, href) or urljoin(base, href)
    except ValueError:  # e.g. a malformed IPv6 host
        return href


_SCHEMES: dict[str, str] = {}
"""A base URL -> its scheme (a feed's items share one base): urljoin parses the base anew
for every link."""


def _absolute(base: str, href: str) -> str:
    """What urljoin gives for an ``href`` that needs no joining (most items' links: absolute,
    or of another scheme), by urljoin's own first steps but with the base's scheme kept
    from the feed's previous link; "" when the join needs the base."""
    scheme = _SCHEMES.get(base)
    if scheme is None:
        if len(_SCHEMES) > 64:
            _SCHEMES.clear()
        scheme = _SCHEMES[base] = urlparse(base).scheme
    parts = urlparse(href, scheme)
    if parts.scheme != scheme or scheme not in uses_relative:
        return href
    if scheme in uses_netloc and parts.netloc:
        return urlunparse(parts)
    return ""


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def label(url: str) -> str:
    return clip(sanitize(url), REASON_CHARS) or "feed"


def describe(error: BaseException) -> str:
    """A short one-line reason from an exception (its text may be feed content)."""
    text = str(error)[:1000] or type(error).__name__
    text = re.sub(r"^<unknown>:(\d+):(\d+): ", r"line \1, column \2: ", text)
    return clip(sanitize(text), REASON_CHARS)
