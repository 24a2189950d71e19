"""Extraction in the parse pool's worker processes, with the time and memory limits a parse
has: the pool runs any module function (``FeedParser.run``), and knows nothing of articles."""

from __future__ import annotations

import threading

from streamtui.core.parse.entries import label
from streamtui.core.parse.pool import CANCELLED, FeedParser
from streamtui.core.reader.extract import Extracted, Refused, extract_page


def extract_in(
    pool: FeedParser,
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    cancel: threading.Event | None = None,
) -> Extracted | Refused:
    """The article of a fetched page (reader/extract.py) from a worker of ``pool``; a Refused
    with the reason when there is none, or when the worker ran out of time or memory, or
    ``cancel`` stopped it."""
    outcome: Extracted | Refused | str = pool.run(
        label(url), extract_page, (body, url, content_type), cancel
    )
    if isinstance(outcome, str):
        return Refused(_reason(outcome))
    return outcome


def _reason(reason: str) -> str:
    """A parse's failure in the words of an extraction."""
    if reason == CANCELLED:
        return "the extraction was cancelled"
    if reason.startswith("took longer than"):
        return "the page " + reason.replace("to parse", "to read as an article")
    if reason.startswith("the parser process stopped"):
        return "the page stopped its worker process (it may need too much memory)"
    return reason.replace("the feed parser", "the extraction")
