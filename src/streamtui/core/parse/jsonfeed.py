"""JSON Feed 1.0 and 1.1 (feedparser 6 reads neither): our own adapter to :class:`Entry`.
Wrong types are skipped, not fatal."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from streamtui.core import dates
from streamtui.core.errors import SourceError
from streamtui.core.models import ParsedFeed
from streamtui.core.parse.entries import (
    Context,
    Entry,
    describe,
    entry_item,
    field_text,
    mappings,
    resolve,
    short_title,
    unique,
)
from streamtui.core.text.sanitize import sanitize

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"


def parse_json(data: bytes, context: Context) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (feedparser 6 reads neither). Wrong types are skipped, not fatal."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        reason = f"not a valid feed: invalid JSON ({describe(error)})"
        raise SourceError(context.source, reason) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_PREFIX):
        raise SourceError(context.source, "not a feed (JSON, but not JSON Feed)")
    items = document.get("items")
    warning = "" if isinstance(items, list) else "the JSON Feed has no list of items"
    title = html.unescape(field_text(document, "title"))
    return ParsedFeed(
        title=short_title(title),
        link=sanitize(resolve(context.url, field_text(document, "home_page_url"))),
        items=unique(entry_item(_from_json(item), context) for item in mappings(items)),
        warning=warning,
        version="json" + re.sub(r"\D", "", version.removeprefix(JSON_FEED_PREFIX))[:4],
    )


def _from_json(item: Mapping[str, Any]) -> Entry:
    html_body, text_body = field_text(item, "content_html"), field_text(item, "content_text")
    raw_date = field_text(item, "date_published") or field_text(item, "date_modified")
    return Entry(
        guid=_json_id(item.get("id")),
        link=field_text(item, "url") or field_text(item, "external_url"),
        # Titles are plain text by the spec, yet WordPress writes "&#8211;" into them.
        title=html.unescape(field_text(item, "title")),
        summary=field_text(item, "summary"),
        body=html_body or text_body,
        body_html=bool(html_body),
        date=_json_date(raw_date),
        date_text=raw_date,
        authors=tuple(
            field_text(author, "name")
            for author in [*mappings(item.get("authors")), *mappings([item.get("author")])]
        ),
        enclosures=tuple(
            (
                field_text(a, "url"),
                field_text(a, "mime_type"),
                a.get("size_in_bytes"),
                a.get("duration_in_seconds"),
            )
            for a in mappings(item.get("attachments"))
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
