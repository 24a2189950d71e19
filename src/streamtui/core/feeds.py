"""Feeds: RSS and Atom (through feedparser) and JSON Feed (our adapter) turned into Items.

:func:`parse_feed` is a pure function of its bytes and raises nothing but
:class:`~streamtui.core.errors.SourceError`. :class:`FeedParser` runs it in worker processes with
a time and memory limit, because feedparser is slow, can raise on tiny inputs and expands what it
is given without bounds. Every string that leaves this module has passed ``sanitize()``.

feedparser settings, measured on the ten largest corpus feeds (498 items, 4.1 MB, best of 3 on
the 2-core machine): defaults 281 items/s (2.3 MB/s); ``sanitize_html=False,
resolve_relative_uris=False`` 924 items/s (7.6 MB/s), 3.3x faster; each switch alone gains
about 1.5x. We turn both off. Bodies stay HTML and are untrusted anyway (JSON Feed bodies never
see feedparser's sanitiser); :func:`~streamtui.core.htmltext.html_to_text` drops scripts and
styles; links inside bodies resolve at render time against the source's location; item links
and enclosure URLs are resolved here. parse_feed end to end (our decoding pass, defusing, plain
summaries, sanitising, ids) runs at about 600 items/s on the same feeds.

Bodies are kept as the feed sent them (sanitised of terminal controls only): whatever renders
them must treat them as hostile HTML, and sanitise again after decoding character references.
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import hashlib
import html
import io
import json
import math
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from multiprocessing.context import BaseContext
from typing import Any
from urllib.parse import urljoin, urlsplit

from streamtui.core import dates
from streamtui.core.errors import SourceError
from streamtui.core.htmltext import html_to_text
from streamtui.core.models import Enclosure, Item
from streamtui.core.sanitize import sanitize
from streamtui.core.search import indexed_text
from streamtui.core.streamtext import SUMMARY_CHARS

TITLE_CHARS = 80
"""An untitled item is named by this much of its summary."""
TITLE_LIMIT = 500
REASON_CHARS = 240
HTML_SOURCE_CHARS = (8_000, 64_000)
"""At most this much HTML is converted to make a title or a 280-character summary."""
FUTURE_SLACK = timedelta(days=1)
"""Dates further ahead than this are not believed (see :func:`_when`)."""
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
MAX_SQL_INT = 2**63 - 1
CANCELLED = "the parse was cancelled"
"""The reason a :meth:`FeedParser.parse` whose cancel event was set ends with."""
CANCEL_POLL = 0.05
"""Seconds between looks at a parse's cancel event."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str
    items: tuple[Item, ...]
    warning: str = ""
    """Why the feed is ill-formed although it loaded (feedparser's bozo message)."""
    version: str = ""
    """feedparser's format name (rss20, atom10...) or json1/json11 for JSON Feed."""


@dataclass(frozen=True, slots=True)
class _Context:
    source_key: str
    url: str
    seen_at: datetime
    source: str
    """How errors name the feed."""


@dataclass(frozen=True, slots=True)
class _Entry:
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
    enclosures: tuple[tuple[str, str, object], ...] = ()
    """(url, type, length) as found."""
    base: str = ""
    """xml:base in effect for the entry ("" when none): links resolve against it first."""


# -- the pure parse ---------------------------------------------------------------------------


def parse_feed(data: bytes, *, source_key: str, url: str = "", seen_at: datetime) -> ParsedFeed:
    """Parse feed bytes into sanitised items; SourceError (and nothing else) when it cannot."""
    context = _Context(source_key, url, _utc(seen_at), _label(url))
    try:
        return _parse(data, context)
    except SourceError:
        raise
    except MemoryError:
        raise SourceError(context.source, "needed too much memory to parse") from None
    except Exception as error:  # feedparser raises on inputs as small as b"</width>"
        raise SourceError(context.source, f"could not be parsed ({_describe(error)})") from error


