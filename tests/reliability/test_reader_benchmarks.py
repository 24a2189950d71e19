"""The issue 16 benchmark scripts still run (their figures are not checked: shared machines)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.paths import REPO_ROOT as ROOT

ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}


def test_the_reader_benchmark_runs() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "reader.py"),
            "--repeat",
            "1",
            "--images",
            "3",
            "--presses",
            "6",
            "--smoke",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for section in (
        "1. extraction", "2. worker peak memory", "3. images", "3b. kitty", "6. key to repaint",
    ):  # fmt: skip
        assert section in done.stdout


def test_the_reader_reliability_part_runs_clean() -> None:
    script = str(ROOT / "benchmarks" / "reliability.py")
    done = subprocess.run(
        [sys.executable, script, "--quick", "--only", "reader"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hostile and mutated pages through extraction" in done.stdout
    assert "bombs, lies and mutated images through decode" in done.stdout
