"""Each benchmark script still runs, at a tiny size (their figures are not checked: the
machines running the suite are shared and noisy; benchmarks/README.md holds the figures)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TMUX = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)")

SMOKE = [
    pytest.param(["startup.py", "--smoke", "--no-newsboat"], marks=TMUX, id="startup"),
    pytest.param(["keys.py", "--smoke"], marks=TMUX, id="keys"),
    pytest.param(["memory.py", "--smoke"], marks=TMUX, id="memory"),
    pytest.param(["refresh.py", "--smoke", "--no-newsboat"], id="refresh"),
    pytest.param(["refresh_apart.py", "--smoke"], id="refresh-apart"),
    pytest.param(["parse.py", "--smoke"], id="parse"),
    pytest.param(["parse_pool.py", "--smoke"], id="parse-pool"),
    pytest.param(["htmltext.py", "--quick"], id="htmltext"),
    pytest.param(["state.py", "--smoke"], id="state"),
    pytest.param(["sidebar.py", "--smoke"], id="sidebar"),
    pytest.param(["stream_list.py", "--sizes", "200", "--repeat", "1", "--moves", "5"], id="list"),
    pytest.param(["search.py", "2000", "--repeat", "1", "--merge", "200"], id="search"),
    pytest.param(["local_files.py", "--trials", "1"], id="local-files"),
    pytest.param(["cli_inputs.py", "--smoke"], id="cli-inputs"),
    pytest.param(["ux_trials.py", "--trials", "1"], id="ux-trials"),
    pytest.param(["kill_trials.py", "--trials", "1"], id="kill-trials"),
    pytest.param(["fuzz.py", "--count", "60", "--workers", "1"], id="fuzz"),
    pytest.param(["hostile_net.py", "--smoke", "--jobs", "2"], id="hostile-net"),
    pytest.param(["pty_escapes.py", "--smoke"], id="pty-escapes"),
    pytest.param(["bigfeed.py", "--smoke"], marks=TMUX, id="bigfeed"),
    pytest.param(["crash_cases.py", "--smoke"], marks=TMUX, id="crash-cases"),
    pytest.param(["secrets_files.py", "--smoke"], id="secrets-files"),
    pytest.param(["reliability.py", "--quick", "--only", "files"], id="reliability"),
    pytest.param(
        ["state_cases.py", "--quick", "--trials", "1", "--only", "imports,deleted,opml"],
        id="state-cases",
    ),
    pytest.param(["import_scale.py", "--smoke"], id="import-scale"),
    pytest.param(["sync_clients.py", "--smoke"], id="sync-clients"),
    pytest.param(["sync.py", "--smoke"], id="sync"),
    pytest.param(["sync_kills.py", "--trials", "2"], id="sync-kills"),
]


@pytest.mark.parametrize("command", SMOKE)
def test_benchmark_runs_at_a_tiny_size(command: list[str], tmp_path: Path) -> None:
    env = {
        **os.environ,
        "STREAMTUI_DATA_DIR": str(tmp_path / "data"),
        "STREAMTUI_CONFIG_DIR": str(tmp_path / "config"),
        "TMPDIR": str(tmp_path),
        # the checkout's root, for tests.support (an editable install has it already)
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / command[0]), *command[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a loaded machine: the pty runs take about 2 minutes there
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip()
    assert "Traceback" not in done.stdout + done.stderr
