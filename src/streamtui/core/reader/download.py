"""Downloading an enclosure (a podcast episode) into a folder: resumable, with progress.

- Where: ``download_dir`` from the config, else the user's Downloads folder when it exists,
  else ``downloads/`` in the data folder (:func:`default_download_dir`).
- The fetch limits of feeds, except the 16 MiB cap: connect and read timeouts, at most five
  redirects, http and https only (every hop checked), TLS verified, a password in the URL sent
  to its own origin only. Instead of the size cap, :class:`DownloadLimits`' own (2 GiB), and
  instead of the 60 s total deadline, which no large file could meet, a minimum speed: less
  than ``min_rate`` bytes a second over ``window`` seconds ends the download (a server that
  drips one byte a second never trips a read timeout).
- Resume: bytes go to ``<name>.<hash of the URL>.part`` beside the final file, with the
  server's validator (ETag or Last-Modified) in a ``.part.json`` beside it. The next attempt
  asks for the rest (``Range: bytes=N-``) with ``If-Range: <validator>``: a 206 from N is
  appended; a 200 (a server that ignores Range, or a file that changed) starts again from
  zero, truncating; a 416 for a part already whole finishes it. Without a validator nothing is
  resumed: splicing two versions of a file would be worse than fetching it again.
- The name: the server's Content-Disposition filename, else the URL's last segment, made safe
  by :mod:`~streamtui.core.reader.names` (it cannot leave the folder); a name already taken
  gets `` (2)``. The finished part is linked to its name, which fails rather than overwrite
  (a rename where links are not supported), then removed: a file appears whole or not at all.
- Progress: ``on_progress(Progress)`` after every chunk; ``cancel`` (an Event) stops between
  chunks, keeping the part for next time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streamtui.core.errors import SourceError

# One home for these rules: fetch's redirect check and error wording.
from streamtui.core.fetch import USER_AGENT, FetchError
from streamtui.core.fetch.client import refuse_unless_web, tls_context
from streamtui.core.fetch.errors import status_error, transport_error
from streamtui.core.parse.entries import HTML_TYPES
from streamtui.core.parse.pages import looks_like_html
from streamtui.core.reader.names import FALLBACK, file_name, unique_path, url_name
from streamtui.core.text.redact import without_login
from streamtui.core.text.sanitize import excerpt

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DownloadError",
    "DownloadLimits",
    "Downloaded",
    "Progress",
    "check_folder",
    "default_download_dir",
    "download",
    "download_sync",
]

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DownloadLimits:
    connect: float = 10.0
    read: float = 20.0
    max_redirects: int = 5
    max_bytes: int = 2 * 1024 * 1024 * 1024
    """The largest file downloaded (``download_max_mb`` in the config)."""
    min_rate: int = 1024
    """Bytes a second at least, averaged over ``window`` seconds."""
    window: float = 30.0


@dataclass(frozen=True, slots=True)
class Progress:
    received: int
    """Bytes in the part file now (resumed bytes included)."""
    total: int | None
    """The file's size when the server said it."""
    resumed_from: int = 0


@dataclass(frozen=True, slots=True)
class Downloaded:
    path: Path
    size: int
    resumed_from: int = 0
    """Bytes that were already there from an earlier attempt (0: downloaded whole now)."""


class DownloadError(SourceError):
    """A download that did not finish; ``str()`` is one line naming the URL (password cut)."""


def default_download_dir(override: str | None = None) -> Path:
    """The user's Downloads folder when it exists, else ``downloads`` in the data folder."""
    import platformdirs

    from streamtui.core.paths import data_dir

    downloads = platformdirs.user_downloads_path()
    if downloads.is_dir():
        return downloads
    return data_dir(override) / "downloads"


