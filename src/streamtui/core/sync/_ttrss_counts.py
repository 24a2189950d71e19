"""tt-rss's fingerprint of every read and starred state (see :class:`Counts`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .models import RemoteItem


@dataclass(frozen=True, slots=True)
class Counts:
    """What tells, in 3 requests, whether any read or starred state changed since the last
    pull: per feed, how many articles are unread and starred; and the articles most recently
    read (tt-rss's "recently read" feed, last 24 hours) and starred, newest first.

    A read anywhere puts its article first among the recently read, a star first among the
    starred; an unread or an unstar changes its feed's count (and a read or star that evens
    that count out shows in the lists). New articles change the counts too: the pull
    subtracts what the articles it brought add (:meth:`without`), so a fingerprint is always
    of the articles pulled before. Anything else that changes the counts (marks sent from here,
    articles arriving during the pull) only makes the next sync list every id, as without
    this check."""

    feeds: dict[str, tuple[int, int]]
    read: tuple[str, ...]
    starred: tuple[str, ...]

    def fingerprint(self) -> str:
        shown = sorted((f, u, s) for f, (u, s) in self.feeds.items() if u or s)
        data = json.dumps([shown, self.read, self.starred], separators=(",", ":"))
        return hashlib.sha1(data.encode()).hexdigest()

    def without(self, items: Sequence[RemoteItem]) -> str:
        """The fingerprint of the counts as they were before ``items`` arrived."""
        feeds = dict(self.feeds)
        for item in items:
            if item.feed_id in feeds:
                unread, starred = feeds[item.feed_id]
                feeds[item.feed_id] = (unread - (not item.read), starred - item.starred)
        return Counts(feeds, self.read, self.starred).fingerprint()


def count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
