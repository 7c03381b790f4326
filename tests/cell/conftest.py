"""Fixtures of the cell tests."""

from __future__ import annotations

import os
import time
import warnings

import pytest

from qckpt.hooks import layout
from tests.cell.jobs import events_of, wait_until
from tests.conftest import job_ids


@pytest.fixture(autouse=True)
def no_job_left_behind(sandbox):
    """A job a test left in the cell (a qdel that came while the job was being migrated can
    leave it requeued, Rq) would run into the next tests: force it out, and say so."""
    ge = sandbox.ge()
    before = job_ids(ge)
    yield
    left = sorted(job_ids(ge) - before, key=int)
    if not left:
        return
    warnings.warn(f"a test left jobs {left} in the cell: deleted with qdel -f", stacklevel=1)
    ge.run(["qdel", "-f", *left], check=False)
    deadline = time.monotonic() + 30
    while job_ids(ge) & set(left) and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.fixture
def hosts(sandbox):
    """(A, B): this machine's host name and the second host's."""
    second = sandbox.extra_hosts(2)[0].name
    assert second in sandbox.ge().run(["qconf", "-sel"]).stdout.split()
    return sandbox.host, second


def drain(ge, queue: str, host: str) -> None:
    ge.run(["qmod", "-d", f"{queue}@{host}"])


def undrain(ge, queue: str, host: str) -> None:
    ge.run(["qmod", "-e", f"{queue}@{host}"])


def manifest_of(sandbox, job: str) -> dict:
    return layout.read_json(os.path.join(sandbox.ckpt_dir, f"{job}.1", layout.MANIFEST)) or {}


def started_on(sandbox, job: str, host: str) -> bool:
    manifest = manifest_of(sandbox, job)
    return manifest.get("host") == host and manifest.get("state") == "running"


def move_from_a_to_b(sandbox, queue: str, job: str, a: str, b: str) -> None:
    """Once the job runs on A: drain A, let B take jobs, migrate; Grid Engine restarts it on B."""
    ge = sandbox.ge()
    wait_until(lambda: started_on(sandbox, job, a), 60, "the start on A")
    wait_until(lambda: "checkpoint" in events_of(sandbox.ckpt_dir, job), 60, "a checkpoint")
    drain(ge, queue, a)
    undrain(ge, queue, b)
    ge.run(["qmod", "-sj", job], user=sandbox.user)
    wait_until(lambda: "restart" in events_of(sandbox.ckpt_dir, job), 150, "the restart on B")
    assert manifest_of(sandbox, job)["restarts"][-1]["host"] == b


# -- the helpers above, as fixtures --------------------------------------------------


@pytest.fixture(name="drain")
def drain_fixture():
    return drain


@pytest.fixture(name="undrain")
def undrain_fixture():
    return undrain


@pytest.fixture(name="manifest_of")
def manifest_of_fixture():
    return manifest_of


@pytest.fixture(name="started_on")
def started_on_fixture():
    return started_on


@pytest.fixture(name="move_from_a_to_b")
def move_from_a_to_b_fixture():
    return move_from_a_to_b
