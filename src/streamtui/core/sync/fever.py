"""The Fever API (coldsweat, FreshRSS's ``/api/fever.php``, Miniflux's ``/fever/``...): every
call is a POST to the account's URL with ``?api`` and the call's name in the query and
``api_key`` = md5("user:password") in the form. The key is what :attr:`credential` keeps
(it opens this API alone; the password is not kept). There is no session, so nothing to
renew: a refused key is :class:`~.errors.AuthError`.

Requests per operation:

- :meth:`login`: ``?api`` alone (``auth`` is 1 or 0): 1.
- :meth:`categories`: ``groups``: 1. :meth:`feeds`: ``feeds`` (with ``feeds_groups``): 1.
- :meth:`items_since`: ``items&since_id=<last>``; the API answers 50 items at most, so
  ceil(new / 50) + 1 requests (the last one answers none), at least 1.
- :meth:`items`: ``items&with_ids=``, 50 ids a request.
- :meth:`unread_ids` / :meth:`starred_ids`: ``unread_item_ids`` / ``saved_item_ids``, every
  id in one comma-separated text: 1 each.
- :meth:`push`: ``mark=item&as=read|unread|saved|unsaved&id=``: the API marks ONE item a
  request and has no batch form (``mark=feed``/``group`` with ``before`` only marks whole
  feeds read). So one push sends at most :data:`MARKS_PER_PUSH` = 250 requests and leaves
  the rest queued for the next sync (:attr:`Capabilities.marks_per_push`): 1,000 marks take
  four syncs, 250 requests each.
- Subscriptions: the API has none (:class:`~.errors.NotSupported`).

Fever gives no time at which an item's state changed: :attr:`RemoteItem.changed` is None.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from streamtui.core.credentials import Credential

from ._base import (
    TOKEN,
    BaseBackend,
    collapse,
    epoch,
    flag,
    ident,
    maybe_text,
    obj,
    seq,
    text,
)
from .errors import ServerError
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

PAGE = 50
"""Items per ``items`` request: the Fever API's own limit."""
MARKS_PER_PUSH = 250
"""The most mark requests one push sends (one item each); the rest wait for the next sync."""
WHY_NO_SUBSCRIPTIONS = (
    "The Fever API cannot add or remove feeds: do it on the server's own web page; "
    "streamtui shows the change at the next sync."
)
_AS = {
    MarkKind.READ: "read",
    MarkKind.UNREAD: "unread",
    MarkKind.STAR: "saved",
    MarkKind.UNSTAR: "unsaved",
}


def api_key(user: str, password: str) -> str:
    """Fever's key: the md5 of "user:password", in hexadecimal."""
    return hashlib.md5(f"{user}:{password}".encode()).hexdigest()


