"""A Miniflux REST API test server (``/v1/...``), written from Miniflux's API reference.

    with MinifluxServer() as mf:
        mf.store.subscribe(site.feed_url(0), category="News")
        mf.base_url, mf.api_token          # X-Auth-Token; Basic auth with user/password too
        mf.http.inject(status=500, count=1)
        mf.http.count("/v1/entries", method="PUT")

What it answers (JSON; errors as ``{"error_message": ...}``): ``GET /v1/me``; ``GET
/v1/feeds``, ``GET /v1/feeds/{id}``, ``POST /v1/feeds`` (201 ``{"feed_id"}``; 400 for an empty
URL, a feed already there or an unknown category), ``DELETE /v1/feeds/{id}`` (204),
``PUT /v1/feeds/{id}/refresh`` and ``PUT /v1/feeds/refresh``; ``GET /v1/categories``
(``counts=true`` adds ``feed_count`` and ``total_unread``); ``GET /v1/entries``,
``/v1/feeds/{id}/entries`` and ``/v1/categories/{id}/entries`` with ``status`` (repeatable),
``starred``, ``after_entry_id``/``before_entry_id``, ``after``/``before`` and
``published_after``/``published_before`` and ``changed_after``/``changed_before`` (unix
seconds), ``category_id``, ``limit`` (100 by default)/``offset``, ``order``/``direction``;
``GET /v1/entries/ids``; ``GET /v1/entries/{id}``; ``PUT /v1/entries`` (``entry_ids`` with
``status`` and/or ``starred``, 204); ``PUT /v1/entries/{id}/bookmark`` (toggle, 204).
Not implemented: users, API keys, icons, enclosures, OPML, discover, search, integrations.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ._http import Answer, ApiRequest, ApiServer, json_answer
from ._store import Entry, Feed, Store, StoreError

ORDERS = ("id", "status", "changed_at", "published_at", "created_at", "category_title",
          "category_id", "title", "author")  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class MinifluxServer:
    def __init__(
        self,
        store: Store | None = None,
        *,
        user: str = "tester",
        password: str = "tester-password-1",
        port: int = 0,
    ) -> None:
        self.store = store or Store(ids="sequential")
        self.user = user
        self.password = password
        self.api_token = secrets.token_urlsafe(24)
        self.http = ApiServer(self._handle, port)
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
            ("GET", re.compile(r"/v1/me"), self._me),
            ("GET", re.compile(r"/v1/feeds"), self._feeds),
            ("POST", re.compile(r"/v1/feeds"), self._create_feed),
            ("PUT", re.compile(r"/v1/feeds/refresh"), self._refresh_all),
            ("GET", re.compile(r"/v1/feeds/(\d+)"), self._feed),
            ("DELETE", re.compile(r"/v1/feeds/(\d+)"), self._remove_feed),
            ("PUT", re.compile(r"/v1/feeds/(\d+)/refresh"), self._refresh_feed),
            ("GET", re.compile(r"/v1/feeds/(\d+)/entries"), self._feed_entries),
            ("GET", re.compile(r"/v1/categories"), self._categories),
            ("GET", re.compile(r"/v1/categories/(\d+)/entries"), self._category_entries),
            ("GET", re.compile(r"/v1/entries"), self._entries),
            ("PUT", re.compile(r"/v1/entries"), self._update_entries),
            ("GET", re.compile(r"/v1/entries/ids"), self._entry_ids),
            ("GET", re.compile(r"/v1/entries/(\d+)"), self._entry),
            ("PUT", re.compile(r"/v1/entries/(\d+)/(?:bookmark|star)"), self._toggle_bookmark),
        ]

    @property
    def base_url(self) -> str:
        return self.http.url("")

    def expire_token(self) -> None:
        """A new API token: the old one answers 401 from now on."""
        self.api_token = secrets.token_urlsafe(24)

    def start(self) -> MinifluxServer:
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()

    def __enter__(self) -> MinifluxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- dispatch ---

    def _handle(self, req: ApiRequest) -> Answer:
        if not self._authenticated(req):
            return json_answer({"error_message": "access unauthorized"}, 401)
        path_matched = False
        for method, pattern, handler in self._routes:
            found = pattern.fullmatch(req.path)
            if found is None:
                continue
            path_matched = True
            if method == req.method:
                try:
                    return handler(req, *found.groups())
                except ApiError as error:
                    return json_answer({"error_message": str(error)}, error.status)
        if path_matched:
            return Answer(405, b"Method Not Allowed\n", "text/plain; charset=utf-8")
        return Answer(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def _authenticated(self, req: ApiRequest) -> bool:
        token = req.header("x-auth-token")
        if token:
            return secrets.compare_digest(token, self.api_token)
        scheme, _, value = req.header("authorization").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return user == self.user and password == self.password

    # --- users, feeds, categories ---

    def _me(self, req: ApiRequest) -> Answer:
        return json_answer({"id": 1, "username": self.user, "is_admin": False,
                            "entry_sorting_direction": "desc", "entries_per_page": 100,
                            "last_login_at": _iso(time.time())})  # fmt: skip

    def _feed_json(self, feed: Feed) -> dict[str, Any]:
        cat = self.store.categories[feed.category_id]
        return {
            "id": feed.id, "user_id": 1, "title": feed.title, "site_url": feed.site_url,
            "feed_url": feed.url, "checked_at": _iso(feed.checked_at), "etag_header": feed.etag,
            "parsing_error_message": "", "parsing_error_count": 0, "disabled": False,
            "category": {"id": cat.id, "user_id": 1, "title": cat.title},
            "icon": {"feed_id": feed.id, "icon_id": feed.id} if feed.icon_url else None,
        }  # fmt: skip

    def _feeds(self, req: ApiRequest) -> Answer:
        with self.store.lock:
            return json_answer([self._feed_json(f) for f in self.store.feeds.values()])

    def _feed(self, req: ApiRequest, feed_id: str) -> Answer:
        with self.store.lock:
            return json_answer(self._feed_json(self._known_feed(feed_id)))

    def _known_feed(self, feed_id: str) -> Feed:
        feed = self.store.feeds.get(int(feed_id))
        if feed is None:
            raise ApiError(404, "resource not found")
        return feed

    def _create_feed(self, req: ApiRequest) -> Answer:
        body = self._json_object(req)
        url = body.get("feed_url")
        if not isinstance(url, str) or not url:
            raise ApiError(400, "The feed URL cannot be empty.")
        category_id = body.get("category_id")
        category = None
        if category_id is not None:
            if not isinstance(category_id, int) or category_id not in self.store.categories:
                raise ApiError(400, "This category does not exist or does not belong to this user.")
            category = self.store.categories[category_id].title
        if self.store.feed_by_url(url) is not None:
            raise ApiError(400, "This feed already exists.")
        try:
            feed = self.store.subscribe(url, category)
        except StoreError as error:
            raise ApiError(400, str(error)) from error
        return json_answer({"feed_id": feed.id}, 201)

    def _remove_feed(self, req: ApiRequest, feed_id: str) -> Answer:
        self._known_feed(feed_id)
        self.store.unsubscribe(int(feed_id))
        return Answer(204, b"", "text/plain")

    def _refresh_feed(self, req: ApiRequest, feed_id: str) -> Answer:
        self._known_feed(feed_id)
        self.store.refresh(int(feed_id))
        return Answer(204, b"", "text/plain")

    def _refresh_all(self, req: ApiRequest) -> Answer:
        self.store.refresh()
        return Answer(204, b"", "text/plain")

    def _categories(self, req: ApiRequest) -> Answer:
        counts = self._one(req, "counts") == "true"
        rows = []
        with self.store.lock:
            for cat in self.store.categories.values():
                row: dict[str, Any] = {"id": cat.id, "title": cat.title, "user_id": 1,
                                       "hide_globally": False}  # fmt: skip
                if counts:
                    feeds = {f.id for f in self.store.feeds.values() if f.category_id == cat.id}
                    row["feed_count"] = len(feeds)
                    row["total_unread"] = sum(
                        1 for e in self.store.entries.values() if e.feed_id in feeds and not e.read
                    )
                rows.append(row)
        return json_answer(rows)

    # --- entries ---

    def _entry_json(self, entry: Entry) -> dict[str, Any]:
        feed = self.store.feeds.get(entry.feed_id)
        return {
            "id": entry.id, "user_id": 1, "feed_id": entry.feed_id, "title": entry.title,
            "url": entry.url, "comments_url": "", "author": entry.author,
            "content": entry.content, "hash": entry.guid, "published_at": _iso(entry.published),
            "created_at": _iso(entry.created), "changed_at": _iso(entry.changed),
            "status": "read" if entry.read else "unread", "share_code": "",
            "starred": entry.starred, "reading_time": 1, "enclosures": None,
            "feed": self._feed_json(feed) if feed else None,
        }  # fmt: skip

    def _entries(self, req: ApiRequest, feed_id: int = 0, category_id: int = 0) -> Answer:
        statuses = [*req.query.get("status", [])]
        for status in statuses:
            if status not in ("read", "unread", "removed"):
                raise ApiError(
                    400, 'invalid entry status, valid status values are: "read" and "unread"'
                )
        order = self._one(req, "order") or "published_at"
        if order not in ORDERS:
            raise ApiError(400, "invalid entry order, valid order values are: " + ", ".join(
                f'"{name}"' for name in ORDERS))  # fmt: skip
        direction = self._one(req, "direction") or "asc"
        if direction not in ("asc", "desc"):
            raise ApiError(400, 'invalid direction, valid direction values are: "asc" or "desc"')
        limit, offset = self._int(req, "limit", 100), self._int(req, "offset", 0)
        if limit < 0 or offset < 0:
            raise ApiError(400, "offset and limit must be greater than or equal to zero")
        category_id = category_id or self._int(req, "category_id", 0)
        with self.store.lock:
            if feed_id and feed_id not in self.store.feeds:
                raise ApiError(404, "resource not found")
            picked = [e for e in self.store.entries.values()
                      if self._keep(req, e, statuses, feed_id, category_id)]  # fmt: skip
            picked.sort(key=_sort_key(order, self.store), reverse=direction == "desc")
            page = picked[offset : offset + limit] if limit else picked[offset:]
            return json_answer({"total": len(picked),
                                "entries": [self._entry_json(e) for e in page]})  # fmt: skip

    def _feed_entries(self, req: ApiRequest, feed_id: str) -> Answer:
        return self._entries(req, feed_id=int(feed_id))

    def _category_entries(self, req: ApiRequest, category_id: str) -> Answer:
        if int(category_id) not in self.store.categories:
            raise ApiError(404, "resource not found")
        return self._entries(req, category_id=int(category_id))

    def _keep(
        self, req: ApiRequest, entry: Entry, statuses: list[str], feed_id: int, category_id: int
    ) -> bool:
        if statuses and ("read" if entry.read else "unread") not in statuses:
            return False
        if feed_id and entry.feed_id != feed_id:
            return False
        feed = self.store.feeds.get(entry.feed_id)
        if category_id and (feed is None or feed.category_id != category_id):
            return False
        starred = self._one(req, "starred")
        if starred and (starred in ("1", "true")) != entry.starred:
            return False
        bounds = {
            "after_entry_id": entry.id, "before_entry_id": entry.id,
            "after": entry.published, "before": entry.published,
            "published_after": entry.published, "published_before": entry.published,
            "changed_after": entry.changed, "changed_before": entry.changed,
        }  # fmt: skip
        for name, value in bounds.items():
            limit = self._int(req, name, 0)
            if limit > 0 and (value <= limit if "after" in name else value >= limit):
                return False
        return True

    def _entry_ids(self, req: ApiRequest) -> Answer:
        status = self._one(req, "status")
        if "status" in req.query and status not in ("read", "unread"):
            raise ApiError(400, 'invalid status parameter, must be "read" or "unread"')
        starred = self._one(req, "starred")
        if "starred" in req.query and starred not in ("true", "false"):
            raise ApiError(400, 'invalid starred parameter, must be "true" or "false"')
        limit = self._int(req, "limit", 10_000)
        limit = limit if 0 < limit <= 10_000 else 10_000
        offset = self._int(req, "offset", 0)
        with self.store.lock:
            ids = [e.id for e in self.store.sorted_entries()
                   if (not status or ("read" if e.read else "unread") == status)
                   and (not starred or e.starred == (starred == "true"))]  # fmt: skip
        return json_answer({"total": len(ids), "entry_ids": ids[offset : offset + limit]})

    def _entry(self, req: ApiRequest, entry_id: str) -> Answer:
        with self.store.lock:
            entry = self.store.entries.get(int(entry_id))
            if entry is None:
                raise ApiError(404, "resource not found")
            return json_answer(self._entry_json(entry))

    def _update_entries(self, req: ApiRequest) -> Answer:
        body = self._json_object(req)
        ids = body.get("entry_ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise ApiError(400, "invalid JSON payload: entry_ids must be a list of integers")
        if not ids:
            raise ApiError(400, "the list of entries cannot be empty")
        status, starred = body.get("status", ""), body.get("starred")
        if status == "" and starred is None:
            raise ApiError(400, "either the status or the starred field must be specified")
        if status not in ("", "read", "unread"):
            raise ApiError(
                400, 'invalid entry status, valid status values are: "read" and "unread"'
            )
        if starred is not None and not isinstance(starred, bool):
            raise ApiError(400, "invalid JSON payload: starred must be a boolean")
        read = None if status == "" else status == "read"
        self.store.mark(ids, read=read, starred=starred)
        return Answer(204, b"", "text/plain")

    def _toggle_bookmark(self, req: ApiRequest, entry_id: str) -> Answer:
        with self.store.lock:
            entry = self.store.entries.get(int(entry_id))
            if entry is None:
                raise ApiError(404, "resource not found")
            self.store.mark([entry.id], starred=not entry.starred)
        return Answer(204, b"", "text/plain")

    # --- helpers ---

    def _json_object(self, req: ApiRequest) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as error:
            raise ApiError(400, f"invalid JSON payload: {error}") from error
        if not isinstance(body, dict):
            raise ApiError(400, "invalid JSON payload: an object is expected")
        return body

    def _one(self, req: ApiRequest, name: str) -> str:
        values = req.query.get(name, [])
        return values[-1] if values else ""

    def _int(self, req: ApiRequest, name: str, default: int) -> int:
        text = self._one(req, name)
        if not text:
            return default
        try:
            return int(text)
        except ValueError as error:
            raise ApiError(400, f"invalid {name} parameter: {text}") from error


def _sort_key(order: str, store: Store) -> Callable[[Entry], Any]:
    def category(entry: Entry) -> tuple[str, int]:
        feed = store.feeds.get(entry.feed_id)
        cat = store.categories.get(feed.category_id) if feed else None
        return (cat.title if cat else "", cat.id if cat else 0)

    keys: dict[str, Callable[[Entry], Any]] = {
        "id": lambda e: e.id, "status": lambda e: (e.read, e.id),
        "changed_at": lambda e: (e.changed, e.id), "published_at": lambda e: (e.published, e.id),
        "created_at": lambda e: (e.created, e.id), "title": lambda e: (e.title, e.id),
        "author": lambda e: (e.author, e.id), "category_title": lambda e: (category(e)[0], e.id),
        "category_id": lambda e: (category(e)[1], e.id),
    }  # fmt: skip
    return keys[order]
