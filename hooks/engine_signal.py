"""Application-level engine for programs that save themselves on a signal.

GNU Queue's user-level protocol: on the checkpoint signal (USR1) the program writes its
state into $QCKPT_DIR and continues; on the migrate signal (USR2) it writes its state and
exits; restarted, it is given a restart option (--restart) and reads its state back.
The hook copies the program's files into a generation once they are new and settled.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

from . import layout

SETTLE = 0.5  # seconds the program's files must stay unchanged to count as written
POLL = 0.05
GRACE = 10.0  # seconds between SIGTERM and SIGKILL when a migrating job does not exit


class EngineError(Exception):
    pass


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


def program_files(task_dir: str) -> dict[str, tuple[int, int]]:
    """The program's own files in QCKPT_DIR: relative path -> (size, mtime_ns)."""
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(task_dir):
        rel_folder = os.path.relpath(folder, task_dir)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if not layout.is_reserved(d)]
        for name in files:
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if rel_folder == "." and layout.is_reserved(name):
                continue
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            found[rel] = (st.st_size, st.st_mtime_ns)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def send(pid: int, signum: int) -> None:
    """Signal the job's process group (the program may run under a wrapper shell)."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        raise EngineError(f"job process {pid} is gone") from None
    if pgid == os.getpgid(0):
        signal.signal(signum, signal.SIG_IGN)  # never hit ourselves
    os.killpg(pgid, signum)


def wait_settled(task_dir: str, before: dict, deadline: float, pid: int | None = None) -> dict:
    """Wait until the program's files differ from `before` and stay unchanged for SETTLE."""
    last, since = None, 0.0
    while time.monotonic() < deadline:
        now = program_files(task_dir)
        if now != before and now:
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= SETTLE:
                return now
        elif pid is not None and not alive(pid):
            break
        time.sleep(POLL)
    raise EngineError("the program wrote no new state in QCKPT_DIR before the timeout")


def wait_exit(pid: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(POLL)
    return False


def copy_into(task_dir: str, files: dict, partial: str) -> None:
    for rel in sorted(files):
        target = os.path.join(partial, rel)
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        shutil.copyfile(os.path.join(task_dir, rel), target, follow_symlinks=False)
        os.chmod(target, 0o600)


def checkpoint(task_dir: str, pid: int, signame: str, timeout: float, partial: str) -> dict:
    before = program_files(task_dir)
    send(pid, signal_number(signame))
    files = wait_settled(task_dir, before, time.monotonic() + timeout)
    copy_into(task_dir, files, partial)
    return {"files": sorted(files)}


def migrate(task_dir: str, pid: int, signame: str, timeout: float, partial: str) -> dict:
    """Ask the program to save and exit; copy what it saved. Always ends the job."""
    before = program_files(task_dir)
    send(pid, signal_number(signame))
    deadline = time.monotonic() + timeout
    exited = wait_exit(pid, deadline)
    if not exited:
        stop(pid)
        raise EngineError(f"the job did not exit within {timeout:g} s of {signame}; stopped it")
    files = program_files(task_dir)
    if files == before or not files:
        raise EngineError("the job exited without writing new state in QCKPT_DIR")
    copy_into(task_dir, files, partial)
    return {"files": sorted(files)}


def stop(pid: int) -> None:
    for signum, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, 2.0)):
        try:
            send(pid, signum)
        except (EngineError, ProcessLookupError):
            return
        if wait_exit(pid, time.monotonic() + wait):
            return


def restore(generation: str, task_dir: str) -> list[str]:
    """Put a generation's files back into QCKPT_DIR, each replaced atomically."""
    restored = []
    for folder, _dirs, files in os.walk(generation):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), generation)
            if rel == layout.META:
                continue
            target = os.path.join(task_dir, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = os.path.join(os.path.dirname(target), ".qckpt-restore-" + name)
            shutil.copyfile(os.path.join(folder, name), tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
            restored.append(rel)
    return sorted(restored)
