"""Imported by the parse pool's forkserver alone (the first module of its preload list).

Each worker sends its own output to /dev/null as it starts (``pool._start_worker``), but a
worker that fails before that (its start-up data unpickled after the app let go of a lock it
names, as when the app quits while the pool replaces a worker) would print a traceback on the
forkserver's standard error, which is the app's terminal. Pointing the forkserver's own
standard output and error at /dev/null covers every process it forks from the first byte.
"""

from __future__ import annotations

import contextlib
import os


def _quiet() -> None:
    with contextlib.suppress(OSError):
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        os.close(sink)


def _in_forkserver() -> bool:
    """True in the forkserver process: its main is multiprocessing.forkserver's, run by
    ``python -c``; never in the app, a worker or a test that imports this module."""
    import sys

    main = sys.modules.get("__main__")
    return (
        "multiprocessing.forkserver" in sys.modules
        and getattr(main, "__file__", None) is None
        and sys.argv[:1] == ["-c"]
    )


if _in_forkserver():
    _quiet()
