"""The checkout's ``src/`` for the programs the tests start on it, compiled to bytecode once.

Tests that start the real app (``python -m streamtui`` in a pty or tmux) put the checkout's
``src/`` first on its ``PYTHONPATH``. Where ``PYTHONDONTWRITEBYTECODE`` is set (this machine
and CI set it) and nothing has compiled ``src/`` (a fresh clone: CI imports the installed
copy), every such process compiled each of streamtui's modules from source again, about 0.7 s
of its start-up. :func:`src_path` writes their ``__pycache__`` once per process (the usual
place, ignored by git; a stale one is recompiled by its timestamp, as Python does), so the
programs read it as an installed streamtui reads its own; what they run is the same code.
"""

from __future__ import annotations

import compileall
import functools
import os

from tests.support.paths import SRC


@functools.cache
def _compile_checkout() -> None:
    """Compile ``src/streamtui`` (the first call of a process; about half a second)."""
    compileall.compile_dir(SRC / "streamtui", quiet=1, workers=1)


def src_path(*, keep: bool = False) -> str:
    """The ``PYTHONPATH`` of a program started on the checkout: ``src/`` (compiled), then,
    with ``keep``, this process's own ``PYTHONPATH``."""
    _compile_checkout()
    inherited = os.environ.get("PYTHONPATH") if keep else None
    return os.pathsep.join(filter(None, [str(SRC), inherited]))
