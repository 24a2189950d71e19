"""An entry's fields, as a feedparser-shaped dict holds them, made into an
:class:`~streamtui.core.parse.entries.Entry`: what both the feedparser path
(``parse.feed._from_feedparser``) and the fast path (``parse.fast_state``) read, so that the one
set of rules makes both paths' entries."""

from __future__ import annotations

import calendar
import contextlib
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from streamtui.core import dates
from streamtui.core.parse.entries import HTML_TYPES, Entry, field_text, is_html, mappings

Enclosures = tuple[tuple[str, str, object, object], ...]


def entry_from_fields(entry: dict[str, Any], enclosures: Enclosures) -> Entry:
    """``entry``: the entry's keys as a plain dict (no FeedParserDict key mapping);
    ``enclosures``: (href, type, length, None) of its enclosure links.

    Written flat (a dict lookup and a type test per key, no helper call for each): it runs
    for every entry of both paths."""
    get = entry.get
    summary = get("summary")
    summary = summary if isinstance(summary, str) else ""
    summary_detail = get("summary_detail")
    summary_html = _html(summary_detail)
    content = get("content")
    body, body_html = _content(content) if content is not None else ("", False)
    if not body:
        body, body_html = summary, summary_html
    guid, link, title = get("id"), get("link"), get("title")
    title_detail = get("title_detail")
    duration = get("itunes_duration")
    authors = get("authors")
    return Entry(
        guid=guid if isinstance(guid, str) else "",
        link=link if isinstance(link, str) else "",
        title=title if isinstance(title, str) else "",
        title_html=_html(title_detail),
        summary=summary,
        summary_html=summary_html,
        body=body,
        body_html=body_html,
        date=_date(entry),
        date_text=_date_text(get),
        enclosures=enclosures,
        duration=duration if isinstance(duration, str) else "",
        authors=tuple(
            field_text(detail, "name") or field_text(detail, "email")
            for detail in mappings(authors)
        )
        if authors is not None
        else (),
        base=_base(content, summary_detail, title_detail),
    )


def _html(detail: object) -> bool:
    """entries.is_html, for the dicts that hold a detail."""
    if type(detail) is dict:
        kind = detail.get("type")
        return isinstance(kind, str) and kind in HTML_TYPES
    return is_html(detail)


def enclosure_fields(found: object) -> Enclosures:
    """(href, type, length, None) of each mapping in ``found`` (feedparser's ``enclosures``)."""
    return tuple(
        (field_text(e, "href"), field_text(e, "type"), e.get("length"), None)
        for e in mappings(found)
    )


def _content(content: object) -> tuple[str, bool]:
    """The entry's content: its first HTML alternative, else its first of any type."""
    parts = mappings(content)
    chosen = next((part for part in parts if is_html(part)), parts[0] if parts else {})
    return field_text(chosen, "value"), is_html(chosen)


def _base(content: object, *details: object) -> str:
    """xml:base of the first content, else of the summary, else of the title."""
    for details_ in (content, *details):
        detail = details_[0] if isinstance(details_, list) and details_ else details_
        if isinstance(detail, Mapping):
            base = detail.get("base")
            if isinstance(base, str) and base:
                return base
    return ""


def _date_text(get: Any) -> str:
    """The raw text of the first of the entry's dates it has."""
    for key in ("published", "updated", "created"):
        if get(key):
            value = get(key)
            return value if isinstance(value, str) else ""
    return ""


def _date(fields: dict[str, Any]) -> datetime | None:
    """The first date feedparser could read (it gives UTC tuples).

    ``fields``: the entry as a plain dict (FeedParserDict answers a missing "updated" with
    "published" and a DeprecationWarning).
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = fields.get(key)
        if isinstance(parsed, time.struct_time):
            with contextlib.suppress(OverflowError, ValueError, OSError):
                return dates.from_stamp(calendar.timegm(parsed))
    return None