def _parse(data: bytes, context: _Context) -> ParsedFeed:
    start = data.removeprefix(codecs.BOM_UTF8).lstrip()
    if not start:
        raise SourceError(context.source, "empty response")
    if start[:1] in (b"{", b"["):
        return _parse_json(data, context)
    return _parse_xml(data, context)


def _parse_xml(data: bytes, context: _Context) -> ParsedFeed:
    result = _run_feedparser(data, context)
    version = _text(result, "version")
    if not version and looks_like_html(data):
        raise SourceError(context.source, "not a feed (an HTML page)")
    entries = result.get("entries")
    entries = entries if isinstance(entries, list) else []
    warning = _bozo(result)
    if not entries and warning and not (version and _only_encoding(result)):
        raise SourceError(context.source, f"not a valid feed: {warning}")
    if not entries and not version:
        raise SourceError(context.source, "not a feed (no RSS or Atom document in it)")
    feed = result.get("feed")
    feed = feed if isinstance(feed, Mapping) else {}
    items = _unique(_item(_from_feedparser(entry), context) for entry in entries)
    title = _as_text(_text(feed, "title"), _is_html(feed.get("title_detail")))
    return ParsedFeed(
        title=_title(title),
        link=sanitize(_resolve(context.url, _text(feed, "link"))),
        items=items,
        warning=warning,
        version=sanitize(version),
    )


def _run_feedparser(data: bytes, context: _Context) -> Any:
    """feedparser on defused bytes: never on a URL or a path, no entity can expand."""
    import feedparser  # type: ignore[import-untyped]
    from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

    _refuse_codecs(data, context)
    _clip_authors()
    # feedparser decodes before it strips entity declarations, so we decode the same way it
    # would (UTF-16/32, EBCDIC, UTF-7 and the rest become UTF-8) and strip after that.
    first: dict[str, Any] = {}
    utf8 = defuse(convert_to_utf8({}, data, first))
    # A bytes argument would be tried as a file name first: wrap it in a stream.
    result = feedparser.parse(io.BytesIO(utf8), sanitize_html=False, resolve_relative_uris=False)
    if not result.get("bozo") and first.get("bozo"):
        result["bozo"], result["bozo_exception"] = True, first.get("bozo_exception")
    return result


AUTHOR_CHARS = 1000
"""feedparser looks for an e-mail address in each author with a regular expression that takes
quadratic time on a long run of letters (20 KB: 1.4 s; a 200 KB author took minutes); we store
no authors, so it only sees their first characters."""
_clipping: list[bool] = []


def _clip_authors() -> None:
    """Wrap feedparser's author handling (once a process) so it sees at most AUTHOR_CHARS."""
    if _clipping:
        return
    from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]

    original = _FeedParserMixin._sync_author_detail

    def clipped(self: Any, key: str = "author") -> Any:
        context = self._get_context()
        value = context.get(key) if isinstance(context, dict) else None
        if isinstance(value, str) and len(value) > AUTHOR_CHARS:
            context[key] = value[:AUTHOR_CHARS]
        return original(self, key)

    _FeedParserMixin._sync_author_detail = clipped
    _clipping.append(True)


# Every DOCTYPE with its internal subset, and every <!ENTITY> left anywhere (say in a subset
# cut short by a "]" in a quoted value). Each part is optional after its keyword so a match
# never fails half-way and rescans: one linear pass, even over hostile input.
_DECLARATIONS = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[[^\]]*\]?)?\s*>?|<!ENTITY[^>]*>?", re.IGNORECASE)


def defuse(data: bytes) -> bytes:
    """Strip DOCTYPE declarations (with internal subsets) and entity declarations.

    Undeclared entities then stay literal text (strict parse fails, the loose one keeps
    ``&name;``), so neither parser can expand billions of laughs, a 100 KB value referenced
    thousands of times, or an external entity (a file, a URL). Each removal leaves a space and
    the newlines it held, so line numbers in error messages stay right and no two halves join
    into a new declaration. Works on ASCII-compatible bytes; :func:`_run_feedparser` converts
    to UTF-8 first.
    """
    return _DECLARATIONS.sub(_blank, data)


