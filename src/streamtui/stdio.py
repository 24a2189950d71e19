"""The command line's standard streams: closed ones, a full disk, a locale that cannot encode
what is printed, and whether there is a terminal for the app at all.

- A closed descriptor 0, 1 or 2 gets /dev/null behind it before anything else is opened, so
  that no file (the database, a page) can take its number and receive what is printed.
- Standard output is written through :class:`Output`: characters the locale's encoding
  cannot hold are replaced (``?``) instead of failing, and a write that fails (``/dev/full``)
  raises :class:`OutputError`, a one-line message, instead of an OSError from anywhere.
- JSON is written as UTF-8 where the output is UTF-8, and ASCII with ``\\u`` escapes where
  it is not: valid JSON either way, and nothing lost.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from typing import TextIO

from streamtui.core.errors import StreamtuiError

DUMB_TERMINALS = ("", "dumb", "unknown")
"""TERM values under which the app cannot draw (no cursor movement, no alternate screen)."""


_FALLBACKS = str.maketrans(
    {"●": "*", "…": "...", "—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"'}
)
"""What the list's own marks (unread, cut short) and common punctuation become where the
locale cannot encode them; anything else unencodable becomes "?"."""


class OutputError(StreamtuiError):
    """Standard output cannot be written (closed, a full disk, an I/O error)."""


closed_at_start: frozenset[int] = frozenset()
"""The standard descriptors that :func:`guard_descriptors` found closed."""


def guard_descriptors() -> frozenset[int]:
    """Put /dev/null behind each of descriptors 0, 1 and 2 that is closed; return which were.

    Without it the next file opened takes the lowest free number: with standard output
    closed, the database would be descriptor 1 and a stray print would land inside it.
    """
    global closed_at_start
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    closed_at_start = frozenset(closed) | closed_at_start
    return closed_at_start


def is_closed(stream: TextIO | None) -> bool:
    """True when ``stream`` is missing (Python found its descriptor closed) or its descriptor
    is not open. A stream without a descriptor (a test's capture) is open."""
    if stream is None:
        return True
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def is_utf8(stream: TextIO | None) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class Output(io.TextIOBase):
    """Standard output as the verbs write it: encodable, and failing with a message."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._encoding: str = getattr(stream, "encoding", None) or "utf-8"

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only in io.TextIOBase
        return self._encoding

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        try:
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:  # nothing was written: the whole text is encoded first
                return self._stream.write(self._encodable(text))
        except BrokenPipeError:
            raise  # the reader went away (| head): the caller ends quietly
        except OSError as error:
            raise _output_error(error) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _output_error(error) from error

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def _encodable(self, text: str) -> str:
        text = text.translate(_FALLBACKS)
        return text.encode(self._encoding, "replace").decode(self._encoding, "replace")


def write_error(line: str) -> None:
    """Write one line to standard error, whatever it is: closed (nothing to do), full, or a
    locale that cannot encode every character (replaced)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        try:
            stream.write(line + "\n")
        except UnicodeEncodeError:
            encoding = getattr(stream, "encoding", None) or "ascii"
            stream.write(line.encode(encoding, "replace").decode(encoding, "replace") + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass  # nowhere left to say it: the exit status still does


def silence_stdout() -> None:
    """After a failed write, point descriptor 1 at /dev/null so that the interpreter's last
    flush of what is still buffered fails no more (it would print a traceback-like note)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno() if sys.stdout is not None else 1)
        os.close(null)
    except (OSError, ValueError):
        pass


def terminal_problem() -> str:
    """Why the app cannot run here ("" when it can): it needs a terminal on standard input
    and output, and a TERM that can move the cursor. Without one it would draw escape
    sequences into a file or spin on a closed input."""
    for name, stream in (("input", sys.stdin), ("output", sys.stdout)):
        if stream is None or is_closed(stream) or not stream.isatty():
            return f"standard {name} is not a terminal"
    if os.name != "nt":
        term = os.environ.get("TERM", "")
        if term in DUMB_TERMINALS:
            return f"TERM is {term!r}, a terminal that cannot draw" if term else "TERM is not set"
    return ""


def _output_error(error: OSError) -> OutputError:
    reason = (error.strerror or type(error).__name__).lower()
    return OutputError(f"cannot write to standard output ({reason})")
