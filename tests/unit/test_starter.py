"""The starter's passthrough: what the shepherd would have exec'd itself (builtin_starter.c)."""

import pytest

from qckpt.hooks.launch import passthrough, with_option
from qckpt.hooks.starter import qckpt_hook


def env(mode: str, login: bool = False, shell: str = "/bin/bash") -> dict:
    return {
        "SGE_STARTER_SHELL_PATH": shell,
        "SGE_STARTER_SHELL_START_MODE": mode,
        "SGE_STARTER_USE_LOGIN_SHELL": "true" if login else "false",
    }


SCRIPT = "/spool/job_scripts/7"


@pytest.mark.parametrize(
    ("mode", "login", "args", "expected"),
    [
        (
            "posix_compliant",
            False,
            [SCRIPT, "a", "b c"],
            ("/bin/bash", ["bash", SCRIPT, "a", "b c"]),
        ),
        ("posix_compliant", True, [SCRIPT], ("/bin/bash", ["-bash", SCRIPT])),
        ("unix_behavior", True, [SCRIPT, "a"], (SCRIPT, [SCRIPT, "a"])),
        ("script_from_stdin", False, ["-s", "a"], ("/bin/bash", ["bash", "-s", "a"])),
        ("start_as_command", False, [SCRIPT, "a"], ("/bin/bash", ["bash", "-c", SCRIPT])),
    ],
)
def test_each_start_mode_starts_as_grid_engine_would(mode, login, args, expected):
    assert passthrough(env(mode, login), {}, args) == expected


def test_a_binary_job_runs_under_the_shell_with_grid_engines_joined_command():
    config = {"handle_as_binary": "1", "no_shell": "0"}
    got = passthrough(env("posix_compliant"), config, ["/bin/echo", "x", "y"])
    assert got == ("/bin/bash", ["bash", "-c", "/bin/echo x y "])


def test_a_binary_job_without_a_shell_is_exec_d_directly():
    config = {"handle_as_binary": "1", "no_shell": "1"}
    assert passthrough(env("posix_compliant"), config, ["sleep", "1"]) == ("sleep", ["sleep", "1"])


def test_the_restart_option_is_appended_to_the_jobs_arguments():
    assert with_option("/bin/sh", ["sh", SCRIPT, "a"], "--restart") == (
        "/bin/sh",
        ["sh", SCRIPT, "a", "--restart"],
    )
    assert with_option("/bin/sh", ["sh", "-c", "/bin/prog x "], "--restart")[1] == [
        "sh",
        "-c",
        "/bin/prog x --restart",
    ]


def config_for(command: str, interface: str = "application-level") -> dict:
    return {"ckpt_job": "1", "ckpt_dir": "/c", "ckpt_interface": interface, "ckpt_command": command}


def test_only_application_level_objects_calling_qckpt_hook_are_ours():
    ours = "/opt/q/qckpt-hook checkpoint --engine signal $job_id $ja_task_id $ckpt_dir"
    assert qckpt_hook(config_for(ours)).options.engine == "signal"
    assert qckpt_hook(config_for(ours, "userdefined")) is None
    assert qckpt_hook(config_for("/opt/other/ckpt.sh $job_id")) is None
    assert qckpt_hook({**config_for(ours), "ckpt_job": "0"}) is None
