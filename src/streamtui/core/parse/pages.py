"""Recognising what a body is before (or instead of) parsing it: plainly binary (a picture,
an archive), a web page, and the feeds a web page announces."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from streamtui.core.parse.entries import resolve
from streamtui.core.text.decode import BOMS
from streamtui.core.text.sanitize import sanitize

FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
# -- recognising pages ------------------------------------------------------------------------

_COMMENT = re.compile(rb"<!--.*?(?:-->|\Z)", re.DOTALL)
_FIRST_TAG = re.compile(rb"<(?:!doctype\s+([a-z]+)|([a-z][\w:.-]*))", re.IGNORECASE)
_HTML_FIRST = frozenset(
    b"html head body meta title link script style div p span a img table h1 h2 br".split()
)


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
    (b"\x00\x00\x01\x00", "an icon"),
)
_TEXT_STARTS = tuple(bom for bom, _ in BOMS)


def binary_kind(body: bytes, content_type: str = "") -> str:
    """What a body that is plainly no text is ("a PNG image", "binary data (image/webp)"), or
    "" for anything that might be a feed, which the parser then judges.

    Only a known file signature, or a NUL byte in the first kilobyte of a body that does not
    start like UTF-16/32 text ("<" or a byte-order mark), counts: a feed served with a wrong
    Content-Type is common and must still parse.
    """
    head = body[:1024]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[4:12] in (b"ftypisom", b"ftypmp42", b"ftypM4A ") or (
        head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI ")
    ):
        return "a media file"
    if b"\x00" not in head or head.startswith(_TEXT_STARTS):
        return ""
    if head.lstrip(b"\x00 \t\r\n").startswith((b"<", b"{", b"[")):
        return ""  # UTF-16 or UTF-32 without a byte-order mark
    media = sanitize(content_type.split(";", 1)[0].strip().lower())[:60]
    return f"binary data ({media})" if media else "binary data"


def looks_like_html(data: bytes) -> bool:
    """True when the document opens like a web page (its first tag or doctype is HTML)."""
    head = _COMMENT.sub(b"", data[:16384])
    first = _FIRST_TAG.search(head)
    return first is not None and (first.group(1) or first.group(2)).lower() in _HTML_FIRST


_LINK_TAG = re.compile(r"<(link|base)\b([^<>]*)", re.IGNORECASE)  # never rescans
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
PAGE_BYTES = 2 * 1024 * 1024


def find_feed_links(html: bytes, base_url: str) -> list[tuple[str, str]]:
    """(title, absolute URL) of the feeds a web page announces with <link rel="alternate">.

    Regular expressions rather than a parser: linear on hostile pages, and this runs on the
    caller's thread. Only http(s) URLs, each once, in page order.
    """
    page = _COMMENT.sub(b"", html[:PAGE_BYTES]).decode("utf-8", "replace")
    base, found = base_url, {}
    for tag in _LINK_TAG.finditer(page):
        attributes = _attributes(tag.group(2))
        href = attributes.get("href", "").strip()
        if tag.group(1).lower() == "base":
            base = resolve(base_url, href) if href and base == base_url else base
        elif _announces_feed(attributes) and href:
            url = sanitize(resolve(base, href))
            if urlsplit(url).scheme.lower() in ("http", "https") and url not in found:
                found[url] = sanitize(attributes.get("title", ""))
    return [(title, url) for url, title in found.items()]


def _attributes(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for name, value in _ATTRIBUTE.findall(text):
        pairs.setdefault(name.lower(), html.unescape(value.strip("\"'")))
    return pairs


def _announces_feed(attributes: Mapping[str, str]) -> bool:
    rel = attributes.get("rel", "").lower().split()
    kind = attributes.get("type", "").split(";")[0].strip().lower()
    return "alternate" in rel and kind in FEED_LINK_TYPES
