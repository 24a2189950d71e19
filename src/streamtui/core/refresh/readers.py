"""The one small interface every kind of source sits behind, a :class:`Reader`: it loads or
fetches what its sources hold (``fetch``, yielding each as it arrives), then makes items of
it (``parse``). A refresh gives it :class:`Job` s and a :class:`Run`; what comes back is a
:data:`Got`, which the pure decision step (decide.py) turns into an update.

The kinds today: local pages, folders and feed files (sources/local.py) and feed URLs
(sources/feedurl.py). A server account will be one more reader, in sources/accounts/.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from streamtui.core.models import FeedState, LoadResult, ParsedFeed, Source

if TYPE_CHECKING:  # httpx and the fetch code load only when a feed is fetched
    from streamtui.core.fetch import Fetched

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Job:
    """One source to read, with what is stored of its last read."""

    source: Source
    state: FeedState


@dataclass(slots=True)
class Run:
    """What one refresh gives its readers."""

    now: float
    """When the refresh started (undated items are first seen then)."""
    cancel: threading.Event
    fetched: int = 0
    """Sources asked over the network: the network-down rule counts among them."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """A local source read whole: what it holds (None: its fingerprint has not changed)."""

    result: LoadResult | None


@dataclass(frozen=True, slots=True)
class FeedRead:
    """A feed fetched: a 304 (no hash, no feed), the body it sent last time (no feed), or
    parsed."""

    fetched: Fetched
    content_hash: str = ""
    feed: ParsedFeed | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The source could not be read; ``shown`` is what the refresh says (the reason by
    default), ``reason`` what is kept on the source."""

    reason: str
    shown: str = ""
    gone: bool = False
    """The server says the feed is gone for good (HTTP 410): it is no longer fetched."""
    retry_at: datetime | None = None
    """The server asked to wait until then (HTTP 429 or 503)."""
    network: bool = False
    """No connection could be made at all: kept only unless the network looks down."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """Nothing was read (the refresh was cancelled during the parse, say)."""

    reason: str


Got = Loaded | FeedRead | Failed | Skipped


class Reader(Protocol[T]):
    """One kind of source."""

    def takes(self, source: Source) -> bool:
        """Whether ``source`` is of this reader's kind."""
        ...

    def fetch(self, jobs: Sequence[Job], run: Run) -> AsyncIterator[tuple[Job, T]]:
        """Load or fetch each job's source, yielding each as it arrives."""
        ...

    async def parse(self, job: Job, fetched: T, run: Run) -> Got:
        """What a job's source holds, from what ``fetch`` yielded for it."""
        ...
