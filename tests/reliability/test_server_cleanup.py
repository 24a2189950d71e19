"""A real server outlives no test run: when the process that started it is killed (pytest
stopped by a timeout, kill -9), its watchdog stops the server's processes and removes its
folder. PostgreSQL, started through ``pg_ctl``, is no child of the test process: killed runs
used to leave clusters running for hours."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.servers._common import unavailable

STARTER = """
import sys, time
from tests.support.servers._common import ServerUnavailable
from tests.support.servers.{module} import {cls}
try:
    server = {cls}.start()
except ServerUnavailable as error:
    print("unavailable", str(error).replace(" ", "_"), flush=True)
    sys.exit(0)
process = server._php if hasattr(server, "_php") else server._process
print(server.root, process.pid, flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("module,cls", [("ttrss", "TinyTinyRss"), ("coldsweat", "Coldsweat")])
def test_killing_the_test_process_stops_its_server(module: str, cls: str) -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER.format(module=module, cls=cls)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    try:
        assert starter.stdout is not None
        line = starter.stdout.readline().decode().split()
        if line[:1] == ["unavailable"]:
            unavailable(f"{cls} cannot start: {line[1].replace('_', ' ')}")
        if len(line) != 2:
            starter.kill()
            unavailable(f"{cls} did not start: {starter.communicate()[1].decode()[-500:]}")
        root, server_pid = Path(line[0]), int(line[1])
        postmaster = 0
        if module == "ttrss":
            postmaster = int((root / "pg" / "postmaster.pid").read_text().split()[0])
            assert alive(postmaster)
        assert alive(server_pid)
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait()
    assert wait_until(lambda: not alive(server_pid), 20), f"{cls}'s server outlived its test"
    if postmaster:
        assert wait_until(lambda: not alive(postmaster), 20), "PostgreSQL outlived its test"
    assert wait_until(lambda: not root.exists(), 20), f"{root} was left behind"
