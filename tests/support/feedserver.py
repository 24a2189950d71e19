"""A loopback HTTP server for tests: 127.0.0.1 only, one thread per request, routes per test.

    from tests.support.feedserver import FeedServer, feed
    from tests.support.feedserver import feed_server_fixture  # noqa: F401 (the feed_server fixture)

    def test_x(feed_server: FeedServer) -> None:
        feed_server.route("/feed.xml", feed(RSS, etag='"v1"'))
        url = feed_server.url("/feed.xml")
        ...
        assert feed_server.requests_to("/feed.xml")[0].header("if-none-match") == '"v1"'

A handler takes a :class:`Request` and returns a :class:`Reply` (or a plain
``(status, headers, body)`` tuple). A body is bytes, or an iterable of byte chunks and float
pauses in seconds (drips, stalls). ``Reply.delay`` waits before the status line (a hang);
``Reply.chunked`` sends an iterable body with chunked transfer encoding (HTTP/1.1), where
its end is a zero-size chunk rather than the connection closing.
Every wait ends at once when the server stops, so a test never waits for a hung handler.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import ssl
import struct
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest

Body = bytes | Iterable[bytes | float]
Headers = Mapping[str, str] | Sequence[tuple[str, str]]
HANG = 3600.0
"""Seconds a hang lasts at most; the server's stop ends it far sooner."""
PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)


@dataclass(frozen=True)
class Request:
    """What a handler sees and what the server records: method, path (with query), headers."""

    method: str
    path: str
    headers: Mapping[str, str]  # keys lower-cased

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class Reply(NamedTuple):
    status: int = 200
    headers: Headers = ()
    body: Body = b""
    delay: float = 0.0  # seconds before the status line is sent
    chunked: bool = False  # an iterable body goes out in HTTP/1.1 chunks


Handler = Callable[[Request], "Reply | tuple[int, Headers, Body]"]


class FeedServer:
    """A ThreadingHTTPServer on 127.0.0.1 and a free port; use as a context manager."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._active = 0
        self.max_concurrent = 0
        self.requests: list[Request] = []
        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        self._httpd.feed_server = self
        self._scheme = "http"
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        """Answer ``path`` (matched with its query first, then without) with ``handler``."""
        with self._lock:
            self._routes[path] = handler

    def requests_to(self, path: str) -> list[Request]:
        """The recorded requests for ``path`` (query ignored), oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def reset(self) -> None:
        """Forget recorded requests and the concurrency peak (routes stay)."""
        with self._lock:
            self.requests.clear()
            self.max_concurrent = 0

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # --- used by the request handler ---

    def _handler_for(self, path: str) -> Handler:
        with self._lock:
            found = self._routes.get(path) or self._routes.get(path.split("?", 1)[0])
        return found or status(404)

    def _begin(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)

    def _end(self) -> None:
        with self._lock:
            self._active -= 1

    def _wait(self, seconds: float) -> bool:
        """Sleep, unless the server stops first; False when it is stopping."""
        return not self._stopping.wait(seconds) if seconds > 0 else not self._stopping.is_set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    feed_server: FeedServer


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: concurrency is easy to count

    def do_GET(self) -> None:
        owner = self.server.feed_server
        request = Request(
            "GET", self.path, {key.lower(): value for key, value in self.headers.items()}
        )
        owner._begin(request)
        ended = False
        try:
            reply = Reply(*owner._handler_for(self.path)(request))
            if not owner._wait(reply.delay):
                return
            ended = self._send(owner, reply)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up (a timeout or a cap): expected in these tests
        finally:
            if not ended:
                owner._end()

    do_HEAD = do_GET

    def _send(self, owner: FeedServer, reply: Reply) -> bool:
        """Write the reply; the request stops counting as active just before the last write.

        Ending the count before the last bytes go out means a client that has read them all
        (and starts its next request) can never be counted twice.
        """
        chunked = reply.chunked and not isinstance(reply.body, bytes)
        if chunked:
            self.protocol_version = "HTTP/1.1"  # chunked framing does not exist in HTTP/1.0
        self.send_response(reply.status)
        pairs = reply.headers.items() if isinstance(reply.headers, Mapping) else reply.headers
        for name, value in pairs:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            return self._stream(owner, _chunks(reply.body), end=b"0\r\n\r\n")
        if isinstance(reply.body, bytes):
            if not any(name.lower() == "content-length" for name, _ in pairs):
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            owner._end()
            self.wfile.write(reply.body)
            return True
        self.end_headers()
        return self._stream(owner, reply.body)

    def _stream(self, owner: FeedServer, body: Iterable[bytes | float], end: bytes = b"") -> bool:
        pending = b""
        for part in body:
            if isinstance(part, bytes):
                if owner._stopping.is_set():
                    return False
                if pending:
                    self.wfile.write(pending)
                pending = part
                continue
            if pending:
                self.wfile.write(pending)
                pending = b""
            if not owner._wait(part):
                return False
        owner._end()
        self.wfile.write(pending + end)
        return True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


def _chunks(body: Iterable[bytes | float]) -> Iterator[bytes | float]:
    """``body`` with each non-empty byte part framed as one HTTP/1.1 chunk."""
    for part in body:
        if isinstance(part, bytes):
            if part:
                yield b"%x\r\n" % len(part) + part + b"\r\n"
        else:
            yield part


