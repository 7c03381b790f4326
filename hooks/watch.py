"""A job run as the starter's child: a DMTCP job always, a signal-engine job when its run
has a time limit (runs.py). For DMTCP, the starter runs dmtcp_launch or dmtcp_restart and
asks the job's coordinator until it reports the job RUNNING with its processes (recorded
in the manifest); a restore that dies before that (by a signal, or with DMTCP's failure
code) is reported to the starter, which falls back to an older generation. Then the
starter waits for the job, or for the run's time limit, and ends as the job ended (exit
code, or the same signal).

Why a parent that stays, and not an exec as for a signal-engine job without a limit: a
restore can die at once (a broken image: mtcp_restart asserts and segfaults), and an
exec'd job's death is the end of the run; and only a parent can stop a run at its limit
and exit 99 for Grid Engine to requeue it. The job stays in the process group Grid Engine
signals: it is the starter's child, not a session or group leader, so DMTCP has no
session to recreate at a restart (it makes a restored session leader one again with
setsid). Signals the shepherd sends to the group reach the job directly; the starter only
outlives them.

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass

from . import engine_dmtcp, engine_signal, generations, layout, runs
from .events import Events, update_manifest
from .jobinfo import Job
from .launch import exec_job

POLL = 0.25
_PEERS = re.compile(r"NUM_PEERS=(\d+)")
# Signals the shepherd may send to the job's process group (suspend's SIGSTOP aside): the
# starter catches them with a handler that does nothing (an exec resets that to the
# default, so the job gets them as it would have), and lives on until the job ends.
PASSED_ON = (
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGUSR1",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
)


@dataclass
class Outcome:
    status: int  # os.waitpid's status of the job
    restore_failed: bool = False
    reason: str = ""
    at_limit: int = 0  # the run reached its time limit: the job's pid (it still runs)


def pass_signals_on() -> None:
    for name in PASSED_ON:
        signal.signal(getattr(signal, name), lambda *_args: None)


def status(command: list[str]) -> tuple[bool, int] | None:
    """(RUNNING, NUM_PEERS) as `dmtcp_command -s` reports them; None if it cannot answer."""
    try:
        result = subprocess.run(
            [*command, "-s"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    peers = _PEERS.search(result.stdout)
    if result.returncode != 0 or not peers:
        return None
    return "RUNNING=yes" in result.stdout, int(peers.group(1))


def spawn(filename: str, argv: list[str], env: dict[str, str]) -> int:
    child = os.fork()
    if child == 0:
        try:
            exec_job(filename, argv, env)
        finally:
            os._exit(127)
    return child


def run(
    job: Job,
    events: Events,
    launch: tuple[str, list[str], dict[str, str]],
    generation: str | None,
    timeout: float,
    engine: str,
    began: float,
    limit: runs.Limit | None,
) -> Outcome:
    """Start the job, watch it come up (DMTCP), wait for its end or the run's limit."""
    child = spawn(*launch)
    if engine == "signal":
        return waited(child, began, limit)
    command = engine_dmtcp.command_of(
        engine_dmtcp.find(launch[2].get("PATH")), engine_dmtcp.coordinator_of(job)
    )
    expected = sum(1 for arg in launch[1] if arg.endswith(".dmtcp")) if generation else 0
    gen = os.path.basename(generation) if generation else "none"
    while True:
        pid, wait_status = os.waitpid(child, os.WNOHANG)
        if pid:
            return ended_early(job, events, command, generation, wait_status)
        found = status(command)
        if found and found[0] and found[1] > 0:
            record(job, "RUNNING", found[1])
            secs = round(time.monotonic() - began, 3)
            events.event("running", gen=gen, processes=found[1], secs=secs)
            break
        late = time.monotonic() - began > timeout
        dead = died_restoring(child) if expected else 0
        if dead or (expected and late):
            how = f"{dead} of its {expected} processes died restoring"
            if not dead:
                how = f"not running after {timeout:g} s"
            return abandon(job, events, command, generation, child, how)
        if late:
            events.error(f"DMTCP did not report the job running within {timeout:g} s")
            record(job, "NOT RUNNING", None)
            break
        time.sleep(POLL)
    return waited(child, began, limit)


