"""A cache on disk with a size cap, least recently used first out: images fetched for articles.

Entries live in one folder (``<data dir>/cache/images``, made private like the data folder),
one file each, named by the SHA-256 of their key (the image's URL), so no key can name a path.
A read touches the file's time; a write goes to a temporary file renamed into place (a reader
sees the old entry or the new one, never half), then the oldest entries go until the folder
holds at most ``max_bytes``. Two processes may share the folder: a file another one removed is
simply a miss. Nothing is created until the first write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path

from streamtui.core.paths import data_dir, private_folder

__all__ = ["DEFAULT_MAX_BYTES", "DiskCache", "image_cache"]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
"""Images kept at most: a few hundred articles' worth."""
SUFFIX = ".img"
STALE_PART_SECONDS = 3600


class DiskCache:
    """Bytes by key in ``folder``, at most ``max_bytes`` in all (a larger entry is not kept)."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.folder / f"{digest}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The entry, or None; a hit becomes the most recently used."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        _touch(path)
        return data

    def put(self, key: str, data: bytes) -> bool:
        """Keep ``data`` under ``key``, then trim the folder; False when it was not kept (too
        large for the cache, or the folder cannot be written)."""
        if len(data) > self.max_bytes:
            return False
        try:
            if not self.folder.is_dir():
                self.folder.parent.mkdir(parents=True, exist_ok=True)
                private_folder(self.folder)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".part-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, self.path(key))
                _touch(self.path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            return False
        self.trim()
        return True

    def trim(self) -> int:
        """Remove the least recently used entries until the total fits; the bytes removed."""
        entries = []
        for path in self._entries():
            try:
                info = path.stat()
            except OSError:
                continue
            entries.append((info.st_mtime_ns, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                removed += size
            total -= size
        return removed

    def size(self) -> int:
        """Bytes held now."""
        total = 0
        for path in self._entries():
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def _entries(self) -> list[Path]:
        try:
            paths = list(self.folder.iterdir())
        except OSError:
            return []
        stale = time.time() - STALE_PART_SECONDS
        for path in paths:  # a write a crash left half done
            if path.name.startswith(".part-"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < stale:
                        path.unlink()
        return [path for path in paths if path.name.endswith(SUFFIX)]


def _touch(path: Path) -> None:
    """Mark ``path`` used now, to the nanosecond (the kernel's own file times can be a few
    milliseconds coarse, which would tie entries written one after the other)."""
    now = time.time_ns()
    with contextlib.suppress(OSError):
        os.utime(path, ns=(now, now))


def image_cache(max_bytes: int = DEFAULT_MAX_BYTES, override: str | None = None) -> DiskCache:
    """The image cache in the data folder (``STREAMTUI_DATA_DIR`` and ``--data-dir`` apply)."""
    return DiskCache(data_dir(override) / "cache" / "images", max_bytes)
