"""Reading a response's body within its cap: gzip and deflate inflated here, never more than
64 KiB a step, so a compressed bomb is stopped as soon as it grows past the limit."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from streamtui.core.fetch.errors import FetchError

if TYPE_CHECKING:
    import httpx

_INFLATE_STEP = 64 * 1024


async def read_body(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """Read and decode the body, stopping as soon as it grows past ``max_bytes``.

    This reads ``aiter_raw()`` and inflates it here rather than using ``aiter_bytes()``:
    httpx inflates each network chunk in one call, so 64 KiB of gzip could become 64 MiB in
    memory before any cap saw it. The raw bytes are capped too, so a stream of empty deflate
    blocks cannot run on forever either.
    """
    _refuse_declared_size(url, response, max_bytes)
    inflater = _Inflater.for_encoding(url, response)
    body, raw_size = bytearray(), 0
    try:
        async for raw in response.aiter_raw():
            raw_size += len(raw)
            _check_size(url, raw_size, max_bytes)
            for piece in inflater.feed(raw):
                body += piece
                _check_size(url, len(body), max_bytes)
        inflater.finish()
    except zlib.error as error:
        reason = f"the server sent a corrupt compressed body ({inflater.encoding})"
        raise FetchError(url, "unreachable", reason) from error
    return bytes(body)


def _refuse_declared_size(url: str, response: httpx.Response, max_bytes: int) -> None:
    """Fail before reading when Content-Length already says the body is too large."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit():
        _check_size(url, int(declared), max_bytes)


def _check_size(url: str, count: int, max_bytes: int) -> None:
    if count > max_bytes:
        raise FetchError(url, "too-large", f"the feed is larger than the {_size(max_bytes)} limit")


class _Inflater:
    """Undo a gzip or deflate Content-Encoding, never more than 64 KiB per step."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # gzip: 16 + 15; deflate is meant to be zlib-wrapped, raw deflate is the fallback.
        wbits = {"gzip": 31, "x-gzip": 31, "deflate": 15}.get(encoding)
        self._zlib = zlib.decompressobj(wbits) if wbits else None
        self._started = False

    @classmethod
    def for_encoding(cls, url: str, response: httpx.Response) -> _Inflater:
        """The inflater for the response's Content-Encoding; refuse what we did not ask for."""
        codings = [
            coding.strip().lower()
            for coding in response.headers.get("content-encoding", "").split(",")
            if coding.strip().lower() not in ("", "identity")
        ]
        if not codings:
            return cls("identity")
        if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            return cls(codings[0])
        reason = f"the server used a content encoding streamtui cannot read ({', '.join(codings)})"
        raise FetchError(url, "http", reason)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of ``data``; the caller checks the cap between pieces."""
        if self._zlib is None:
            yield data
            return
        if not self._started and self.encoding == "deflate":
            self._zlib = _deflate_variant(data)
        self._started = True
        yield from _inflate(self._zlib, data)

    def finish(self) -> None:
        """Raise zlib.error when a compressed body stopped before its end."""
        if self._zlib is not None and self._started and not self._zlib.eof:
            raise zlib.error("the compressed body ended early")


def _deflate_variant(first: bytes) -> zlib._Decompress:
    """Servers send "deflate" zlib-wrapped (as the RFC says) or raw; the header tells which."""
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.decompressobj(15 if wrapped else -15)


def _inflate(decompressor: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """Inflate ``data`` at most _INFLATE_STEP bytes at a time, pending output included."""
    while True:
        piece = decompressor.decompress(data, _INFLATE_STEP)
        if piece:
            yield piece
        data = decompressor.unconsumed_tail
        if not data and len(piece) < _INFLATE_STEP:
            return


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"
