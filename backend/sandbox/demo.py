"""A small demo on the sandbox cell: a checkpoint environment, a queue using it, a few jobs."""

from __future__ import annotations

import os
import pwd

from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.sandbox.cell import Sandbox

DEMO_ENV = "demo"
DEMO_JOB_PREFIX = "demo-"


def demo_env(ckpt_dir: str) -> CheckpointEnv:
    """Grid Engine sends USR1 to the job at each checkpoint; no commands are needed."""
    return CheckpointEnv(
        name=DEMO_ENV,
        interface="userdefined",
        ckpt_command="NONE",
        migr_command="NONE",
        restart_command="NONE",
        clean_command="NONE",
        ckpt_dir=ckpt_dir,
        signal="USR1",
        when="xsr",
    )


def load_demo(sandbox: Sandbox, log=print) -> None:
    ge = sandbox.ge()
    os.makedirs(sandbox.ckpt_dir, exist_ok=True)
    os.chmod(sandbox.ckpt_dir, 0o1777)
    envs = EnvStore(ge)
    if DEMO_ENV not in envs.names():
        envs.add(demo_env(sandbox.ckpt_dir))
        log(f"added checkpoint environment {DEMO_ENV}")
    queues = QueueStore(ge)
    if DEMO_ENV not in split_list(queues.get("all.q").value("ckpt_list")):
        queues.attach(DEMO_ENV, Target("all.q"))
        log(f"attached {DEMO_ENV} to all.q")
    listing = ge.qstat("-u", sandbox.user, "-r").stdout
    if f"Full jobname:     {DEMO_JOB_PREFIX}" in listing:
        log("demo jobs already submitted")
        return
    home = pwd.getpwnam(sandbox.user).pw_dir
    jobs = [("demo-long-1", []), ("demo-long-2", []), ("demo-held", ["-h"])]
    for name, extra in jobs:
        ge.run(
            [
                "qsub",
                "-b",
                "y",
                "-N",
                name,
                "-ckpt",
                DEMO_ENV,
                "-o",
                "/dev/null",
                "-j",
                "y",
                *extra,
                "/bin/sleep",
                "3600",
            ],
            user=sandbox.user,
            cwd=home,
        )
    log(f"submitted {len(jobs)} demo jobs as {sandbox.user}")
