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
from streamtui.core.parse.entries import Entry, field_text, is_html, mappings

Enclosures = tuple[tuple[str, str, object, object], ...]


def entry_from_fields(entry: dict[str, Any], enclosures: Enclosures) -> Entry:
    """``entry``: the entry's keys as a plain dict (no FeedParserDict key mapping);
    ``enclosures``: (href, type, length, None) of its enclosure links."""
    summary, summary_html = field_text(entry, "summary"), is_html(entry.get("summary_detail"))
    body, body_html = _content(entry.get("content"))
    if not body:
        body, body_html = summary, summary_html
    date, date_text = _date(entry)
    return Entry(
        guid=field_text(entry, "id"),
        link=field_text(entry, "link"),
        title=field_text(entry, "title"),
        title_html=is_html(entry.get("title_detail")),
        summary=summary,
        summary_html=summary_html,
        body=body,
        body_html=body_html,
        date=date,
        date_text=date_text,
        enclosures=enclosures,
        duration=field_text(entry, "itunes_duration"),
        authors=tuple(
            field_text(detail, "name") or field_text(detail, "email")
            for detail in mappings(entry.get("authors"))
        ),
        base=_entry_base(entry),
    )


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


def _entry_base(entry: Mapping[str, Any]) -> str:
    for key in ("content", "summary_detail", "title_detail"):
        details = entry.get(key)
        detail = details[0] if isinstance(details, list) and details else details
        if isinstance(detail, Mapping) and field_text(detail, "base"):
            return field_text(detail, "base")
    return ""


def _date(fields: dict[str, Any]) -> tuple[datetime | None, str]:
    """The first date feedparser could read (it gives UTC tuples), and the raw text.

    ``fields``: the entry as a plain dict (FeedParserDict answers a missing "updated" with
    "published" and a DeprecationWarning).
    """
    keys = ("published", "updated", "created")
    raw = next((field_text(fields, k) for k in keys if fields.get(k)), "")
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = fields.get(key)
        if isinstance(parsed, time.struct_time):
            with contextlib.suppress(OverflowError, ValueError, OSError):
                return dates.from_stamp(calendar.timegm(parsed)), raw
    return None, raw
