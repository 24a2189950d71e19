"""Feed URLs: checking one before it is added, and reading feeds (fetch, then parse in the
worker pool), for a refresh and for adding one.

The fetcher and the parser are given (the Library's): tests pass a fake of either, so that
most refresh tests need no server and no process pool.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from streamtui.core.credentials import Credential, CredentialStore
from streamtui.core.errors import FeedChoiceError, SourceError, StreamtuiError
from streamtui.core.fetch import Conditional, Fetched, Fetcher, FetchError, Limits
from streamtui.core.models import ParsedFeed, Source, SourceKind
from streamtui.core.refresh.readers import Failed, FeedRead, Got, Job, Run, Skipped
from streamtui.core.text.sanitize import excerpt
from streamtui.core.urls import WebProblem, web_problem

if TYPE_CHECKING:  # the parse modules load with the first body to parse, not for a 304
    from streamtui.core.parse.pool import Parser

FetchedFeed = Fetched | FetchError | Failed
"""What a feed's fetch gave: an answer, why there was none, or why it was not asked."""


class FeedUrls:
    """The reader of feed URLs: fetched concurrently (with a password, to its own origin
    only), each body parsed in the worker pool unless it is the one parsed last time."""

    def __init__(
        self,
        fetcher: Fetcher,
        parser: Parser,
        credentials: CredentialStore,
        limits: Limits | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.parser = parser
        self.credentials = credentials
        self.limits = limits or Limits()
        self._logins: dict[int, Credential] = {}

    def takes(self, source: Source) -> bool:
        return source.kind is SourceKind.FEED

    async def fetch(self, jobs: Sequence[Job], run: Run) -> AsyncIterator[tuple[Job, FetchedFeed]]:
        requests = []
        for job in jobs:
            missing = self._login(job.source)
            if missing:  # never fetched without it: its ids could come out different
                yield job, Failed(missing)
                continue
            state = job.state
            requests.append(
                (job, job.source.location, Conditional(state.etag, state.last_modified))
            )
        run.fetched += len(requests)
        logins = self._logins
        async for job, result in self.fetcher.many(
            requests, limits=self.limits, logins=lambda job: logins.get(job.source.id)
        ):
            yield job, result

    async def parse(self, job: Job, fetched: FetchedFeed, run: Run) -> Got:
        if isinstance(fetched, Failed):
            return fetched
        if isinstance(fetched, FetchError):
            return Failed(
                fetched.reason,
                gone=fetched.kind == "gone",
                retry_at=fetched.retry_at if fetched.kind == "retry-later" else None,
                network=fetched.network,
            )
        if fetched.not_modified:
            return FeedRead(fetched)
        from streamtui.core.parse.pages import binary_kind

        binary = binary_kind(fetched.body, fetched.content_type)
        if binary:  # no parser process for a picture: say what it is instead of a parse error
            return Failed(f"not a feed ({binary})")
        digest = hashlib.sha256(fetched.body).hexdigest()
        if digest == job.state.content_hash:
            return FeedRead(fetched, digest)
        parse = partial(
            self.parser.parse,
            fetched.body,
            source_key=self._scope(job.source),
            url=fetched.final_url,
            seen_at=datetime.fromtimestamp(run.now, UTC),
            cancel=run.cancel,
        )
        try:
            feed = await asyncio.get_running_loop().run_in_executor(None, parse)
        except SourceError as error:
            if run.cancel.is_set():  # the cancel stopped it: nothing to store
                return Skipped(error.reason)
            return Failed(error.reason)
        return FeedRead(fetched, digest, feed)

    def read_one(self, url: str, *, login: Credential | None = None) -> FeedRead:
        """Fetch and parse ``url`` now (adding a feed, a preview); SourceError when it is no
        feed, FeedChoiceError for an HTML page that links feeds. ``login`` goes with the
        request to its own origin (see core/fetch/client.py)."""
        from streamtui.core.parse.pages import binary_kind, find_feed_links, looks_like_html

        fetched = self.fetcher.one(url, limits=self.limits, login=login)
        binary = binary_kind(fetched.body, fetched.content_type)
        if binary:  # as a refresh says it: what the body is, not a parse error
            raise SourceError(excerpt(url), f"not a feed ({binary})")
        try:
            feed = self.parser.parse(
                fetched.body, source_key=url, url=fetched.final_url, seen_at=datetime.now(UTC)
            )
        except SourceError:
            if looks_like_html(fetched.body):
                links = find_feed_links(fetched.body, fetched.final_url)
                if links:
                    raise FeedChoiceError(excerpt(url), links) from None
            raise
        return FeedRead(fetched, hashlib.sha256(fetched.body).hexdigest(), feed)

    def _login(self, source: Source) -> str:
        """Look up the credential of a source with a login (kept for its fetch and parse);
        why it cannot be had, or ""."""
        if not source.login:
            return ""
        try:
            found = self.credentials.get("feed", source.key)
        except StreamtuiError as error:
            return str(error)
        if found is None or (source.scoped and not found.scope):
            return (
                f"its password is missing from {self.credentials.where}; add the feed's URL "
                "again with the password, as first added ('streamtui add URL'), to store it"
            )
        self._logins[source.id] = found
        return ""

    def _scope(self, source: Source) -> str:
        """What the source's item ids are made from: its key, or for a feed from a database
        older than the credential store, the key it had then (see store/passwords.py)."""
        login = self._logins.get(source.id)
        return (login.scope if login else "") or source.key or source.location


def default_name(feed: ParsedFeed, url: str) -> str:
    """What an added feed is called when the user gives no name."""
    return feed.title or urlsplit(url).hostname or url


def check_url(url: str) -> str:
    """A feed URL as we store it, or SourceError saying why it cannot be one (the rule:
    core/urls.py)."""
    text = url.strip()
    if text.lower().startswith("feed:"):  # feed://host/x and feed:https://host/x
        rest = text[5:].removeprefix("//") if text[5:].startswith("//") else text[5:]
        text = rest if rest.lower().startswith(("http://", "https://")) else f"http://{rest}"
    problem = web_problem(text)
    if problem is not None:
        raise SourceError(excerpt(url), _ADD_REASONS.get(problem.kind) or _invalid(problem))
    return text


_ADD_REASONS = {
    "spaces": "the URL contains spaces or control characters",
    "scheme": "only http and https feed URLs can be added",
    "host": "the URL has no host",
    "port": "not a valid URL (port 0 cannot be connected to)",
}


def _invalid(problem: WebProblem) -> str:
    """urlsplit's complaint in a user's words."""
    text = problem.detail
    if "IPv6" in text or "IPv4" in text:
        return "not a valid URL (the host in [brackets] is not a valid IPv6 address)"
    if text.startswith("Port"):
        return "not a valid URL (the port must be a number from 1 to 65535)"
    return f"not a valid URL ({excerpt(text, 80)})"