class FeverBackend(BaseBackend):
    kind = "fever"
    capabilities = Capabilities(
        subscribe=False,
        unsubscribe=False,
        marks_per_request=1,
        marks_per_push=MARKS_PER_PUSH,
        why_no_subscriptions=WHY_NO_SUBSCRIPTIONS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.token and self.password:
            self._keep_token(api_key(self._credential.user, self.password))

    @property
    def credential(self) -> Credential:
        """The API key, never the password."""
        c = self._credential
        return Credential(c.user, "", c.origin, c.scope, {TOKEN: self.token} if self.token else {})

    async def _call(self, *query: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        self._check_origin()
        if not self.token:
            raise self._auth("no password or API key is kept for this account")
        url = f"{self.url}?{'&'.join(('api', *query))}"
        answer = await self._http.send("POST", url, data={"api_key": self.token, **(form or {})})
        if answer.status in (401, 403):
            raise self._auth(f"the web server refuses the API address (HTTP {answer.status})")
        if answer.status != 200:
            raise self._http.status_error(answer)
        what = query[0] if query else "mark" if form else "api"
        reply = obj(self._json(answer, what), f"the answer to {what}", self)
        if reply.get("auth") != 1:
            raise self._auth("wrong user name or password (the server refused the API key)")
        return reply

    async def login(self) -> None:
        await self._call()

    async def categories(self) -> list[RemoteCategory]:
        reply = await self._call("groups")
        found = []
        for row in seq(reply.get("groups") or [], "groups", self):
            row = obj(row, "a group", self)
            group_id = ident(row.get("id"))
            if group_id is None:
                raise self._bad("a group has no id")
            found.append(RemoteCategory(group_id, text(row.get("title"))))
        return found

    async def feeds(self) -> list[RemoteFeed]:
        reply = await self._call("feeds")
        groups: dict[str, list[str]] = {}
        for row in seq(reply.get("feeds_groups") or [], "feeds_groups", self):
            row = obj(row, "a feeds_groups entry", self)
            group_id = ident(row.get("group_id"))
            for member in _ids(text(row.get("feed_ids"))):
                if group_id is not None:
                    groups.setdefault(member, []).append(group_id)
        found = []
        for row in seq(reply.get("feeds") or [], "feeds", self):
            row = obj(row, "a feed", self)
            feed_id = ident(row.get("id"))
            if feed_id is None:
                raise self._bad("a feed has no id")
            found.append(
                RemoteFeed(
                    feed_id,
                    text(row.get("title")),
                    text(row.get("url")),
                    text(row.get("site_url")),
                    tuple(groups.get(feed_id, ())),
                )
            )
        return found

    async def items_since(self, state: SyncState) -> AsyncIterator[ItemPage]:
        last = int(state.last_item_id or 0)
        while True:
            reply = await self._call("items", f"since_id={last}")
            items = tuple(self._item(r) for r in seq(reply.get("items") or [], "items", self))
            newer = tuple(i for i in items if int(i.id) > last)  # a server that ignores since_id
            if not newer:
                first = not state.last_item_id  # every state came with the items
                done = SyncState(
                    str(last) if last else "", datetime.now(UTC), marks_changed=not first
                )
                yield ItemPage((), done)
                return
            last = max(int(i.id) for i in newer)
            yield ItemPage(newer, SyncState(str(last), state.last_sync, state.cursors))

    async def items(self, ids: Collection[str]) -> AsyncIterator[tuple[RemoteItem, ...]]:
        wanted = [i for i in (ident(x) for x in ids) if i is not None]
        for start in range(0, len(wanted), PAGE):
            chunk = ",".join(wanted[start : start + PAGE])
            reply = await self._call("items", f"with_ids={chunk}")
            yield tuple(self._item(r) for r in seq(reply.get("items") or [], "items", self))

    async def unread_ids(self) -> frozenset[str]:
        reply = await self._call("unread_item_ids")
        return frozenset(_ids(text(reply.get("unread_item_ids"))))

    async def starred_ids(self) -> frozenset[str]:
        reply = await self._call("saved_item_ids")
        return frozenset(_ids(text(reply.get("saved_item_ids"))))

    def _item(self, row: Any) -> RemoteItem:
        row = obj(row, "an item", self)
        item_id = ident(row.get("id"))
        if item_id is None:
            raise self._bad("an item has no id")
        return RemoteItem(
            id=item_id,
            feed_id=ident(row.get("feed_id")) or "0",
            title=text(row.get("title")),
            link=text(row.get("url")),
            published=epoch(row.get("created_on_time")) or datetime.now(UTC),
            content=text(row.get("html")),
            author=maybe_text(row.get("author")),
            read=flag(row.get("is_read")),
            starred=flag(row.get("is_saved")),
        )

    async def push(self, marks: Sequence[Mark]) -> AsyncIterator[Pushed]:
        """One request a mark, at most :data:`MARKS_PER_PUSH` of them (see the module)."""
        sent = 0
        for kind, groups in collapse(marks).items():
            for item, settled in groups:
                entry = ident(item)
                if entry is None:
                    yield Pushed(settled, 0, (item,))
                    continue
                if sent >= MARKS_PER_PUSH:
                    return
                before = self.requests
                sent += 1
                missing: tuple[str, ...] = ()
                try:
                    await self._call(form={"mark": "item", "as": _AS[kind], "id": entry})
                except ServerError as error:
                    if error.status != 404:  # coldsweat: no such item (forgotten)
                        raise
                    missing = (item,)
                yield Pushed(settled, self.requests - before, missing)

    async def subscribe(self, url: str, category_id: str | None = None) -> str:
        raise self._unsupported(WHY_NO_SUBSCRIPTIONS)

    async def unsubscribe(self, feed_id: str) -> None:
        raise self._unsupported(WHY_NO_SUBSCRIPTIONS)


def _ids(value: str) -> list[str]:
    return [i for i in (ident(part) for part in value.split(",")) if i is not None]
