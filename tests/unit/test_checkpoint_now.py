"""Checkpoint now's command and its refusals (pure parts; the cell tests run it)."""

from __future__ import annotations

import os
import pwd

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs import checkpoint_now
from qckpt.backend.jobs.listing import JobRow
from qckpt.backend.setup.templates import from_template


def row(**changes) -> JobRow:
    values = dict(
        job_id="12",
        task="",
        name="sim",
        owner="alice",
        state="r",
        queue="all.q@nodea",
        env="ck",
        when="xsm",
        task_dir="/ckpt/12.1",
        manifest={
            "state": "running",
            "host": "nodea",
            "pid": 4242,
            "coordinator": {"host": "nodea", "port": 7779},
        },
    )
    values.update(changes)
    return JobRow(**values)


def ge() -> GridEngine:
    return GridEngine(env={"SGE_ROOT": "/var/lib/gridengine", "SGE_CELL": "prod"})


def test_pseudo_variables_are_replaced_longest_first():
    words = checkpoint_now.substitute(
        "/h/qckpt-hook checkpoint $job_id $ja_task_id $ckpt_dir $job_pid",
        {"job_id": "12", "ja_task_id": "0", "ckpt_dir": "/ckpt", "job_pid": "4242"},
    )
    assert words == ["/h/qckpt-hook", "checkpoint", "12", "0", "/ckpt", "4242"]


def test_dmtcp_runs_the_environments_command_as_the_owner_from_root():
    env = from_template("ck", "dmtcp", "/h", "/ckpt", keep=3)
    chosen = checkpoint_now.plan(ge(), row(), env, euid=0)
    assert os.path.basename(chosen.argv[0]) == "runuser"
    assert chosen.argv[1:4] == ["-u", "alice", "--"]
    assert chosen.argv[4:] == [
        "/h/qckpt-hook",
        "checkpoint",
        "--engine",
        "dmtcp",
        "--keep",
        "3",
        "--timeout",
        "600",
        "12",
        "0",
        "/ckpt",
        "4242",
    ]


def test_the_owner_runs_it_directly_and_anyone_else_is_refused():
    me = pwd.getpwuid(os.geteuid()).pw_name
    env = from_template("ck", "dmtcp", "/h", "/ckpt")
    assert (
        checkpoint_now.plan(ge(), row(owner=me), env, euid=os.geteuid()).argv[0] == "/h/qckpt-hook"
    )
    nobody = pwd.getpwnam("nobody").pw_uid
    with pytest.raises(ValidationFailed, match="owner: .*run qckpt as root or alice"):
        checkpoint_now.plan(ge(), row(), env, euid=nobody)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"state": "qw", "manifest": {}}, "state: .*only a running job"),
        ({"state": "Rt"}, "state: job 12 is Rt: Grid Engine is starting it"),
        ({"manifest": {"state": "migrated", "host": "nodea"}}, "state: "),
        ({"manifest": {"state": "running", "host": "nodea"}}, "coordinator: "),
    ],
)
def test_what_cannot_be_checkpointed_says_why(changes, field):
    env = from_template("ck", "dmtcp", "/h", "/ckpt")
    with pytest.raises(ValidationFailed, match=field):
        checkpoint_now.plan(ge(), row(**changes), env, euid=0)


def test_the_signal_engine_needs_the_jobs_process_here():
    env = from_template("ck", "signal", "/h", "/ckpt")
    gone = row(manifest={"state": "running", "host": "nodeb", "pid": 2**22 + 7})
    with pytest.raises(ValidationFailed, match="host: job 12 runs on nodeb"):
        checkpoint_now.plan(ge(), gone, env, euid=0)
    with pytest.raises(ValidationFailed, match="pid: "):
        checkpoint_now.plan(ge(), row(manifest={"state": "running"}), env, euid=0)


def test_a_command_that_is_not_the_hook_is_refused():
    env = from_template("ck", "dmtcp", "/h", "/ckpt")
    env.ckpt_command = "/usr/local/bin/my-ckpt $job_id"
    with pytest.raises(ValidationFailed, match="ckpt_command: ck's ckpt_command"):
        checkpoint_now.plan(ge(), row(), env, euid=0)
    with pytest.raises(ValidationFailed, match="environment: "):
        checkpoint_now.plan(ge(), row(), None, euid=0)
