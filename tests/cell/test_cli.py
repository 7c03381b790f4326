"""The qckpt command line against the sandbox cell: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qckpt.backend.gridengine.queue_states import instance_states
from qckpt.backend.gridengine.queues import Target
from tests.bad_inputs import valid_env
from tests.cell.jobs import submit, wait_until

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")


@pytest.fixture
def run(sandbox):
    def qckpt(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", **sandbox.env()}
        return subprocess.run(
            [QCKPT, *args], capture_output=True, text=True, env=env, input=stdin, timeout=60
        )

    return qckpt


def add_args(name: str) -> list[str]:
    env = valid_env(name)
    return [
        "env",
        "add",
        name,
        "--interface",
        env.interface,
        "--ckpt-command",
        env.ckpt_command,
        "--migr-command",
        env.migr_command,
        "--clean-command",
        env.clean_command,
        "--ckpt-dir",
        env.ckpt_dir,
        "--signal",
        env.signal,
        "--when",
        "sxr",
    ]


def test_add_then_list_and_show_as_json(run, name_for):
    name = name_for()
    assert run(*add_args(name)).returncode == 0
    listed = json.loads(run("env", "list", "--json").stdout)
    assert name in [e["ckpt_name"] for e in listed]
    shown = json.loads(run("env", "show", name, "--json").stdout)
    assert shown == valid_env(name).canonical().as_dict()


def test_add_from_a_qconf_file_with_flags_overriding_it(run, name_for, tmp_path):
    name = name_for()
    path = tmp_path / "ckpt.conf"
    path.write_text(valid_env("ignored").to_text())
    assert run("env", "add", name, "--from", str(path), "--when", "m").returncode == 0
    shown = json.loads(run("env", "show", name, "--json").stdout)
    assert (shown["ckpt_name"], shown["when"]) == (name, "m")


def test_a_bad_value_prints_one_line_naming_the_field_and_adds_nothing(run, name_for):
    name = name_for()
    out = run(*add_args(name), "--ckpt-command", "/bin/hook $HOME")
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1
    assert out.stderr.startswith("qckpt: ckpt_command: $HOME is not a pseudo-variable")
    assert run("env", "show", name).returncode == 1


def test_add_without_required_fields_names_them(run, name_for):
    out = run("env", "add", name_for())
    assert out.returncode == 1
    assert out.stderr.startswith("qckpt: interface:")


def test_edit_prints_what_changed(run, name_for):
    name = name_for()
    run(*add_args(name))
    out = run("env", "edit", name, "--when", "m")
    assert out.returncode == 0
    assert out.stdout == f"{name}: when: xsr -> m\n"


def test_delete_asks_and_without_a_terminal_needs_yes(run, name_for):
    name = name_for()
    run(*add_args(name))
    out = run("env", "delete", name)
    assert out.returncode == 1 and "--yes" in out.stderr
    assert run("env", "show", name).returncode == 0
    assert run("env", "delete", name, "--yes").returncode == 0
    assert run("env", "show", name).returncode == 1


def test_clone(run, name_for):
    source, target = name_for(), name_for()
    run(*add_args(source))
    assert run("env", "clone", source, target).returncode == 0
    shown = json.loads(run("env", "show", target, "--json").stdout)
    assert shown["ckpt_command"] == valid_env().ckpt_command


def test_queue_attach_list_detach(run, sandbox, name_for, test_queue):
    name = name_for()
    run(*add_args(name))
    target = f"{test_queue}@{sandbox.host}"
    out = run("queue", "attach", name, target, "--starter", "/opt/qckpt/qckpt-starter")
    assert out.returncode == 0, out.stderr
    queues = {q["name"]: q for q in json.loads(run("queue", "list", "--json").stdout)}
    assert queues[test_queue]["ckpt_list"]["overrides"] == {sandbox.host: name}
    text = run("queue", "list").stdout
    assert f"{test_queue}@{sandbox.host}" in text and "/opt/qckpt/qckpt-starter" in text
    assert run("queue", "detach", name, target).returncode == 0
    out = run("queue", "detach", name, target)
    assert (
        out.returncode == 1
        and out.stderr == f"qckpt: ckpt_list: {name} is not attached to {target}\n"
    )


def test_sandbox_env_lines_make_qconf_talk_to_the_cell(run, sandbox):
    lines = run("sandbox", "env").stdout
    assert f"export SGE_CELL={sandbox.cell}\n" in lines
    assert f"export QCKPT_SANDBOX_USER={sandbox.user}\n" in lines
    out = subprocess.run(
        ["bash", "-c", lines + "qconf -sql"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert "all.q" in out.stdout.split()


def test_sandbox_status_names_every_execution_host_and_its_execd(run, sandbox):
    lines = run("sandbox", "status").stdout.splitlines()
    hosts = [sandbox.host, *(h.name for h in sandbox.extra_hosts(2))]
    for host in hosts:
        assert any(re.match(rf"sge_execd on {host}: running, pid \d+$", ln) for ln in lines)


def test_sandbox_status_exits_zero_when_the_cell_answers(run):
    out = run("sandbox", "status")
    assert out.returncode == 0
    assert "answers: yes" in out.stdout


def test_sandbox_up_on_a_running_cell_says_so(run):
    out = run("sandbox", "up")
    assert out.returncode == 0
    assert "already running" in out.stderr


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("signal", ["--engine signal", "--signal USR1", "--restart-option --restart"]),
        ("dmtcp", ["--engine dmtcp"]),
        ("dmtcp-cpu", ["--engine dmtcp", "--same-cpu"]),
    ],
)
def test_add_from_a_template_calls_the_installed_hooks(run, name_for, template, words):
    name = name_for()
    out = run(
        "env", "add", name, "--template", template, "--hooks", "/opt/qckpt", "--ckpt-dir", "/c"
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(run("env", "show", name, "--json").stdout)
    assert shown["interface"] == "application-level" and shown["when"] == "xsr"
    assert shown["ckpt_command"].startswith("/opt/qckpt/qckpt-hook checkpoint ")
    assert shown["migr_command"].startswith("/opt/qckpt/qckpt-hook migrate ")
    assert shown["clean_command"] == "/opt/qckpt/qckpt-hook clean $job_id $ja_task_id $ckpt_dir"
    assert all(w in shown["ckpt_command"] for w in words)


def test_a_template_without_hooks_names_what_is_missing(run, name_for):
    out = run("env", "add", name_for(), "--template", "signal", "--ckpt-dir", "/c")
    assert out.returncode == 1
    assert out.stderr == "qckpt: --template: needs --hooks DIR and --ckpt-dir D\n"


def test_a_missing_starter_shows_the_error_state_and_clear_resets_it(
    sandbox, run, queues, test_queue, tmp_path
):
    """Grid Engine puts the instance in E when the starter_method is missing on the host;
    `qckpt queue list` shows it with the reason, `qckpt queue clear` resets it once fixed."""
    ge = sandbox.ge()
    missing = tmp_path / "qckpt-starter"
    ge.qconf("-mattr", "queue", "starter_method", str(missing), test_queue)  # as a typo would
    job = submit(ge, sandbox, "-q", test_queue, "-b", "y", "-o", "/dev/null", "/bin/true")
    try:
        name = f"{test_queue}@{sandbox.host}"
        wait_until(lambda: "E" in instance_states(ge)[name].states, 60, "the E state")
        listing = run("queue", "list").stdout
        assert f"{name}: E (error): queue {test_queue} marked QERROR" in listing
        row = next(ln for ln in listing.splitlines() if ln.startswith(test_queue + " "))
        assert f"E@{sandbox.host}" in row.split()
        queues.set(Target(test_queue), {"starter_method": "NONE"})  # the cause, fixed
        ge.run(["qdel", job], check=False)
        cleared = run("queue", "clear", name)
        assert cleared.returncode == 0, cleared.stderr
        assert instance_states(ge)[name].states == ""
    finally:
        ge.run(["qdel", job], check=False)


def test_a_binary_or_odd_file_is_one_line_and_changes_nothing(run, name_for, tmp_path):
    odd = tmp_path / "odd.yaml"
    odd.write_text("1: x\nzz: 2\n")
    for args, words in (
        (["env", "add", name_for(), "--from", "/bin/ls"], "--from: not a text file"),
        (["apply", "/bin/ls"], "not a text file"),
        (["apply", str(odd)], "not a key of a qckpt set-up file"),
    ):
        out = run(*args)
        assert out.returncode == 1 and words in out.stderr, out.stderr
        assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr
