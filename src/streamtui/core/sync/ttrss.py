"""Tiny Tiny RSS through its JSON API (``<url>/api/``, API level 8 or later; tested against
Debian's 21.x, level 15). Every call is one POST of a JSON object with ``op`` and ``sid``.

What it uses, and what each operation costs in requests:

- ``login`` (user, password) -> a session id; done lazily before the first call, and once
  more when a call answers ``NOT_LOGGED_IN`` (an expired session): 1 request.
- :meth:`categories`: ``getCategories`` (virtual categories left out): 1.
- :meth:`feeds`: ``getFeeds`` with ``cat_id=-3`` (every real feed, any category): 1.
- :meth:`items_since`: ``getHeadlines`` of feed -4 (all articles) with ``since_id`` = the
  highest article id pulled so far, ``show_content``, ``include_attachments`` and
  ``sanitize=false`` (the content as the feed gave it, relative URLs and all: streamtui
  sanitises it itself, and tt-rss's sanitiser costs a third of each page), 200 a request
  (the API's cap), paged with ``skip``, two in flight: ceil(new / 200) requests, at least 1. Pages
  are ordered by tt-rss's own total order (score, date entered, id); the watermark moves
  only when the last page is in, and a pull cut short resumes at its ``skip``. Before the
  pull, 3 more (``getCounters``, and the 20 articles most recently read, feed -6, and
  starred, feed -1) make a fingerprint of every read and starred state (see ``Counts``):
  when it matches the last pull's, ``marks_changed`` is False and the listing of every
  unread and starred id can be skipped. A sync with nothing new costs 4 (+2 for the feed
  and category lists). The first pull goes feed by feed instead (``getHeadlines`` of each
  feed and of feed 0, the archived articles; two feeds at a time), which costs tt-rss half
  as much a row as its all-articles feed: 3 + 2 + ceil(articles of each feed / 200)
  requests, so at least one a feed (200 feeds x 100 articles: 206).
- :meth:`items`: ``getArticle`` with comma-separated ids, 200 a request.
- :meth:`unread_ids` / :meth:`starred_ids`: ``getHeadlines`` of feed -4 with
  ``view_mode=unread`` / of feed -1 (starred), without content, 200 ids a request:
  ceil(n / 200) requests, at least 1. (The API has no cheaper listing of ids.)
- :meth:`push`: ``updateArticle`` with comma-separated ``article_ids`` (field 2 = unread,
  field 0 = starred; mode 1 sets, 0 clears), 1,000 ids a request: 1,000 marks of one kind
  are one request, of four kinds at most four.
- :meth:`subscribe`: ``subscribeToFeed`` (the category must exist: the API cannot make one);
  :meth:`unsubscribe`: ``unsubscribeFeed``: 1 each.

tt-rss gives no time at which an article's read or starred state changed (its ``last_read``
and ``last_marked`` stay in its database), so :attr:`RemoteItem.changed` is None.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from ._base import (
    BaseBackend,
    batches,
    collapse,
    enclosure,
    epoch,
    flag,
    ident,
    maybe_text,
    obj,
    offset_pages,
    seq,
    settled,
    text,
)
from ._ttrss_counts import Counts, count
from .errors import Refused, TooLarge
from .models import (
    Capabilities,
    Enclosure,
    ItemPage,
    Mark,
    MarkKind,
    Pushed,
    RemoteCategory,
    RemoteFeed,
    RemoteItem,
    SyncState,
)

PAGE = 200
"""getHeadlines answers at most 200 headlines, whatever ``limit`` asks."""
MARKS_PER_REQUEST = 1000
"""Ids per updateArticle: one SQL ``IN`` list of bound parameters (PostgreSQL takes 65,535,
MySQL more), about 7 KB of JSON; 1,000 keeps each update a short statement."""
ALL_ARTICLES, STARRED, RECENTLY_READ = -4, -1, -6
WINDOW = 2
"""Requests in flight at once: the HTTP client's two connections to a server."""
RECENT = 20
"""How many of the most recently read and starred articles the marks fingerprint names."""
_FIELDS = {
    MarkKind.READ: (2, 0),
    MarkKind.UNREAD: (2, 1),
    MarkKind.STAR: (0, 1),
    MarkKind.UNSTAR: (0, 0),
}
_SUBSCRIBE_ERRORS = {
    2: "the URL is not valid",
    3: "no feed was found at that address",
    4: "the page names several feeds; give one of them",
    5: "the server could not download it",
}


