"""Layer rules of docs/architecture.md: the core never imports the UI toolkit, the UI never
touches storage or the network directly, and importing does nothing."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "src" / "streamtui"
CORE_FORBIDDEN = ("textual", "rich", "streamtui.ui")
UI_FORBIDDEN = ("sqlite3", "httpx", "feedparser")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(folder.parent).as_posix()} imports {module}"
        for path in sorted(folder.rglob("*.py"))
        for module in sorted(imported_modules(path))
        if any(module == name or module.startswith(name + ".") for name in forbidden)
    ]


def test_core_does_not_import_the_ui_toolkit() -> None:
    files = list((PACKAGE / "core").rglob("*.py"))
    assert len(files) >= 8
    assert violations(PACKAGE / "core", CORE_FORBIDDEN) == []


def test_ui_does_not_touch_storage_or_the_network() -> None:
    if not any((PACKAGE / "ui").rglob("*.py")):
        pytest.skip("no ui modules yet")
    assert violations(PACKAGE / "ui", UI_FORBIDDEN) == []


def test_the_checker_sees_lazy_and_from_imports(tmp_path: Path) -> None:
    sample = tmp_path / "pkg" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "import os\nfrom rich.text import Text\n"
        "def f():\n    import textual.app\n    from sqlite3 import connect\n"
        "from . import sibling\n"
    )
    assert {"os", "rich.text", "textual.app", "sqlite3"} <= imported_modules(sample)
    assert violations(sample.parent, ("textual", "rich")) == [
        "pkg/sample.py imports rich.text",
        "pkg/sample.py imports rich.text.Text",
        "pkg/sample.py imports textual.app",
    ]
    assert violations(sample.parent, UI_FORBIDDEN) == [
        "pkg/sample.py imports sqlite3",
        "pkg/sample.py imports sqlite3.connect",
    ]


IMPORT_CHECK = """
import json, sys
import streamtui.core.library, streamtui.core.store, streamtui.core.sources.pages
import streamtui.core.files, streamtui.core.text.sanitize, streamtui.core.paths, streamtui.cli
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(json.dumps(loaded))
"""


def test_importing_core_and_cli_loads_no_textual_or_rich(tmp_path: Path) -> None:
    home, cwd = tmp_path / "fresh-home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("STREAMTUI_DATA_DIR", None)
    env.pop("STREAMTUI_CONFIG_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK], capture_output=True, text=True, timeout=60,
        cwd=cwd, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    # Nothing happens at import: no directory created, no database opened.
    assert list(home.iterdir()) == []
    assert list(cwd.iterdir()) == []


def test_first_paint_needs_neither_feedparser_nor_httpx() -> None:
    """The app module and the command line load feed code only when a feed is touched."""
    code = (
        "import sys, streamtui.cli, streamtui.ui.app\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('feedparser', 'httpx'))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
