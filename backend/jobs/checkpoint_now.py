"""Checkpoint now: run the job's environment's ckpt_command as Grid Engine would, with the
job's own values, as the job's owner.

Grid Engine has no "checkpoint this job now" request, so the console runs the hook itself:
DMTCP reaches the job's coordinator (host and port in the manifest) from any host that sees
the ckpt_dir; the signal engine signals the job's process, so only where that process is.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass

from qckpt.backend.errors import FieldError, HookFailed, ValidationFailed
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs.listing import JobRow
from qckpt.hooks import engine_dmtcp, errors, jobinfo, layout, safe


@dataclass
class Plan:
    """What will run, shown before it runs."""

    argv: list[str]
    owner: str
    engine: str

    @property
    def shown(self) -> str:
        return " ".join(self.argv)


def refuse(field: str, rule: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, rule)])


def substitute(command: str, values: dict[str, str]) -> list[str]:
    """Grid Engine's pseudo-variables ($job_id, ...) replaced as sge_execd does, longest
    name first so $job_id never eats into $job_pid's neighbours."""
    for name in sorted(values, key=len, reverse=True):
        command = command.replace(f"${name}", values[name])
    return command.split()


def process_of_job(pid: int, job_id: str) -> bool:
    """Whether `pid` is this job's process on this machine (JOB_ID in its environment)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return f"JOB_ID={job_id}".encode() in handle.read().split(b"\0")
    except OSError:
        return False


def run_as(owner: str, euid: int | None = None) -> list[str]:
    """The prefix that runs a command as the job's owner, or a refusal."""
    euid = os.geteuid() if euid is None else euid
    if pwd.getpwuid(euid).pw_name == owner:
        return []
    if euid == 0:  # util-linux's runuser lives in /usr/sbin, often not on a user's PATH
        return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", owner, "--"]
    raise refuse("owner", f"the hook runs as the job's owner {owner}: run qckpt as root or {owner}")


def plan(ge: GridEngine, row: JobRow, env: CheckpointEnv | None, euid: int | None = None) -> Plan:
    """The command for `row`, or ValidationFailed naming why it cannot run from here."""
    if env is None:
        raise refuse("environment", f"job {row.key} uses no checkpoint environment known here")
    hook = jobinfo.parse_command_line(env.ckpt_command)
    if hook is None:
        raise refuse("ckpt_command", f"{env.name}'s ckpt_command does not call qckpt-hook")
    manifest = row.manifest or {}
    if "t" in row.state:  # the manifest may still be a previous run's, its coordinator gone
        raise refuse(
            "state", f"job {row.key} is {row.state}: Grid Engine is starting it, try again"
        )
    if "r" not in row.state or manifest.get("state") != "running" or not row.task_dir:
        shown = manifest.get("state") or "not started by qckpt-starter"
        raise refuse("state", f"job {row.key} is {row.state} ({shown}): only a running job")
    prefix = run_as(row.owner, euid)
    pid = str(manifest.get("pid") or "")
    if hook.options.engine == "signal":
        if not pid.isdigit():
            raise refuse(
                "pid",
                f"job {row.key}'s manifest records no pid (an older qckpt-starter started it)",
            )
        if not process_of_job(int(pid), row.job_id):
            host = manifest.get("host", "its host")
            raise refuse(
                "host",
                f"job {row.key} runs on {host}: the signal engine signals the job's process,"
                f" so Checkpoint now works only on {host}",
            )
    elif not (manifest.get("coordinator") or {}).get("host"):
        raise refuse("coordinator", f"job {row.key}'s manifest names no DMTCP coordinator")
    env_vars = ge.environment()
    values = {
        "job_id": row.job_id,
        "ja_task_id": row.task if row.task.isdigit() else "0",
        "ckpt_dir": os.path.dirname(row.task_dir),
        "job_pid": pid or "0",
        "job_owner": row.owner,
        "job_name": row.name,
        "host": str(manifest.get("host", "")),
        "queue": row.queue.split("@")[0],
        "ckpt_signal": env.signal,
        "sge_root": env_vars.get("SGE_ROOT", ""),
        "sge_cell": env_vars.get("SGE_CELL", "default"),
    }
    return Plan(prefix + substitute(env.ckpt_command, values), row.owner, hook.options.engine)


# What Checkpoint now passes to the hook, and nothing else: the console may run as root,
# and the hook runs as the job's owner, whose processes can read its /proc/PID/environ.
HOOK_PATH = "/usr/local/bin:/usr/bin:/bin:/opt/dmtcp/bin"
GRID_ENGINE_VARIABLES = ("SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "SGE_EXECD_PORT")


def hook_environment(ge_environment: dict[str, str], owner: str) -> dict[str, str]:
    """A minimal environment for the hook: PATH, the Grid Engine cell's variables, and the
    owner's own HOME, USER and LOGNAME (as a login of the owner would have them)."""
    environ = {k: ge_environment[k] for k in GRID_ENGINE_VARIABLES if ge_environment.get(k)}
    environ["PATH"] = HOOK_PATH
    with contextlib.suppress(errors.EngineError):  # DMTCP where the console finds it
        environ["PATH"] += os.pathsep + engine_dmtcp.find(ge_environment.get("PATH")).bindir
    try:
        home = pwd.getpwnam(owner).pw_dir
    except KeyError:
        home = "/"
    environ.update(HOME=home, USER=owner, LOGNAME=owner)
    return environ


def take(ge: GridEngine, row: JobRow, chosen: Plan) -> dict:
    """Run the plan: the new generation's summary (gen, time, size, seconds), or HookFailed
    with the hook's own error."""
    environ = hook_environment(ge.environment(), row.owner)
    started = layout.now_iso()
    try:
        done = subprocess.run(
            chosen.argv,
            env=environ,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",  # the hook runs as the job's owner and may print their bytes
            timeout=3600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HookFailed(f"checkpoint of job {row.key}: {exc}") from None
    try:
        raw = safe.read_json(os.path.join(row.task_dir or "", layout.MANIFEST)) or {}
        manifest = layout.check_manifest(raw)
    except errors.BadManifest:
        manifest = {}
    if done.returncode != 0:
        last = manifest.get("last_error") or {}
        error = last.get("message") if str(last.get("time", "")) >= started else None
        said = error or safe.plain(done.stderr.strip()) or f"exit {done.returncode}"
        raise HookFailed(f"checkpoint of job {row.key} failed: {said}")
    return (manifest.get("generations") or [{}])[-1]
