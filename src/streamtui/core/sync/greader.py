"""The Google Reader API, as FreshRSS (``<url>/api/greader.php``) and Miniflux (``<url>``, its
``/reader/api/0`` routes) serve it; other servers of the API are spoken to as Miniflux is.

Authentication: ``accounts/ClientLogin`` (Email, Passwd) gives an ``Auth`` token sent as
``Authorization: GoogleLogin auth=...`` on every request; it lasts until the password changes,
so it is what :attr:`credential` keeps (not the password). Writes (and every POST, which
Miniflux authenticates by ``T`` alone) carry the write token ``T`` from ``token``, fetched
once and again when a write answers 401 with ``Google-Bad-Token``/``X-Reader-Google-Bad-Token``;
any other 401 means the Auth token expired: log in again once (with the password, when one
is held), else :class:`~.errors.TokenExpired`.

Item ids come in a long form (``tag:google.com,2005:reader/item/<16 hex digits>``) and a
short one (the same 64-bit number in signed decimal); both are read and kept as the decimal,
which is what both servers take back. Ids grow as items arrive on both servers.

Requests per operation:

- :meth:`categories`: ``tag/list`` (folders only): 1. :meth:`feeds`: ``subscription/list``: 1.
- :meth:`items_since`: FreshRSS: ``stream/contents`` of the reading list, oldest first
  (``r=o``), from the crawl time of the last item pulled (``ot``, FreshRSS's ids are crawl
  times in microseconds), 250 items a request with ``c`` continuation: ceil(new / 250), at
  least 1. Miniflux (whose ``ot`` filters by publication date, and which has no
  ``stream/contents``): ``stream/items/ids`` of the reading list, 10,000 ids a request
  (ceil(all / 10,000), so 1 up to 10,000 items), then ``stream/items/contents`` (POST, ``i=``
  250 ids) for the ids above the last one pulled: ceil(new / 250).
- :meth:`items`: ``stream/items/contents``, 250 ids a request.
- Filters: ``ot`` (FreshRSS only, see above), ``xt`` to leave read items out; ``it`` is
  honoured by FreshRSS alone (Miniflux parses and ignores it) and ``nt`` is not needed, so
  neither is sent.
- :meth:`unread_ids`: ``stream/items/ids`` with ``xt=`` read; :meth:`starred_ids`: of the
  starred stream; 10,000 ids a request: 1 up to 10,000.
- :meth:`push`: ``edit-tag`` with ``a=``/``r=`` read or starred and up to 500 ``i=`` a request
  (FreshRSS reads ``T`` and ``a`` through PHP's ``$_POST``, which keeps the first
  ``max_input_vars`` = 1,000 fields: ``T`` and the tag go first and 500 ids stay well inside;
  its raw body is read up to 1 MiB, 500 decimal ids are about 12 KB): 1,000 marks of one kind
  are 2 requests, plus 1 for ``token`` once per session.
- :meth:`subscribe`: ``subscription/quickadd`` (+ ``subscription/edit`` to put it in a
  folder): 1 or 2. :meth:`unsubscribe`: ``subscription/edit`` ``ac=unsubscribe``: 1.

The API gives no time at which an item's read or starred state changed
(``timestampUsec`` is when it was crawled), so :attr:`RemoteItem.changed` is None.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from streamtui.core.credentials import Credential

from ._base import (
    BaseBackend,
    batches,
    collapse,
    enclosure,
    epoch,
    ident,
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

Dialect = Literal["freshrss", "miniflux"]
API = "/reader/api/0"
STATE = "user/-/state/com.google/"
READING_LIST, READ, STARRED = STATE + "reading-list", STATE + "read", STATE + "starred"
LONG_PREFIX = "tag:google.com,2005:reader/item/"
IDS_PAGE = 10_000
"""Ids per stream/items/ids request: Miniflux's maximum (FreshRSS has none)."""
CONTENTS_PAGE = 250
"""Items per stream/contents or stream/items/contents request: a page of full items stays a
few MB under the 16 MiB answer cap for ordinary feeds (a larger one is asked again smaller)."""
MARKS_PER_REQUEST = 500
"""Ids per edit-tag: see the module's docstring (PHP's max_input_vars of 1,000)."""
MAX_PAGES = 100_000
_EDIT = {
    MarkKind.READ: ("a", READ),
    MarkKind.UNREAD: ("r", READ),
    MarkKind.STAR: ("a", STARRED),
    MarkKind.UNSTAR: ("r", STARRED),
}
_BAD_TOKEN = ("google-bad-token", "x-reader-google-bad-token")


