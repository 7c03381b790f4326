"""What checkpoints cost and what they saved, from real jobs of both engines on the cell:
a job checkpointed periodically, migrated once and run to its end has the counts, the
time stopped (the sum its events say) and the work a restart kept and redid in its
owner's history; `qckpt report` sums it with a job still running, and `qckpt doctor` judges
the interval. The DMTCP one writes its images without compression."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from qckpt.backend.jobs import events
from qckpt.backend.report.interval import daly
from qckpt.hooks import layout
from tests.cell.jobs import (
    checkpointing_queue,
    compressed,
    events_of,
    has_dmtcp,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")


def history_of(ckpt_dir: str, user: str, job: str) -> dict | None:
    """The job's line in its owner's history file, once clean has written it."""
    for name in os.listdir(ckpt_dir):
        if layout.history_user(name) == user:
            with open(os.path.join(ckpt_dir, name)) as handle:
                for line in handle:
                    record = json.loads(line)
                    if record.get("job") == job:
                        return record
    return None


def interval_findings(shell_env: dict, check: str = "interval") -> dict[str, dict]:
    """`qckpt doctor --json --mtbi 24`: its findings of one check by subject."""
    done = subprocess.run(
        [QCKPT, "doctor", "--json", "--mtbi", "24"], capture_output=True, text=True, env=shell_env
    )
    return {f["subject"]: f for f in json.loads(done.stdout) if f["check"] == check}


def seconds(clock: str) -> int:
    hours, minutes, secs = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + secs


def running_keys(ge) -> set[str]:
    lines = ge.qstat("-u", "*", "-s", "r").stdout.splitlines()[2:]
    return {line.split()[0] for line in lines if line.strip()}


@pytest.mark.parametrize("engine", ["signal", "dmtcp"])
def test_a_migrated_jobs_figures_reach_its_history_and_the_report(sandbox, name_for, engine):
    if engine == "dmtcp" and not has_dmtcp():
        pytest.skip("DMTCP is not installed (on PATH or /opt/dmtcp)")
    ge = sandbox.ge()
    env = name_for(f"rp{engine[0]}")
    programs = share_programs(sandbox)
    out = scratch(sandbox, f"report-{uuid.uuid4().hex[:6]}")
    # a Python program that starts no processes: under DMTCP it is checkpointed whole
    job_args = ["-b", "y", os.path.join(programs, "counter.py"), "200", "0.1"]
    long_args = [*job_args[:-2], "30000", "0.1"]
    # the DMTCP environment writes its images plain (--compress none, which DMTCP 5.0 only
    # survives in jobs that start no processes): they are, and the job restarts from them
    # as from gzip's (the DMTCP engine's own test)
    options = {"compress": "none"} if engine == "dmtcp" else {}
    with checkpointing_queue(sandbox, env, engine, when="xsmr", **options) as queue:
        common = ["-q", queue, "-ckpt", env, "-c", "00:00:03", "-j", "y"]
        moved = submit(ge, sandbox, *common, "-o", f"{out}/moved", *job_args)
        running = submit(ge, sandbox, *common, "-o", f"{out}/running", *long_args)
        ckpt = sandbox.ckpt_dir
        slow = None
        try:
            wait_until(
                lambda: events_of(ckpt, moved).count("checkpoint") >= 2, 90, "two checkpoints"
            )
            if engine == "dmtcp":
                newest = layout.newest_complete(os.path.join(ckpt, f"{moved}.1"))
                images = [n for n in os.listdir(newest) if n.endswith(".dmtcp")]
                assert images and not any(compressed(os.path.join(newest, n)) for n in images)
            ge.run(["qmod", "-sj", moved], user=sandbox.user)
            wait_until(lambda: "restart" in events_of(ckpt, moved), 150, "the restart")
            wait_finished(ge, sandbox, [moved], timeout=120)
            record = wait_until(
                lambda: history_of(ckpt, sandbox.user, moved), 30, "the job's history line"
            )

            # its counts and time stopped are those its events say, one by one
            taken = [
                e
                for e in events.read(ckpt, f"{moved}.1").events
                if e.event in ("checkpoint", "migrate")
            ]
            assert record["checkpoints"] == len(taken) >= 3
            stopped = sum(float(e.fields["stopped"]) for e in taken)
            assert record["stopped"] == pytest.approx(stopped, abs=0.01)
            assert 0 < record["stopped"] < record["run_seconds"]
            assert record["run_seconds"] >= 15  # 200 counts of 0.1 s, over both runs
            # one restart, from the migration's generation: it kept the work up to it
            assert record["restarts"] == 1 and record["runs"] == 2
            assert 5 <= record["saved"] <= record["run_seconds"] and 0 <= record["lost"] < 10
            assert record["size"] > 0 and record["env"] == env

            # the report: the ended job from its history, the running one from its manifest
            wait_until(
                lambda: "checkpoint" in events_of(ckpt, running), 60, "the other job's checkpoint"
            )
            shell_env = {"PATH": "/usr/bin:/bin", **sandbox.env()}
            done = subprocess.run(
                [QCKPT, "report", "--json"], capture_output=True, text=True, env=shell_env
            )
            assert done.returncode == 0, done.stderr
            ours = json.loads(done.stdout)["by_env"][env]
            assert ours["tasks"] == 2 and ours["running"] == 1
            assert ours["checkpoints"] >= record["checkpoints"] + 1
            assert ours["restarts"] == 1 and ours["overhead"] > 0

            # the interval to use, for an interruption a day: Daly's, from the measured cost
            def report(*args: str) -> subprocess.CompletedProcess:
                return subprocess.run(
                    [QCKPT, "report", *args], capture_output=True, text=True, env=shell_env
                )

            data = json.loads(report("--json", "--mtbi", "24").stdout)["by_env"][env]
            advice = data["interval"]
            cost = data["stopped"] / data["checkpoints"]
            assert advice["cost"] == pytest.approx(cost)
            assert advice["best"] == pytest.approx(daly(cost, 86400.0))
            assert advice["current"] == 3.0 and advice["queue"] == queue  # its min_cpu_interval
            assert advice["overhead_current"] > advice["overhead_best"] > 0
            # far from it: the command that sets it, which the cell takes
            said = report("--mtbi", "24").stdout
            command = next(ln for ln in said.splitlines() if "far from the best" in ln)
            args = command.split(": ", 1)[1].split()
            assert args[:4] == ["qckpt", "queue", "set", queue]
            # the doctor warns of it with the same command, and of a job asking for a far
            # longer interval (qsub -c; Grid Engine takes the longer of it and the queue's)
            slow = submit(ge, sandbox, *common[:-4], "-c", "10:00:00", "-j", "y", *long_args)
            wait_until(lambda: slow in running_keys(ge), 60, "the slow job's start")
            warned = interval_findings(shell_env)
            fix = warned[f"{env} on {queue}"]["fix"].split()  # the job checkpoints meanwhile
            assert fix[:-1] == args[:-1] and seconds(fix[-1]) == pytest.approx(
                seconds(args[-1]), rel=0.1
            )
            assert "expected overhead" in warned[f"{env} on {queue}"]["message"]
            assert f"({slow})" in warned[env]["message"]
            assert warned[env]["fix"].startswith(f"submit such jobs with -c {fix[-1]} ")
            assert subprocess.run([QCKPT, *args[1:]], env=shell_env).returncode == 0
            after = json.loads(report("--json", "--mtbi", "24").stdout)["by_env"][env]
            assert after["interval"]["factor"] < 1.05
            ge.run(["qdel", slow], user=sandbox.user)
            wait_finished(ge, sandbox, [slow], timeout=60)
            if engine == "dmtcp":  # what --compress none risks, said for the environment
                said = interval_findings(shell_env, "dmtcp")[env]
                assert said["status"] == "warn" and "exit 97" in said["message"]
            settled = interval_findings(shell_env)
            assert settled[env]["status"] == "pass", settled
            assert f"{env} on {queue}" not in settled
            bad = report("--mtbi", "0")
            assert bad.returncode == 1 and "--mtbi" in bad.stderr
            text = subprocess.run(
                [QCKPT, "report", "--since", "yesterday"], capture_output=True, text=True,
                env=shell_env,
            )  # fmt: skip
            assert text.returncode == 1 and text.stderr.count("\n") == 1
            assert "--since" in text.stderr
        finally:
            ge.run(["qdel", *(j for j in (running, moved, slow) if j)], check=False)
            wait_finished(ge, sandbox, [running, moved], timeout=60)
