"""Layer rules of docs/architecture.md: the core never imports the UI toolkit, the UI never
touches storage or the network directly and imports only the core's facade, no module imports
itself through others (an import cycle), and importing does nothing."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

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


# -- the package's own import graph ---------------------------------------------------------

FACADE = {
    # the core modules the UI may import, and what it takes from each
    "streamtui.core.library": "Library, the one facade over the store and the sources",
    "streamtui.core.models": "the values: rows, articles, sources, views, change records",
    "streamtui.core.errors": "every error the UI catches",
    "streamtui.core.config": "the config and its errors",
    "streamtui.core.text": "sanitize, redaction, the article's document, links, search terms",
    "streamtui.core.browser": "which browser opens a link, and starting it",
    "streamtui.core.dates": "the one date rule (any date, in local time) the CLI uses too",
}


def module_names(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (a folder holding packages) by its dotted name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _bound(init: Path) -> set[str]:
    """The names a package's ``__init__`` binds at its top level."""
    names: set[str] = set()
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _imports(tree: ast.AST, *, typing: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth; without ``typing``, none under ``if
    TYPE_CHECKING:`` (those never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not typing and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _imports(child, typing=typing))
        else:
            yield from _imports(node, typing=typing)


def dependencies(name: str, modules: dict[str, Path], *, typing: bool = True) -> set[str]:
    """The package's own modules that module ``name`` imports. ``from package import x``
    is the package when its ``__init__`` binds ``x`` (a re-export), else the module
    ``package.x``; relative imports are resolved."""
    path = modules[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path)), typing=typing):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
            continue
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join([*base, *([node.module] if node.module else [])])
        for alias in node.names:
            sub = f"{module}.{alias.name}"
            package_init = module in modules and modules[module].name == "__init__.py"
            if sub in modules and not (package_init and alias.name in _bound(modules[module])):
                found.add(sub)
            elif module in modules:
                found.add(module)
    found.discard(name)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import one another, directly or around a loop (Tarjan's strongly
    connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def graph_of(root: Path, prefix: str = "", *, typing: bool = True) -> dict[str, set[str]]:
    modules = module_names(root)
    return {
        name: dependencies(name, modules, typing=typing)
        for name in modules
        if name.startswith(prefix)
    }


def past_the_facade(root: Path) -> list[str]:
    """UI modules' imports of core modules that are not the facade's."""
    return [
        f"{name} imports {module}"
        for name, found in sorted(graph_of(root, "streamtui.ui").items())
        for module in sorted(found)
        if module.startswith("streamtui.core") and module not in FACADE
    ]


def test_the_ui_imports_only_the_core_facade() -> None:
    ui = graph_of(PACKAGE.parent, "streamtui.ui")
    assert len(ui) >= 15
    assert any(module in FACADE for found in ui.values() for module in found)  # it sees them
    assert past_the_facade(PACKAGE.parent) == []


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle anywhere when the program runs; and in the UI none even among the
    imports made for type checking alone (app.py and commands.py imported each other so)."""
    assert import_cycles(graph_of(PACKAGE.parent, typing=False)) == []
    ui = graph_of(PACKAGE.parent, "streamtui.ui")
    assert import_cycles({name: found & ui.keys() for name, found in ui.items()}) == []


def test_the_graph_sees_re_exports_relative_imports_cycles_and_the_facade(
    tmp_path: Path,
) -> None:
    files = {
        "streamtui/__init__.py": "",
        "streamtui/core/__init__.py": "",
        "streamtui/core/text/__init__.py": "from streamtui.core.text.sanitize import sanitize\n",
        "streamtui/core/text/sanitize.py": "def sanitize(t): return t\n",
        "streamtui/core/store.py": "",
        "streamtui/core/dates.py": "",
        "streamtui/ui/__init__.py": "",
        "streamtui/ui/a.py": (
            "from typing import TYPE_CHECKING\n"
            "from streamtui.core.text import sanitize\n"
            "from streamtui.core import dates\n"
            "from . import b\n"
            "if TYPE_CHECKING:\n    from streamtui.ui.c import C\n"
        ),
        "streamtui/ui/b.py": "def f():\n    import streamtui.core.store\n",
        "streamtui/ui/c.py": "from streamtui.ui import a\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = graph_of(tmp_path, "streamtui.ui")
    assert graph["streamtui.ui.a"] == {
        "streamtui.core.text",  # the package: its __init__ binds sanitize
        "streamtui.core.dates",  # a module of the package
        "streamtui.ui.b",
        "streamtui.ui.c",
    }
    assert past_the_facade(tmp_path) == ["streamtui.ui.b imports streamtui.core.store"]
    assert import_cycles(graph) == [["streamtui.ui.a", "streamtui.ui.c"]]
    assert import_cycles(graph_of(tmp_path, typing=False)) == []  # only for type checking


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


def test_first_paint_needs_neither_feedparser_nor_httpx_nor_pillow() -> None:
    """The app module and the command line load feed code only when a feed is touched, and
    Pillow only when an article's image is decoded."""
    code = (
        "import sys, streamtui.cli, streamtui.ui.app\n"
        "heavy = sorted(m for m, module in sys.modules.items()\n"
        "               if m.split('.')[0] in ('feedparser', 'httpx', 'PIL')\n"
        "               and module is not None)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_refresh_path_loads_no_command_line_tool_of_httpx() -> None:
    """httpx imports its own command-line tool (click, rich, pygments: about 50 ms) whenever
    click is installed, as it is here (import-linter needs it); a refresh never runs it."""
    code = (
        "import sys, streamtui.cli, httpx\n"
        "assert callable(httpx.main)\n"  # httpx's own stand-in: the package works as before
        "tool = sorted(m for m in sys.modules\n"
        "           if m.split('.')[0] in ('click', 'rich', 'pygments'))\n"
        "print(','.join(tool))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
