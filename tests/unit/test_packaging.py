"""The distribution installs only qckpt.* import names."""

import re
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


def command(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).parent / name)


def test_both_programs_say_the_distributions_version():
    from importlib.metadata import version

    qckpt = subprocess.run([command("qckpt"), "--version"], capture_output=True, text=True)
    hook = subprocess.run([command("qckpt-hook"), "--version"], capture_output=True, text=True)
    assert qckpt.returncode == hook.returncode == 0
    assert qckpt.stdout.split() == ["qckpt", version("qckpt")]
    assert hook.stdout.strip() == version("qckpt")  # the zipapp's own VERSION kept in step


def test_help_exits_zero_for_every_command_and_the_hook():
    from qckpt.tui.cli.main import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    calls = [
        [command("qckpt"), "-h"],
        [command("qckpt-hook"), "--help"],
        [command("qckpt-hook"), "checkpoint", "-h"],
    ]
    for name, sub in commands.items():
        calls.append([command("qckpt"), name, "-h"])
        inner = next((a for a in sub._actions if a.dest and a.choices and a.nargs == "A..."), None)
        for verb in inner.choices if inner else []:
            calls.append([command("qckpt"), name, verb, "--help"])
    for call in calls:
        out = subprocess.run(call, capture_output=True, text=True)
        assert out.returncode == 0 and "usage" in out.stdout.lower(), call


def test_a_wrong_call_says_so_on_stderr_and_exits_non_zero():
    hook = subprocess.run([command("qckpt-hook"), "frobnicate"], capture_output=True, text=True)
    assert hook.returncode == 2 and "unknown verb frobnicate" in hook.stderr and not hook.stdout
    qckpt = subprocess.run([command("qckpt"), "frobnicate"], capture_output=True, text=True)
    assert qckpt.returncode == 2 and "invalid choice" in qckpt.stderr and not qckpt.stdout


def test_the_hooks_usage_names_every_option_the_hook_takes():
    from qckpt.hooks.__main__ import USAGE
    from qckpt.hooks.jobinfo import VALUED

    for flag in (*VALUED, "--same-cpu", "--fsync"):
        assert f"[{flag}" in USAGE, flag


def test_every_package_of_the_source_tree_is_in_the_distribution():
    """pyproject.toml lists the packages: a new folder left out of it is missing from the
    wheel (it imports from the checkout, and fails once installed)."""
    root = Path(__file__).parents[2]
    text = (root / "pyproject.toml").read_text()  # tomllib is 3.11's: this runs on 3.9 too
    listed = set(
        re.findall(r'"(qckpt[.\w]*)"', re.search(r"\npackages = \[(.*?)\]", text, re.S)[1])
    )
    found = {
        "qckpt." + ".".join(init.parent.relative_to(root).parts)
        for top in ("backend", "tui", "hooks")
        for init in (root / top).rglob("__init__.py")
        if ".venv" not in init.parts and "programs" not in init.parts
    }
    assert found - listed == set()