def _blank(match: re.Match[bytes]) -> bytes:
    return b" " + b"\n" * match.group().count(b"\n")


_DECLARED = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([^\"']{1,40})[\"']")
_REFUSED_CODECS = frozenset({"punycode", "idna", "unicode_escape", "raw_unicode_escape"})


def _refuse_codecs(data: bytes, context: _Context) -> None:
    """Refuse declared encodings that are no charset: punycode decoding is quadratic (160 KB
    took 1.5 s) and raises UnicodeError, which feedparser does not catch."""
    found = _DECLARED.search(data[:1024].replace(b"\x00", b""))
    if not found:
        return
    name = found.group(1).decode("ascii", "replace")
    with contextlib.suppress(LookupError):
        if codecs.lookup(name).name in _REFUSED_CODECS:
            reason = f"not a valid feed: unsupported character encoding {sanitize(name)!r}"
            raise SourceError(context.source, reason)


def _bozo(result: Any) -> str:
    if not result.get("bozo"):
        return ""
    error = result.get("bozo_exception")
    return _describe(error) if isinstance(error, BaseException) else "the feed is ill-formed"


def _only_encoding(result: Any) -> bool:
    """The bozo is only a wrong charset declaration: the document itself parsed, so an empty
    channel with it is an empty feed with a warning, not a broken one."""
    from feedparser import CharacterEncodingOverride

    return isinstance(result.get("bozo_exception"), CharacterEncodingOverride)


def _from_feedparser(entry: Any) -> _Entry:
    if not isinstance(entry, Mapping):
        return _Entry()
    summary, summary_html = _text(entry, "summary"), _is_html(entry.get("summary_detail"))
    body, body_html = _content(entry.get("content"))
    if not body:
        body, body_html = summary, summary_html
    date, date_text = _feedparser_date(entry)
    return _Entry(
        guid=_text(entry, "id"),
        link=_text(entry, "link"),
        title=_text(entry, "title"),
        title_html=_is_html(entry.get("title_detail")),
        summary=summary,
        summary_html=summary_html,
        body=body,
        body_html=body_html,
        date=date,
        date_text=date_text,
        enclosures=tuple(
            (_text(e, "href"), _text(e, "type"), e.get("length"))
            for e in _dicts(entry.get("enclosures"))
        ),
        base=_entry_base(entry),
    )


def _content(content: object) -> tuple[str, bool]:
    """The entry's content: its first HTML alternative, else its first of any type."""
    parts = _dicts(content)
    chosen = next((part for part in parts if _is_html(part)), parts[0] if parts else {})
    return _text(chosen, "value"), _is_html(chosen)


def _entry_base(entry: Mapping[str, Any]) -> str:
    for key in ("content", "summary_detail", "title_detail"):
        details = entry.get(key)
        detail = details[0] if isinstance(details, list) and details else details
        if isinstance(detail, Mapping) and _text(detail, "base"):
            return _text(detail, "base")
    return ""


def _feedparser_date(entry: Mapping[str, Any]) -> tuple[datetime | None, str]:
    """The first date feedparser could read (it gives UTC tuples), and the raw text.

    Read as a plain dict: FeedParserDict answers a missing "updated" with "published" and a
    DeprecationWarning.
    """
    fields = dict(entry)
    raw = next((_text(fields, k) for k in ("published", "updated", "created") if fields.get(k)), "")
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = fields.get(key)
        if isinstance(parsed, time.struct_time):
            with contextlib.suppress(OverflowError, ValueError, OSError):
                return dates.from_stamp(calendar.timegm(parsed)), raw
    return None, raw


# -- JSON Feed --------------------------------------------------------------------------------


def _parse_json(data: bytes, context: _Context) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (feedparser 6 reads neither). Wrong types are skipped, not fatal."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        reason = f"not a valid feed: invalid JSON ({_describe(error)})"
        raise SourceError(context.source, reason) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_PREFIX):
        raise SourceError(context.source, "not a feed (JSON, but not JSON Feed)")
    items = document.get("items")
    warning = "" if isinstance(items, list) else "the JSON Feed has no list of items"
    title = html.unescape(_text(document, "title"))
    return ParsedFeed(
        title=_title(title),
        link=sanitize(_resolve(context.url, _text(document, "home_page_url"))),
        items=_unique(_item(_from_json(item), context) for item in _dicts(items)),
        warning=warning,
        version="json" + re.sub(r"\D", "", version.removeprefix(JSON_FEED_PREFIX))[:4],
    )


