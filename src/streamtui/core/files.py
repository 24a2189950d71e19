"""The bounded reader, the only way streamtui reads a local file, and the atomic writer.

Regular files only (a FIFO named ``x.txt`` would hang a naive read), a size cap, the resolved
path inside the source root (``Path.is_relative_to``, not a string prefix), NUL bytes mean a
binary file, and BOM-aware decoding with a cp1252 fallback.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from streamtui.core.errors import FileReadError, FileWriteError
from streamtui.core.text.decode import decode
from streamtui.core.text.sanitize import excerpt, sanitize

MAX_FILE_BYTES = 4 * 1024 * 1024
STREAM_SUFFIXES = (".txt", ".md")


def display_path(path: Path | str) -> str:
    """A path as it may be shown: undecodable bytes and escape sequences made harmless."""
    return sanitize(str(path))


def read_bytes(path: Path, root: Path | None, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read ``path``, which must resolve to a regular file inside ``root`` (anywhere when
    ``root`` is None: a file the user named, such as the config, may be a link elsewhere)."""
    shown = excerpt(str(path))
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError as error:  # symlink loop on older Pythons
        raise FileReadError(shown, "symlink loop") from error
    except OSError as error:
        raise FileReadError(shown, _os_reason(error)) from error
    if root is not None and not resolved.is_relative_to(root.resolve()):
        raise FileReadError(shown, "outside the source folder")
    try:
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise FileReadError(shown, _os_reason(error)) from error
    info = os.fstat(fd)  # before fdopen, which raises IsADirectoryError on a folder
    if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO (a read would hang), a device
        os.close(fd)
        raise FileReadError(shown, "not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise FileReadError(
                shown, f"too large ({_size(info.st_size)}; the limit is {_size(max_bytes)})"
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileReadError(shown, f"too large (over {_size(max_bytes)})")
    return data


STDIN = "-"
"""The name that means standard input."""


def read_input(target: str, *, max_bytes: int, stdin_fd: int = 0) -> bytes:
    """A file the user named on the command line, within the same bounds as every read:
    a regular file, a pipe (``/dev/stdin``, ``<(command)``, a FIFO) or, for ``-``, standard
    input. A folder, a device or more than ``max_bytes`` is refused with the reason. A pipe
    is read to its end, as ``cat`` would: its writer decides when that is."""
    if target == STDIN:
        return _read_stream(stdin_fd, "standard input", max_bytes)
    shown = excerpt(target)
    try:
        fd = os.open(
            Path(target).expanduser(), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
        )
    except OSError as error:
        raise FileReadError(shown, _os_reason(error)) from error
    try:
        return _read_stream(fd, shown, max_bytes)
    finally:
        os.close(fd)


def _read_stream(fd: int, shown: str, max_bytes: int) -> bytes:
    try:
        info = os.fstat(fd)
    except OSError as error:
        reason = "closed" if error.errno == errno.EBADF else _os_reason(error)
        raise FileReadError(shown, reason) from error
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise FileReadError(shown, "a folder, not a file")
    if stat.S_ISREG(mode) and info.st_size > max_bytes:
        raise FileReadError(
            shown, f"too large ({_size(info.st_size)}; the limit is {_size(max_bytes)})"
        )
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)):
        raise FileReadError(shown, f"not a file or a pipe ({_kind(mode)})")
    os.set_blocking(fd, True)  # opened non-blocking so that a FIFO could not hang the open
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= max_bytes and (chunk := os.read(fd, min(1 << 16, max_bytes + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise FileReadError(shown, _os_reason(error)) from error
    if size > max_bytes:
        raise FileReadError(shown, f"too large (over {_size(max_bytes)})")
    return b"".join(chunks)


def check_file_or_absent(path: Path, what: str) -> None:
    """Raise FileReadError unless ``path`` is a regular file (through links) or is not there
    at all, naming what it is instead: a folder, a FIFO (which would hang whatever opens it),
    a device such as /dev/null, a symbolic link that loops or points nowhere. ``what`` says
    what the file should be ("a database file")."""
    shown = excerpt(str(path))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if not os.path.islink(path):
            return
        target = excerpt(os.readlink(path), 80)
        raise FileReadError(shown, f"a symbolic link to {target}, which does not exist") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileReadError(shown, "a symbolic link that loops back on itself") from None
        raise FileReadError(shown, _os_reason(error)) from None
    if not stat.S_ISREG(mode):
        raise FileReadError(shown, f"{_kind(mode)}, not {what}")


def check_folder_or_absent(path: Path) -> None:
    """Raise FileReadError unless ``path`` is a folder (through links) or not there at all."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise FileReadError(excerpt(str(path)), _os_reason(error)) from None
    if not stat.S_ISDIR(mode):
        raise FileReadError(excerpt(str(path)), f"{_kind(mode)}, not a folder")


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in a user's words."""
    for test, name in (
        (stat.S_ISREG, "a file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO or pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def read_text(path: Path, root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[str, str]:
    """Read and decode a text file through the bounded reader. NUL bytes mean binary."""
    data = read_bytes(path, root, max_bytes=max_bytes)
    text, encoding = decode(data)
    if "\x00" in text:
        raise FileReadError(display_path(path), "binary file (contains NUL bytes)")
    return text, encoding


def iter_stream_files(root: Path) -> Iterator[Path | FileReadError]:
    """Every stream file under the folder ``root``, in sorted path order.

    Hidden files and folders are skipped; a symlinked folder is followed only when it stays
    inside ``root`` and has not been visited (no loops). Problems are yielded, not raised.
    """
    real_root = root.resolve()
    seen: set[Path] = set()

    def walk(folder: Path) -> Iterator[Path | FileReadError]:
        real = folder.resolve()
        if real in seen:
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            yield FileReadError(display_path(folder), _os_reason(error))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                if entry.is_symlink() and not _inside(path, real_root):
                    yield FileReadError(display_path(path), "symlink leaves the source folder")
                    continue
                yield from walk(path)
            elif entry.name.lower().endswith(STREAM_SUFFIXES):
                yield path

    yield from walk(root)


def _inside(path: Path, real_root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(real_root)
    except (OSError, RuntimeError):
        return False


def _os_reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB" if count >= 1024 * 1024 else f"{count} bytes"


# --- writing --------------------------------------------------------------------------------

_SPECIAL = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def replace_file(path: Path, data: bytes, *, new_mode: int = 0o600) -> Path:
    """Write ``data`` as the whole content of ``path``, atomically; returns the file written.

    A symlink is written through: its final target gets the data (created when the link
    dangles) and the link stays. An existing file keeps its mode (and its owner, where that
    can be kept); a new one gets ``new_mode``. Anything but a regular file (a folder, a FIFO,
    a device, a socket) is refused. The data goes to a temporary file in the target's own
    folder, synced, then renamed over the target: a reader sees the old file or the new one,
    never a part, and a failure changes nothing. Raises FileWriteError.
    """
    shown = display_path(path)
    target = Path(os.path.realpath(path))
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None  # a new file (or a dangling link's target, created)
    except OSError as error:
        raise FileWriteError(shown, f"cannot write ({_os_reason(error)})") from error
    if info is not None:
        for test, kind in _SPECIAL:
            if test(info.st_mode):
                raise FileWriteError(shown, f"not a regular file ({kind}); nothing was written")
    mode = stat.S_IMODE(info.st_mode) if info is not None else new_mode
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as error:
        raise FileWriteError(shown, f"cannot write in its folder ({_os_reason(error)})") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
            if info is not None and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                with suppress(OSError):  # root writing another user's file keeps its owner
                    os.fchown(handle.fileno(), info.st_uid, info.st_gid)
        os.replace(temporary, target)
    except OSError as error:
        with suppress(OSError):
            os.unlink(temporary)
        raise FileWriteError(shown, f"cannot write ({_os_reason(error)})") from error
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
