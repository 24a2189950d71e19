"""A refresh (or an account sync) in a process of its own, for the app (issue 15).

In the app's process, the fetch loop, the writer and the threads that take the parse pool's
results held the GIL that the UI thread needs for every key: at 1M items a key waited up to
half a second for it during a refresh (p95 296-542 ms). A child process runs the same
pipeline on its own connection to the same database (WAL: the app's reads never wait for its
writes) and its own GIL; the app's side is one thread that reads small JSON lines.

The protocol, one JSON object a line: the app writes the request (what to run, the database,
the retention limits: never a secret, those stay in the credential store beside the
database) on the child's standard input and keeps it open; the child writes
``{"event": ...}`` for each source finished, then ``{"result": ...}`` or ``{"error": "one
line"}``. The child's standard input reaching its end is the cancel, whoever closed it (the
app cancelling, quitting or dying): the child stops as a refresh stops on its cancel event
(what is stored stays stored: the writer's transactions are whole), and whatever is still
running a moment later is killed with its parser processes (the child leads a process group
of its own). The child's side is :func:`serve`, started by ``core/library/elsewhere.py``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import IO, Any, TypeVar

from streamtui.core.errors import StreamtuiError
from streamtui.core.models import RefreshEvent

CHILD_MODULE = "streamtui.core.library.elsewhere"
"""What the child runs (``python -m``): it opens the library and calls :func:`serve`."""
GRACE_SECONDS = 1.0
"""After the cancel, how long a child has to stop before it is killed with its group."""
EXIT_SECONDS = 10.0
"""After its last word, how long a child may take to close its library and end."""
POLL_SECONDS = 0.1
"""How often the app's reading thread looks at the cancel event while the child is quiet."""

Progress = Callable[[RefreshEvent], None]
Job = Callable[[Progress, threading.Event], object]
"""The child's work: refresh or sync with this progress and cancel; returns the result."""
_T = TypeVar("_T")


class Stopped(StreamtuiError):
    """The work was cancelled before it said how it ended (nothing to show)."""


# -- the app's side ----------------------------------------------------------------------


def run_elsewhere(request: dict[str, Any], progress: Progress, cancel: threading.Event) -> Any:
    """Run ``request`` in a child process, calling ``progress`` with each event as it
    arrives; returns the result as the child wrote it (plain JSON values). StreamtuiError
    with one line when the child failed or ended without a word; Stopped once ``cancel``
    was set (the child is then stopped and killed if it lingers, on another thread)."""
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the app's terminal: nothing may be drawn across it
            close_fds=True,
            start_new_session=True,  # its own group: killed as one, never by the tty's keys
        )
    except OSError as error:
        raise StreamtuiError(f"could not start the refresh's process ({error})") from error
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(json.dumps(request).encode() + b"\n")
        child.stdin.flush()
    except OSError:
        pass  # it died at once: its end says why below
    try:
        outcome = _read(child, child.stdout, progress, cancel)
    except BaseException:
        _stop(child)
        raise
    if outcome is None:
        if cancel.is_set():
            _stop(child)
            raise Stopped("cancelled")
        raise StreamtuiError(_ended(child))
    # Its last word said, the child closes its library and ends on its own; it is waited
    # for (and killed if it lingers) on another thread: the app has what it needs.
    threading.Thread(target=_reap, args=(child, EXIT_SECONDS), daemon=True).start()
    if "error" in outcome:
        raise StreamtuiError(str(outcome["error"]))
    return outcome.get("result")


def _read(
    child: subprocess.Popen[bytes], out: IO[bytes], progress: Progress, cancel: threading.Event
) -> dict[str, Any] | None:
    """Events to ``progress`` until the child's last word (None: it had none, or the
    refresh was cancelled)."""
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(out, selectors.EVENT_READ)
        while True:
            if cancel.is_set():
                return None
            if not selector.select(POLL_SECONDS):
                continue
            chunk = os.read(out.fileno(), 65536)
            if not chunk:
                return None
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "event" in message:
                    if not cancel.is_set():
                        progress(decode(RefreshEvent, message["event"]))
                else:
                    return typing.cast(dict[str, Any], message)


def _ended(child: subprocess.Popen[bytes]) -> str:
    """Why a child ended without its last word, one line."""
    try:
        code = child.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _stop(child)
        return "the refresh's process stopped answering"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"the refresh's process was stopped ({signal.Signals(-code).name})"
    return f"the refresh's process ended without finishing (exit status {code})"


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Cancel the child (its input ends) and, on a thread of its own, kill its group if it
    has not ended within the grace time."""
    _close(child.stdin)
    threading.Thread(target=_reap, args=(child,), name="refresh-reaper", daemon=True).start()


def _reap(child: subprocess.Popen[bytes], seconds: float = GRACE_SECONDS) -> None:
    """Wait for the child's end; past ``seconds``, cancel it, and kill its group if it
    lingers past the grace time."""
    try:
        child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        _close(child.stdin)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=GRACE_SECONDS)
    if child.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)  # its parser processes too
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=GRACE_SECONDS)
    _close(child.stdin)
    _close(child.stdout)


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()


# -- the child's side --------------------------------------------------------------------


def serve(job: Job, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Run ``job`` (the request already read from ``stdin``), writing its events and its
    outcome to ``stdout``; the end of ``stdin`` cancels it. Returns the exit status."""
    cancel = threading.Event()
    lock = threading.Lock()

    def write(message: dict[str, object]) -> None:
        line = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with lock:
            try:
                stdout.write(line)
                stdout.flush()
            except (OSError, ValueError):  # the app is gone: stop
                cancel.set()

    threading.Thread(
        target=_watch_input, args=(stdin, cancel), name="cancel-watch", daemon=True
    ).start()
    try:
        result = job(lambda event: write({"event": encode(event)}), cancel)
    except StreamtuiError as error:
        write({"error": str(error)})
        return 1
    except Exception as error:  # one line for the app, never a traceback
        write({"error": f"internal error: {type(error).__name__}: {error}"})
        return 1
    write({"result": encode(result)})
    return 0


def _watch_input(stdin: IO[bytes], cancel: threading.Event) -> None:
    """Wait for the end of the input (the app cancelled, quit or died): cancel, and kill
    the process group if the work has not ended within the grace time."""
    with contextlib.suppress(OSError, ValueError):
        while stdin.read(4096):
            pass
    cancel.set()
    timer = threading.Timer(GRACE_SECONDS, _kill_group)
    timer.daemon = True
    timer.start()


def _kill_group() -> None:
    with contextlib.suppress(OSError):
        if os.getpgid(0) == os.getpid():  # the group is ours alone (run_elsewhere's child)
            os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


# -- values as JSON ----------------------------------------------------------------------


def encode(value: object) -> Any:
    """A value of the models (dataclasses of plain values, datetimes, enums, lists and
    tuples of them) as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def decode(kind: type[_T], data: Any) -> _T:
    """The ``kind`` (a dataclass of the models) that :func:`encode` made ``data`` of."""
    return typing.cast(_T, _typed(kind, data))


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    """A dataclass's field types, resolved once: resolving them for every event (a source's
    two dozen fields) held the GIL the UI thread needs for a millisecond or more each time."""
    return typing.get_type_hints(kind)


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # X | None
        hint = next(a for a in arguments if a is not type(None))
        origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if is_dataclass(hint) and isinstance(hint, type):
        hints = _hints(hint)
        return hint(**{name: _typed(hints[name], item) for name, item in value.items()})
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if origin is list:
        return [_typed(arguments[0], item) for item in value]
    if origin is tuple:
        return tuple(_typed(arguments[0], item) for item in value)
    return value