def _from_json(item: Mapping[str, Any]) -> _Entry:
    html_body, text_body = _text(item, "content_html"), _text(item, "content_text")
    raw_date = _text(item, "date_published") or _text(item, "date_modified")
    return _Entry(
        guid=_json_id(item.get("id")),
        link=_text(item, "url") or _text(item, "external_url"),
        # Titles are plain text by the spec, yet WordPress writes "&#8211;" into them.
        title=html.unescape(_text(item, "title")),
        summary=_text(item, "summary"),
        body=html_body or text_body,
        body_html=bool(html_body),
        date=_json_date(raw_date),
        date_text=raw_date,
        enclosures=tuple(
            (_text(a, "url"), _text(a, "mime_type"), a.get("size_in_bytes"))
            for a in _dicts(item.get("attachments"))
        ),
    )


def _json_id(value: object) -> str:
    """JSON Feed ids are strings, but numbers are common; anything else is no id."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _json_date(text: str) -> datetime | None:
    """RFC 3339 as the spec says; RFC 822 as some generators write anyway."""
    text = text.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            return None
    with contextlib.suppress(ValueError, OverflowError):
        return dates.clamp(parsed)  # year 1 or 9999, offsets like -23:59: in range
    return None


# -- entries to items -------------------------------------------------------------------------


def _item(entry: _Entry, context: _Context) -> Item:
    base = _resolve(context.url, entry.base) if entry.base else context.url
    summary_source = entry.summary or entry.body
    summary_html = entry.summary_html if entry.summary else entry.body_html
    body = sanitize(entry.body, multiline=True)
    html = entry.body_html and bool(body)
    if html and summary_source == entry.body and len(body) <= HTML_SOURCE_CHARS[0]:
        # The usual RSS item: its description is both the summary and the body. Converted
        # once for both (it was 2 of every 3 html_to_text calls of a parse).
        text = html_to_text(body)
        summary = _clip(sanitize(text), SUMMARY_CHARS)
    else:
        summary = _clip(sanitize(_as_text(summary_source, summary_html)), SUMMARY_CHARS)
        text = indexed_text(summary, body, html)
    title = _title(_as_text(entry.title, entry.title_html)) or _clip(summary, TITLE_CHARS)
    published, dated = _when(entry.date, context.seen_at)
    return Item(
        id=item_id(context.source_key, _identity(entry)),
        title=title,
        summary=summary,
        body=body,
        published=published,
        link=sanitize(_resolve(base, entry.link)),
        html=html,
        enclosures=_enclosures(entry, base),
        dated=dated,
        text=text if text.strip() else "",  # made here, in the pool, not in the writer
    )


def item_id(source_key: str, key: str) -> str:
    """A stable id, scoped to the source: sha256 of the source key and the entry's key."""
    digest = hashlib.sha256(f"{source_key}\0{key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


def _identity(entry: _Entry) -> str:
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


def _enclosures(entry: _Entry, base: str) -> tuple[Enclosure, ...]:
    found: dict[str, Enclosure] = {}
    for href, kind, length in entry.enclosures:
        url = sanitize(_resolve(base, href))
        if url and url not in found:
            found[url] = Enclosure(url=url, type=sanitize(kind), length=_length(length))
    return tuple(found.values())


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


def _unique(items: Iterable[Item]) -> tuple[Item, ...]:
    """Items with distinct ids: a feed repeating an id keeps its first entry."""
    kept: dict[str, Item] = {}
    for item in items:
        kept.setdefault(item.id, item)
    return tuple(kept.values())


# -- small helpers ----------------------------------------------------------------------------


def _text(mapping: object, key: str) -> str:
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    return value if isinstance(value, str) else ""


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _is_html(detail: object) -> bool:
    return _text(detail, "type") in HTML_TYPES


def _as_text(text: str, is_html: bool) -> str:
    """Plain text of a title or summary; of HTML, only the start counts (a summary needs
    280 characters: the first 8,000 of HTML nearly always hold them)."""
    if not is_html or not text:
        return text
    plain = ""
    for limit in HTML_SOURCE_CHARS:
        plain = html_to_text(_head(text, limit))
        if len(plain) >= SUMMARY_CHARS or len(text) <= limit:
            break
    return plain


def _head(html: str, limit: int) -> str:
    if len(html) <= limit:
        return html
    cut = html.rfind("<", 0, limit)
    return html[: cut if cut > 0 else limit]  # never end inside a tag


def _title(text: str) -> str:
    """A one-line title of sane length (a feed can hold a 40,000-character one)."""
    return _clip(sanitize(text), TITLE_LIMIT)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _resolve(base: str, href: str) -> str:
    href = href.strip()
    if not href or not base:
        return href
    try:
        return urljoin(base, href)
    except ValueError:  # e.g. a malformed IPv6 host
        return href


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _label(url: str) -> str:
    return _clip(sanitize(url), REASON_CHARS) or "feed"


def _describe(error: BaseException) -> str:
    """A short one-line reason from an exception (its text may be feed content)."""
    text = str(error)[:1000] or type(error).__name__
    text = re.sub(r"^<unknown>:(\d+):(\d+): ", r"line \1, column \2: ", text)
    return _clip(sanitize(text), REASON_CHARS)


# -- recognising pages ------------------------------------------------------------------------

_COMMENT = re.compile(rb"<!--.*?(?:-->|\Z)", re.DOTALL)
_FIRST_TAG = re.compile(rb"<(?:!doctype\s+([a-z]+)|([a-z][\w:.-]*))", re.IGNORECASE)
_HTML_FIRST = frozenset(
    b"html head body meta title link script style div p span a img table h1 h2 br".split()
)


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
    (b"\x00\x00\x01\x00", "an icon"),
)
_TEXT_STARTS = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF32_LE,  # before UTF-16 LE, which it starts with
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


