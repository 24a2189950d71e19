"""The reading side of the Google Reader test server (a mixin of GReaderServer): user info,
tags, subscriptions, stream item ids, item contents and FreshRSS's stream/contents."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ._http import Answer, ApiRequest, json_answer
from ._store import Entry

if TYPE_CHECKING:
    from .greader import GReaderServer

STATE = "user/-/state/com.google/"
READING_LIST = STATE + "reading-list"
LONG_PREFIX = "tag:google.com,2005:reader/item/"


class BadRequest(Exception):
    """Answer 400 with this message (in the dialect's form)."""


def long_id(entry_id: int) -> str:
    return f"{LONG_PREFIX}{entry_id:016x}"


class Reads:
    def _user_info(self: GReaderServer, req: ApiRequest) -> Answer:
        return json_answer({"userId": self.user_id, "userName": self.user,
                            "userProfileId": self.user_id, "userEmail": self.user})  # fmt: skip

    def _label(self: GReaderServer, title: str) -> str:
        owner = "-" if self.dialect == "freshrss" else self.user_id
        return f"user/{owner}/label/{title}"

    def _tag_list(self: GReaderServer, req: ApiRequest) -> Answer:
        self._require_json(req)
        owner = "-" if self.dialect == "freshrss" else self.user_id
        tags: list[dict[str, str]] = [{"id": f"user/{owner}/state/com.google/starred"}]
        with self.store.lock:
            for cat in self.store.categories.values():
                tags.append({"id": self._label(cat.title), "label": cat.title, "type": "folder"})
        return json_answer({"tags": tags})

    def _subscription_list(self: GReaderServer, req: ApiRequest) -> Answer:
        self._require_json(req)
        subscriptions = []
        with self.store.lock:
            for feed in self.store.feeds.values():
                cat = self.store.categories[feed.category_id]
                subscriptions.append({
                    "id": f"feed/{feed.id}", "title": feed.title,
                    "categories": [{"id": self._label(cat.title), "label": cat.title,
                                    "type": "folder"}],
                    "url": feed.url, "htmlUrl": feed.site_url, "iconUrl": feed.icon_url,
                })  # fmt: skip
        return json_answer({"subscriptions": subscriptions})

    def _unread_count(self: GReaderServer, req: ApiRequest) -> Answer:
        self._require_json(req)
        counts: dict[int, int] = {}
        with self.store.lock:
            for entry in self.store.entries.values():
                if not entry.read:
                    counts[entry.feed_id] = counts.get(entry.feed_id, 0) + 1
        rows = [{"id": f"feed/{k}", "count": v} for k, v in counts.items()]
        return json_answer({"max": 1000, "unreadcounts": rows})

    def _select(self: GReaderServer, req: ApiRequest, stream: str) -> list[Entry]:
        """The entries of ``stream`` after xt/it/ot/nt, in the order r asks (newest first)."""
        state = self._state(stream)
        entries = self.store.sorted_entries(newest_first=self._one(req, "r") != "o")
        if stream.startswith("feed/"):
            key = stream[len("feed/") :]
            feed = self.store.feed_by_url(key) if self.dialect == "freshrss" else None
            if feed is None and not key.isdigit():
                raise BadRequest(f"googlereader: invalid feed stream {stream}")
            feed_id = feed.id if feed else int(key)
            entries = [e for e in entries if e.feed_id == feed_id]
        elif state == "starred":
            entries = [e for e in entries if e.starred]
        elif state == "read" and self.dialect == "miniflux":
            entries = [e for e in entries if e.read]
        elif stream.startswith("user/") and "/label/" in stream and self.dialect == "freshrss":
            title = stream.split("/label/", 1)[1]
            cat = next((c for c in self.store.categories.values() if c.title == title), None)
            feeds = {f.id for f in self.store.feeds.values() if cat and f.category_id == cat.id}
            entries = [e for e in entries if e.feed_id in feeds]
        elif state != "reading-list" and not (self.dialect == "freshrss" and state):
            raise _ServerError(f"googlereader: unknown stream type {stream}")
        for target in self._all(req, "xt"):
            if self._state(target) == "read":
                entries = [e for e in entries if not e.read]
            elif self._state(target) == "starred" and self.dialect == "freshrss":
                entries = [e for e in entries if not e.starred]
        if self.dialect == "freshrss":  # Miniflux parses it= but ignores it
            for target in self._all(req, "it"):
                wanted = self._state(target)
                if wanted in ("read", "starred"):
                    entries = [e for e in entries if getattr(e, wanted)]
                elif wanted == "unread":
                    entries = [e for e in entries if not e.read]
        start, stop = _int(self._one(req, "ot")), _int(self._one(req, "nt"))
        if self.dialect == "freshrss":  # crawl time: the id is microseconds of the crawl
            entries = [e for e in entries if (not start or e.id >= start * 1_000_000)
                       and (not stop or e.id <= stop * 1_000_000)]  # fmt: skip
        else:  # published time
            entries = [e for e in entries if (not start or e.published > start)
                       and (not stop or e.published < stop)]  # fmt: skip
        return entries

    def _page(
        self: GReaderServer, req: ApiRequest, entries: list[Entry], default: int
    ) -> tuple[list[Entry], str]:
        """One page of ``entries`` (n, c) and the continuation to give, or ""."""
        count = _int(self._one(req, "n")) or default
        token = self._one(req, "c").strip()
        if self.dialect == "miniflux":
            count = count if 0 < count <= 10_000 else 10_000
            offset = _int(token)
            page = entries[offset : offset + count]
            more = offset + len(page) < len(entries)
            return page, str(offset + len(page)) if more else ""
        if token.isdigit():  # FreshRSS: the page starts at that id (it was the last one sent)
            newest_first = self._one(req, "r") != "o"
            entries = [e for e in entries if (e.id <= int(token) if newest_first
                                              else e.id >= int(token))]  # fmt: skip
            page = entries[1 : count + 1]
            return page, str(page[-1].id) if len(entries) > count + 1 and page else ""
        page = entries[:count]
        return page, str(page[-1].id) if len(entries) > count and page else ""

    def _items_ids(self: GReaderServer, req: ApiRequest) -> Answer:
        if self.dialect == "miniflux":
            self._require_json(req)
        streams = self._all(req, "s")
        if len(streams) != 1:
            raise BadRequest("googlereader: exactly one stream ID (s) is required")
        try:
            entries = self._select(req, streams[0])
        except _ServerError as error:
            return json_answer({"error_message": str(error)}, 500)
        page, more = self._page(req, entries, 20 if self.dialect == "freshrss" else 10_000)
        body: dict[str, object] = {"itemRefs": [{"id": str(e.id)} for e in page]}
        if more:
            body["continuation"] = more
        return json_answer(body)

    def _items_contents(self: GReaderServer, req: ApiRequest) -> Answer:
        values = req.form.get("i", []) if self.dialect == "freshrss" else self._all(req, "i")
        if self.dialect == "miniflux":
            self._require_json(req)
        if not values:
            raise BadRequest("googlereader: no items requested")
        wanted = set(self._item_ids(values))
        newest_first = self._one(req, "r") != "o"
        entries = [e for e in self.store.sorted_entries(newest_first=newest_first)
                   if e.id in wanted]  # fmt: skip
        return json_answer(self._contents("Reading List", entries))

    def _stream_contents(self: GReaderServer, stream: str, req: ApiRequest) -> Answer:
        stream = stream or self._one(req, "s") or READING_LIST
        if stream in ("reading-list", "starred"):
            stream = STATE + stream
        try:
            entries = self._select(req, stream)
        except _ServerError:
            entries = []
        page, more = self._page(req, entries, 20)
        body = self._contents("Reading List", page)
        if more:
            body["continuation"] = more
        return json_answer(body)

    def _contents(self: GReaderServer, title: str, entries: list[Entry]) -> dict[str, object]:
        owner = "-" if self.dialect == "freshrss" else self.user_id
        items = []
        with self.store.lock:
            for entry in entries:
                feed = self.store.feeds.get(entry.feed_id)
                cat = self.store.categories.get(feed.category_id) if feed else None
                labels = [f"user/{owner}/state/com.google/reading-list"]
                labels += [self._label(cat.title)] if cat else []
                labels += [f"user/{owner}/state/com.google/read"] if entry.read else []
                labels += [f"user/{owner}/state/com.google/starred"] if entry.starred else []
                items.append({
                    "id": long_id(entry.id), "crawlTimeMsec": str(int(entry.created * 1000)),
                    "timestampUsec": str(int(entry.created * 1_000_000)),
                    "published": int(entry.published), "updated": int(entry.published),
                    "title": entry.title, "author": entry.author,
                    "canonical": [{"href": entry.url}],
                    "alternate": [{"href": entry.url, "type": "text/html"}],
                    "categories": labels,
                    "origin": {"streamId": f"feed/{entry.feed_id}",
                               "title": feed.title if feed else "",
                               "htmlUrl": feed.site_url if feed else ""},
                    "summary": {"direction": "ltr", "content": entry.content},
                    "content": {"direction": "ltr", "content": entry.content},
                })  # fmt: skip
        return {"direction": "ltr", "id": f"user/{owner}/state/com.google/reading-list",
                "title": title, "updated": int(time.time()), "items": items}  # fmt: skip


class _ServerError(Exception):
    pass


class _Unimplemented(Exception):
    """FreshRSS answers 501 when output=json is missing."""


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
