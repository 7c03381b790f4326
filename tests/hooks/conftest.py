"""Hooks as shipped: the zipapp built by `qckpt hooks install`, run by the system python3."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from qckpt.backend.jobs import events
from qckpt.backend.setup.hooks_install import DEFAULT_PYTHON, install
from qckpt.hooks import layout

PROGRAMS = Path(__file__).parent.parent / "programs"
COUNTER = str(PROGRAMS / "counter.py")


@pytest.fixture(scope="session")
def hooks_dir(tmp_path_factory) -> str:
    """The zipapp for the hosts' python3, or for QCKPT_TEST_HOOK_PYTHON (the Python 3.9 run)."""
    folder = str(tmp_path_factory.mktemp("hooks"))
    install(folder, python=os.environ.get("QCKPT_TEST_HOOK_PYTHON", DEFAULT_PYTHON))
    return folder


@pytest.fixture
def task(tmp_path):
    """A ckpt_dir (1777) with task 50.1 and its state/ in it, as the starter makes them."""
    ckpt_dir = tmp_path / "ckpt"
    task_dir = ckpt_dir / "50.1"
    (task_dir / layout.STATE).mkdir(parents=True)
    ckpt_dir.chmod(0o1777)
    task_dir.chmod(layout.TASK_MODE)
    (task_dir / layout.STATE).chmod(layout.PRIVATE)
    return str(ckpt_dir), str(task_dir)


def event_names(ckpt_dir: str, job: str | None = None) -> list[str]:
    """The events every user's hooks logged in ckpt_dir (of one JOB.TASK), oldest first."""
    return [e.event for e in events.read(ckpt_dir, job).events]


@pytest.fixture
def counter(task):
    """The self-checkpointing test program, in its own session as a Grid Engine job is."""
    procs = []

    def start(target: int = 100000, delay: float = 0.01, pad: int = 0, *extra: str):
        env = dict(os.environ, QCKPT_DIR=os.path.join(task[1], layout.STATE), COUNTER_PAD=str(pad))
        proc = subprocess.Popen(
            [COUNTER, str(target), str(delay), *extra],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def restart_through_starter(
    hooks_dir: str,
    ckpt_dir: str,
    folder,
    target: int,
    options: str = "--engine signal",
    tmpdir: str = "",
) -> subprocess.CompletedProcess:
    """Start job 50 through the real qckpt-starter as Grid Engine does after a migration
    (RESTARTED=2): its spool config names a qckpt object with `options` (and the run's
    `tmpdir`); the job script runs the counter up to `target`."""
    spool = folder / "spool"
    spool.mkdir(exist_ok=True)
    hook = os.path.join(hooks_dir, "qckpt-hook")
    (spool / "config").write_text(
        "ckpt_job=1\nckpt_interface=application-level\nhandle_as_binary=0\nno_shell=0\n"
        f"ckpt_dir={ckpt_dir}\n"
        f"ckpt_command={hook} checkpoint {options} $job_id $ja_task_id $ckpt_dir $job_pid\n"
        + (f"tmpdir={tmpdir}\n" if tmpdir else "")
    )
    script = folder / "job.sh"
    script.write_text(f'#!/bin/sh\nexec {COUNTER} {target} 0.01 "$@"\n')
    script.chmod(0o755)
    env = dict(
        os.environ,
        SGE_JOB_SPOOL_DIR=str(spool),
        SGE_CKPT_ENV="qckpt",
        SGE_CKPT_DIR=ckpt_dir,
        JOB_ID="50",
        SGE_TASK_ID="undefined",
        RESTARTED="2",
        SGE_STARTER_SHELL_PATH="/bin/sh",
        SGE_STARTER_SHELL_START_MODE="posix_compliant",
        SGE_STARTER_USE_LOGIN_SHELL="false",
    )
    starter = os.path.join(hooks_dir, "qckpt-starter")
    return subprocess.run(
        [starter, str(script)], env=env, capture_output=True, text=True, timeout=60
    )


def run_hook(hooks_dir: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.join(hooks_dir, "qckpt-hook"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or dict(os.environ),
    )


def checkpoint_args(ckpt_dir: str, pid: int, *extra: str) -> list[str]:
    return [
        "checkpoint",
        "--engine",
        "signal",
        "--timeout",
        "10",
        *extra,
        "50",
        "1",
        ckpt_dir,
        str(pid),
    ]


# -- the helpers above, as fixtures --------------------------------------------------


@pytest.fixture(name="run_hook")
def run_hook_fixture():
    return run_hook


@pytest.fixture(name="checkpoint_args")
def checkpoint_args_fixture():
    return checkpoint_args


@pytest.fixture(name="event_names")
def event_names_fixture():
    return event_names


@pytest.fixture(name="restart_through_starter")
def restart_through_starter_fixture():
    return restart_through_starter
