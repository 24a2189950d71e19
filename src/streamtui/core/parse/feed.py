"""Feeds: RSS and Atom (through feedparser) and JSON Feed (jsonfeed.py) turned into Items.

:func:`parse_feed` is a pure function of its bytes and raises nothing but
:class:`~streamtui.core.errors.SourceError`; pool.py runs it in worker processes with a time and
memory limit, because feedparser is slow, can raise on tiny inputs and expands what it is given
without bounds. Every string that leaves the parse has passed ``sanitize()`` (entries.py).

feedparser settings, measured on the ten largest corpus feeds (498 items, 4.1 MB, best of 3 on
the 2-core machine): defaults 281 items/s (2.3 MB/s); ``sanitize_html=False,
resolve_relative_uris=False`` 924 items/s (7.6 MB/s), 3.3x faster; each switch alone gains
about 1.5x. We turn both off. Bodies stay HTML and are untrusted anyway (JSON Feed bodies never
see feedparser's sanitiser); :func:`~streamtui.core.text.htmltext.html_to_text` drops scripts and
styles; links inside bodies resolve at render time against the source's location; item links
and enclosure URLs are resolved here. parse_feed end to end (our decoding pass, defusing, plain
summaries, sanitising, ids) runs at about 600 items/s on the same feeds.

Bodies are kept as the feed sent them (sanitised of terminal controls only): whatever renders
them must treat them as hostile HTML, and sanitise again after decoding character references.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from streamtui.core.errors import SourceError
from streamtui.core.models import ParsedFeed
from streamtui.core.parse.defuse import defuse
from streamtui.core.parse.entries import (
    Context,
    Entry,
    as_text,
    describe,
    entry_item,
    field_text,
    is_html,
    label,
    resolve,
    short_title,
    unique,
    utc,
)
from streamtui.core.parse.fields import enclosure_fields, entry_from_fields
from streamtui.core.parse.jsonfeed import parse_json
from streamtui.core.parse.pages import looks_like_html
from streamtui.core.text.sanitize import sanitize

FAST_PATH = True
"""Well-formed RSS 2.0, RDF and Atom 1.0 go through :mod:`~streamtui.core.parse.fast` (the
same entries as feedparser gives, several times faster); tests turn it off to compare."""


def parse_feed(data: bytes, *, source_key: str, url: str = "", seen_at: datetime) -> ParsedFeed:
    """Parse feed bytes into sanitised items; SourceError (and nothing else) when it cannot."""
    context = Context(source_key, url, utc(seen_at), label(url))
    try:
        return _parse(data, context)
    except SourceError:
        raise
    except MemoryError:
        raise SourceError(context.source, "needed too much memory to parse") from None
    except Exception as error:  # feedparser raises on inputs as small as b"</width>"
        raise SourceError(context.source, f"could not be parsed ({describe(error)})") from error


def _parse(data: bytes, context: Context) -> ParsedFeed:
    start = data.removeprefix(codecs.BOM_UTF8).lstrip()
    if not start:
        raise SourceError(context.source, "empty response")
    if start[:1] in (b"{", b"["):
        return parse_json(data, context)
    return _parse_xml(data, context)


def _parse_xml(data: bytes, context: Context) -> ParsedFeed:
    result = _run_feedparser(data, context)
    version = field_text(result, "version")
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
    items = unique(entry_item(_from_feedparser(entry), context) for entry in entries)
    title = as_text(field_text(feed, "title"), is_html(feed.get("title_detail")))
    return ParsedFeed(
        title=short_title(title),
        link=sanitize(resolve(context.url, field_text(feed, "link"))),
        items=items,
        warning=warning,
        version=sanitize(version),
    )


def _run_feedparser(data: bytes, context: Context) -> Any:
    """feedparser on defused bytes: never on a URL or a path, no entity can expand."""
    import feedparser  # type: ignore[import-untyped]
    from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

    _refuse_codecs(data, context)
    _clip_authors()
    _no_chardet()
    # feedparser decodes before it strips entity declarations, so we decode the same way it
    # would (UTF-16/32, EBCDIC, UTF-7 and the rest become UTF-8) and strip after that.
    first: dict[str, Any] = {}
    utf8 = defuse(convert_to_utf8({}, data, first))
    fast = _fast_parse(utf8) if FAST_PATH and not first.get("bozo") else None
    if fast is not None:
        return fast
    # A bytes argument would be tried as a file name first: wrap it in a stream.
    result = feedparser.parse(io.BytesIO(utf8), sanitize_html=False, resolve_relative_uris=False)
    if not result.get("bozo") and first.get("bozo"):
        result["bozo"], result["bozo_exception"] = True, first.get("bozo_exception")
    return result


def _fast_parse(utf8: bytes) -> Any:
    """The fast path's result, or None: not sure (feedparser reads it), or a feedparser
    without the helpers the fast path reuses (tests/core/test_fastfeed.py imports it and fails)."""
    try:
        from streamtui.core.parse import fast
    except (ImportError, AttributeError):
        return None
    return fast.parse(utf8)


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


def _no_chardet() -> None:
    """feedparser guesses an undeclared encoding with chardet whenever chardet is installed,
    and readability-lxml (full articles) installs it: pure Python, it took minutes on some
    mutated feeds, and its guesses made feedparser's items differ from the fast path's. The
    parse stays what it was without chardet: the declared encoding, else UTF-8, else
    windows-1252, else iso-8859-2."""
    import feedparser.encodings

    feedparser.encodings.lazy_chardet_encoding = None


_DECLARED = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([^\"']{1,40})[\"']")
_REFUSED_CODECS = frozenset({"punycode", "idna", "unicode_escape", "raw_unicode_escape"})


def _refuse_codecs(data: bytes, context: Context) -> None:
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
    return describe(error) if isinstance(error, BaseException) else "the feed is ill-formed"


def _only_encoding(result: Any) -> bool:
    """The bozo is only a wrong charset declaration: the document itself parsed, so an empty
    channel with it is an empty feed with a warning, not a broken one."""
    from feedparser import CharacterEncodingOverride

    return isinstance(result.get("bozo_exception"), CharacterEncodingOverride)


def _from_feedparser(found: Any) -> Entry:
    """An entry of feedparser's result as an Entry (the fast path's result holds Entries
    already: they pass as they are)."""
    if isinstance(found, Entry):
        return found
    if not isinstance(found, Mapping):
        return Entry()
    # Read as a plain dict: FeedParserDict maps none of the keys read here but "enclosures"
    # (made from its links), and its own lookups (a KeyError raised for each missing key)
    # were most of this function's time.
    return entry_from_fields(dict(found), enclosure_fields(found.get("enclosures")))
