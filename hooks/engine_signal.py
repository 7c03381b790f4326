"""Application-level engine for programs that save themselves on a signal.

GNU Queue's user-level protocol: on the checkpoint signal (USR1) the program writes its
state into $QCKPT_DIR and continues; on the migrate signal (USR2) it writes its state and
exits; restarted, it is given a restart option (--restart) and reads its state back.
The hook copies the program's files into a generation once they are new and settled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import time
from typing import Callable, Iterator, List, Optional

from . import layout, safe, taskdir
from .errors import EngineError

DEFAULT_SIGNALS = {"checkpoint": "USR1", "migrate": "USR2"}
SETTLE = 0.5  # seconds the program's files must stay unchanged to count as written
POLL = 0.05
GRACE = 10.0  # seconds between SIGTERM and SIGKILL when a migrating job does not exit


def signal_of(verb: str, configured: str | None) -> str:
    """The signal a verb sends: the environment's --signal, else USR1 to checkpoint and USR2
    to migrate."""
    return configured or DEFAULT_SIGNALS[verb]


def signal_number(name: str) -> int:
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    if not text.startswith("SIG"):
        text = "SIG" + text
    try:
        return int(getattr(signal, text))
    except AttributeError:
        raise EngineError(f"unknown signal {name}") from None


def program_files(state_dir: str) -> dict[str, tuple[int, int]]:
    """The program's regular files in QCKPT_DIR: relative path -> (size, mtime_ns). Links
    are not followed (os.walk's default) and not listed."""
    found: dict[str, tuple[int, int]] = {}
    for folder, _dirs, files in os.walk(state_dir):
        rel_folder = os.path.relpath(folder, state_dir)
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found[os.path.normpath(os.path.join(rel_folder, name))] = (
                    st.st_size,
                    st.st_mtime_ns,
                )
    return found


def alive(pid: int) -> bool:
    try:
        return process_state(pid) not in ("Z", "X")
    except (OSError, IndexError):
        return False


def process_state(pid: int) -> str:
    """R, S, D, T, Z... as /proc/PID/stat says (OSError when it is gone)."""
    return stat_fields(pid)[0]


def send(pid: int, signum: int) -> None:
    """Signal the job's whole process group (to stop it: SIGTERM, then SIGKILL)."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        raise EngineError(f"job process {pid} is gone") from None
    if pgid == os.getpgid(0):
        signal.signal(signum, signal.SIG_IGN)  # never hit ourselves
    os.killpg(pgid, signum)


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def session_of(pid: int) -> int | None:
    try:
        return int(stat_fields(pid)[3])  # state, ppid, pgrp, session
    except (OSError, IndexError, ValueError):
        return None


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for signum: the kernel's SigCgt bitmask in
    /proc/PID/status (bit signum-1). A shell that traps the signal catches it; a shell
    without a trap, `sleep` or `tee` do not, and the default action would end them."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return "?"


# A starter that stays the job's parent (a DMTCP job, or a run with a time limit) catches
# the signals Grid Engine sends only to outlive them: the job's processes are the others.
STARTER = "qckpt-starter"


def job_processes(pid: int) -> list[int]:
    """The job's processes: every process in the session of its first process (the
    shepherd starts each job as a session of its own), pipelines and children included."""
    session = session_of(pid)
    if session is None:
        raise EngineError(f"job process {pid} is gone")
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid() and session_of(int(name)) == session:
            found.append(int(name))
    return sorted(found)


def deliver(pid: int, signum: int) -> list[int]:
    """Send signum to each of the job's processes that catches it, and to no other: a
    wrapper shell or a `tee` in a pipeline would be ended by a signal it does not handle.
    EngineError when none catches it (then nothing at all is signalled)."""
    processes = [p for p in job_processes(pid) if command_name(p) != STARTER]
    catching = [p for p in processes if catches(p, signum)]
    if not catching:
        name = signal.Signals(signum).name
        seen = ", ".join(f"{command_name(p)} {p}" for p in processes[:8]) or "none"
        raise EngineError(
            f"no process of the job handles {name} (looked at {seen}): nothing was signalled;"
            f" the program must catch {name} (in a shell script: trap '...' {name[3:]})"
        )
    for process in catching:
        try:
            os.kill(process, signum)
        except ProcessLookupError:
            continue
    return catching


@contextlib.contextmanager
def frozen(pid: int) -> Iterator[None]:
    """The job's processes stopped (SIGSTOP) while a copy of its files is taken, then
    continued. Ones already stopped (a job Grid Engine suspended) stay as they were."""
    stopped = []
    try:
        for process in job_processes(pid):
            with contextlib.suppress(OSError, IndexError):
                if stat_fields(process)[0] not in ("T", "t", "Z", "X"):
                    os.kill(process, signal.SIGSTOP)
                    stopped.append(process)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not all(_stopped(p) for p in stopped):
            time.sleep(0.005)
        yield
    finally:
        for process in stopped:
            with contextlib.suppress(OSError):
                os.kill(process, signal.SIGCONT)


def _stopped(pid: int) -> bool:
    try:
        return stat_fields(pid)[0] in ("T", "t", "Z", "X")
    except (OSError, IndexError):
        return True  # gone


def wait_settled(state_dir: str, before: dict, deadline: float, pid: int) -> tuple[dict, float]:
    """Wait until the program's files differ from `before` and stay unchanged for SETTLE
    (EngineError when the job ends first or the deadline passes): the files, and when
    they were last seen changing (time.monotonic)."""
    last, since = None, 0.0
    while time.monotonic() < deadline:
        now = program_files(state_dir)
        if now != before and now:
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= SETTLE:
                return now, since
        elif not alive(pid):
            raise EngineError(f"job process {pid} ended before it wrote new state in QCKPT_DIR")
        time.sleep(POLL)
    raise EngineError("the program wrote no new state in QCKPT_DIR before the timeout")


def wait_exit(pid: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(POLL)
    return False


def copy_into(state_dir: str, files: dict, partial: str) -> None:
    """Copy the program's files into the partial generation, each 0600 in 0700 folders."""
    for rel in sorted(files):
        target = os.path.join(partial, rel)
        os.makedirs(os.path.dirname(target), mode=layout.PRIVATE, exist_ok=True)
        copy_regular(os.path.join(state_dir, rel), target)


