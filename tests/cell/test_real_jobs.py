"""Jobs as sites write them, under the signal engine, migrated from host A to host B on
the real cell: a bash script with its own traps, a bash wrapper around a program that
handles the signals, a C program, and a program in a pipeline. Each is signalled in the
processes that catch the signal, and only there; each resumes where it stopped. A job that
catches nothing is never signalled, and says so."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from qckpt.backend.jobs.listing import list_jobs
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    compiled,
    events_of,
    scratch,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell
TARGET = "400"  # 40 s of counting: long enough to be migrated half-way


def output(path: str) -> list[str]:
    with open(path) as handle:
        return handle.read().splitlines()


def test_each_kind_of_job_is_migrated_to_the_other_host_and_resumes(
    sandbox, hosts, name_for, drain, manifest_of, started_on, undrain
):
    a, b = hosts
    ge = sandbox.ge()
    env = name_for("rj")
    folder = os.path.dirname(compiled(sandbox, "ccount"))
    out = scratch(sandbox, f"real-{uuid.uuid4().hex[:6]}")
    counter = [os.path.join(folder, "counter.py"), TARGET, "0.1"]
    kinds = {
        "trap": ["-S", "/bin/bash", os.path.join(folder, "trapcount.sh"), TARGET],
        "wrapper": ["-S", "/bin/bash", os.path.join(folder, "wrapper.sh"), *counter],
        "c": ["-b", "y", os.path.join(folder, "ccount"), TARGET],
        "pipeline": ["-S", "/bin/bash", os.path.join(folder, "pipeline.sh"), *counter],
    }
    with checkpointing_queue(sandbox, env, "signal", hosts=f"{a} {b}", when="xsmr") as queue:
        drain(ge, queue, b)  # so the jobs start on A
        common = ["-q", queue, "-ckpt", env, "-c", "00:00:03", "-j", "y"]
        jobs = {
            kind: submit(ge, sandbox, *common, "-o", f"{out}/{kind}", *args)
            for kind, args in kinds.items()
        }
        try:
            for kind, job in jobs.items():
                wait_until(lambda j=job: started_on(sandbox, j, a), 60, f"{kind} on A")
                wait_until(
                    lambda j=job: "checkpoint" in events_of(sandbox.ckpt_dir, j),
                    60,
                    f"a checkpoint of the {kind} job",
                )
            drain(ge, queue, a)
            undrain(ge, queue, b)
            for job in jobs.values():
                ge.run(["qmod", "-sj", job], user=sandbox.user)
            for kind, job in jobs.items():
                wait_until(
                    lambda j=job: "restart" in events_of(sandbox.ckpt_dir, j),
                    150,
                    f"the {kind} job's restart",
                )
                assert manifest_of(sandbox, job)["restarts"][-1]["host"] == b
            wait_finished(ge, sandbox, list(jobs.values()), timeout=150)
        finally:
            ge.run(["qdel", *jobs.values()], check=False)
    for kind, job in jobs.items():
        lines = output(f"{out}/{kind}")
        migrated = [int(ln.split()[-1]) for ln in lines if ln.startswith("migrating at")]
        restarted = [int(ln.split()[-1]) for ln in lines if ln.startswith("restarted at")]
        assert migrated and restarted == migrated, (kind, lines)  # it went on where it stopped
        assert restarted[0] > 0 and lines[-1] == f"done at {TARGET}", (kind, lines)
        assert accounting(ge, job, records=2)[-1]["exit_status"] == "3", kind
        assert "migrate" in events_of(sandbox.ckpt_dir, job)


def test_a_job_that_catches_nothing_is_never_signalled_and_says_so(sandbox, name_for):
    ge = sandbox.ge()
    env = name_for("rn")
    with checkpointing_queue(sandbox, env, "signal", when="xsmr") as queue:
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -c 00:00:03 -j y -o /dev/null -N nosig -S /bin/bash".split(),
            "-b",
            "y",
            "sleep 300; echo never",
        )
        try:
            # periodic checkpoints come every 3 s: each finds nothing that handles USR1
            row = wait_until(
                lambda: next((r for r in list_jobs(ge) if r.job_id == job and r.last_error), None),
                60,
                "the checkpoint's refusal",
            )
            assert re.search(
                r"no process of the job handles SIGUSR1 \(looked at .*sleep", row.last_error
            ), row.last_error
            assert "nothing was signalled" in row.last_error
            wait_until(lambda: events_of(sandbox.ckpt_dir, job).count("error") >= 2, 30, "more")
            assert "r" in next(r.state for r in list_jobs(ge) if r.job_id == job)  # alive
        finally:
            ge.run(["qdel", job], check=False)
