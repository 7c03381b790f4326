"""The layering holds: pyproject.toml's import-linter contracts (console over backend over
hooks, and each one's own layers), the hooks on the standard library alone, no cycles."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("backend", "tui", "hooks")

# grimp (under import-linter) reads packages from real folders, not through the editable
# install's finder: the three folders are copied under a package `qckpt` of their own.
CYCLES = """
import grimp
graph = grimp.build_graph("qckpt")
edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
state, path, found = {}, [], []
def visit(module):
    state[module] = "open"
    path.append(module)
    for other in sorted(edges[module]):
        if state.get(other) == "open":
            found.append(" -> ".join(path[path.index(other):] + [other]))
        elif other not in state:
            visit(other)
    path.pop()
    state[module] = "done"
for module in sorted(edges):
    if module not in state:
        visit(module)
print(len(graph.modules))
print("\\n".join(found))
"""


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> str:
    top = tmp_path_factory.mktemp("layers")
    (top / "qckpt").mkdir()
    (top / "qckpt" / "__init__.py").write_text("")
    for folder in FOLDERS:
        shutil.copytree(
            ROOT / folder, top / "qckpt" / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return str(top)


def run(packages: str, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=packages)
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_import_contracts_are_kept(packages):
    lint = Path(sys.executable).with_name("lint-imports")
    proc = run(packages, str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 4 kept, 0 broken." in proc.stdout


def is_module(path: Path) -> bool:
    """In a package (the demo's job programs in backend/sandbox/programs are not)."""
    return (path.parent / "__init__.py").exists()


def test_no_module_imports_itself_through_others(packages):
    proc = run(packages, sys.executable, "-c", CYCLES)
    assert proc.returncode == 0, proc.stderr
    count, *cycles = proc.stdout.splitlines()
    modules = [p for f in FOLDERS for p in (ROOT / f).rglob("*.py") if is_module(p)]
    assert int(count) == len(modules) + 1  # the graph saw every module (and qckpt's __init__)
    assert [c for c in cycles if c] == []


def test_the_hooks_import_only_the_standard_library():
    outside = []
    for path in sorted((ROOT / "hooks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in sys.stdlib_module_names:
                    outside.append(f"{path.name}:{node.lineno} {name}")
    assert outside == []
