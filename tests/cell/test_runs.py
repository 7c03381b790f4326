"""Jobs longer than their time limit run in runs: checkpointed shortly before h_rt (or at
s_rt), requeued (exit 99), restarted from that checkpoint, until they end by themselves.
Every job of a test runs at once, so a test takes about one job's three runs."""

from __future__ import annotations

import os
import re
import subprocess
import uuid

import pytest

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.jobs.listing import list_jobs
from qckpt.backend.setup.templates import from_template
from qckpt.hooks import layout
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    events_of,
    has_dmtcp,
    running_jobs,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell
H_RT = 20  # seconds a run may last: the margin is then a quarter, 5 s
LONG = 330  # counts of the DMTCP job (0.1 s each): three runs of 15 s


def runs_of(sandbox, job: str, task: int = 1) -> list[dict]:
    path = os.path.join(sandbox.ckpt_dir, f"{job}.{task}", layout.MANIFEST)
    return (layout.read_json(path) or {}).get("runs") or []


def restarted_at(path: str) -> list[int]:
    with open(path) as handle:
        return [int(n) for n in re.findall(r"^restarted at (\d+)$", handle.read(), re.M)]


def test_signal_jobs_longer_than_their_limit_run_in_runs(sandbox, hosts, name_for):
    """The queue's h_rt for an array job, a job's own s_rt, a job that ends in its first
    run, and an environment's cap on runs."""
    ge = sandbox.ge()
    env, capped = name_for("rs"), name_for("rc")
    out = scratch(sandbox, f"runs-{uuid.uuid4().hex[:6]}")
    counter = os.path.join(share_programs(sandbox), "counter.py")
    with checkpointing_queue(sandbox, env, "signal", hosts=" ".join(hosts)) as queue:
        ge.run(["qconf", "-mattr", "queue", "h_rt", f"0:0:{H_RT}", queue])
        EnvStore(ge).add(
            from_template(capped, "signal", sandbox.hooks_dir, sandbox.ckpt_dir, max_runs=2)
        )
        QueueStore(ge).attach(capped, Target(queue))
        common = f"-q {queue} -j y -b y -ckpt"
        array = submit(
            ge, sandbox, *f"{common} {env} -t 1-2 -o {out}/array.$TASK_ID".split(), counter, "360"
        )  # 36 s of counting: three runs of 15 s
        soft = submit(
            ge, sandbox, *f"{common} {env} -l s_rt=15 -o {out}/soft".split(), counter, "300"
        )  # checkpointed at its own s_rt, every 15 s
        short = submit(ge, sandbox, *f"{common} {env} -o {out}/short".split(), counter, "20")
        cap = submit(ge, sandbox, *f"{common} {capped} -o {out}/cap".split(), counter, "600")
        try:
            wait_until(lambda: len(runs_of(sandbox, array)) >= 2, 90, "a second run")
            rows = {r.key: r for r in list_jobs(ge) if r.job_id == array}
            assert rows[f"{array}.1"].run >= 2 and rows[f"{array}.1"].run_seconds >= H_RT * 0.6
            wait_finished(ge, sandbox, [array, soft, short], timeout=240)
            for task in (1, 2):
                records = accounting(ge, array, records=6)
                mine = [r for r in records if r["taskid"] == str(task)]
                assert [r["exit_status"] for r in mine][-1] == "3"  # its own status at the end
                assert len(mine) >= 3 and {r["exit_status"] for r in mine[:-1]} == {"99"}
                counts = restarted_at(f"{out}/array.{task}")
                assert len(counts) >= 2 and counts == sorted(counts) and counts[0] > 0
            soft_counts = restarted_at(f"{out}/soft")
            assert len(soft_counts) >= 2 and soft_counts == sorted(soft_counts)
            assert accounting(ge, soft, records=3)[-1]["exit_status"] == "3"
            assert [r["exit_status"] for r in accounting(ge, short)] == ["3"]  # not requeued

            # the cap: its second run ends at the limit in error state, not requeued
            wait_until(lambda: "run-cap" in events_of(sandbox.ckpt_dir, cap), 120, "the cap")
            wait_until(lambda: job_state(ge, cap).startswith("E"), 30, "the error state")
            runs = runs_of(sandbox, cap)
            assert [r.get("end") for r in runs] == ["limit", "cap"]
            assert max(restarted_at(f"{out}/cap")) > 0
        finally:
            ge.run(["qdel", array, soft, short, cap], check=False)


def job_state(ge, job: str) -> str:
    for line in ge.qstat("-u", "*").stdout.splitlines()[2:]:
        words = line.split()
        if words and words[0] == job:
            return words[4]
    return ""


@pytest.mark.skipif(not has_dmtcp(), reason="DMTCP is not installed (on PATH or under /opt/dmtcp)")
def test_a_dmtcp_job_runs_in_runs_and_a_deleted_one_leaves_nothing(sandbox, hosts, name_for):
    """The job's own -l h_rt on a queue without one; qdel in a later run."""
    ge = sandbox.ge()
    env = name_for("rd")
    out = scratch(sandbox, f"runsd-{uuid.uuid4().hex[:6]}")
    script = os.path.join(share_programs(sandbox), "bcount.sh")
    with checkpointing_queue(sandbox, env, "dmtcp", hosts=" ".join(hosts)) as queue:
        common = f"-q {queue} -ckpt {env} -l h_rt={H_RT} -j y"
        long = submit(ge, sandbox, *f"{common} -o {out}/long".split(), script, str(LONG))
        deleted = submit(ge, sandbox, *f"{common} -o {out}/deleted".split(), script, "777")
        try:
            wait_until(lambda: len(runs_of(sandbox, deleted)) >= 2, 120, "a second run")
            assert runs_of(sandbox, long)[0].get("end") == "limit"
            wait_until(lambda: "running" in events_of(sandbox.ckpt_dir, deleted)[-3:], 60, "up")
            ge.run(["qdel", deleted], user=sandbox.user)
            wait_until(lambda: deleted not in running_jobs(ge, sandbox), 60, "the deletion")
            left = lambda: processes_of(sandbox.user, "bcount.sh 777", f"/{deleted}.1")  # noqa: E731
            try:
                wait_until(lambda: not left(), 30, "no process of the deleted job")
            except AssertionError:
                raise AssertionError(f"left running: {left()}") from None
            wait_finished(ge, sandbox, [long], timeout=240)
            with open(f"{out}/long") as handle:
                counts = [int(n) for n in re.findall(r"^count (\d+)$", handle.read(), re.M)]
            assert counts[-1] == LONG and counts.count(1) == 1  # never again from the start
            records = accounting(ge, long, records=3)
            assert records[-1]["exit_status"] == "5"
            assert {r["exit_status"] for r in records[:-1]} == {"99"}
        finally:
            ge.run(["qdel", long, deleted], check=False)


def processes_of(user: str, *texts: str) -> list[str]:
    ps = subprocess.run(["ps", "-u", user, "-o", "pid=,args="], capture_output=True, text=True)
    return [line for line in ps.stdout.splitlines() if any(t in line for t in texts)]
