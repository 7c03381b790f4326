"""Helpers for tests that run real jobs on the sandbox cell as its ordinary job user."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from qckpt.backend.gridengine import pes
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs import events
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.backend.setup.hooks_install import install
from qckpt.backend.setup.templates import from_template
from qckpt.hooks import engine_dmtcp

PROGRAMS = Path(__file__).parent.parent / "programs"


def has_dmtcp() -> bool:
    """DMTCP where the hooks look for it (PATH, then /opt/dmtcp/bin)."""
    return engine_dmtcp.installed()


def share_programs(sandbox: Sandbox) -> str:
    """Copy tests/programs where the job user can run them (the checkout may be private)."""
    target = os.path.join(sandbox.spool, "testprograms")
    os.makedirs(target, exist_ok=True)
    os.chmod(target, 0o755)
    for path in PROGRAMS.iterdir():
        shutil.copy(path, os.path.join(target, path.name))
        os.chmod(os.path.join(target, path.name), 0o755)
    return target


def compiled(sandbox: Sandbox, name: str) -> str:
    """tests/programs/NAME.c compiled where the job user can run it; the binary's path."""
    folder = share_programs(sandbox)
    binary = os.path.join(folder, name)
    subprocess.run(["gcc", "-O2", "-o", binary, os.path.join(folder, f"{name}.c")], check=True)
    os.chmod(binary, 0o755)
    return binary


def scratch(sandbox: Sandbox, name: str) -> str:
    """A fresh directory the job user can write job output into."""
    path = os.path.join(sandbox.spool, "scratch", name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    os.chmod(os.path.dirname(path), 0o755)
    os.chmod(path, 0o1777)
    return path


def events_of(ckpt_dir: str, job: str, task: int = 1) -> list[str]:
    """The events the owners' events files hold for one task of job, in order."""
    return [e.event for e in events.read(ckpt_dir, f"{job}.{task}").events]


def compressed(image: str) -> bool:
    """Whether a DMTCP image is a gzip stream (DMTCP's default) rather than plain."""
    with open(image, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def submit(ge: GridEngine, sandbox: Sandbox, *args: str, stdin: str | None = None) -> str:
    out = ge.run(["qsub", *args], user=sandbox.user, cwd="/tmp", input=stdin).stdout
    match = re.search(r"Your job(?:-array)? (\d+)", out)
    assert match, out
    return match.group(1)


def running_jobs(ge: GridEngine, sandbox: Sandbox) -> set[str]:
    out = ge.qstat("-u", sandbox.user).stdout
    return {line.split()[0] for line in out.splitlines()[2:] if line.strip()}


def wait_until(check, timeout: float, what: str, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def wait_finished(ge: GridEngine, sandbox: Sandbox, jobs: list[str], timeout: float = 180) -> None:
    wait_until(lambda: not (set(jobs) & running_jobs(ge, sandbox)), timeout, f"jobs {jobs}")


def accounting(
    ge: GridEngine, job: str, records: int = 1, timeout: float = 30
) -> list[dict[str, str]]:
    """qacct -j JOB as one dict per record, once it holds `records` (one per run)."""

    def read():
        result = ge.run(["qacct", "-j", job], check=False)
        if result.returncode != 0:
            return None
        found, current = [], None
        for line in result.stdout.splitlines():
            if line.startswith("====="):
                current = {}
                found.append(current)
            elif current is not None and line.strip():
                key, _, value = line.partition(" ")
                current[key] = value.strip()
        return found if len(found) >= records else None

    return wait_until(read, timeout, f"{records} accounting records of job {job}")


@contextmanager
def checkpointing_queue(
    sandbox: Sandbox, env_name: str, template: str, hosts: str | None = None, **options
):
    """Installed hooks, an environment from a template, and a queue of its own (on this
    host, or `hosts`) that offers it through qckpt-starter with a 3 s min_cpu_interval.
    Yields the queue's name."""
    ge = sandbox.ge()
    install(sandbox.hooks_dir)
    os.makedirs(sandbox.ckpt_dir, exist_ok=True)
    os.chmod(sandbox.ckpt_dir, 0o1777)
    env = from_template(env_name, template, sandbox.hooks_dir, sandbox.ckpt_dir, **options)
    EnvStore(ge).add(env)
    queue = f"cq{uuid.uuid4().hex[:6]}"
    sandbox.add_queue(queue, hosts)
    try:
        queues = QueueStore(ge)
        starter = os.path.join(sandbox.hooks_dir, "qckpt-starter")
        queues.attach(env.name, Target(queue), starter=starter)
        queues.set(Target(queue), {"min_cpu_interval": "00:00:03"})
        yield queue
    finally:
        delete_queue(ge, queue)


def delete_queue(ge: GridEngine, queue: str) -> None:
    """qconf -dq, waiting for jobs deleted a moment ago to leave the queue."""
    for _ in range(60):
        result = ge.qconf("-dq", queue, check=False)
        if result.returncode == 0 or "does not exist" in result.message:
            return
        time.sleep(0.5)


@contextmanager
def parallel_environment(ge: GridEngine, name: str, queue: str, **attrs: str):
    """A PE as MPI sites make them for tight integration (`attrs` changes it): one slot per
    host, tasks started by `qrsh -inherit` (control_slaves), the job script being the first
    task; on `queue`."""
    ge.qconf_file("-Ap", pes.pe_text(name, "1", **attrs))
    try:
        ge.qconf("-mattr", "queue", "pe_list", name, queue)
        yield name
    finally:
        ge.qconf("-rattr", "queue", "pe_list", "NONE", queue, check=False)
        for _ in range(60):  # a job deleted a moment ago may still hold it for a few seconds
            result = ge.qconf("-dp", name, check=False)
            if result.returncode == 0 or "referenced in job" not in result.message:
                break
            time.sleep(0.5)
        if ge.qconf("-sp", name, check=False).returncode == 0:
            ge.qconf("-dp", name)  # still there: a PE left behind fails the test here