def waited(child: int, began: float, limit: runs.Limit | None) -> Outcome:
    wait_status = runs.wait(child, began, limit)
    return Outcome(0, at_limit=child) if wait_status is None else Outcome(wait_status)


def died_restoring(child: int) -> int:
    """Processes of the restore that died while DMTCP restored them: a zombie child of the
    first one still named mtcp_restart (a restored process takes its program's name). The
    others would wait for them for ever; gzip decompressors end as zombies when all is well."""
    dead = 0
    for process in engine_signal.job_processes(os.getpid()):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = engine_signal.stat_fields(process)  # state, ppid, ...
            orphan = fields[0] == "Z" and int(fields[1]) == child
            if orphan and engine_signal.command_name(process) == "mtcp_restart":
                dead += 1
    return dead


def ended_early(
    job: Job, events: Events, command: list[str], generation: str | None, wait_status: int
) -> Outcome:
    """The job ended before DMTCP reported it running. From a generation, by a signal or
    with DMTCP's failure code, that is a restore that died; anything else is the job's."""
    died = os.WIFSIGNALED(wait_status) or (
        os.WIFEXITED(wait_status) and os.WEXITSTATUS(wait_status) == engine_dmtcp.FAIL_RC
    )
    if generation is None or not died:
        return Outcome(wait_status)
    how = (
        f"killed by {signal.Signals(os.WTERMSIG(wait_status)).name}"
        if os.WIFSIGNALED(wait_status)
        else f"exit {engine_dmtcp.FAIL_RC}"
    )
    return failed(job, events, command, generation, wait_status, how)


def abandon(
    job: Job, events: Events, command: list[str], generation: str, child: int, how: str
) -> Outcome:
    """A restore that will not come up: it is ended (failed)."""
    end_session()
    wait_status = os.waitpid(child, 0)[1]
    return failed(job, events, command, generation, wait_status, how)


def end_session() -> None:
    """Kill every other process of the job's session: what a failed restore left (its
    coordinator among them), so that nothing of it outlives the attempt."""
    for process in engine_signal.job_processes(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(process, signal.SIGKILL)


def failed(
    job: Job, events: Events, command: list[str], generation: str, wait_status: int, how: str
) -> Outcome:
    subprocess.run([*command, "-q"], capture_output=True, timeout=30)  # if it is still there
    end_session()
    reason = f"its restore on {job.host} failed at once ({how}; see the job's error file)"
    events.event("restart-failed", gen=os.path.basename(generation), how=how)
    record(job, "FAILED", None, failed=reason)
    return Outcome(wait_status, restore_failed=True, reason=reason)


def exit_like(wait_status: int) -> int:
    """End the starter as the job ended: its exit code, or killed by the same signal."""
    if os.WIFSIGNALED(wait_status):
        signum = os.WTERMSIG(wait_status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        time.sleep(1)  # a stopping signal aside, not reached
        return 128 + signum
    return os.WEXITSTATUS(wait_status)


def record(job: Job, state: str, processes: int | None, failed: str | None = None) -> None:
    """The coordinator's report in the manifest, and in the newest restart's entry."""
    with generations.TaskLock(job.task_dir, 30):
        manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
        coordinator = dict(manifest.get("coordinator") or {}, state=state, time=layout.now_iso())
        if processes is not None:
            coordinator["processes"] = processes
        changes: dict = {"coordinator": coordinator}
        restarts = list(manifest.get("restarts") or [])
        if restarts and coordinator.get("gen") == restarts[-1].get("gen"):
            key, value = ("failed", failed) if failed else ("running", layout.now_iso())
            if state in ("RUNNING", "FAILED"):
                restarts[-1] = dict(restarts[-1], **{key: value})
                changes["restarts"] = restarts
        update_manifest(job, **changes)
