"""The decision step of a refresh: what came back from a source (readers.py) and what is stored
of it become one typed :class:`~streamtui.core.models.Update` and the event to report once it
is written. Pure: no reads, no writes, no clock (the refresh's moment is passed in), so that
every case is a plain function call in the tests.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from streamtui.core import dates
from streamtui.core.models import (
    KEEP,
    Keep,
    LoadResult,
    RefreshEvent,
    Source,
    SourceChange,
    SyncStats,
    Update,
)
from streamtui.core.refresh.readers import Failed, FeedRead, Got, Job, Loaded, Skipped
from streamtui.core.text.redact import redact_text, without_login
from streamtui.core.text.sanitize import sanitize

REDIRECTS_TO_MOVE = 3
"""A permanent redirect seen on this many refreshes in a row moves the source's URL."""
GONE_NOTE = "; it is no longer fetched (its items are kept)"
"""What a 410 means for the source, added to the error shown on it."""
NETWORK_DOWN_SHARE = 0.8
NETWORK_DOWN_FEEDS = 5
"""The network is taken to be down when at least this share of the feeds fetched (and at
least this many feeds) failed without a connection."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What to write for one source, and what to say once it is written."""

    update: Update | None = None
    outcome: str = "stored"
    """skipped, failed, unchanged; or stored: updated or unchanged as the write says."""
    message: str = ""
    network: bool = False
    """Failed without a connection: written at the end of the refresh, unless nearly every
    feed failed so (:func:`network_down`)."""


def decide(job: Job, got: Got, now: float, taken: Collection[str]) -> Decision:
    """The decision for ``job`` given what came back. ``taken``: the locations of the feeds
    stored (a feed that moved onto another subscription stays where it is)."""
    source = job.source
    if isinstance(got, Skipped):
        return Decision(outcome="skipped", message=got.reason)
    if isinstance(got, Failed):
        return failure(source, got)
    if isinstance(got, Loaded):
        if got.result is None:  # the same files as last time: nothing read
            return Decision(outcome="unchanged")
        problems = problem_lines(got.result)
        change = SourceChange(last_error=error_line(problems), fingerprint=got.result.fingerprint)
        return Decision(Update(source.id, change, got.result.items, exact=True))
    return _feed(job, got, now, taken)


def _feed(job: Job, got: FeedRead, now: float, taken: Collection[str]) -> Decision:
    fetched, source = got.fetched, job.source
    redirect_url, redirect_count, location = _redirect(job, fetched.permanent_redirect, taken)
    if fetched.not_modified:
        change = SourceChange(
            last_error="",
            updated_at=now,
            redirect_url=redirect_url,
            redirect_count=redirect_count,
            location=location,
        )
        return Decision(Update(source.id, change, items=()))
    feed = got.feed
    parsed = feed is not None
    change = SourceChange(
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        content_hash=got.content_hash,
        last_error="",
        retry_at=None,
        warning=feed.warning if feed is not None else KEEP,
        site_url=feed.link if feed is not None else KEEP,
        updated_at=KEEP if parsed else now,  # a parsed feed is stamped as it is written
        redirect_url=redirect_url,
        redirect_count=redirect_count,
        location=location,
    )
    if feed is None:  # the body it sent last time
        return Decision(Update(source.id, change, items=()))
    host = urlsplit(without_login(source.location)).netloc
    rename = partial(better_name, host, feed.title)
    return Decision(Update(source.id, change, feed.items, whole=True, rename=rename))


def failure(source: Source, got: Failed) -> Decision:
    """A source that could not be read: its items stay, its error is kept (and its next read
    is a whole one); a feed gone for good is no longer fetched, one that asked to wait is
    deferred."""
    if got.network:  # as the fetch said it; kept at the end, unless the network is down
        change = SourceChange(last_error=got.reason)
        return Decision(Update(source.id, change), "failed", got.reason, network=True)
    reason = got.reason + (GONE_NOTE if got.gone else "")
    shown = sanitize(redact_text(reason))
    change = SourceChange(
        last_error=shown,
        fingerprint="",
        gone=True if got.gone else KEEP,
        retry_at=dates.stamp(got.retry_at) if got.retry_at is not None else KEEP,
    )
    return Decision(Update(source.id, change), "failed", got.shown or shown)


def event(source: Source, decision: Decision, stats: SyncStats | None) -> RefreshEvent:
    """What the refresh says of a source once its decision is written (``stats``: what the
    write did to its items)."""
    if decision.outcome != "stored":
        return RefreshEvent(
            source, decision.outcome, message=decision.message, network=decision.network
        )
    changed = stats is not None and bool(stats.added or stats.updated or stats.removed)
    added = stats.added if stats is not None else 0
    return RefreshEvent(source, "updated" if changed else "unchanged", added=added)


def _redirect(job: Job, target: str, taken: Collection[str]) -> tuple[str, int, str | Keep]:
    """Count permanent redirects to the same place; after a few, move the source: the
    pending redirect and its count, and the new location (KEEP: it stays)."""
    if not target or target == job.source.location:
        return "", 0, KEEP
    state = job.state
    count = state.redirect_count + 1 if state.redirect_url == target else 1
    if count < REDIRECTS_TO_MOVE:
        return target, count, KEEP
    if target in taken:  # it moved onto another subscription: leave it where it is
        return "", 0, KEEP
    return "", 0, target


def better_name(host: str, title: str, name: str) -> str:
    """A source imported without a title is named after its host until its feed says what it
    is called; then it takes the feed's title. Called with the name as stored when the feed
    is saved (a rename meanwhile stays), which the store then makes unique."""
    placeholder = re.fullmatch(re.escape(host) + r"( \(\d+\))?", name)
    return title if title and host and placeholder is not None else ""


def is_due(source: Source, now: float) -> str:
    """Why a source is not read now ("" when it is due)."""
    if source.gone:
        return "gone (HTTP 410); not polled any more"
    if source.retry_at is not None and dates.stamp(source.retry_at) > now:
        return f"deferred by the server until {dates.clamp(source.retry_at):%Y-%m-%d %H:%M} UTC"
    return ""


def network_down(fetched: int, failures: Sequence[str]) -> str:
    """One line saying the network looks down, or "" when it does not: ``failures`` are the
    reasons of the feeds (of ``fetched``) that could not connect at all."""
    if fetched < NETWORK_DOWN_FEEDS or len(failures) < NETWORK_DOWN_SHARE * fetched:
        return ""
    common = Counter(failures).most_common(1)[0][0]
    return (
        f"the network looks down: {len(failures)} of {fetched} feeds could not be reached "
        f"({common}); their items and last errors are left as they were"
    )


def problem_lines(result: LoadResult) -> tuple[str, ...]:
    """The files of a local source that could not be read, one line each."""
    return tuple(f"{problem.path}: {problem.reason}" for problem in result.problems)


def error_line(problems: tuple[str, ...]) -> str:
    """What a local source with unreadable files keeps as its error."""
    return f"{len(problems)} file(s) skipped: {problems[0]}" if problems else ""
