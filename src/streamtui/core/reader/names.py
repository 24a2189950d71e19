"""File names for downloads that cannot escape their folder, from a URL or Content-Disposition.

A name comes from strangers (the feed's URL, the server's header), so it is made safe here and
only here: the last path segment of what was given (both ``/`` and ``\\`` end a segment),
percent-decoded; no control characters, escape sequences or bidi overrides
(:func:`~streamtui.core.sanitize.sanitize`); no leading dot (no hidden files, no ``..``), no
trailing dot or space; Windows' reserved device names prefixed; at most :data:`MAX_NAME_BYTES`
bytes of UTF-8, cut before the extension so that it stays; never empty (``download`` plus an
extension from the Content-Type). :func:`unique_path` then picks ``name (2).ext`` when the
name is taken.
"""

from __future__ import annotations

import mimetypes
import re
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, urlsplit

from streamtui.core.text.sanitize import sanitize

__all__ = ["MAX_NAME_BYTES", "file_name", "safe_name", "unique_path"]

MAX_NAME_BYTES = 200
"""Most file systems allow 255 bytes; room is left for `` (99)`` and ``.part``."""
FALLBACK = "download"
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_FORBIDDEN = re.compile(r'[<>:"|?*]')  # not allowed on Windows file systems (a USB stick)
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def safe_name(candidate: str, content_type: str = "") -> str:
    """``candidate`` (a name from a header or a URL) as a file name that stays in its folder."""
    last = re.split(r"[/\\]", candidate)[-1]
    name = sanitize(last)
    name = _FORBIDDEN.sub("_", name)
    name = name.lstrip(". ").rstrip(". ")
    if _RESERVED.match(name):
        name = f"_{name}"
    if not name:
        name = FALLBACK + _extension_for(content_type)
    return _clip(name)


def file_name(url: str, content_disposition: str = "", content_type: str = "") -> str:
    """The name for what ``url`` gave: the server's Content-Disposition filename when it has
    one, else the URL's last path segment, made safe."""
    given = _disposition_name(content_disposition)
    if given and safe_name(given) != FALLBACK:
        return safe_name(given, content_type)
    return url_name(url, content_type)


def url_name(url: str, content_type: str = "") -> str:
    """The safe name of ``url``'s last path segment (``episode.mp3`` of ``.../episode.mp3?x``)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        path = ""
    return safe_name(unquote(path.rstrip("/").rsplit("/", 1)[-1]), content_type)


def unique_path(folder: Path, name: str) -> Path:
    """``folder / name``, or ``name (2).ext``, ``(3)``... when taken (checked now; the caller
    still creates it without overwriting)."""
    candidate = folder / name
    if not candidate.exists() and not candidate.is_symlink():
        return candidate
    stem, extension = _split(name)
    for number in range(2, 10_000):
        candidate = folder / f"{stem} ({number}){extension}"
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise FileExistsError(f"{folder / name}: every numbered name up to 9999 is taken")


def _disposition_name(value: str) -> str:
    """The filename of a Content-Disposition header (``filename*`` of RFC 6266 first)."""
    if not value or "filename" not in value.lower():
        return ""
    message = Message()
    message["content-disposition"] = value
    try:
        found = message.get_filename()
    except (ValueError, LookupError):
        return ""
    return found if isinstance(found, str) else ""


def _extension_for(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if not media:
        return ""
    extension = mimetypes.guess_extension(media, strict=False) or ""
    return extension if _EXTENSION.fullmatch(extension) else ""


def _split(name: str) -> tuple[str, str]:
    found = _EXTENSION.search(name)
    if found and found.start() > 0:
        return name[: found.start()], found.group()
    return name, ""


def _clip(name: str) -> str:
    """At most MAX_NAME_BYTES bytes of UTF-8, the extension kept, never a split character."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, extension = _split(name)
    room = MAX_NAME_BYTES - len(extension.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return (stem or FALLBACK) + extension
