"""Feed files on disk: what a local file is, judged by its content, and ``file:`` URLs.

A file that opens like an RSS, Atom or RDF document (its first element ``<rss>``,
``<feed>`` or ``<rdf:RDF>``, after any XML declaration, comments and doctype) or holds a
JSON Feed ``version`` is a feed, whatever its name; a file that opens like an HTML document
is neither a feed nor a stream page; anything else is read as a stream page. The bytes come
from the bounded reader (core/files.py); the parse happens in the worker pool like any
fetched feed's.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from streamtui.core import dates
from streamtui.core.errors import FileReadError, SourceError
from streamtui.core.files import display_path, read_bytes
from streamtui.core.models import LoadResult
from streamtui.core.sources.pages import load_source
from streamtui.core.text.decode import BOMS, decode
from streamtui.core.text.sanitize import sanitize

if TYPE_CHECKING:
    from streamtui.core.models import ParsedFeed

Parse = Callable[[bytes, datetime], "ParsedFeed"]
"""Parses feed bytes (in the worker pool), given the time undated items take."""

SNIFF_BYTES = 64 * 1024
"""How much of a file its first element is looked for in."""
FEED_ROOTS = {b"rss": "RSS", b"feed": "Atom", b"rdf": "RDF"}
_WIDE_BOMS = tuple(bom for bom, codec in BOMS if codec.startswith(("utf-16", "utf-32")))
_NAME = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_JSON_FEED = re.compile(rb'"version"\s*:\s*"https?:(?:\\?/){2}jsonfeed\.org(?:\\?/)version')
_SKIPPED = ((b"<?", b"?>"), (b"<!--", b"-->"))


def load_file(
    location: str, path: Path, parse: Parse, *, unless: str | None = None
) -> LoadResult | None:
    """A one-file source's items: a feed (RSS, Atom, RDF, JSON Feed) through ``parse``, a
    stream page through the stream text parser; a web page is refused (SourceError). None
    when its fingerprint equals ``unless`` (nothing was read).

    Like a folder, it shows what is on disk now: items the file no longer holds go (starred
    ones stay), and read state comes back with an item that returns."""
    shown = display_path(location)
    fingerprint = file_print(path)
    if unless is not None and unless == fingerprint:
        return None
    try:
        data = read_bytes(path, path.parent)
    except FileReadError as error:
        raise SourceError(shown, error.reason) from error
    if feed_format(data):
        # Undated items take the file's time (as a page does), not the time of each read.
        seen_at = dates.from_stamp(path.stat().st_mtime)  # any file time, in range
        try:
            feed = parse(data, seen_at)
        except SourceError as error:  # named by its path, not "feed"
            raise SourceError(shown, error.reason) from error
        return LoadResult(feed.items, fingerprint=fingerprint, title=feed.title)
    if is_html_document(data):
        raise SourceError(shown, "a web page (HTML), not a feed or a stream page")
    result = load_source(location, path)
    assert result is not None  # no fingerprint to compare: always read
    return replace(result, fingerprint=fingerprint)


def feed_format(data: bytes) -> str:
    """ "RSS", "Atom", "RDF" or "JSON Feed" when ``data`` is a feed document, else ""."""
    head = _ascii_head(data)
    if head.startswith(b"{"):
        return "JSON Feed" if _JSON_FEED.search(data) else ""
    name = _first_element(head)
    return FEED_ROOTS.get(name.lower(), "")


def is_html_document(data: bytes) -> bool:
    """True for a file that opens like a web page: ``<!DOCTYPE html>`` or ``<html>``."""
    head = _ascii_head(data)
    if head[:9].lower() == b"<!doctype":
        return head[9:].lstrip()[:4].lower() == b"html"
    return _first_element(head).lower() == b"html"


def file_print(path: Path) -> str:
    """A one-file source's fingerprint, from ``stat`` alone (names, sizes, times, like a
    folder's): equal prints mean the file was not touched. The prefix keeps it unequal to
    the prints stored before feed files were recognised, so such a source is read again."""
    try:
        info = path.stat()
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise SourceError(sanitize(str(path)), reason) from error
    return f"file2:{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"


def local_path(url: str) -> str:
    """The path a ``file:`` URL names; SourceError for another host, a query or a fragment.

    ``file:///x``, ``file:/x`` and ``file://localhost/x`` are this machine's ``/x``."""
    shown = sanitize(url)
    try:
        parts = urlsplit(url.strip())
    except ValueError as error:
        raise SourceError(shown, "not a valid file: URL") from error
    host = parts.netloc.lower()
    if host not in ("", "localhost"):
        raise SourceError(shown, f"only files on this machine can be added, not on {host!r}")
    if parts.query or parts.fragment:
        raise SourceError(shown, "a file: URL with ? or # does not name a file")
    if not parts.path:
        raise SourceError(shown, "the file: URL names no file")
    return str(Path(unquote(parts.path)))


def _ascii_head(data: bytes) -> bytes:
    """The start of the document as bytes where markup is ASCII: a UTF-16/32 byte-order mark
    is decoded, NULs (UTF-16/32 without one) dropped, leading white space stripped."""
    head = data[:SNIFF_BYTES]
    if head.startswith(_WIDE_BOMS):
        return decode(head)[0].encode("utf-8", "ignore").lstrip()
    return head.removeprefix(codecs.BOM_UTF8).replace(b"\x00", b"").lstrip()


def _first_element(head: bytes) -> bytes:
    """The local name of the first element, past declarations, comments and a doctype
    (b"" when there is none in the head). Linear: each step finds a closing mark."""
    position = 0
    while True:
        while position < len(head) and head[position] in b" \t\r\n":
            position += 1
        for opening, closing in _SKIPPED:
            if head.startswith(opening, position):
                end = head.find(closing, position + len(opening))
                if end < 0:
                    return b""
                position = end + len(closing)
                break
        else:
            if head[position : position + 9].upper() != b"<!DOCTYPE":
                break
            end = _doctype_end(head, position)
            if end < 0:
                return b""
            position = end
    found = _NAME.match(head, position)
    return found.group(1) if found else b""


def _doctype_end(head: bytes, start: int) -> int:
    """Just past a doctype starting at ``start`` (with its internal subset, if any)."""
    close = head.find(b">", start)
    subset = head.find(b"[", start)
    if subset < 0 or (0 <= close < subset):
        return close + 1 if close >= 0 else -1
    end = head.find(b"]", subset)
    if end < 0:
        return -1
    close = head.find(b">", end)
    return close + 1 if close >= 0 else -1
