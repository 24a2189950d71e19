"""Where streamtui keeps things, and keeping them private. Read at call time; nothing is
created on import.

What streamtui writes about a user (the database of what they read, the credential store,
the config) is theirs alone: folders 0700, files 0600. One that others can read is tightened
with a one-line notice, never silently; one that cannot be tightened (another owner, a
read-only mount) is left as it is, with a notice that says so.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

APP_NAME = "streamtui"
DATA_ENV = "STREAMTUI_DATA_DIR"
CONFIG_ENV = "STREAMTUI_CONFIG_DIR"
DB_NAME = "streamtui.db"
CREDENTIALS_NAME = "credentials.json"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``override``, else ``$STREAMTUI_DATA_DIR``, else platformdirs."""
    chosen = override or os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def config_dir(override: str | os.PathLike[str] | None = None) -> Path:
    chosen = override or os.environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_config_path(APP_NAME)


def bundled_content() -> Path:
    """The guide stream shipped with streamtui: inside the wheel, or the checkout's content/."""
    packaged = Path(__file__).resolve().parent.parent / "content"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "content"


def private_folder(path: Path) -> str:
    """Create ``path`` (and missing parents) as a folder only its user can open, or tighten
    the existing one; returns a notice for the user ("" when there was nothing to say).
    Missing parents are created with the usual mode: only ``path`` itself is made private."""
    try:
        path.mkdir(parents=True, mode=PRIVATE_FOLDER)
        os.chmod(path, PRIVATE_FOLDER)  # a umask never widens it, but a wider one may be set
        return ""
    except FileExistsError:
        pass
    except OSError:
        return ""  # cannot be created: whoever opens it next says why, with its name
    if _shared(path):
        return ""
    return _tighten(path, stat.S_ISDIR)


def _shared(path: Path) -> bool:
    """A folder that is not the reader's own to close: one with the sticky bit (``/tmp``,
    where everyone makes their files: a database put there directly once made it 0700 and
    every other user's programs failed), the home folder, the root. The database's own
    files are still made 0600 in it."""
    try:
        if path.stat().st_mode & stat.S_ISVTX:
            return True
        resolved = path.resolve()
        return resolved == Path(resolved.anchor) or resolved == Path.home().resolve()
    except (OSError, RuntimeError):
        return True  # not readable or no home: leave it as it is


def private_file(path: Path) -> str:
    """Tighten an existing regular file (or the one a link points to) that others may read;
    returns a notice ("" when there was nothing to do, or no such file). Anything else (a
    folder, a FIFO, /dev/null behind a link) is left alone: whoever opens it says what it is."""
    return _tighten(path, stat.S_ISREG)


def _tighten(path: Path, kind: Callable[[int], bool]) -> str:
    try:
        info = path.stat()
    except OSError:
        return ""
    if not kind(info.st_mode):
        return ""
    mode = stat.S_IMODE(info.st_mode)
    if not mode & _OTHERS:
        return ""
    private = mode & ~_OTHERS
    try:
        os.chmod(path, private)
    except OSError as error:
        return (
            f"{path}: other users can read it (mode {mode:04o}) and it could not be made "
            f"private ({(error.strerror or type(error).__name__).lower()})"
        )
    return f"{path}: other users could read it (mode {mode:04o}); made private ({private:04o})"
