"""The one home of the rule for dates: every date kept or drawn lies in a range that every
local time zone can show.

Feeds and files carry any date at all (year 1, year 9999, offsets like ``+99:99``), and an
old database may hold any REAL, even NaN or infinity. Python's ``datetime`` stops at years 1
and 9999, so a year-1 date moved into a zone west of UTC, or a year-9999 one moved east,
raises OverflowError; and a ``TZ`` like ``UTC-24:59`` (which the C library accepts) makes
every ``astimezone()`` raise ValueError. So dates are clamped where they come in (feeds, file
times, rows read back from the store) and again where they are drawn, and local time is
taken through :func:`local`, which never raises.

The range is 1970-01-02 to 9999-12-30, UTC: a day inside the Unix epoch on the early side
(some C libraries refuse negative times) and a day inside ``datetime.max`` on the late side,
so that a local offset of up to 25 hours either way (more than any zone or ``TZ`` can give)
still lands on a date that exists. Anything before shows as 1970-01-02, anything after as
9999-12-30.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
EARLIEST_STAMP = EARLIEST.timestamp()
LATEST_STAMP = LATEST.timestamp()


def clamp(moment: datetime) -> datetime:
    """``moment`` in UTC, moved into the range (a naive one is taken as UTC).

    Comparing never converts, so even a year-1 date with an offset of +23:59 is safe here.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < EARLIEST:
        return EARLIEST
    if moment > LATEST:
        return LATEST
    return moment.astimezone(UTC)


def clamp_stamp(value: float) -> float:
    """A POSIX time moved into the range; NaN counts as the earliest."""
    if math.isnan(value):
        return EARLIEST_STAMP
    return min(max(value, EARLIEST_STAMP), LATEST_STAMP)


def stored_stamp(value: object) -> float:
    """A POSIX time from whatever it was stored as (a float, an int, a text, an infinity,
    NaN, garbage), clamped: never raises; what is no number counts as the earliest."""
    try:
        number = float(value) if isinstance(value, int | float) else float(str(value))
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    return clamp_stamp(number)


def from_stamp(value: object) -> datetime:
    """A UTC datetime from a stored POSIX time, as :func:`stored_stamp` reads it."""
    return datetime.fromtimestamp(stored_stamp(value), UTC)


def stamp(moment: datetime) -> float:
    """The POSIX time of ``moment``, clamped: what the store keeps."""
    return clamp(moment).timestamp()


def local(moment: datetime) -> datetime:
    """``moment`` (clamped) in the local time zone, for drawing. Never raises: when the
    zone's offset is one ``datetime`` refuses (``TZ=UTC-24:59``), it is the local wall-clock
    time as the C library gives it, without a zone; failing that, UTC."""
    safe = clamp(moment)
    try:
        return safe.astimezone()
    except (OverflowError, ValueError, OSError):
        pass
    try:
        wall = time.localtime(safe.timestamp())
        return datetime(*wall[:6])
    except (OverflowError, ValueError, OSError):
        return safe


def now_local() -> datetime:
    """The time now in the local zone, as :func:`local` gives it."""
    return local(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, ``Z`` for the zone: ``2026-01-02T03:04:05Z``."""
    return clamp(moment).isoformat(timespec="seconds").replace("+00:00", "Z")