def binary_kind(body: bytes, content_type: str = "") -> str:
    """What a body that is plainly no text is ("a PNG image", "binary data (image/webp)"), or
    "" for anything that might be a feed, which the parser then judges.

    Only a known file signature, or a NUL byte in the first kilobyte of a body that does not
    start like UTF-16/32 text ("<" or a byte-order mark), counts: a feed served with a wrong
    Content-Type is common and must still parse.
    """
    head = body[:1024]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[4:12] in (b"ftypisom", b"ftypmp42", b"ftypM4A ") or (
        head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI ")
    ):
        return "a media file"
    if b"\x00" not in head or head.startswith(_TEXT_STARTS):
        return ""
    if head.lstrip(b"\x00 \t\r\n").startswith((b"<", b"{", b"[")):
        return ""  # UTF-16 or UTF-32 without a byte-order mark
    media = sanitize(content_type.split(";", 1)[0].strip().lower())[:60]
    return f"binary data ({media})" if media else "binary data"


def looks_like_html(data: bytes) -> bool:
    """True when the document opens like a web page (its first tag or doctype is HTML)."""
    head = _COMMENT.sub(b"", data[:16384])
    first = _FIRST_TAG.search(head)
    return first is not None and (first.group(1) or first.group(2)).lower() in _HTML_FIRST


_LINK_TAG = re.compile(r"<(link|base)\b([^<>]*)", re.IGNORECASE)  # never rescans
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
PAGE_BYTES = 2 * 1024 * 1024