def part_paths(folder: Path, url: str) -> tuple[Path, Path]:
    """The part file of ``url`` in ``folder`` and its metadata file."""
    tag = hashlib.sha256(without_login(url).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    part = folder / f"{url_name(url)}.{tag}.part"
    return part, part.with_name(part.name + ".json")


async def download(
    url: str,
    folder: Path,
    *,
    limits: DownloadLimits = DownloadLimits(),
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    client: httpx.AsyncClient | None = None,
    expect: str = "",
) -> Downloaded:
    """Download ``url`` into ``folder`` (created if missing); DownloadError saying why not.
    ``expect``: the type the feed announced (``audio/mpeg``); a web page in its place (a
    login or error page answered with 200) is refused, not saved as the episode."""
    _refuse(url)
    check_folder(url, folder, create=True)
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(_client(limits))
        job = _Job(url, folder, limits, on_progress, cancel)
        job.expect = _media(expect)
        return await job.run(client)
    raise AssertionError("unreachable")  # pragma: no cover - the context manager returned


def check_folder(url: str, folder: Path, *, create: bool) -> None:
    """DownloadError unless files can be made in ``folder``: missing (and not to be created:
    a folder the user chose, whose absence is a mistake, or a disk not mounted), not a
    folder, or not writable (permissions, a read-only file system). A file is made and
    removed to know: permission bits do not tell a read-only mount, or root's view."""
    shown = excerpt(str(folder), 200)
    if not folder.exists():
        if not create:
            raise DownloadError(
                url,
                f"the download folder {shown} does not exist (create it, or change "
                "download_dir in config.toml)",
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = f"cannot create the download folder {shown} ({_os(error)})"
            raise DownloadError(url, reason) from error
    if not folder.is_dir():
        raise DownloadError(url, f"the download folder {shown} is not a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=".streamtui-", suffix=".probe", dir=folder)
    except OSError as error:
        reason = f"cannot write in the download folder {shown} ({_os(error)})"
        raise DownloadError(url, reason) from error
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def download_sync(url: str, folder: Path, **options: object) -> Downloaded:
    """:func:`download` from synchronous code (the CLI, a worker thread)."""
    return asyncio.run(download(url, folder, **options))  # type: ignore[arg-type]


def _client(limits: DownloadLimits) -> httpx.AsyncClient:
    import httpx

    return httpx.AsyncClient(
        verify=tls_context(),
        follow_redirects=False,
        # identity: the bytes on disk are the file, and Range offsets count them
        headers={"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"},
        timeout=httpx.Timeout(
            connect=limits.connect, read=limits.read, write=limits.read, pool=limits.connect
        ),
    )


def _refuse(url: str) -> None:
    try:
        refuse_unless_web(url, url)
    except FetchError as error:
        raise DownloadError(url, error.reason) from None


class _Job:
    def __init__(
        self,
        url: str,
        folder: Path,
        limits: DownloadLimits,
        on_progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> None:
        from streamtui.core.credentials import login_from_url

        self.url = url
        self.plain, self.login = login_from_url(url)
        self.folder = folder
        self.limits = limits
        self.on_progress = on_progress
        self.cancel = cancel
        self.expect = ""
        """The media type the feed announced ("": anything is taken)."""
        self.part, self.meta = part_paths(folder, url)
        self.final = self.plain
        """The URL that answered, after redirects: its name is the file's (a tracker's
        redirect.mp3 leads to the episode's own name)."""

    async def run(self, client: httpx.AsyncClient) -> Downloaded:
        import httpx

        have, validator = self._resumable()
        try:
            for _attempt in (1, 2):  # the second: a 416 or a wrong range, from zero
                headers = {"Range": f"bytes={have}-", "If-Range": validator} if have else {}
                result = await self._walk(client, headers, have)
                if result is not None:
                    return result
                have, validator = 0, ""
        except httpx.TransportError as error:
            failure = transport_error(self.url, error, client.timeout)
            raise DownloadError(self.url, failure.reason) from error
        except httpx.InvalidURL as error:
            reason = "redirected to an address that is not an http(s) URL, which is not followed"
            raise DownloadError(self.url, reason) from error
        raise DownloadError(self.url, "the server keeps sending a range that does not fit")

    def _resumable(self) -> tuple[int, str]:
        """Bytes already in the part file and the validator they were fetched under."""
        try:
            size = self.part.stat().st_size
            saved = json.loads(self.meta.read_text("utf-8"))
        except (OSError, ValueError):
            return 0, ""
        validator = saved.get("validator") if isinstance(saved, dict) else None
        if not isinstance(validator, str) or not validator or saved.get("url") != self.plain:
            return 0, ""
        return size, validator

    async def _walk(
        self, client: httpx.AsyncClient, headers: dict[str, str], have: int
    ) -> Downloaded | None:
        import httpx

        current = without_login(self.plain)
        for _hop in range(self.limits.max_redirects + 1):
            auth = (
                httpx.BasicAuth(self.login.user, self.login.secret)
                if self.login is not None and self.login.sendable_to(current)
                else None
            )
            async with client.stream("GET", current, headers=headers, auth=auth) as response:
                if not response.has_redirect_location:
                    self.final = current
                    return await self._answer(response, have)
                target = str(httpx.URL(current).join(response.headers["location"]))
                try:
                    refuse_unless_web(self.url, target, location=response.headers["location"])
                except FetchError as error:
                    raise DownloadError(self.url, error.reason) from None
            current = without_login(target)
        raise DownloadError(self.url, f"too many redirects (more than {self.limits.max_redirects})")

    async def _answer(self, response: httpx.Response, have: int) -> Downloaded | None:
        status = response.status_code
        if status == 416 and have:
            whole = _UNSATISFIED_RANGE.match(response.headers.get("content-range", ""))
            if whole and int(whole.group(1)) == have:
                return self._finish(response, have, have)
            return None  # not ours to resume: start again
        if status == 206 and have:
            found = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if found is None or int(found.group(1)) != have:
                return None
            total = None if found.group(3) == "*" else int(found.group(3))
            return await self._receive(response, have, total)
        if 200 <= status < 300 and status != 206:
            length = response.headers.get("content-length", "")
            total = int(length) if length.isdigit() else None
            return await self._receive(response, 0, total)
        raise DownloadError(self.url, status_error(self.url, response).reason)

    async def _receive(self, response: httpx.Response, start: int, total: int | None) -> Downloaded:
        if response.headers.get("content-encoding", "identity").strip().lower() not in (
            "identity",
            "",
        ):
            reason = "the server compressed the file though it was asked not to"
            raise DownloadError(self.url, reason)
        if total is not None and total > self.limits.max_bytes:
            raise self._too_large()
        self._check_type(_media(response.headers.get("content-type", "")), b"")
        self._save_meta(response)
        mode = "ab" if start else "wb"
        received = start
        speed = _Speed(self.limits)
        try:
            with open(self.part, mode) as file:
                if start:
                    file.truncate(start)
                self._report(received, total, start)
                async for chunk in _chunks(self.url, response, start):
                    if received == 0:
                        try:
                            self._check_type("", chunk)
                        except DownloadError:
                            self._drop_part()  # emptied by "wb": nothing to resume
                            raise
                    received += len(chunk)
                    if received > self.limits.max_bytes:
                        raise self._too_large()
                    file.write(chunk)
                    self._report(received, total, start)
                    if self.cancel is not None and self.cancel.is_set():
                        raise DownloadError(self.url, "cancelled (what came is kept to resume)")
                    slow = speed.check(received)
                    if slow:
                        raise DownloadError(self.url, slow)
                file.flush()
                os.fsync(file.fileno())
        except OSError as error:
            raise DownloadError(self.url, f"cannot write {self.part} ({_os(error)})") from error
        if total is not None and received != total:
            reason = f"the server sent {received:,} of {total:,} bytes (what came is kept)"
            raise DownloadError(self.url, reason)
        return self._finish(response, received, start)

    def _finish(self, response: httpx.Response, size: int, start: int) -> Downloaded:
        disposition = response.headers.get("content-disposition", "")
        content_type = response.headers.get("content-type", "")
        name = file_name(self.final, disposition, content_type)
        if name.startswith(FALLBACK):
            name = file_name(self.plain, disposition, content_type)
        for _try in range(100):
            target = unique_path(self.folder, name)
            try:
                _place(self.part, target)
            except FileExistsError:
                continue  # taken meanwhile: the next number
            except OSError as error:
                raise DownloadError(self.url, f"cannot create {target} ({_os(error)})") from error
            with contextlib.suppress(OSError):
                self.meta.unlink()
            return Downloaded(target, size, start)
        raise DownloadError(self.url, f"cannot find a free name for {name} in {self.folder}")

    def _check_type(self, answered: str, first: bytes) -> None:
        """Refuse a web page where the feed announced a file of another type (a login or
        error page that answers with 200): by its Content-Type, then by its first bytes."""
        if not self.expect or self.expect in HTML_TYPES or self.expect.startswith("text/"):
            return
        if answered in HTML_TYPES or (first and looks_like_html(first[:4096])):
            kind = self.expect.split("/", 1)[0]
            what = {"audio": "an audio file", "video": "a video", "image": "an image"}.get(
                kind, "a file"
            )
            reason = (
                f"the server answered with a web page, not {what} "
                f"({excerpt(self.expect, 60)}) as the feed announced"
            )
            raise DownloadError(self.url, reason)

    def _save_meta(self, response: httpx.Response) -> None:
        etag = response.headers.get("etag", "")
        strong = etag if etag and not etag.startswith("W/") else ""
        validator = strong or response.headers.get("last-modified", "")
        with contextlib.suppress(OSError):  # then not resumable, still downloadable
            self.meta.write_text(json.dumps({"url": self.plain, "validator": validator}), "utf-8")

    def _report(self, received: int, total: int | None, start: int) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(received, total, start))

    def _drop_part(self) -> None:
        for path in (self.part, self.meta):
            with contextlib.suppress(OSError):
                path.unlink()

    def _too_large(self) -> DownloadError:
        """The error for a file over the cap; its part is of no use and goes."""
        self._drop_part()
        reason = f"the file is larger than the {self.limits.max_bytes / 1048576:g} MiB limit"
        return DownloadError(self.url, reason)


class _Speed:
    """Bytes over the last ``window`` seconds, at least ``min_rate`` a second."""

    def __init__(self, limits: DownloadLimits) -> None:
        self.limits = limits
        self.started = time.monotonic()
        self.mark = (self.started, 0)

    def check(self, received: int) -> str:
        now = time.monotonic()
        since, at = self.mark
        if now - since < self.limits.window:
            return ""
        if (received - at) / (now - since) < self.limits.min_rate:
            return (
                f"too slow: less than {self.limits.min_rate:,} bytes a second for "
                f"{self.limits.window:g} s (what came is kept to resume)"
            )
        self.mark = (now, received)
        return ""


async def _chunks(url: str, response: httpx.Response, start: int) -> AsyncIterator[bytes]:
    """The body's raw chunks as they come (a chunk size would wait to fill it: a drip would
    never be seen); a connection that breaks or stalls midway says how far it got."""
    import httpx

    received = start
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            yield chunk
    except httpx.TransportError as error:
        if isinstance(error, httpx.TimeoutException):
            what = "timed out reading"
        else:
            what = "the connection broke"
        reason = f"{what} after {received:,} bytes (what came is kept to resume)"
        raise DownloadError(url, reason) from error


def _place(part: Path, target: Path) -> None:
    """Give the finished part its name without replacing anything, then drop the part."""
    try:
        os.link(part, target)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT, some network file systems)
        if target.exists():
            raise FileExistsError(target) from None
        os.rename(part, target)
        return
    os.unlink(part)


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _os(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()
