"""Same-CPU migration on the real cell, for an array job: the migrate hook pins the
restart to hosts with this host's CPU features (keeping the job's other hard requests)."""

from __future__ import annotations

import os
import uuid

import pytest

from qckpt.backend.setup.cpu_complexes import ensure_complexes, set_host_values
from qckpt.hooks import cpu
from tests.cell.jobs import (
    checkpointing_queue,
    events_of,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell


def hard_requests(ge, job: str) -> dict[str, str]:
    for line in ge.qstat("-j", job).stdout.splitlines():
        if line.startswith("hard resource_list:"):
            return dict(i.split("=", 1) for i in line.split(":", 1)[1].strip().split(","))
    return {}


def test_an_array_job_migrates_pinned_to_this_cpu_and_restarts(sandbox, name_for):
    ge = sandbox.ge()
    ensure_complexes(ge)
    flags = cpu.read_flags()
    set_host_values(ge, sandbox.host, flags)
    env_name = name_for("cpu")
    options = {"when": "xsmr", "same_cpu": True}
    with checkpointing_queue(sandbox, env_name, "signal", **options) as queue:
        out = scratch(sandbox, f"cpu-{uuid.uuid4().hex[:6]}")
        counter = os.path.join(share_programs(sandbox), "counter.py")
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env_name} -c 00:00:03 -t 1-2 -l h_rt=3600".split(),
            *f"-j y -b y -o {out}/$TASK_ID".split(),
            counter,
            "150",
        )
        ckpt = sandbox.ckpt_dir
        for task in (1, 2):
            wait_until(lambda t=task: "checkpoint" in events_of(ckpt, job, t), 60, "checkpoints")
        ge.run(["qmod", "-sj", job], user=sandbox.user)
        for task in (1, 2):
            wait_until(lambda t=task: "restart" in events_of(ckpt, job, t), 150, "restarts")
            assert "pinned" in events_of(ckpt, job, task)
        requests = hard_requests(ge, job)
        assert requests["h_rt"] == "3600"  # the job's own request kept
        assert requests["x86_64_level"] == str(cpu.level(flags))
        assert all(requests[f"cpuflag_{f}"] == "TRUE" for f in cpu.FLAGS if f in flags)
        wait_finished(ge, sandbox, [job], timeout=120)
        for task in (1, 2):
            with open(f"{out}/{task}") as handle:
                lines = handle.read().splitlines()
            moved = next(ln for ln in lines if ln.startswith("migrating at")).split()[-1]
            assert f"restarted at {moved}" in lines and lines[-1] == "done at 150"


def test_the_level_complex_is_corrected_to_request_at_most_what_a_host_offers(sandbox):
    """`>=` (as qckpt once defined it) let a level-3 host take a job asking for level 4."""
    ge = sandbox.ge()
    ensure_complexes(ge)
    text = ge.qconf("-sc").stdout
    old = "\n".join(
        ln.replace("<=", ">=") if ln.startswith("x86_64_level ") else ln for ln in text.splitlines()
    )
    ge.qconf_file("-Mc", old + "\n")
    assert ensure_complexes(ge) == ["x86_64_level"]
    line = next(ln for ln in ge.qconf("-sc").stdout.splitlines() if ln.startswith("x86_64_level"))
    assert line.split()[3] == "<=" and ensure_complexes(ge) == []
