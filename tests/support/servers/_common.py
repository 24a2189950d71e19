"""What the server fixtures share: errors, ports, service users, processes, an outbound trap.

Nothing here imports pytest: the benchmarks use the same servers. A server that cannot start
raises :class:`ServerUnavailable` with a one-line reason; the pytest fixtures turn it into a
skip, or a failure under ``CI=true`` (:func:`unavailable`).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

LOOPBACK = "127.0.0.1"
NO_PROXY = "127.0.0.1,localhost,::1"


class ServerUnavailable(RuntimeError):
    """A real server could not start here (missing package, failed start): the reason."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test with ``reason``, or fail it under ``CI=true`` (CI must run them all)."""
    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: real server tests must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A loopback port that was free a moment ago (bound, then closed)."""
    with contextlib.closing(socket.socket()) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, deadline: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; raise ServerUnavailable at
    ``deadline`` (a time.monotonic() value) or when ``process`` exits first."""
    while True:
        with contextlib.closing(socket.socket()) as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        if process is not None and process.poll() is not None:
            raise ServerUnavailable(f"the server process exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise ServerUnavailable(f"nothing listened on {LOOPBACK}:{port} in time")
        time.sleep(0.02)


@dataclass(frozen=True)
class ServiceUser:
    """Who a server process runs as: a named system user when we are root (PostgreSQL's initdb
    and Tiny Tiny RSS refuse root), else ourselves."""

    name: str
    uid: int
    gid: int

    @classmethod
    def pick(cls, *names: str) -> ServiceUser:
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)
        for name in names:
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls(name, entry.pw_uid, entry.pw_gid)
        raise ServerUnavailable(f"none of the system users {', '.join(names)} exists")

    def popen_args(self) -> dict[str, object]:
        """Keyword arguments for subprocess that run the child as this user."""
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, *paths: Path) -> None:
        """Give ``paths`` (recursively) to this user."""
        if os.geteuid() != 0:
            return
        for top in paths:
            os.chown(top, self.uid, self.gid)
            for folder, dirs, files in os.walk(top):
                for name in dirs + files:
                    os.chown(os.path.join(folder, name), self.uid, self.gid, follow_symlinks=False)

    @property
    def group_name(self) -> str:
        return grp.getgrgid(self.gid).gr_name


def scratch_dir(prefix: str) -> Path:
    """A new folder under the system temp dir that service users can enter (0755)."""
    path = Path(tempfile.mkdtemp(prefix=f"streamtui-{prefix}-"))
    path.chmod(0o755)
    return path


def run(
    argv: Sequence[str],
    *,
    user: ServiceUser | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` to the end; raise ServerUnavailable with its last output line on failure."""
    try:
        done = subprocess.run(
            list(argv), input=stdin, capture_output=True, timeout=timeout, env=env, cwd=cwd,
            **(user.popen_args() if user else {}),  # type: ignore[arg-type]
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerUnavailable(f"{argv[0]} failed: {error}") from error
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        last = lines[-1] if lines else f"exit status {done.returncode}"
        raise ServerUnavailable(f"{Path(argv[0]).name} failed: {last}")
    return done


def stop_process(process: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    """Stop ``process`` and its process group (TERM, then KILL after ``grace`` seconds)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


_WATCHDOG = """
import os, shutil, signal, sys
groups, pid_files, root = [], [], sys.argv[1]
for line in sys.stdin:  # until the process that started the server ends, however it ends
    kind, _, value = line.strip().partition(" ")
    if kind == "clear":  # the server was stopped the normal way
        sys.exit(0)
    (groups if kind == "group" else pid_files).append(value)
for value in pid_files:  # a postmaster: SIGQUIT is its immediate shutdown
    try:
        with open(value) as file:
            os.kill(int(file.readline()), signal.SIGQUIT)
    except (OSError, ValueError):
        pass
for value in groups:
    try:
        os.killpg(int(value), signal.SIGKILL)
    except OSError:
        pass
shutil.rmtree(root, ignore_errors=True)
"""


class Watchdog:
    """A process in a session of its own that outlives the test process: when that process
    ends without stopping its server (pytest killed by a timeout, kill -9, a crash), the pipe
    to the watchdog closes, and the watchdog stops the server's processes and removes its
    folder. A PostgreSQL started by ``pg_ctl`` is no child of ours and was left running."""

    def __init__(self, root: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(root)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def _say(self, line: str) -> None:
        assert self._process.stdin is not None
        with contextlib.suppress(OSError):
            self._process.stdin.write(line.encode() + b"\n")
            self._process.stdin.flush()

    def group(self, pid: int) -> None:
        """Kill this process group (a server started with ``start_new_session``)."""
        self._say(f"group {pid}")

    def postmaster(self, pid_file: Path) -> None:
        """Shut down the PostgreSQL whose ``postmaster.pid`` this is."""
        self._say(f"pg {pid_file}")

    def close(self) -> None:
        """The server was stopped: the watchdog ends without doing anything."""
        self._say("clear")
        assert self._process.stdin is not None
        with contextlib.suppress(OSError):
            self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)


def remove_tree(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def base_env(**extra: str) -> dict[str, str]:
    """A small environment for server processes: PATH, a UTF-8 locale, no proxy of the
    caller's, and whatever ``extra`` adds."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "no_proxy": NO_PROXY,
        "NO_PROXY": NO_PROXY,
    }
    env.update(extra)
    return env


class OutboundTrap:
    """A loopback HTTP proxy that refuses everything and records what tried to leave.

    Point a server's ``http_proxy``/``https_proxy`` at it (:meth:`env`) with ``no_proxy`` set to
    the loopback names: then any request to another host (a favicon service, an update check)
    reaches this trap instead of the network, is answered 403 and lands in :attr:`attempts`,
    which a test asserts is empty.
    """

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._lock = threading.Lock()
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, 0))
        self._socket.listen(16)
        self._socket.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._socket.getsockname()[1]}"

    def env(self) -> dict[str, str]:
        """Proxy variables (both cases: libcurl reads lower case, Python's requests both)."""
        pairs = {}
        for name in ("http_proxy", "https_proxy", "all_proxy"):
            pairs[name] = self.url
            pairs[name.upper()] = self.url
        pairs["no_proxy"] = pairs["NO_PROXY"] = NO_PROXY
        return pairs

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.closing(client):
                client.settimeout(2)
                head = b""
                with contextlib.suppress(OSError):
                    while b"\r\n" not in head and len(head) < 8192:
                        chunk = client.recv(4096)
                        if not chunk:
                            break
                        head += chunk
                line = head.split(b"\r\n", 1)[0].decode("latin-1", errors="replace")
                with self._lock:
                    self.attempts.append(line or "(empty request)")
                with contextlib.suppress(OSError):
                    client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._stopping.set()
        self._socket.close()
        self._thread.join(timeout=2)
