"""Miniflux through its REST API (``<url>/v1/...``), with an API token (``X-Auth-Token``, what
:attr:`credential` keeps when the user gives one) or the user name and password (HTTP Basic
on every request: there is no session to renew; a refused token falls back to the password
once when one is held).

Requests per operation:

- :meth:`login`: ``GET /v1/me``: 1 (a check; no call needs it first).
- :meth:`categories`: ``GET /v1/categories``: 1. :meth:`feeds`: ``GET /v1/feeds``: 1.
- :meth:`items_since`: new entries by id, ``GET /v1/entries?after_entry_id=<last>&order=id``,
  250 a request, the cursor moving to the last id of each page: ceil(new / 250), at least 1;
  then older entries whose status or star changed since the last sync,
  ``changed_after=<server time at the start of the last sync, less 10 seconds>`` with
  ``before_entry_id`` (the new ones are in already), paged the same way: ceil(changed / 250),
  at least 1. So a sync with nothing new costs 2, and marks made elsewhere arrive with their
  ``changed_at`` time (:attr:`Capabilities.changes_since`). The server's clock (its ``Date``
  header) sets the watermark, never this machine's.
- :meth:`items`: ``GET /v1/entries/{id}``, one request an id (the API has no list of ids).
- :meth:`unread_ids` / :meth:`starred_ids`: ``GET /v1/entries/ids`` (Miniflux 2.3.2+, 10,000
  ids a request); on older servers ``GET /v1/entries`` with ``status=unread`` /
  ``starred=true``, 1,000 entries a request.
- :meth:`push`: ``PUT /v1/entries`` with ``entry_ids`` and ``status`` (read/unread) or
  ``starred`` (2.3.2+), 1,000 ids a request: 1,000 marks of one kind are 1 request. Older
  servers refuse ``starred`` there (400): stars then go by ``PUT /v1/entries/{id}/bookmark``,
  a toggle, sent only for entries whose current state (one ``starred_ids`` listing first)
  differs: 1 + one request per star to change.
- :meth:`subscribe`: ``POST /v1/feeds``; :meth:`unsubscribe`: ``DELETE /v1/feeds/{id}``: 1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from streamtui.core.dates import clamp

from ._base import (
    BaseBackend,
    batches,
    collapse,
    enclosure,
    flag,
    ident,
    iso,
    maybe_text,
    obj,
    seq,
    settled,
    text,
)
from ._http import Answer
from .errors import Refused, TooLarge
from .models import (
    Capabilities,
    ItemPage,
    Mark,
    MarkKind,
    Pushed,
    RemoteCategory,
    RemoteFeed,
    RemoteItem,
    SyncState,
)

PAGE = 250
"""Entries per /v1/entries request (with content: a few MB under the answer cap)."""
IDS_PAGE = 10_000
"""Ids per /v1/entries/ids request: the server's maximum."""
OLD_IDS_PAGE = 1_000
MARKS_PER_REQUEST = 1000
"""Ids per PUT /v1/entries: one small JSON body and one SQL ``ANY`` array."""
OVERLAP = timedelta(seconds=10)
"""How far before the last sync's start the next one asks for changes: a change committed
late (or a clock step on the server) is seen again rather than missed."""