def copy_regular(source: str, target: str) -> None:
    """source (a regular file, never through a link) to a new file target, mode 0600."""
    src = safe.open_regular(source)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | safe.NOFOLLOW, 0o600)
        try:
            while True:
                chunk = os.read(src, 1 << 20)
                if not chunk:
                    break
                os.write(dst, chunk)
        finally:
            os.close(dst)
    finally:
        os.close(src)


Tasks = Optional[Callable[[], List[dict]]]  # a parallel job's other hosts (pe_task.py)


def checkpoint(
    state_dir: str, pid: int, signame: str, timeout: float, partial: str, tasks: Tasks = None
) -> dict:
    before = program_files(state_dir)
    sent = time.monotonic()
    deliver(pid, signal_number(signame))
    answers = tasks() if tasks else []
    refused(answers)
    files, written = wait_settled(state_dir, before, time.monotonic() + timeout, pid)
    copy_into(state_dir, files, partial)
    # the checkpoint's cost to the job: the program saving its state, from the signal
    stopped = round(max(0.0, written - sent), 3)
    return {"files": sorted(files), "stopped": stopped, **signalled(answers)}


def refused(answers: list[dict]) -> None:
    """EngineError naming each host whose ranks were not signalled: without their state
    the generation would not be the whole job's."""
    failed = [f"{a.get('host')}: {a['error']}" for a in answers if a.get("error")]
    if failed:
        raise EngineError("the job's task on " + "; on ".join(failed))


def signalled(answers: list[dict]) -> dict:
    """For the generation's meta: the other hosts' tasks, as signalled."""
    if not answers:
        return {}
    return {"hosts": sorted({a["host"] for a in answers}), "tasks": len(answers)}


def migrate(
    state_dir: str, pid: int, signame: str, timeout: float, partial: str, tasks: Tasks = None
) -> dict:
    """Ask the program to save and exit; copy what it saved. Always ends the job (a parallel
    job's master waits for its ranks: their state is written when it exits)."""
    before = program_files(state_dir)
    sent = time.monotonic()
    try:
        deliver(pid, signal_number(signame))
        answers = tasks() if tasks else []
        refused(answers)
    except EngineError as exc:
        stop(pid)  # a migration must end the job: Grid Engine requeues it either way
        raise EngineError(f"{exc}; the job was stopped (TERM, then KILL)") from None
    deadline = time.monotonic() + timeout
    exited = wait_exit(pid, deadline)
    if not exited:
        stop(pid)
        raise EngineError(f"the job did not exit within {timeout:g} s of {signame}; stopped it")
    stopped = round(time.monotonic() - sent, 3)  # saving, then exiting: its last checkpoint
    files = program_files(state_dir)
    if files == before or not files:
        raise EngineError("the job exited without writing new state in QCKPT_DIR")
    copy_into(state_dir, files, partial)
    return {"files": sorted(files), "stopped": stopped, **signalled(answers)}


def stop(pid: int) -> None:
    for signum, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, 2.0)):
        try:
            send(pid, signum)
        except (EngineError, ProcessLookupError):
            return
        if wait_exit(pid, time.monotonic() + wait):
            return


def restore(generation: str, state_dir: str) -> list[str]:
    """Put a generation's files back into QCKPT_DIR, each replaced atomically. Nothing is
    followed through a link: folders on the way must be real folders of ours, and a link
    where a file goes is replaced, not written through."""
    restored = []
    for folder, dirs, files in os.walk(generation):
        rel_folder = os.path.relpath(folder, generation)
        if rel_folder == "." and layout.TMPDIR in dirs:
            dirs.remove(layout.TMPDIR)  # the job's $TMPDIR goes back there (tmpdir.put_back)
        target_folder = state_dir
        for part in [] if rel_folder == "." else rel_folder.split(os.sep):
            target_folder = taskdir.private_dir(target_folder, part)
        for name in files:
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if rel == layout.META:
                continue
            source = os.path.join(folder, name)
            if not stat.S_ISREG(os.lstat(source).st_mode):
                continue
            tmp = os.path.join(target_folder, f".qckpt-restore-{os.getpid()}-{name}")
            if os.path.lexists(tmp):
                os.unlink(tmp)
            copy_regular(source, tmp)
            os.replace(tmp, os.path.join(target_folder, name))
            restored.append(rel)
    return sorted(restored)
