"""The processes a test started, read from /proc: the refresh's child process (issue 15), its
process group, waiting for them to end."""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from pathlib import Path

from streamtui.core.refresh.apart import CHILD_MODULE


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, process group) of a live process, or None (gone, or a zombie)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # ended, not yet waited for: nothing runs
        return None
    return int(fields[1]), int(fields[2])


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def refresh_children(parent: int | None = None, *, besides: Collection[int] = ()) -> list[int]:
    """Live refresh processes (``core/library/elsewhere.py``) whose parent is ``parent``
    (this process by default), but for those in ``besides``: the children an earlier test on
    the same xdist worker left ending, taken before a test starts its own."""
    parent = os.getpid() if parent is None else parent
    found = []
    for pid in _pids():
        if pid in besides:
            continue
        stat = _stat(pid)
        if stat is None or stat[0] != parent:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if CHILD_MODULE.encode() in command:
            found.append(pid)
    return found


def group_members(group: int) -> list[int]:
    """Live processes of the process group ``group`` (a refresh child and its parsers)."""
    return [pid for pid in _pids() if (stat := _stat(pid)) is not None and stat[1] == group]


def wait_for(condition: object, timeout: float = 20.0) -> bool:
    """Poll ``condition()`` until it holds or ``timeout`` passes (a liveness bound)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(condition())  # type: ignore[operator]
