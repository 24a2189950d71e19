"""Turning sanitised data into Content for widgets. Feed text is never parsed as markup."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from streamtui.core import dates
from streamtui.core.text import sanitize

EMPTY_TITLE = "(empty)"


def safe(text: str) -> Content:
    """Data as Content: sanitised again at the point of rendering, never markup."""
    return Content(sanitize(text))


def short_date(moment: datetime, now: datetime | None = None) -> str:
    """A date for a list row: the time today, the day this year, else the full date.
    Any date at all, in any time zone (see :mod:`streamtui.core.dates`)."""
    local = dates.local(moment)
    now = dates.local(now) if now is not None else dates.now_local()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%b %d")
    return local.strftime("%Y-%m-%d")


def long_date(moment: datetime) -> str:
    return dates.local(moment).strftime("%a %Y-%m-%d %H:%M")


def title_of(title: str) -> str:
    return sanitize(title) or EMPTY_TITLE