@pytest.fixture(name="feed_server")
def feed_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A running FeedServer; proxy variables are cleared so httpx talks to it directly.

    Import it as ``feed_server_fixture`` (with ``# noqa: F401``) and ask for ``feed_server``:
    importing the name ``feed_server`` itself works too, but then ruff reports F811 on every
    test that takes the fixture as a parameter.
    """
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with FeedServer() as server:
        yield server


feed_server = feed_server_fixture


# --- handlers for common responses ----------------------------------------------------------


def feed(
    body: bytes | str,
    *,
    etag: str = "",
    last_modified: str = "",
    content_type: str = "application/rss+xml; charset=utf-8",
) -> Handler:
    """200 with ``body``, or 304 when the request's validators match (If-None-Match wins)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    validators = [("ETag", etag)] if etag else []
    if last_modified:
        validators.append(("Last-Modified", last_modified))

    def handler(request: Request) -> Reply:
        if _not_modified(request, etag, last_modified):
            return Reply(304, validators)
        return Reply(200, [("Content-Type", content_type), *validators], data)

    return handler


def _not_modified(request: Request, etag: str, last_modified: str) -> bool:
    if_none_match = request.header("if-none-match")
    if if_none_match:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return bool(etag) and ("*" in tags or etag.removeprefix("W/") in tags)
    since = request.header("if-modified-since")
    return bool(last_modified) and since == last_modified


def redirect(code: int, location: str) -> Handler:
    return lambda request: Reply(code, [("Location", location)])


def status(code: int, headers: Headers = (), body: bytes = b"") -> Handler:
    return lambda request: Reply(code, headers, body)


def drip(bytes_per_second: float, size: int = 100_000) -> Handler:
    """200 that sends one byte every 1/bytes_per_second seconds (never trips a read timeout)."""

    def chunks() -> Iterator[bytes | float]:
        for _ in range(size):
            yield b"x"
            yield 1 / bytes_per_second

    return lambda request: Reply(200, [("Content-Type", "application/rss+xml")], chunks())


def hang() -> Handler:
    """Accept the request and never answer (until the server stops)."""
    return lambda request: Reply(delay=HANG)


def slow(body: bytes | str, seconds: float) -> Handler:
    """200 with ``body`` after a pause: keeps requests in flight to observe concurrency."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda request: Reply(200, [("Content-Type", "application/rss+xml")], [seconds, data])


def gzip_bomb(decoded_size: int) -> Handler:
    """200 with ``decoded_size`` zero bytes, gzip-compressed (about 1000:1); a gigabyte takes
    a few milliseconds to build."""
    headers = [("Content-Type", "application/rss+xml"), ("Content-Encoding", "gzip")]
    data = zeros_gzipped(decoded_size)
    return lambda request: Reply(200, headers, data)


def zeros_gzipped(size: int, block: int = 1024 * 1024) -> bytes:
    """A gzip member of ``size`` zero bytes, built from one compressed block repeated.

    Each block is compressed after a full flush, so it refers to nothing before it and the
    same compressed bytes stand for every block; the trailer's CRC-32 and size are computed
    over the whole.
    """
    whole, rest = divmod(size, block)
    zeros = bytes(block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(zeros[:rest]) + deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(whole):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(zeros[:rest], crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip, deflate, no name, no time
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + packed * whole + tail + trailer


def gzipped(body: bytes | str) -> Handler:
    """200 with ``body`` gzip-compressed, as most servers send feeds."""
    data = gzip.compress(body.encode("utf-8") if isinstance(body, str) else body)
    headers = [("Content-Type", "application/rss+xml"), ("Content-Encoding", "gzip")]
    return lambda request: Reply(200, headers, data)


def oversized(size: int, *, declared: bool = True) -> Handler:
    """200 with ``size`` bytes; ``declared=False`` omits Content-Length (read to the end)."""

    def chunks() -> Iterator[bytes]:
        block = b"x" * (64 * 1024)
        for start in range(0, size, len(block)):
            yield block[: size - start]

    headers = [("Content-Type", "application/rss+xml")]
    if declared:
        headers.append(("Content-Length", str(size)))
    return lambda request: Reply(200, headers, chunks())


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket

    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def endless(block: int = 64 * 1024) -> Handler:
    """200, chunked, a feed that never ends: items as fast as the client reads them, never the
    zero-size chunk that would end the body (until the server stops)."""
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Endless</title>'
    item = b"<item><title>again</title><guid>same</guid></item>"
    data = item * (block // len(item))

    def chunks() -> Iterator[bytes | float]:
        yield head
        while True:
            yield data

    headers = [("Content-Type", "application/rss+xml")]
    return lambda request: Reply(200, headers, chunks(), chunked=True)


def rss(*numbers: int) -> str:
    """A small RSS feed of items numbered ``numbers`` (story-N ids, one line each)."""
    items = "".join(
        f"<item><title>Story {n}</title><link>http://127.0.0.1/{n}</link>"
        f"<guid>story-{n}</guid><description>Text {n}.</description></item>"
        for n in numbers
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def png_image() -> bytes:
    """A valid 1x1 PNG: binary data with NUL bytes in its first line."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (made with the
    openssl command in ``directory``); skips the test when openssl is not installed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
