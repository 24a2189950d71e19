"""The import contracts of pyproject.toml ([tool.importlinter], issue 13): the core imports
neither the UI, the command line, Textual nor Rich, and no import cycle exists anywhere in
src/streamtui. They hold for the code, and each one catches a breach put into a copy of it
(a contract that cannot fail proves nothing). .ci/run runs ``lint-imports`` as well."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT, SRC

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(tmp_path: Path, src: Path = SRC) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts, on the package found first in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(REPO_ROOT / "pyproject.toml")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of src/streamtui to break, first on the path of the lint run."""
    if not LINT_IMPORTS.exists():
        pytest.fail(f"lint-imports is not installed beside {sys.executable} (the test extra)")
    shutil.copytree(SRC / "streamtui", tmp_path / "src" / "streamtui")
    return tmp_path / "src"


def add_line(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "from __future__ import annotations\n",
            "from __future__ import annotations\n" + line + "\n",
            1,
        )
    )


def test_the_code_keeps_every_contract(copy: Path, tmp_path: Path) -> None:
    done = lint(tmp_path, copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    "breach",
    [
        "import textual",
        "from rich.text import Text",
        "from streamtui.ui import format",
        "from streamtui.cli import output",
    ],
)
def test_the_core_importing_the_ui_or_its_toolkit_breaks_a_contract(
    copy: Path, tmp_path: Path, breach: str
) -> None:
    add_line(copy / "streamtui" / "core" / "dates.py", "def _late() -> None:\n    " + breach)
    done = lint(tmp_path, copy)
    assert done.returncode == 1
    assert "The core imports neither the UI, the command line, Textual nor Rich BROKEN" in (
        done.stdout
    )
    assert "streamtui.core.dates" in done.stdout


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("core/text/links.py", "streamtui.core.text.render"),  # two modules of a package
        ("core/models.py", "streamtui.core.store.rows"),  # two packages (store imports models)
        ("ui/format.py", "streamtui.cli.output"),  # two layers (the cli imports the ui)
    ],
)
def test_an_import_cycle_breaks_a_contract(
    copy: Path, tmp_path: Path, importer: str, imported: str
) -> None:
    add_line(
        copy / "streamtui" / importer,
        f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import {imported}",
    )
    done = lint(tmp_path, copy)
    assert done.returncode == 1
    assert "No import cycle" in done.stdout and "BROKEN" in done.stdout
