"""The real app in a real terminal: tmux, on a server socket of its own, driven as a person
would (keys, window resizes) and read back as text (``capture-pane``).

    with TmuxApp(["python", "-m", "streamtui"], env, size=(120, 40)) as app:
        app.wait_for("All ·")
        app.resize(3, 3)
        assert app.alive()

Shared by the tests and ``benchmarks/crash_cases.py``. Without tmux the test skips, unless
``CI=true``: there a missing real component fails the test.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest


def require_tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is not installed (CI=true: it must be)")
        pytest.skip("tmux is not installed")
    return found


class TmuxApp:
    """A program in a detached tmux session; its exit status is written to a file."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], *, size: tuple[int, int] = (120, 40)
    ) -> None:
        self.tmux = require_tmux()
        self._folder = Path(tempfile.mkdtemp(prefix="streamtui-tmux-"))
        self.socket = str(self._folder / "socket")
        self.status_file = self._folder / "status"
        self.session = "streamtui"
        # COLUMNS and LINES would fix the program's idea of its size (under pytest the C
        # environment carries 80x24, and children inherit it): a resize must be seen.
        program = shlex.join(["env", "-u", "COLUMNS", "-u", "LINES", *argv])
        command = f"{program}; echo $? > {shlex.quote(str(self.status_file))}"
        settings = ["TERM=xterm-256color", *(f"{k}={v}" for k, v in env.items() if k != "TERM")]
        environment = [part for setting in settings for part in ("-e", setting)]
        width, height = size
        self._run(
            "new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height),
            *environment, command,
        )  # fmt: skip

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-S", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout

    def screen(self) -> str:
        """What the terminal shows now, a line per row."""
        return self._run("capture-pane", "-p", "-t", self.session)

    def send(self, *keys: str) -> None:
        self._run("send-keys", "-t", self.session, *keys)

    def resize(self, width: int, height: int) -> None:
        self._run("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))

    def status(self) -> int | None:
        """The program's exit status, or None while it runs."""
        try:
            return int(self.status_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        return self.status() is None

    def wait_for(self, text: str, timeout: float = 20.0) -> bool:
        """Wait until ``text`` is on the screen (False when the time runs out or the program
        ends first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return True
            if not self.alive():
                return text in self.screen()
            time.sleep(0.1)
        return False

    def wait_exit(self, timeout: float = 20.0) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status is not None:
                return status
            time.sleep(0.1)
        return None

    def close(self) -> None:
        self._run("kill-server")
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> TmuxApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
