"""qckpt on a head node's Python 3.9 (RHEL/Rocky 9 and Debian 11 ship 3.9): a wheel built
and installed into a 3.9 venv as README's "Install on your cluster" says, its commands, and
the console, the command line and the hooks' tests run by that interpreter.

The interpreter is the first real 3.9 of: $QCKPT_PYTHON39, python3.9 on PATH,
/opt/python3.9, pyenv's 3.9 builds, Debian's pypy3 (PyPy 7.3 speaks 3.9). Without one the
tests skip and say so."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the 3.9 run covers: the pure tests (but the layering and vermin checks, which are the
# main interpreter's tools, and the slow property tests of the readers), the console's Jobs
# view on the cell with real jobs, and the hooks' zipapp built for the 3.9 interpreter.
INNER = [
    "tests/unit",
    "--ignore=tests/unit/test_layers.py",
    "--ignore=tests/unit/test_minimum_python.py",
    "--ignore=tests/unit/test_readers.py",
    "tests/console/test_jobs_view.py::test_jobs_are_listed_with_their_checkpoints_sorted_and_toggled",
    "tests/hooks/test_hook_verbs.py",
]


def candidates() -> list[str]:
    found = [os.environ.get("QCKPT_PYTHON39", ""), shutil.which("python3.9") or ""]
    found += ["/opt/python3.9/bin/python3.9"]
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    found += [shutil.which("pypy3") or ""]
    return [path for path in found if path and os.access(path, os.X_OK)]


def is_python39(path: str) -> bool:
    """A shim that exists but fails (pyenv's, with no 3.9 selected) is no interpreter."""
    code = "import sys, venv; sys.exit(sys.version_info[:2] != (3, 9))"
    try:
        return subprocess.run([path, "-c", code], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def python39() -> str:
    for path in candidates():
        if is_python39(path):
            return path
    pytest.skip(
        "no Python 3.9 here (set QCKPT_PYTHON39, or install Debian's pypy3 pypy3-dev "
        "pypy3-venv as dev/install.sh does)"
    )


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert out.returncode == 0, f"{' '.join(args)}:\n{out.stdout[-3000:]}{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def venv39(python39: str, tmp_path_factory) -> Path:
    """A wheel built once, installed into a 3.9 venv with what the tests need."""
    where = tmp_path_factory.mktemp("py39")
    venv = where / "venv"
    run(python39, "-m", "venv", str(venv))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "-q", "--disable-pip-version-check"]
    # the pip a 3.9 venv starts with (23.0) backtracks for many minutes on these dependencies
    run(*pip, "install", "--upgrade", "pip", timeout=600)
    run(*pip, "wheel", "--no-deps", "-w", str(where), str(ROOT), timeout=600)
    (wheel,) = where.glob("qckpt-*.whl")
    tools = ["pytest>=8", "pytest-timeout>=2.3", "pytest-asyncio>=0.23", "hypothesis>=6.100"]
    run(*pip, "install", str(wheel), *tools, timeout=900)
    return venv


@pytest.mark.timeout(1500)
def test_the_wheel_installs_and_its_commands_run_on_python_3_9(venv39):
    bin_ = venv39 / "bin"
    version = run(str(bin_ / "python"), "-c", "import sys; print(sys.version_info[:2])")
    assert version.stdout.strip() == "(3, 9)"
    assert run(str(bin_ / "qckpt"), "--version").stdout.split()[0] == "qckpt"
    assert "usage" in run(str(bin_ / "qckpt"), "-h").stdout
    assert "usage" in run(str(bin_ / "qckpt"), "jobs", "-h").stdout
    assert run(str(bin_ / "qckpt-hook"), "--version").stdout.strip()


@pytest.mark.cell
@pytest.mark.timeout(1500)
def test_the_console_cli_and_hooks_tests_pass_on_python_3_9(venv39, sandbox):
    python = str(venv39 / "bin" / "python")
    env = dict(os.environ, QCKPT_TEST_HOOK_PYTHON=python)
    out = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *INNER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-3000:]
    assert " passed" in out.stdout and "skipped" not in out.stdout.splitlines()[-1]
