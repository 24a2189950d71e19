"""The HTTP side of the API test servers: routing to one handler, a request log, faults.

A server built on :class:`ApiServer` gets, for free:

- a log of every request (:attr:`ApiServer.log`, :meth:`ApiServer.count`) to count requests;
- :meth:`ApiServer.down` / :meth:`ApiServer.up`: the port refuses connections (open
  keep-alive connections are cut too), then listens again on the same port;
- :meth:`ApiServer.inject`: for the next ``count`` requests (or until :meth:`clear_faults`),
  optionally only those whose path starts with ``path``: answer ``status`` instead (401, 500,
  503...), wait ``delay`` seconds first, cut JSON answers in the middle (``malformed``), or
  answer a ``huge`` JSON body of that many bytes.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # without the query
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def form(self) -> dict[str, list[str]]:
        """The body's fields when it is form-encoded (else empty)."""
        kind = self.header("content-type")
        if "application/x-www-form-urlencoded" in kind or (
            not kind and self.body[:1] not in (b"{", b"[")
        ):
            text = self.body.decode("utf-8", "replace")
            return urllib.parse.parse_qs(text, keep_blank_values=True)
        return {}

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: Sequence[tuple[str, str]] = ()


def json_answer(data: Any, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> Answer:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Answer(status, text.encode(), "application/json; charset=utf-8", headers)


def text_answer(text: str, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> Answer:
    return Answer(status, text.encode(), "text/plain; charset=utf-8", headers)


@dataclass(frozen=True)
class Logged:
    """One request as the log keeps it: method, path, query string, answer status, time."""

    method: str
    path: str
    query: str
    status: int
    at: float


@dataclass
class Faults:
    status: int = 0
    delay: float = 0.0
    malformed: bool = False
    huge: int = 0
    remaining: int | None = None
    path: str = ""

    def applies(self, path: str) -> bool:
        active = bool(self.status or self.delay or self.malformed or self.huge)
        return active and self.remaining != 0 and path.startswith(self.path)


Handler = Callable[[ApiRequest], Answer]


@dataclass
class _State:
    handle: Handler
    log: list[Logged] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: set[socket.socket] = field(default_factory=set)
    stopping: threading.Event = field(default_factory=threading.Event)


class ApiServer:
    """A threading HTTP/1.1 server on 127.0.0.1 that hands every request to ``handle``."""

    def __init__(self, handle: Handler, port: int = 0) -> None:
        self._state = _State(handle)
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- addresses and log ---

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self._port}{path}"

    @property
    def log(self) -> list[Logged]:
        with self._state.lock:
            return list(self._state.log)

    def count(self, path: str = "", method: str = "") -> int:
        """Requests whose path starts with ``path`` (and whose method is ``method``)."""
        return sum(
            1
            for hit in self.log
            if hit.path.startswith(path) and (not method or hit.method == method)
        )

    def reset_log(self) -> None:
        with self._state.lock:
            self._state.log.clear()

    # --- faults ---

    def inject(
        self,
        *,
        status: int = 0,
        delay: float = 0.0,
        malformed: bool = False,
        huge: int = 0,
        count: int | None = None,
        path: str = "",
    ) -> None:
        with self._state.lock:
            self._state.faults = Faults(status, delay, malformed, huge, count, path)

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults = Faults()

    # --- life ---

    def start(self) -> None:
        self._state.stopping.clear()
        self._httpd = _Server(("127.0.0.1", self._port), _Handler)
        self._httpd.state = self._state
        self._port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut every open connection (the port refuses from now on)."""
        self._state.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._state.lock:
            open_ones = list(self._state.connections)
        for connection in open_ones:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    down = stop

    def up(self) -> None:
        """Listen again on the same port after :meth:`down`."""
        if self._httpd is None:
            self.start()

    @property
    def is_up(self) -> bool:
        return self._httpd is not None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    state: _State

    def handle_error(self, request: object, client_address: object) -> None:
        """A client dropping a keep-alive connection is normal, not a traceback to print."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers: a client may reuse connections

    def setup(self) -> None:
        super().setup()
        # Answers go out in two writes (head, body): without this the second waits for the
        # client's delayed ACK, about 40 ms on every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.state.lock:
            self.server.state.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.state.lock:
            self.server.state.connections.discard(self.connection)

    def _serve(self) -> None:
        state = self.server.state
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(Answer(413, b'{"error_message":"request too large"}'), parts.path)
            return
        body = self.rfile.read(length) if length else b""
        request = ApiRequest(
            self.command,
            parts.path,
            urllib.parse.parse_qs(parts.query, keep_blank_values=True),
            {key.lower(): value for key, value in self.headers.items()},
            body,
        )
        with state.lock:
            faults = state.faults
            applies = faults.applies(parts.path)
            if applies and faults.remaining is not None:
                faults.remaining -= 1
        if applies and faults.delay and state.stopping.wait(faults.delay):
            return
        if applies and faults.status:
            answer = json_answer({"error_message": "injected fault"}, faults.status)
        elif applies and faults.huge:
            self._record(request, parts.query, 200)
            self._huge(faults.huge)
            return
        else:
            try:
                answer = state.handle(request)
            except Exception as error:  # a bug in a test server: say so, as a 500
                answer = json_answer({"error_message": f"test server error: {error!r}"}, 500)
            if applies and faults.malformed and "json" in answer.content_type:
                answer = Answer(answer.status, answer.body[: max(1, len(answer.body) // 2)],
                                answer.content_type, answer.headers)  # fmt: skip
        self._record(request, parts.query, answer.status)
        self._write(answer, parts.path)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def _record(self, request: ApiRequest, query: str, status: int) -> None:
        state = self.server.state
        with state.lock:
            state.log.append(Logged(request.method, request.path, query, status, time.time()))

    def _write(self, answer: Answer, path: str) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _huge(self, size: int) -> None:
        head, tail = b'{"padding":"', b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with contextlib.suppress(OSError):
            for chunk in _filler(size - len(head) - len(tail)):
                if self.server.state.stopping.is_set():
                    return
                self.wfile.write(head + chunk if head else chunk)
                head = b""
            self.wfile.write(tail)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _filler(size: int, block: int = 64 * 1024) -> Iterator[bytes]:
    data = b"x" * block
    for start in range(0, max(0, size), block):
        yield data[: min(block, size - start)]