def find_feed_links(html: bytes, base_url: str) -> list[tuple[str, str]]:
    """(title, absolute URL) of the feeds a web page announces with <link rel="alternate">.

    Regular expressions rather than a parser: linear on hostile pages, and this runs on the
    caller's thread. Only http(s) URLs, each once, in page order.
    """
    page = _COMMENT.sub(b"", html[:PAGE_BYTES]).decode("utf-8", "replace")
    base, found = base_url, {}
    for tag in _LINK_TAG.finditer(page):
        attributes = _attributes(tag.group(2))
        href = attributes.get("href", "").strip()
        if tag.group(1).lower() == "base":
            base = _resolve(base_url, href) if href and base == base_url else base
        elif _announces_feed(attributes) and href:
            url = sanitize(_resolve(base, href))
            if urlsplit(url).scheme.lower() in ("http", "https") and url not in found:
                found[url] = sanitize(attributes.get("title", ""))
    return [(title, url) for url, title in found.items()]


def _attributes(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for name, value in _ATTRIBUTE.findall(text):
        pairs.setdefault(name.lower(), html.unescape(value.strip("\"'")))
    return pairs


def _announces_feed(attributes: Mapping[str, str]) -> bool:
    rel = attributes.get("rel", "").lower().split()
    kind = attributes.get("type", "").split(";")[0].strip().lower()
    return "alternate" in rel and kind in FEED_LINK_TYPES


# -- worker processes -------------------------------------------------------------------------


def _parse_in_worker(data: bytes, source_key: str, url: str, seen_at: datetime) -> ParsedFeed | str:
    """parse_feed in a worker: the failure comes back as its reason (SourceError's own
    constructor does not survive pickling)."""
    try:
        return parse_feed(data, source_key=source_key, url=url, seen_at=seen_at)
    except SourceError as error:
        return error.reason


def _start_worker(memory_mb: int) -> None:
    """Worker initializer: cap the address space, leave Ctrl-C to the app, import early.

    The worker's stdout and stderr go to /dev/null: they are the app's terminal, and a dying
    worker's traceback would be drawn across the TUI. Results and errors come back as values.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(5)  # on a busy machine the app's own thread answers keys first
    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    import feedparser  # noqa: F401


def _context() -> BaseContext:
    """forkserver where there is one (the app has threads, so never fork), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "feedparser"])
        return context
    return multiprocessing.get_context("spawn")


