"""The console, the backend and the hooks use nothing newer than Python 3.9 (a head node's
Python: RHEL/Rocky 9 and Debian 11 ship 3.9), checked statically by vermin on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def vermin(*paths: str) -> subprocess.CompletedProcess:
    program = str(Path(sys.executable).parent / "vermin")
    return subprocess.run(
        [program, "--no-tips", "--violations", "-t=3.9-", *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_nothing_shipped_needs_a_python_newer_than_3_9():
    out = vermin("backend", "tui", "hooks")
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_check_finds_a_construct_of_python_3_10(tmp_path):
    newer = tmp_path / "newer.py"
    newer.write_text("def f(x):\n    match x:\n        case 1:\n            return 1\n")
    out = vermin(str(newer))
    assert out.returncode != 0 and "3.10" in out.stdout
