"""The setup's last step: a short checkpointing job, checkpointed, migrated, and seen to
restart from its checkpoint, on the cell as it is now set up."""

from __future__ import annotations

import os
import pwd
import time
from typing import Callable

from qckpt.backend.errors import QckptError, ValidationFailed
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs import checkpoint_now
from qckpt.backend.jobs.listing import list_jobs
from qckpt.hooks import errors, layout, taskdir

NAME = "qckpt-smoke"
PROGRAM = '''#!/usr/bin/python3
"""qckpt's smoke-test job: counts; USR1 saves the count in $QCKPT_DIR, USR2 saves and exits
(the signal engine); under DMTCP it is checkpointed whole. --restart reads the count back."""
import json, os, signal, sys, time
state = os.path.join(os.environ["QCKPT_DIR"], "smoke.json")
count = json.load(open(state))["count"] if "--restart" in sys.argv else 0
def save(*_):
    with open(state + ".tmp", "w") as handle:
        json.dump({"count": count}, handle)
    os.replace(state + ".tmp", state)
def stop(*_):
    save()
    sys.exit(0)
signal.signal(signal.SIGUSR1, save)
signal.signal(signal.SIGUSR2, stop)
while count < int(sys.argv[1]):
    count += 1
    print(count, flush=True)
    time.sleep(0.5)
'''


class SmokeFailed(QckptError):
    pass


def shows(hooks_dir: str, env: str, queue: str, user: str) -> list[str]:
    program = os.path.join(hooks_dir, NAME)
    return [
        f"writes {program} (a counter that saves itself on USR1/USR2)",
        f"as {user}: qsub -ckpt {env} -q {queue} -b y {program} 600",
        f"checkpoint it now (the environment's ckpt_command, as {user})",
        "qmod -sj JOB   (migrate: checkpoint, stop, requeue)",
        "wait until Grid Engine restarts it from its checkpoint; then qdel JOB",
    ]


def write_program(hooks_dir: str) -> str:
    path = os.path.join(hooks_dir, NAME)
    with open(path + ".tmp", "w") as handle:
        handle.write(PROGRAM)
    os.chmod(path + ".tmp", 0o755)
    os.replace(path + ".tmp", path)
    return path


def owners_manifest(ckpt_dir: str, task: str, user: str) -> dict:
    """A task's manifest, from its owner's own task directory (taskdir's rule); {} until
    there is a readable one."""
    task_dir = taskdir.find(ckpt_dir, task, pwd.getpwnam(user).pw_uid)
    raw = layout.read_json(os.path.join(task_dir, layout.MANIFEST)) if task_dir else None
    try:
        return layout.check_manifest(raw or {})
    except errors.BadManifest:
        return {}


def wait_for(
    check: Callable[[], object], seconds: float, what: str, who: str = "smoke test"
) -> object:
    """check()'s first true answer, polled twice a second; SmokeFailed after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise SmokeFailed(f"{who}: no {what} within {seconds:g} s")


def run(
    ge: GridEngine,
    hooks_dir: str,
    env_name: str,
    queue: str,
    user: str,
    progress: Callable[[str], None],
) -> str:
    env = next((e for e in EnvStore(ge).list() if e.name == env_name), None)
    if env is None:
        raise SmokeFailed(f"smoke test: no environment {env_name} (run its step first)")
    program = write_program(hooks_dir)
    argv = [
        "qsub",
        "-terse",
        "-ckpt",
        env_name,
        "-q",
        queue,
        "-b",
        "y",
        "-j",
        "y",
        "-o",
        "/dev/null",
        "-N",
        NAME,
        program,
        "600",
    ]
    job = ge.run(argv, user=user, cwd="/tmp").stdout.strip()

    def read() -> dict:
        return owners_manifest(env.ckpt_dir, f"{job}.1", user)

    def running() -> dict | None:
        found = read()
        return found if found.get("state") == "running" else None

    try:
        progress(f"job {job} submitted; waiting for it to start")
        started = wait_for(running, 90, "start")
        progress(f"job {job} runs on {started.get('host')}")
        row = wait_for(
            lambda: next(
                (r for r in list_jobs(ge, envs=[env]) if r.job_id == job and "r" in r.state), None
            ),
            30,
            "running job in qstat",
        )
        try:
            chosen = checkpoint_now.plan(ge, row, env)
            newest = checkpoint_now.take(ge, row, chosen)
            progress(f"checkpoint: generation {newest.get('gen')} written")
        except ValidationFailed as exc:
            progress(f"checkpoint now is not possible from here ({exc}); the migration takes one")
        ge.run(["qmod", "-sj", job])
        progress(f"job {job}: qmod -sj (migrating)")
        moved = wait_for(lambda: (read().get("restarts") or [None])[-1], 180, "restart")
        where = f"{moved['host']} from {moved['gen']}"
        return f"job {job} checkpointed, migrated and restarted on {where}"
    finally:
        ge.run(["qdel", job], check=False)