class FeedParser:
    """Parses feeds in worker processes, never on the caller's thread.

    Thread-safe: refreshes call :meth:`parse` from several threads; at most ``workers`` parses
    run at once so the timeout measures parsing, not queueing. A parse that runs out of time,
    is cancelled or kills its worker costs the whole pool (there is no way to stop one worker):
    the pool is replaced, and the other parses it held are retried once on the new one.
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 30.0,
        memory_mb: int = 1024,
        *,
        seconds_per_mib: float = 3.0,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.on_start = on_start
        """Called before the workers start (each time they do)."""
        self.timeout = timeout
        self.seconds_per_mib = seconds_per_mib
        """Time allowed on top of ``timeout`` for each MiB of the document: a legitimate
        10 MiB feed of 80,000 small items takes 12-15 s on the 2-core machine (benchmarks/
        bigfeed.py) and would not fit in 30 s on one twice as slow or busy; with 3 s a MiB it
        has 60 s, and the largest body a fetch accepts (16 MiB) 78 s."""
        self.memory_mb = memory_mb
        self._slots = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0
        self._closed = False

    def parse(
        self,
        data: bytes,
        *,
        source_key: str,
        url: str = "",
        seen_at: datetime,
        cancel: threading.Event | None = None,
    ) -> ParsedFeed:
        """Blocking. SourceError for a bad feed, a timeout, or a worker that died.

        Setting ``cancel`` ends the call within :data:`CANCEL_POLL` seconds with
        :data:`CANCELLED` as the reason, and stops the worker doing the parse (the pool is
        replaced, as after a timeout: other parses it held are retried on the new one). A
        cancelled refresh would otherwise wait for the parse (11 s for 80,000 items), and the
        worker would go on using a core until the parse ended.
        """
        source = _label(url)
        if not _acquire(self._slots, cancel):
            raise SourceError(source, CANCELLED)
        try:
            outcome = self._run(source, (data, source_key, url, seen_at), cancel)
        finally:
            self._slots.release()
        if isinstance(outcome, str):
            raise SourceError(source, outcome)
        return outcome

    def _run(
        self,
        source: str,
        arguments: tuple[bytes, str, str, datetime],
        cancel: threading.Event | None,
    ) -> ParsedFeed | str:
        for attempt in (1, 2):
            if cancel is not None and cancel.is_set():
                return CANCELLED
            pool, generation = self._current(source)
            limit = self.time_limit(len(arguments[0]))
            try:
                future = pool.submit(_parse_in_worker, *arguments)
                return _result(future, limit, cancel)
            except _Cancelled:
                if not future.cancel():  # running: only killing its worker stops it
                    self._replace(generation)
                return CANCELLED
            except TimeoutError:
                self._replace(generation)
                return f"took longer than {limit:.0f} s to parse"
            except (BrokenProcessPool, CancelledError, RuntimeError):
                # Our worker died, or another parse's timeout replaced the pool under us.
                self._replace(generation)
                if attempt == 2:
                    return "the parser process stopped (the feed may need too much memory)"
            except Exception as error:  # e.g. a result too large to send back
                return f"could not be parsed ({_describe(error)})"
        raise AssertionError("unreachable")

    def time_limit(self, size: int) -> float:
        """Seconds a document of ``size`` bytes may take to parse."""
        return self.timeout + self.seconds_per_mib * size / (1024 * 1024)

    def _current(self, source: str) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._closed:
                raise SourceError(source, "the feed parser is closed")
            if self._pool is None:
                if self.on_start is not None:
                    self.on_start()
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=_context(),
                    initializer=_start_worker,
                    initargs=(self.memory_mb,),
                )
            return self._pool, self._generation

    def _replace(self, generation: int) -> None:
        """Kill the pool of ``generation`` (once, whoever notices first); the next parse
        starts a new one."""
        with self._lock:
            if generation != self._generation:
                return
            pool, self._pool = self._pool, None
            self._generation += 1
        if pool is not None:
            _kill(pool)

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for diagnostics and tests)."""
        with self._lock:
            processes = _processes(self._pool)
        return [process.pid for process in processes if process.pid]

    def release(self) -> None:
        """Stop the workers while nothing is parsing; the next parse starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._generation += 1
        if pool is not None:
            _kill(pool)

    def close(self) -> None:
        """Stop the workers now; parses still running end with a SourceError."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            self._generation += 1
        if pool is not None:
            _kill(pool)

    def __enter__(self) -> FeedParser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Cancelled(Exception):
    pass


def _acquire(slots: threading.BoundedSemaphore, cancel: threading.Event | None) -> bool:
    """Take a parse slot; False when ``cancel`` is set first."""
    if cancel is None:
        return slots.acquire()
    while not cancel.is_set():
        if slots.acquire(timeout=CANCEL_POLL):
            return True
    return False


def _result(
    future: Future[ParsedFeed | str], timeout: float, cancel: threading.Event | None
) -> ParsedFeed | str:
    """The future's result within ``timeout`` seconds (TimeoutError), or _Cancelled as soon as
    ``cancel`` is set."""
    if cancel is None:
        return future.result(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            return future.result(timeout=max(0.0, min(CANCEL_POLL, remaining)))
        except TimeoutError:
            if cancel.is_set():
                raise _Cancelled from None
            if remaining <= CANCEL_POLL:
                raise


def _processes(pool: ProcessPoolExecutor | None) -> list[multiprocessing.process.BaseProcess]:
    # ProcessPoolExecutor has no public way to stop its workers before Python 3.14.
    found = getattr(pool, "_processes", None)
    return list(found.values()) if isinstance(found, dict) else []


def _kill(pool: ProcessPoolExecutor) -> None:
    for process in _processes(pool):
        with contextlib.suppress(Exception):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
