"""The distribution installs only qckpt.* import names."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_no_generic_top_level_names_are_importable_outside_the_source_tree(tmp_path):
    code = (
        "import importlib.util as u, sys;"
        "print([n for n in ('backend','tui','hooks') if u.find_spec(n)]);"
        "import qckpt.backend, qckpt.tui, qckpt.hooks"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_console_script_is_installed():
    path = shutil.which("qckpt") or str(Path(sys.executable).parent / "qckpt")
    out = subprocess.run([path, "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "sandbox" in out.stdout and "queue" in out.stdout
