"""A Google Reader API test server, in the FreshRSS dialect or the Miniflux one.

    with GReaderServer(dialect="freshrss") as gr:
        feed = gr.store.subscribe(site.feed_url(0), category="News")
        gr.base_url             # what a client is given (FreshRSS: .../api/greader.php)
        gr.expire_token()       # the next write with the old T answers 401 (bad token)
        gr.http.inject(status=503, count=2)
        gr.http.count("/reader/api/0/edit-tag")

Written from public descriptions of the API (see README.md), strict about what it accepts:
where the two dialects differ, each answers as its server does; where a real server is lenient
(FreshRSS takes an empty T, or none on subscription/edit), this one requires what the stricter
reading requires, so a client that works here works there. Not implemented: item labels
(``user/-/label/...`` on items), rename-tag/disable-tag, OPML import/export, unread-count's
per-stream times, and anything about sharing or comments.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Literal

from ._greader_reads import (
    LONG_PREFIX,
    READING_LIST,
    STATE,
    BadRequest,
    Reads,
    _is_hex,
    _ServerError,
    _Unimplemented,
    long_id,
)
from ._http import Answer, ApiRequest, ApiServer, json_answer, text_answer
from ._store import Store, StoreError

Dialect = Literal["freshrss", "miniflux"]
READ, STARRED, KEPT_UNREAD = (STATE + name for name in ("read", "starred", "kept-unread"))
API = "/reader/api/0/"
FRESHRSS_ROOT = "/api/greader.php"


class GReaderServer(Reads):
    def __init__(
        self,
        store: Store | None = None,
        *,
        dialect: Dialect = "freshrss",
        user: str = "tester",
        password: str = "tester-password-1",
        port: int = 0,
    ) -> None:
        self.dialect = dialect
        self.store = store or Store(ids="timestamp" if dialect == "freshrss" else "sequential")
        self.user = user
        self.password = password
        self._secret = secrets.token_hex(8)
        self._auth_generation = 0
        self._token_generation = 0
        self.http = ApiServer(self._handle, port)

    # --- addresses and credentials ---

    @property
    def base_url(self) -> str:
        root = FRESHRSS_ROOT if self.dialect == "freshrss" else ""
        return self.http.url(root)

    @property
    def api_url(self) -> str:
        return self.base_url + API.rstrip("/")

    @property
    def user_id(self) -> str:
        return self.user if self.dialect == "freshrss" else "1"

    def auth_token(self) -> str:
        digest = hashlib.sha1(f"{self._secret}:{self.user}:{self._auth_generation}".encode())
        return f"{self.user}/{digest.hexdigest()}"

    def write_token(self) -> str:
        """What ``/token`` gives now (FreshRSS: 57 characters; Miniflux: the auth token)."""
        if self.dialect == "miniflux":
            return self.auth_token()
        seed = f"{self._secret}:{self._token_generation}:{self.user}"
        return hashlib.sha1(seed.encode()).hexdigest().ljust(57, "Z")

    def expire_token(self) -> None:
        """Invalidate the write token (Miniflux: the same as the auth token, so both)."""
        self._token_generation += 1
        if self.dialect == "miniflux":
            self._auth_generation += 1

    def expire_auth(self) -> None:
        """Invalidate the auth token from ClientLogin (and the write token): log in again."""
        self._auth_generation += 1
        self._token_generation += 1

    # --- life ---

    def start(self) -> GReaderServer:
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()

    def __enter__(self) -> GReaderServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- dispatch ---

    def _handle(self, req: ApiRequest) -> Answer:
        path = req.path
        if self.dialect == "freshrss":
            if not path.startswith(FRESHRSS_ROOT):
                return text_answer("Not Found", 404)
            path = path[len(FRESHRSS_ROOT) :] or "/"
        try:
            if path == "/accounts/ClientLogin":
                return self._client_login(req)
            if not path.startswith(API):
                if self.dialect == "miniflux":
                    return text_answer("404 page not found", 404)
                raise BadRequest("not an API path")
            if not self._authenticated(req):
                return self._unauthorized()
            return self._route(path[len(API) :], req)
        except _Unimplemented:
            return text_answer("Not Implemented!", 501)
        except BadRequest as error:
            if self.dialect == "freshrss":
                return text_answer("Bad Request!", 400)
            return json_answer({"error_message": str(error)}, 400)

    def _route(self, name: str, req: ApiRequest) -> Answer:
        routes: dict[str, tuple[str, Callable[[ApiRequest], Answer], bool]] = {
            # name: (method, handler, is a write)
            "token": ("GET", lambda r: text_answer(self.write_token() + "\n"), False),
            "user-info": ("GET", self._user_info, False),
            "tag/list": ("GET", self._tag_list, False),
            "subscription/list": ("GET", self._subscription_list, False),
            "subscription/edit": ("POST", self._subscription_edit, True),
            "subscription/quickadd": ("POST", self._quickadd, True),
            "stream/items/ids": ("GET", self._items_ids, False),
            "stream/items/contents": ("POST", self._items_contents, False),
            "edit-tag": ("POST", self._edit_tag, True),
            "mark-all-as-read": ("POST", self._mark_all_as_read, True),
        }
        if self.dialect == "freshrss":
            routes["unread-count"] = ("GET", self._unread_count, False)
            if name.startswith("stream/contents"):
                return self._stream_contents(name[len("stream/contents") :].lstrip("/"), req)
        found = routes.get(name)
        if found is None:
            if self.dialect == "miniflux":
                return json_answer([])  # Miniflux's catch-all for /reader/api/0/*
            raise BadRequest(f"unknown endpoint {name}")
        method, handler, write = found
        if req.method != method:
            if self.dialect == "miniflux":
                return json_answer([])  # the route did not match: the catch-all answers
            if write:  # FreshRSS reads T from the POST body only: none in a GET
                return self._unauthorized()
            if name == "stream/items/contents":
                raise BadRequest("items/contents needs i= in a POST body")
        if write and self.dialect == "freshrss" and self._body_one(req, "T") != self.write_token():
            return self._unauthorized()
        return handler(req)

    # --- authentication ---

    def _client_login(self, req: ApiRequest) -> Answer:
        if self.dialect == "miniflux" and req.method != "POST":
            return text_answer("Method Not Allowed", 405)
        email, passwd = self._one(req, "Email"), self._one(req, "Passwd")
        if self.dialect == "freshrss" and (not email or not passwd):
            raise BadRequest("Email and Passwd are required")
        if email != self.user or passwd != self.password:
            if self.dialect == "freshrss":
                return self._unauthorized()
            return json_answer({"error_message": "access unauthorized"}, 401)
        token = self.auth_token()
        if self.dialect == "miniflux" and self._one(req, "output") == "json":
            return json_answer({"SID": token, "LSID": token, "Auth": token})
        lsid = "null" if self.dialect == "freshrss" else token
        return text_answer(f"SID={token}\nLSID={lsid}\nAuth={token}\n")

    def _authenticated(self, req: ApiRequest) -> bool:
        if self.dialect == "miniflux" and req.method == "POST":
            return self._one(req, "T") == self.auth_token()  # POST: T only, never the header
        scheme, _, value = req.header("authorization").partition(" ")
        key, _, token = value.strip().partition("=")
        return scheme == "GoogleLogin" and key == "auth" and token == self.auth_token()

    def _unauthorized(self) -> Answer:
        if self.dialect == "freshrss":
            return text_answer("Unauthorized!", 401, [("Google-Bad-Token", "true")])
        return text_answer("Unauthorized", 401, [("X-Reader-Google-Bad-Token", "true")])

    # --- parameters ---

    def _all(self, req: ApiRequest, name: str) -> list[str]:
        """Query and form values of ``name`` (Miniflux merges both; FreshRSS's $_REQUEST)."""
        return [*req.query.get(name, []), *req.form.get(name, [])]

    def _one(self, req: ApiRequest, name: str) -> str:
        values = self._all(req, name)
        return values[-1] if values else ""

    def _body_one(self, req: ApiRequest, name: str) -> str:
        values = req.form.get(name, [])
        return values[-1].strip() if values else ""

    def _require_json(self, req: ApiRequest) -> None:
        if self._one(req, "output") != "json":
            if self.dialect == "freshrss":
                raise _Unimplemented
            raise BadRequest("googlereader: only json output is supported")

    def _item_ids(self, values: list[str]) -> list[int]:
        ids = []
        for value in values:
            value = value.strip()
            if self.dialect == "freshrss":
                # decimal unless it starts with 0 or is not all digits: then the hex after '/'
                if value.isdigit() and not value.startswith("0"):
                    ids.append(int(value))
                else:
                    tail = value.rsplit("/", 1)[-1]
                    ids.append(int(tail, 16) if _is_hex(tail) else 0)
                continue
            if value.startswith(LONG_PREFIX) and _is_hex(value[len(LONG_PREFIX) :]):
                parsed = int(value[len(LONG_PREFIX) :], 16)
            elif len(value) == 16 and _is_hex(value):
                parsed = int(value, 16)
            elif value.lstrip("-").isdigit():
                parsed = int(value)
            else:
                raise BadRequest(f"googlereader: failed to parse item ID {value}")
            if parsed <= 0:
                raise BadRequest(f"googlereader: invalid item ID {value}")
            ids.append(parsed)
        return ids

    def _state(self, tag: str) -> str:
        """``read``/``starred``/... for a state stream (Miniflux also takes user/<id>/)."""
        if tag.startswith(STATE):
            return tag[len(STATE) :]
        prefix = f"user/{self.user_id}/state/com.google/"
        if self.dialect == "miniflux" and tag.startswith(prefix):
            return tag[len(prefix) :]
        return ""

    # --- writes ---

    def _edit_tag(self, req: ApiRequest) -> Answer:
        ids = self._item_ids(req.form.get("i", []))
        if self.dialect == "freshrss":  # one a and one r ($_POST keeps the last)
            adds, removes = req.form.get("a", [])[-1:], req.form.get("r", [])[-1:]
        else:  # every a and r, from the body only
            adds, removes = req.form.get("a", []), req.form.get("r", [])
            if not ids:
                raise BadRequest("googlereader: no items requested")
        added = {self._state(tag) for tag in adds}
        removed = {self._state(tag) for tag in removes}
        if self.dialect == "miniflux":
            if ("read" in added and "kept-unread" in added) or "starred" in added & removed:
                raise BadRequest("googlereader: conflicting tags")
            unknown = [t for t in adds + removes if not self._state(t) and "/label/" not in t]
            if unknown:
                raise BadRequest(f"googlereader: unsupported tag {unknown[0]}")
        read: bool | None = None
        if "read" in added or "kept-unread" in removed:
            read = True
        if "read" in removed or "kept-unread" in added:
            read = False
        starred = True if "starred" in added else False if "starred" in removed else None
        self.store.mark(ids, read=read, starred=starred)
        return text_answer("OK")

    def _mark_all_as_read(self, req: ApiRequest) -> Answer:
        stream = self._one(req, "s")
        stamp = self._one(req, "ts") or "0"
        if not stamp.isdigit():
            raise BadRequest("googlereader: invalid ts")
        seconds = int(stamp) / 1_000_000 if len(stamp) >= 16 else int(stamp) or time.time()
        try:
            entries = self._select(ApiRequest("GET", "", {}, {}, b""), stream)
        except _ServerError:
            entries = []
        older = [e.id for e in entries if e.published <= seconds]
        self.store.mark(older, read=True)
        return text_answer("OK")

    def _subscription_edit(self, req: ApiRequest) -> Answer:
        action = self._one(req, "ac")
        streams = self._all(req, "s")
        if action not in ("subscribe", "unsubscribe", "edit") or not streams:
            raise BadRequest(f"googlereader: unrecognized action {action}")
        label = self._one(req, "a")
        category = label.split("/label/", 1)[1] if "/label/" in label else None
        if label and category is None:
            raise BadRequest("destination must be a label")
        title = self._one(req, "t")
        for stream in streams if action == "unsubscribe" else streams[:1]:
            key = stream.removeprefix("feed/")
            if action == "subscribe":
                if key.isdigit():
                    raise BadRequest(f"googlereader: invalid URL: {key}")
                try:
                    self.store.subscribe(key, category, title)
                except StoreError as error:
                    return self._fail(str(error))
                continue
            feed = self.store.feed_by_url(key) if self.dialect == "freshrss" else None
            feed_id = feed.id if feed else int(key) if key.isdigit() else 0
            if feed_id not in self.store.feeds:
                raise BadRequest(f"googlereader: unknown feed {stream}")
            if action == "unsubscribe":
                self.store.unsubscribe(feed_id)
            else:
                with self.store.lock:
                    if category:
                        self.store.feeds[feed_id].category_id = self.store.category(category).id
                    if title:
                        self.store.feeds[feed_id].title = title
        return text_answer("OK")

    def _quickadd(self, req: ApiRequest) -> Answer:
        url = self._one(req, "quickadd").removeprefix("feed/")
        if not url.startswith(("http://", "https://")):
            if self.dialect == "miniflux":
                raise BadRequest(f"googlereader: invalid URL: {url}")
            return json_answer({"numResults": 0, "error": "invalid URL"})
        try:
            feed = self.store.subscribe(url)
        except StoreError as error:
            if self.dialect == "miniflux":
                return json_answer({"numResults": 0})
            return json_answer({"numResults": 0, "error": str(error)})
        return json_answer({"numResults": 1, "query": feed.url,
                            "streamId": f"feed/{feed.id}", "streamName": feed.title})  # fmt: skip

    def _fail(self, message: str) -> Answer:
        if self.dialect == "freshrss":
            return text_answer("Bad Request!", 400)
        return json_answer({"error_message": message}, 500)


__all__ = ["READING_LIST", "GReaderServer", "long_id"]
