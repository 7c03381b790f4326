"""Hooks as shipped: the zipapp built by `qckpt hooks install`, run by the system python3."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from qckpt.backend.hooks_install import install

PROGRAMS = Path(__file__).parent.parent / "programs"
COUNTER = str(PROGRAMS / "counter.py")


@pytest.fixture(scope="session")
def hooks_dir(tmp_path_factory) -> str:
    folder = str(tmp_path_factory.mktemp("hooks"))
    install(folder)
    return folder


@pytest.fixture
def task(tmp_path):
    """A ckpt_dir with task 50.1 in it, as the starter would have made it."""
    ckpt_dir = tmp_path / "ckpt"
    task_dir = ckpt_dir / "50.1"
    task_dir.mkdir(parents=True)
    return str(ckpt_dir), str(task_dir)


@pytest.fixture
def counter(task):
    """The self-checkpointing test program, in its own session as a Grid Engine job is."""
    procs = []

    def start(target: int = 100000, delay: float = 0.01, pad: int = 0, *extra: str):
        env = dict(os.environ, QCKPT_DIR=task[1], COUNTER_PAD=str(pad))
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
