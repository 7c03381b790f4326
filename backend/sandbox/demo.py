"""`qckpt sandbox up --demo`: the cell set up with qckpt's own setup steps (the hooks,
ckpt_dir, a signal-engine environment, a DMTCP one where DMTCP is installed, all.q offering
them through qckpt-starter) and a few small, bounded jobs that really checkpoint; one of
them is migrated to another execution host, so the console shows a restart."""

from __future__ import annotations

import os
import shutil
from typing import Callable

from qckpt.backend.gridengine.hosts import hosts_of_queues
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.backend.setup.smoke_test import owners_manifest, wait_for
from qckpt.backend.setup.steps import Answers, steps
from qckpt.hooks import engine_dmtcp

QUEUE = "all.q"
INTERVAL = "00:00:20"  # min_cpu_interval: a checkpoint every 20 s, so GENS goes up
PROGRAMS = os.path.join(os.path.dirname(__file__), "programs")
JOB_PREFIX = "demo-"
MOVED = "demo-count"  # the job the demo migrates to another host

Log = Callable[[str], None]


def jobs(programs: str, dmtcp: bool) -> list[tuple[str, list[str]]]:
    """(name, qsub arguments): counters that end by themselves within half an hour."""
    count, grow = os.path.join(programs, "count.sh"), os.path.join(programs, "grow.py")
    return [
        (MOVED, ["-ckpt", "signal", count, "1800"]),
        ("demo-grow", ["-ckpt", "dmtcp" if dmtcp else "signal", grow, "1800"]),
        ("demo-array", ["-ckpt", "signal", "-t", "1-2", count, "900"]),
        ("demo-held", ["-ckpt", "signal", "-h", count, "60"]),
    ]


def load_demo(sandbox: Sandbox, log: Log = print) -> dict[str, str]:
    """Sets the cell up and submits the demo jobs (once); returns their names and numbers."""
    ge = sandbox.ge()
    dmtcp = engine_dmtcp.installed()  # the sandbox's hosts all run on this machine
    answers = Answers(
        hooks_dir=sandbox.hooks_dir,
        ckpt_dir=sandbox.ckpt_dir,
        templates=["signal", "dmtcp"] if dmtcp else ["signal"],
        queues=[QUEUE],
        job_user=sandbox.user,
        when="xsmr",  # m: a checkpoint every min_cpu_interval
        smoke_test=False,
    )
    if not dmtcp:
        log("DMTCP is not installed (PATH, /opt/dmtcp): the demo uses the signal engine only")
    for step in steps(ge, answers):
        log(f"{step.title}: {step.run(lambda message: None)}")
    QueueStore(ge).set(Target(QUEUE), {"min_cpu_interval": INTERVAL})
    log(f"{QUEUE}: min_cpu_interval {INTERVAL}")
    listing = ge.qstat("-u", sandbox.user, "-r").stdout
    if f"Full jobname:     {JOB_PREFIX}" in listing:
        log("demo jobs already submitted")
        return {}
    programs = copy_programs(sandbox)
    submitted = {}
    for name, args in jobs(programs, dmtcp):
        argv = ["qsub", "-terse", "-N", name, "-b", "y", "-j", "y", "-o", "/dev/null", *args]
        out = ge.run(argv, user=sandbox.user, cwd="/tmp").stdout.strip()
        submitted[name] = out.split(".")[0]
        log(f"as {sandbox.user}: {' '.join(argv[2:])} -> job {submitted[name]}")
    migrate_elsewhere(sandbox, submitted[MOVED], log)
    return submitted


def copy_programs(sandbox: Sandbox) -> str:
    """The demo programs where every execution host (and the job's owner) reads them."""
    folder = os.path.join(sandbox.spool, "demo")
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, 0o755)
    for name in sorted(os.listdir(PROGRAMS)):
        shutil.copy(os.path.join(PROGRAMS, name), os.path.join(folder, name))
        os.chmod(os.path.join(folder, name), 0o755)
    return folder


def migrate_elsewhere(sandbox: Sandbox, job: str, log: Log) -> None:
    """After its first checkpoint, as an administrator moves a job: qalter -q to another
    host's queue instance (allowed while the job runs), then qmod -sj; Grid Engine
    checkpoints it, stops it and starts it again there, from that checkpoint."""
    ge, task = sandbox.ge(), f"{job}.1"

    def manifest() -> dict:
        return owners_manifest(sandbox.ckpt_dir, task, sandbox.user)

    log(f"waiting for job {job}'s first checkpoint (min_cpu_interval {INTERVAL})")
    # its owner's manifest, not the events files: any user may write lines naming the job
    wait_for(lambda: manifest().get("generations"), 150, f"checkpoint of job {job}", "demo")
    host = manifest().get("host")
    others = [h for h in hosts_of_queues(ge, [QUEUE]) if h != host]
    if others:
        ge.run(["qalter", "-q", f"{QUEUE}@{others[0]}", job], user=sandbox.user)
        log(f"qalter -q {QUEUE}@{others[0]} {job}   (only that host may run it now)")
    else:
        log("one execution host only (qckpt sandbox up --hosts 2 adds one): it restarts here")
    ge.run(["qmod", "-sj", job], user=sandbox.user)
    log(f"qmod -sj {job}   (migrate: checkpoint, stop, requeue)")
    restarts = wait_for(lambda: manifest().get("restarts"), 150, f"restart of job {job}", "demo")
    log(f"job {job} restarted on {restarts[-1]['host']} from {restarts[-1]['gen']}")