def item_id(value: Any) -> str | None:
    """The decimal id of an item id in the long form or the short (decimal) one, or None."""
    raw = text(value).strip()
    if raw.startswith(LONG_PREFIX):
        digits = raw[len(LONG_PREFIX) :]
        if len(digits) == 16 and all(c in "0123456789abcdefABCDEF" for c in digits):
            number = int(digits, 16)
            return str(number - (1 << 64) if number >= 1 << 63 else number)
        return None
    return ident(raw)


def _tag(value: Any) -> str:
    """A tag or state stream id with its user part written ``-`` (Miniflux writes the id)."""
    raw = text(value)
    parts = raw.split("/", 2)
    if len(parts) == 3 and parts[0] == "user":
        return f"user/-/{parts[2]}"
    return raw


class GReaderBackend(BaseBackend):
    kind = "greader"
    capabilities = Capabilities(marks_per_request=MARKS_PER_REQUEST)

    def __init__(self, *args: Any, dialect: Dialect | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = self.url.rstrip("/").removesuffix(API)
        self.base = base
        self.dialect: Dialect = dialect or ("freshrss" if base.endswith(".php") else "miniflux")
        self._write_token = ""

    def _session(self) -> list[str]:
        return [self._write_token]

    @property
    def credential(self) -> Credential:
        """The Auth token once there is one (it lasts until the password changes); the
        password only until then."""
        if self.token:
            c = self._credential
            return Credential(c.user, "", c.origin, c.scope, {**c.extra})
        return self._credential

    # --- authentication ---

    async def login(self) -> None:
        """Log in with the password (ClientLogin), or check the kept token without one."""
        self._check_origin()
        if self.password:
            await self._client_login()
        elif self.token:
            await self._request("GET", "user-info", params={"output": "json"})
        else:
            raise self._auth("no password or token is kept for this account; give the password")

    async def _client_login(self) -> None:
        self._check_origin()
        if not self.password:
            raise self._expired(
                "the server no longer accepts the kept login token; give the password again"
            )
        answer = await self._http.send(
            "POST",
            f"{self.base}/accounts/ClientLogin",
            data={"Email": self._credential.user, "Passwd": self.password},
        )
        if answer.status in (400, 401, 403):
            raise self._auth("wrong user name or password")
        if answer.status != 200:
            raise self._http.status_error(answer)
        fields = dict(line.partition("=")[::2] for line in answer.text.splitlines())
        auth = fields.get("Auth", "").strip()
        if not auth:
            raise self._bad("the login answer has no Auth token")
        self._keep_token(auth)
        self._write_token = ""

    async def _request(
        self, method: str, name: str, *, params: Any = None, form: Sequence[tuple[str, str]] = ()
    ) -> Answer:
        """One API request; on 401 the write token is fetched again once, then the login is
        done again once, before giving up."""
        self._check_origin()
        if not self.token:
            await self._client_login()
        fresh_token = relogged = False
        while True:
            answer = await self._send(method, name, params, form)
            if answer.status != 401:
                break
            bad_token = any(answer.header(h).strip().lower() == "true" for h in _BAD_TOKEN)
            if method == "POST" and bad_token and not fresh_token:
                self._write_token, fresh_token = "", True
                continue
            if relogged:
                raise self._expired("the server refused the request again after a new login")
            await self._client_login()
            relogged = fresh_token = True
        if not 200 <= answer.status < 300:
            raise self._http.status_error(answer, _detail(answer))
        return answer

    async def _send(
        self, method: str, name: str, params: Any, form: Sequence[tuple[str, str]]
    ) -> Answer:
        headers = {"Authorization": f"GoogleLogin auth={self.token}"}
        url = f"{self.base}{API}/{name}"
        if method != "POST":
            return await self._http.send(method, url, params=params, headers=headers)
        if not self._write_token:
            self._write_token = await self._fetch_write_token()
        body = "&".join(f"{k}={quote(v, safe='')}" for k, v in [("T", self._write_token), *form])
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return await self._http.send(
            "POST", url, params=params, content=body.encode(), headers=headers
        )

    async def _fetch_write_token(self) -> str:
        answer = await self._request("GET", "token")
        token = answer.text.strip()
        if not token or len(token) > 1024 or token.startswith(("{", "[", "<")):
            raise self._bad("the token answer is not a token")
        return token

    async def _json_of(self, method: str, name: str, what: str, **kwargs: Any) -> dict[str, Any]:
        answer = await self._request(method, name, **kwargs)
        return obj(self._json(answer, what), f"the answer to {what}", self)

    # --- reading ---

    async def categories(self) -> list[RemoteCategory]:
        data = await self._json_of("GET", "tag/list", "tag/list", params={"output": "json"})
        found = []
        for row in seq(data.get("tags", []), "tags", self):
            row = obj(row, "a tag", self)
            tag = _tag(row.get("id"))
            if "/label/" in tag and text(row.get("type")) in ("", "folder"):
                title = text(row.get("label")) or tag.split("/label/", 1)[1]
                found.append(RemoteCategory(tag, title))
        return found

    async def feeds(self) -> list[RemoteFeed]:
        data = await self._json_of(
            "GET", "subscription/list", "subscription/list", params={"output": "json"}
        )
        found = []
        for row in seq(data.get("subscriptions", []), "subscriptions", self):
            row = obj(row, "a subscription", self)
            feed_id = text(row.get("id"))
            if not feed_id:
                raise self._bad("a subscription has no id")
            cats = row.get("categories")
            labels = tuple(
                _tag(c.get("id"))
                for c in (cats if isinstance(cats, list) else ())
                if isinstance(c, dict) and "/label/" in _tag(c.get("id"))
            )
            found.append(
                RemoteFeed(
                    feed_id,
                    text(row.get("title")),
                    text(row.get("url")),
                    text(row.get("htmlUrl")),
                    labels,
                )
            )
        return found

    async def items_since(self, state: SyncState) -> AsyncIterator[ItemPage]:
        last = int(state.last_item_id or 0)
        pages = (
            self._new_by_contents(last) if self.dialect == "freshrss" else self._new_by_ids(last)
        )
        async for items in pages:
            last = max([last, *(int(i.id) for i in items)])
            yield ItemPage(
                items, SyncState(str(last) if last else "", state.last_sync, state.cursors)
            )
        first = not state.last_item_id  # every state came with the items
        done = SyncState(str(last) if last else "", datetime.now(UTC), marks_changed=not first)
        yield ItemPage((), done)

    async def _new_by_contents(self, last: int) -> AsyncIterator[tuple[RemoteItem, ...]]:
        """FreshRSS: the reading list oldest first from the last item's crawl second."""
        params: dict[str, Any] = {"output": "json", "r": "o", "n": CONTENTS_PAGE}
        if last > 0:
            params["ot"] = last // 1_000_000
        async for data in self._continued(f"stream/contents/{READING_LIST}", params, "items"):
            items = tuple(self._item(row) for row in seq(data.get("items", []), "items", self))
            yield tuple(i for i in items if int(i.id) > last)

    async def _new_by_ids(self, last: int) -> AsyncIterator[tuple[RemoteItem, ...]]:
        """Miniflux and others: every id of the reading list, then the contents of the new."""
        ids = await self._stream_ids(READING_LIST)
        new = sorted((i for i in ids if int(i) > last), key=int)
        async for items in self.items(new):
            yield items

    async def items(self, ids: Collection[str]) -> AsyncIterator[tuple[RemoteItem, ...]]:
        wanted = [i for i in (item_id(x) for x in ids) if i is not None]
        start, size = 0, CONTENTS_PAGE
        while start < len(wanted):
            chunk = wanted[start : start + size]
            try:
                data = await self._json_of(
                    "POST",
                    "stream/items/contents",
                    "items/contents",
                    params={"output": "json"},
                    form=[("i", i) for i in chunk],
                )
            except TooLarge:
                if size == 1:
                    raise
                size = max(1, size // 4)
                continue
            rows = seq(data.get("items", []), "items", self)
            yield tuple(sorted((self._item(r) for r in rows), key=lambda i: int(i.id)))
            start += len(chunk)

    async def unread_ids(self) -> frozenset[str]:
        return await self._stream_ids(READING_LIST, xt=READ)

    async def starred_ids(self) -> frozenset[str]:
        return await self._stream_ids(STARRED)

    async def _stream_ids(self, stream: str, **filters: str) -> frozenset[str]:
        params = {"output": "json", "s": stream, "n": IDS_PAGE, **filters}
        found: set[str] = set()
        async for data in self._continued("stream/items/ids", params, "items/ids"):
            for ref in seq(data.get("itemRefs") or [], "itemRefs", self):
                found_id = item_id(obj(ref, "an itemRef", self).get("id"))
                if found_id is None:
                    raise self._bad("an itemRef has no readable id")
                found.add(found_id)
        return frozenset(found)

    async def _continued(
        self, name: str, params: dict[str, Any], what: str
    ) -> AsyncIterator[dict[str, Any]]:
        """Every page of a stream request, following ``continuation``."""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            data = await self._json_of("GET", name, what, params=params)
            yield data
            token = text(data.get("continuation")).strip()
            if not token:
                return
            if token in seen:
                raise self._bad(f"the server repeats the same {what} page")
            seen.add(token)
            params = {**params, "c": token}
        raise self._bad(f"more than {MAX_PAGES} pages of {what}")

    def _item(self, row: Any) -> RemoteItem:
        row = obj(row, "an item", self)
        found_id = item_id(row.get("id"))
        if found_id is None:
            raise self._bad("an item has no readable id")
        origin = row.get("origin")
        feed = text(origin.get("streamId")) if isinstance(origin, dict) else ""
        tags = {_tag(c) for c in row.get("categories") or () if isinstance(c, str)}
        published = epoch(row.get("published")) or datetime.now(UTC)
        updated = epoch(row.get("updated"))
        body, summary = _html(row.get("content")), _html(row.get("summary"))
        files = row.get("enclosure")
        enclosures = tuple(
            e
            for e in (
                enclosure(f.get("href"), f.get("type"), f.get("length"))
                for f in (files if isinstance(files, list) else ())
                if isinstance(f, dict)
            )
            if e
        )
        return RemoteItem(
            id=found_id,
            feed_id=feed,
            title=text(row.get("title")),
            link=_link(row),
            published=published,
            updated=updated if updated != published else None,
            content=body or summary,
            summary=summary if body and summary != body else "",
            author=maybe_text(row.get("author")),
            enclosures=enclosures,
            read=READ in tags,
            starred=STARRED in tags,
        )

    # --- writing ---

    async def push(self, marks: Sequence[Mark]) -> AsyncIterator[Pushed]:
        for kind, groups in collapse(marks).items():
            action, tag = _EDIT[kind]
            valid = [g for g in groups if item_id(g[0]) is not None]
            invalid = [g for g in groups if item_id(g[0]) is None]
            if invalid:
                yield Pushed(settled(invalid), 0, tuple(g[0] for g in invalid))
            for batch in batches(valid, MARKS_PER_REQUEST):
                before = self.requests
                form = [(action, tag), *(("i", str(item_id(g[0]))) for g in batch)]
                answer = await self._request("POST", "edit-tag", form=form)
                if answer.text.strip() != "OK":
                    raise self._bad(f"edit-tag answered {answer.text.strip()[:40]!r}, not OK")
                yield Pushed(settled(batch), self.requests - before)

    async def subscribe(self, url: str, category_id: str | None = None) -> str:
        data = await self._json_of(
            "POST",
            "subscription/quickadd",
            "quickadd",
            params={"output": "json"},
            form=[("quickadd", url)],
        )
        stream = text(data.get("streamId"))
        if not data.get("numResults") or not stream:
            detail = text(data.get("error"))
            reason = f"cannot subscribe to {url}: no feed was found there"
            raise Refused(
                self.name, reason + (f" ({detail})" if detail else ""), secrets=self._secrets()
            )
        if category_id:
            form = [("ac", "edit"), ("s", stream), ("a", _tag(category_id))]
            await self._request("POST", "subscription/edit", form=form)
        return stream

    async def unsubscribe(self, feed_id: str) -> None:
        form = [("ac", "unsubscribe"), ("s", feed_id)]
        await self._request("POST", "subscription/edit", form=form)


def _html(value: Any) -> str:
    return text(value.get("content")) if isinstance(value, dict) else ""


def _link(row: dict[str, Any]) -> str:
    for key in ("canonical", "alternate"):
        links = row.get(key)
        if isinstance(links, list):
            for link in links:
                if isinstance(link, dict) and text(link.get("href")):
                    return text(link.get("href"))
    return ""


def _detail(answer: Answer) -> str:
    """The server's own words for an error: Miniflux's error_message, else the text."""
    if answer.body[:1] == b"{":
        try:
            message = json.loads(answer.body).get("error_message", "")
            return message if isinstance(message, str) else ""
        except (ValueError, AttributeError, RecursionError):
            return ""
    return answer.text[:120] if answer.body[:1] not in (b"<", b"[") else ""