class MinifluxBackend(BaseBackend):
    kind = "miniflux"
    capabilities = Capabilities(
        changes_since=True, change_times=True, marks_per_request=MARKS_PER_REQUEST
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base = self.url.rstrip("/").removesuffix("/v1")
        self._basic = not self.token
        self._old_server = False

    # --- requests ---

    def _headers(self) -> dict[str, str]:
        if not self._basic:
            return {"X-Auth-Token": self.token}
        pair = f"{self._credential.user}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def _session(self) -> list[str]:
        pair = f"{self._credential.user}:{self.password}".encode()
        return [base64.b64encode(pair).decode()] if self.password else []

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        ok: tuple[int, ...] = (),
    ) -> Answer:
        """One request; a refused token is retried once with the password, when one is held."""
        self._check_origin()
        if self._basic and not self.password:
            raise self._auth("no API token or password is kept for this account")
        while True:
            answer = await self._http.send(
                method, f"{self.base}{path}", params=params, json_body=body, headers=self._headers()
            )
            if answer.status not in (401, 403) or answer.status in ok:
                break
            if answer.status == 401 and not self._basic and self.password:
                self._basic = True  # the token was revoked: the password still works
                continue
            if self._basic:
                raise self._auth("wrong user name or password")
            raise self._auth("the server refused the API token (deleted or revoked?)")
        if not 200 <= answer.status < 300 and answer.status not in ok:
            raise self._http.status_error(answer, self._message(answer))
        return answer

    def _message(self, answer: Answer) -> str:
        """Miniflux's own words for an error (``{"error_message": ...}``), or ""."""
        try:
            data = json.loads(answer.body) if answer.body[:1] == b"{" else None
        except (ValueError, RecursionError):
            return ""
        message = data.get("error_message") if isinstance(data, dict) else None
        return message if isinstance(message, str) else ""

    async def _get(self, path: str, what: str, **params: Any) -> Any:
        answer = await self._request("GET", path, params=params or None)
        return self._json(answer, what)

    # --- reading ---

    async def login(self) -> None:
        obj(await self._get("/v1/me", "/v1/me"), "the user", self)

    async def categories(self) -> list[RemoteCategory]:
        rows = seq(await self._get("/v1/categories", "categories"), "categories", self)
        found = []
        for row in rows:
            row = obj(row, "a category", self)
            cat_id = ident(row.get("id"))
            if cat_id is None:
                raise self._bad("a category has no id")
            found.append(RemoteCategory(cat_id, text(row.get("title"))))
        return found

    async def feeds(self) -> list[RemoteFeed]:
        rows = seq(await self._get("/v1/feeds", "feeds"), "feeds", self)
        found = []
        for row in rows:
            row = obj(row, "a feed", self)
            feed_id = ident(row.get("id"))
            if feed_id is None:
                raise self._bad("a feed has no id")
            cat = row.get("category")
            cat_id = ident(cat.get("id")) if isinstance(cat, dict) else None
            found.append(
                RemoteFeed(
                    feed_id,
                    text(row.get("title")),
                    text(row.get("feed_url")),
                    text(row.get("site_url")),
                    (cat_id,) if cat_id else (),
                )
            )
        return found

    async def items_since(self, state: SyncState) -> AsyncIterator[ItemPage]:
        last = int(state.last_item_id or 0)
        resumed = state.cursor("changes_next")
        next_after = resumed or ""
        start = last
        if not state.cursor("changes_cursor"):  # new entries first (skipped when resuming)
            async for items, answer in self._pages({"after_entry_id": last}, "after_entry_id"):
                next_after = next_after or _server_time(answer)
                last = max([last, *(int(i.id) for i in items)])
                yield ItemPage(items, _with_last(state, last))
        after = state.cursor("changed_after")
        if after and start:  # then the older ones whose state changed
            cursor = int(state.cursor("changes_cursor") or 0)
            params = {
                "changed_after": after,
                "before_entry_id": start + 1,
                "after_entry_id": cursor,
            }
            async for items, answer in self._pages(params, "after_entry_id"):
                next_after = next_after or _server_time(answer)
                cursor = max([cursor, *(int(i.id) for i in items)])
                yield ItemPage(
                    items,
                    _with_last(state, last).with_cursors(
                        changes_cursor=str(cursor), changes_next=next_after
                    ),
                )
        # the changes came in the pages (or, on a first pull, every state did)
        listed = bool(after) or not start
        done = SyncState(str(last) if last else "", datetime.now(UTC), marks_changed=not listed)
        yield ItemPage((), done.with_cursors(changed_after=next_after or _local_time()))

    async def _pages(
        self, params: dict[str, Any], cursor: str
    ) -> AsyncIterator[tuple[tuple[RemoteItem, ...], Answer]]:
        """Pages of /v1/entries in id order, ``cursor`` moved to each page's last id."""
        size = PAGE
        params = {**params, "order": "id", "direction": "asc"}
        while True:
            try:
                answer = await self._request("GET", "/v1/entries", params={**params, "limit": size})
            except TooLarge:
                if size == 1:
                    raise
                size = max(1, size // 4)
                continue
            data = obj(self._json(answer, "entries"), "the entries answer", self)
            rows = seq(data.get("entries") or [], "entries", self)
            items = tuple(self._item(row) for row in rows)
            yield items, answer
            if len(rows) < size or not items:
                return
            params[cursor] = max(int(i.id) for i in items)

    async def items(self, ids: Collection[str]) -> AsyncIterator[tuple[RemoteItem, ...]]:
        for raw in ids:
            entry_id = ident(raw)
            if entry_id is None:
                continue
            answer = await self._request("GET", f"/v1/entries/{entry_id}", ok=(404,))
            if answer.status != 404:
                yield (self._item(self._json(answer, "an entry")),)

    async def unread_ids(self) -> frozenset[str]:
        return await self._ids({"status": "unread"})

    async def starred_ids(self) -> frozenset[str]:
        return await self._ids({"starred": "true"})

    async def _ids(self, query: dict[str, str]) -> frozenset[str]:
        found: set[str] = set()
        offset = 0
        while not self._old_server:
            answer = await self._request(
                "GET",
                "/v1/entries/ids",
                ok=(404, 405),
                params={**query, "limit": IDS_PAGE, "offset": offset},
            )
            if answer.status in (404, 405):  # before Miniflux 2.3.2
                self._old_server = True
                break
            data = obj(self._json(answer, "entry ids"), "the entry ids answer", self)
            page = seq(data.get("entry_ids") or [], "entry_ids", self)
            found.update(self._id(value) for value in page)
            offset += len(page)
            if len(page) < IDS_PAGE:
                return frozenset(found)
        while True:
            data = obj(
                await self._get(
                    "/v1/entries", "entries", **query, limit=OLD_IDS_PAGE, offset=offset, order="id"
                ),
                "entries",
                self,
            )
            rows = seq(data.get("entries") or [], "entries", self)
            found.update(self._id(obj(row, "an entry", self).get("id")) for row in rows)
            offset += len(rows)
            if len(rows) < OLD_IDS_PAGE:
                return frozenset(found)

    def _id(self, value: Any) -> str:
        found = ident(value)
        if found is None:
            raise self._bad("an entry has no id")
        return found

    def _item(self, row: Any) -> RemoteItem:
        row = obj(row, "an entry", self)
        files = row.get("enclosures")
        enclosures = tuple(
            e
            for e in (
                enclosure(f.get("url"), f.get("mime_type"), f.get("size"))
                for f in (files if isinstance(files, list) else ())
                if isinstance(f, dict)
            )
            if e
        )
        published = iso(row.get("published_at")) or iso(row.get("created_at"))
        return RemoteItem(
            id=self._id(row.get("id")),
            feed_id=ident(row.get("feed_id")) or "0",
            title=text(row.get("title")),
            link=text(row.get("url")),
            published=published or datetime.now(UTC),
            content=text(row.get("content")),
            author=maybe_text(row.get("author")),
            enclosures=enclosures,
            read=text(row.get("status")) == "read",
            starred=flag(row.get("starred")),
            changed=iso(row.get("changed_at")),
        )

    # --- writing ---

    async def push(self, marks: Sequence[Mark]) -> AsyncIterator[Pushed]:
        for kind, groups in collapse(marks).items():
            valid = [g for g in groups if ident(g[0]) is not None]
            invalid = [g for g in groups if ident(g[0]) is None]
            if invalid:
                yield Pushed(settled(invalid), 0, tuple(g[0] for g in invalid))
            field: dict[str, Any]
            if kind in (MarkKind.READ, MarkKind.UNREAD):
                field = {"status": "read" if kind is MarkKind.READ else "unread"}
            else:
                field = {"starred": kind is MarkKind.STAR}
            for index, batch in enumerate(batches(valid, MARKS_PER_REQUEST)):
                before = self.requests
                ids = [int(str(ident(g[0]))) for g in batch]
                ok = (400,) if "starred" in field and index == 0 else ()
                answer = await self._request(
                    "PUT", "/v1/entries", ok=ok, body={"entry_ids": ids, **field}
                )
                if answer.status == 400:  # a server before 2.3.2: stars are toggles
                    async for pushed in self._toggle(valid, kind is MarkKind.STAR, before):
                        yield pushed
                    break
                yield Pushed(settled(batch), self.requests - before)

    async def _toggle(
        self, groups: list[tuple[str, tuple[Mark, ...]]], starred: bool, before: int
    ) -> AsyncIterator[Pushed]:
        """Stars on an older server: toggle only the entries not already as wanted."""
        current = await self.starred_ids()
        for entry_id, marks in groups:
            entry = str(ident(entry_id))
            missing: tuple[str, ...] = ()
            if (entry in current) != starred:
                answer = await self._request("PUT", f"/v1/entries/{entry}/bookmark", ok=(404,))
                missing = (entry_id,) if answer.status == 404 else ()
            yield Pushed(marks, self.requests - before, missing)
            before = self.requests

    async def subscribe(self, url: str, category_id: str | None = None) -> str:
        body: dict[str, Any] = {"feed_url": url}
        if category_id and ident(category_id):
            body["category_id"] = int(str(ident(category_id)))
        answer = await self._request("POST", "/v1/feeds", body=body, ok=(400,))
        if answer.status == 400:
            reason = self._message(answer) or "the server refused it"
            raise Refused(
                self.name, f"cannot subscribe to {url}: {reason}", secrets=self._secrets()
            )
        feed_id = ident(
            obj(self._json(answer, "the new feed"), "the new feed", self).get("feed_id")
        )
        if feed_id is None:
            raise self._bad("the answer to subscribing has no feed id")
        return feed_id

    async def unsubscribe(self, feed_id: str) -> None:
        # a feed already gone (404) is what was asked for
        await self._request("DELETE", f"/v1/feeds/{int(ident(feed_id) or 0)}", ok=(404,))


def _with_last(state: SyncState, last: int) -> SyncState:
    return SyncState(str(last) if last else "", state.last_sync, state.cursors)


def _server_time(answer: Answer) -> str:
    """The server's clock from its Date header, less :data:`OVERLAP`, as POSIX seconds."""
    try:
        when = parsedate_to_datetime(answer.header("date"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return ""
    return str(int((clamp(when) - OVERLAP).timestamp()))


def _local_time() -> str:
    return str(int((datetime.now(UTC) - OVERLAP).timestamp()))