class TtrssBackend(BaseBackend):
    kind = "ttrss"
    capabilities = Capabilities(marks_per_request=MARKS_PER_REQUEST)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = self.url.rstrip("/")
        self.api_url = (base if base.endswith("/api") else base + "/api") + "/"
        self._sid = ""
        self._login_lock = asyncio.Lock()

    def _session(self) -> list[str]:
        return [self._sid]

    # --- calls ---

    async def login(self) -> None:
        self._check_origin()
        if not self.password:
            raise self._auth("no password is kept for this account; give it again")
        self._sid = ""
        content = await self._post("login", "", user=self._credential.user, password=self.password)
        sid = text(obj(content, "the login answer", self).get("session_id"))
        if not sid:
            raise self._bad("the login answer has no session id")
        self._sid = sid

    async def _call(self, op: str, *, tolerate: str = "", **params: Any) -> Any:
        """Call ``op`` (logging in first when needed); an error named ``tolerate`` answers
        None instead of raising. Calls run two at a time: one login serves them both."""
        async with self._login_lock:
            if not self._sid:
                await self.login()
        used = self._sid
        try:
            return await self._post(op, tolerate, **params)
        except _NotLoggedIn:
            async with self._login_lock:  # the session expired: log in again, once
                if self._sid == used:
                    await self.login()
            try:
                return await self._post(op, tolerate, **params)
            except _NotLoggedIn:
                raise self._expired(
                    "the server ends every new session at once (NOT_LOGGED_IN after logging in "
                    "again)"
                ) from None

    async def _post(self, op: str, tolerate: str = "", **params: Any) -> Any:
        body = {"op": op, **params}
        if op != "login":
            body["sid"] = self._sid
        answer = await self._http.send("POST", self.api_url, json_body=body)
        if answer.status in (401, 403):
            raise self._auth(f"the web server refuses the API address (HTTP {answer.status})")
        if answer.status != 200:
            raise self._http.status_error(answer)
        reply = obj(self._json(answer, op), f"the answer to {op}", self)
        content = reply.get("content")
        if reply.get("status") == 0:
            return content
        error = text(content.get("error")) if isinstance(content, dict) else ""
        if error == "NOT_LOGGED_IN" and op != "login":
            raise _NotLoggedIn
        if error and error == tolerate:
            return None
        if error == "LOGIN_ERROR":
            raise self._auth("wrong user name or password")
        if error == "API_DISABLED":
            raise self._auth("API access is off for this user (tt-rss: Preferences, Enable API)")
        raise self._bad(f"the server refused {op} ({error or 'no reason given'})")

    # --- reading ---

    async def categories(self) -> list[RemoteCategory]:
        rows = seq(await self._call("getCategories", include_empty=True), "categories", self)
        found = []
        for row in rows:
            row = obj(row, "a category", self)
            cat_id = ident(row.get("id"))
            if cat_id is not None and int(cat_id) > 0:  # -2 labels, -1 special, 0 none
                found.append(RemoteCategory(cat_id, text(row.get("title"))))
        return found

    async def feeds(self) -> list[RemoteFeed]:
        rows = seq(await self._call("getFeeds", cat_id=-3), "feeds", self)
        found = []
        for row in rows:
            row = obj(row, "a feed", self)
            feed_id = ident(row.get("id"))
            if feed_id is None or int(feed_id) <= 0:
                continue
            cat = ident(row.get("cat_id"))
            found.append(
                RemoteFeed(
                    feed_id,
                    text(row.get("title")),
                    text(row.get("feed_url")),
                    "",
                    (cat,) if cat and int(cat) > 0 else (),
                )
            )
        return found

    async def items_since(self, state: SyncState) -> AsyncIterator[ItemPage]:
        since = int(state.last_item_id or 0)
        skip = int(state.cursor("skip") or 0)
        top = max(since, int(state.cursor("top") or 0))
        counts = await self._counts()  # before the pull: the states the pull then subtracts
        if not since and not skip:
            async with contextlib.aclosing(self._first_pull(state, counts)) as first:
                async for page in first:
                    yield page
            return
        pulled: list[RemoteItem] = []
        items: tuple[RemoteItem, ...] = ()
        async with contextlib.aclosing(self._headline_pages(since, skip)) as pages:
            async for rows, full in pages:
                items = tuple(self._item(row) for row in rows)
                pulled += items
                skip += len(rows)
                top = max([top, *(int(item.id) for item in items)])
                if not full:
                    break
                yield ItemPage(items, state.with_cursors(skip=str(skip), top=str(top)))
        before = state.cursor("marks")
        done = SyncState(
            str(top) if top else "",
            datetime.now(UTC),
            marks_changed=not before or counts.without(pulled) != before,
        )
        yield ItemPage(items, done.with_cursors(marks=counts.fingerprint()))

    async def _first_pull(self, state: SyncState, counts: Counts) -> AsyncGenerator[ItemPage, None]:
        """Every article, feed by feed, two feeds at a time: tt-rss sorts one feed's articles
        for about half what a page of its all-articles feed costs a row. The watermark is the
        highest article id before the pull: every article at or below it was in its feed when
        that feed was pulled, and one arriving meanwhile comes (again) at the next pull. A
        pull cut short resumes after the last feed it finished. Archived articles (starred
        ones of feeds since removed) are feed 0."""
        top = int(state.cursor("first_top") or 0) or await self._newest_id()
        if top:
            done_feed = int(state.cursor("first_feed") or -1)
            feeds = sorted({0, *(int(f.id) for f in await self.feeds())})
            pulls = self._feed_pulls([f for f in feeds if f > done_feed])
            async with contextlib.aclosing(pulls) as pages:
                async for feed_id, rows in pages:
                    cursors = state.with_cursors(first_top=str(top), first_feed=str(feed_id))
                    yield ItemPage(tuple(self._item(row) for row in rows), cursors)
        done = SyncState(str(top) if top else "", datetime.now(UTC), marks_changed=False)
        yield ItemPage((), done.with_cursors(marks=counts.fingerprint()))

    async def _newest_id(self) -> int:
        """The highest article id now (0 for none). tt-rss cannot sort by id: the first of
        its all-articles feed is a recent one, and articles above it are asked for until a
        short page (usually one request)."""
        found = 0
        for limit in (1, PAGE):
            while True:
                rows = seq(
                    await self._call(
                        "getHeadlines",
                        feed_id=ALL_ARTICLES,
                        limit=limit,
                        since_id=found,
                        show_content=False,
                        show_excerpt=False,
                    ),
                    "headlines",
                    self,
                )
                ids = [int(ident(obj(r, "a headline", self).get("id")) or 0) for r in rows]
                found = max([found, *ids])
                if limit == 1 or len(rows) < limit:
                    break
            if not found:
                return 0
        return found

    async def _feed_pulls(self, feed_ids: list[int]) -> AsyncGenerator[tuple[int, list[Any]], None]:
        """Each feed's articles (all its pages), in ``feed_ids`` order, two feeds in flight."""

        async def whole(feed_id: int) -> list[Any]:
            rows: list[Any] = []
            size = PAGE
            while True:
                try:
                    page = seq(
                        await self._call(
                            "getHeadlines",
                            feed_id=feed_id,
                            skip=len(rows),
                            limit=size,
                            view_mode="all_articles",
                            show_content=True,
                            include_attachments=True,
                            sanitize=False,
                        ),
                        "headlines",
                        self,
                    )
                except TooLarge:
                    if size == 1:
                        raise
                    size = max(1, size // 4)
                    continue
                rows += page
                if len(page) < size:
                    return rows

        queue = list(feed_ids)
        pending = [(f, asyncio.ensure_future(whole(f))) for f in queue[:WINDOW]]
        queue = queue[WINDOW:]
        try:
            while pending:
                feed_id, task = pending.pop(0)
                rows = await task
                if queue:
                    following = queue.pop(0)
                    pending.append((following, asyncio.ensure_future(whole(following))))
                yield feed_id, rows
        finally:
            for _, task in pending:
                task.cancel()
            for _, task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _counts(self) -> Counts:
        """Per-feed unread and starred counts (getCounters) and the ids of the articles read
        and starred most recently (feeds -6 and -1, newest change first): 3 requests."""
        rows = seq(await self._call("getCounters"), "counters", self)
        feeds: dict[str, tuple[int, int]] = {}
        for row in rows:
            if isinstance(row, dict) and "kind" not in row and "markedcounter" in row:
                feed_id = ident(row.get("id"))
                if feed_id is not None and int(feed_id) > 0:
                    feeds[feed_id] = (count(row.get("counter")), count(row.get("markedcounter")))
        return Counts(
            feeds, *await asyncio.gather(self._recent(RECENTLY_READ), self._recent(STARRED))
        )

    async def _recent(self, virtual: int) -> tuple[str, ...]:
        rows = await self._call(
            "getHeadlines",
            feed_id=virtual,
            limit=RECENT,
            view_mode="all_articles",
            show_content=False,
            show_excerpt=False,
        )
        return tuple(
            text(obj(r, "a headline", self).get("id")) for r in seq(rows, "headlines", self)
        )

    async def _headline_pages(
        self, since: int, skip: int
    ) -> AsyncGenerator[tuple[list[Any], bool], None]:
        """Pages of headlines with content from ``skip`` on, two requests in flight, each with
        whether it was full; when a page is too large for the answer cap, the rest is asked
        one smaller page at a time (a quarter of the size, down to one headline)."""

        async def page(offset: int, size: int = PAGE) -> list[Any]:
            rows = await self._call(
                "getHeadlines",
                feed_id=ALL_ARTICLES,
                since_id=since,
                skip=offset,
                limit=size,
                view_mode="all_articles",
                show_content=True,
                include_attachments=True,
                sanitize=False,
            )
            return seq(rows, "headlines", self)

        try:
            async with contextlib.aclosing(offset_pages(page, PAGE, skip)) as pages:
                async for rows in pages:
                    skip += len(rows)
                    yield rows, len(rows) == PAGE
            return
        except TooLarge:
            pass
        size = PAGE
        while True:
            try:
                rows = await page(skip, size)
            except TooLarge:
                if size == 1:
                    raise
                size = max(1, size // 4)
                continue
            skip += len(rows)
            yield rows, len(rows) == size
            if len(rows) < size:
                return

    async def items(self, ids: Collection[str]) -> AsyncIterator[tuple[RemoteItem, ...]]:
        wanted = [i for i in (ident(x) for x in ids) if i is not None and int(i) > 0]
        for start in range(0, len(wanted), PAGE):
            chunk = ",".join(wanted[start : start + PAGE])
            rows = seq(
                await self._call("getArticle", article_id=chunk, sanitize=False), "articles", self
            )
            yield tuple(self._item(row) for row in rows)

    async def unread_ids(self) -> frozenset[str]:
        return await self._ids(ALL_ARTICLES, "unread")

    async def starred_ids(self) -> frozenset[str]:
        return await self._ids(STARRED, "all_articles")

    async def _ids(self, feed_id: int, view_mode: str) -> frozenset[str]:
        async def page(offset: int) -> list[Any]:
            rows = await self._call(
                "getHeadlines",
                feed_id=feed_id,
                view_mode=view_mode,
                skip=offset,
                limit=PAGE,
                show_content=False,
                show_excerpt=False,
            )
            return seq(rows, "headlines", self)

        found: set[str] = set()
        async with contextlib.aclosing(offset_pages(page, PAGE)) as pages:
            async for rows in pages:
                for row in rows:
                    item_id = ident(obj(row, "a headline", self).get("id"))
                    if item_id is None:
                        raise self._bad("a headline has no id")
                    found.add(item_id)
        return frozenset(found)

    def _item(self, row: Any) -> RemoteItem:
        row = obj(row, "a headline", self)
        item_id = ident(row.get("id"))
        if item_id is None:
            raise self._bad("a headline has no id")
        published = epoch(row.get("updated")) or datetime.now(UTC)
        files = row.get("attachments")
        enclosures = tuple(
            e for e in (_attachment(a) for a in (files if isinstance(files, list) else ())) if e
        )
        return RemoteItem(
            id=item_id,
            feed_id=ident(row.get("feed_id")) or "0",
            title=text(row.get("title")),
            link=text(row.get("link")),
            published=published,
            content=text(row.get("content")),
            summary=text(row.get("excerpt")),
            author=maybe_text(row.get("author")),
            enclosures=enclosures,
            read=not flag(row.get("unread")),
            starred=flag(row.get("marked")),
        )

    # --- writing ---

    async def push(self, marks: Sequence[Mark]) -> AsyncIterator[Pushed]:
        for kind, groups in collapse(marks).items():
            field, mode = _FIELDS[kind]
            valid = [g for g in groups if ident(g[0]) is not None]
            invalid = [g for g in groups if ident(g[0]) is None]
            if invalid:  # ids no tt-rss ever gave: nothing to send
                yield Pushed(settled(invalid), 0, tuple(g[0] for g in invalid))
            for batch in batches(valid, MARKS_PER_REQUEST):
                before = self.requests
                ids = ",".join(str(ident(g[0])) for g in batch)
                await self._call("updateArticle", article_ids=ids, field=field, mode=mode)
                yield Pushed(settled(batch), self.requests - before)

    async def subscribe(self, url: str, category_id: str | None = None) -> str:
        category = int(ident(category_id) or 0) if category_id else 0
        content = await self._call("subscribeToFeed", feed_url=url, category_id=category)
        status = obj(
            obj(content, "the subscribe answer", self).get("status"), "the subscribe status", self
        )
        code = status.get("code")
        feed_id = ident(status.get("feed_id"))
        if code in (0, 1) and feed_id:
            return feed_id
        reason = _SUBSCRIBE_ERRORS.get(code if isinstance(code, int) else -1, f"code {code}")
        detail = text(status.get("message"))
        raise Refused(
            self.name,
            f"cannot subscribe to {url}: {reason}" + (f" ({detail})" if detail else ""),
            secrets=self._secrets(),
        )

    async def unsubscribe(self, feed_id: str) -> None:
        # a feed already gone (FEED_NOT_FOUND) is what was asked for
        await self._call(
            "unsubscribeFeed", tolerate="FEED_NOT_FOUND", feed_id=int(ident(feed_id) or 0)
        )


class _NotLoggedIn(Exception):
    """The API answered NOT_LOGGED_IN: the session expired."""


def _attachment(value: Any) -> Enclosure | None:
    if not isinstance(value, dict):
        return None
    return enclosure(value.get("content_url"), value.get("content_type"))
