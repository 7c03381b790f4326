"""`qckpt jobs` and `qckpt storage` on the real cell, with a job run by the signal engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qckpt.backend.gridengine.envs import EnvStore
from tests.cell.jobs import checkpointing_queue, events_of, share_programs, submit, wait_until

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")


def qckpt(sandbox, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", **sandbox.env()}
    return subprocess.run([QCKPT, *args], capture_output=True, text=True, env=env, timeout=60)


def test_jobs_and_storage_show_a_checkpointing_job(sandbox, name_for):
    ge = sandbox.ge()
    env = name_for("js")
    with checkpointing_queue(sandbox, env, "signal", when="xsmr") as queue:
        counter = os.path.join(share_programs(sandbox), "counter.py")
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -c 00:00:03 -b y -o /dev/null -j y".split(),
            counter,
            "3000",
        )
        orphan = os.path.join(sandbox.ckpt_dir, "999999.1")
        os.makedirs(orphan, exist_ok=True)
        try:
            wait_until(lambda: "checkpoint" in events_of(sandbox.ckpt_dir, job), 60, "a checkpoint")
            EnvStore(ge).edit(env, when="sm")  # a job keeps the when it was submitted with
            rows = json.loads(qckpt(sandbox, "jobs", "--json").stdout)
            row = next(r for r in rows if r["job_id"] == job)
            assert (row["env"], row["when"], row["owner"]) == (env, "xsmr", sandbox.user)
            assert row["interval"] == 3
            assert row["generations"] >= 1 and row["last_checkpoint"] and row["age_seconds"] < 60
            assert row["task_dir"] == os.path.join(sandbox.ckpt_dir, f"{job}.1")
            assert job in qckpt(sandbox, "jobs").stdout

            dirs = json.loads(qckpt(sandbox, "storage", "--json").stdout)
            usage = next(d for d in dirs if d["ckpt_dir"] == sandbox.ckpt_dir)
            assert env in usage["envs"] and usage["fs_total"] > usage["fs_free"] > 0
            task = next(t for t in usage["tasks"] if t["name"] == f"{job}.1")
            assert task["owner"] == sandbox.user and task["size"] > 0 and not task["orphan"]
            assert "999999.1" in usage["orphans"]

            out = qckpt(sandbox, "storage", "--delete-orphans", "--yes")
            assert f"would remove {orphan}" in out.stdout and f"removed {orphan}" in out.stdout
            assert not os.path.exists(orphan)
            assert os.path.isdir(os.path.join(sandbox.ckpt_dir, f"{job}.1"))  # known: kept
        finally:
            ge.run(["qdel", job], check=False)
            if os.path.isdir(orphan):
                os.rmdir(orphan)
