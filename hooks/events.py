"""Logging for hooks: Grid Engine throws their output away, so they say it all here.

One short line per event in the owner's own ckpt_dir/events-<user>.log (no file in
ckpt_dir is writable by every user: a shared log let anyone forge, truncate or block
everyone's events), detail in the task's hook.log, and the task's manifest.json kept
current (atomic replace). An event that cannot be written anywhere in ckpt_dir is said in
hook.log and in the manifest, never dropped silently.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from typing import Any, Callable

from . import layout, safe
from .jobinfo import Job
from .launch import FAILED

ROTATE = 8 << 20  # an events file past this is renamed to .1 (one old file kept)


def own_file(ckpt_dir: str, user: str, name_of: Callable, user_of: Callable) -> str:
    """A per-user file of ckpt_dir (events-<user>.log: name_of(user), whose user_of(name)
    is user) when it is free or ours; else one of ours with a suffix (name_of(user, xxxxxxxx):
    the name was taken by someone else's file, a link, a FIFO), found again by its owner."""
    primary = os.path.join(ckpt_dir, name_of(user))
    try:
        st = os.lstat(primary)
    except FileNotFoundError:
        return primary
    if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
        return primary
    try:
        names = sorted(os.listdir(ckpt_dir))
    except OSError:
        names = []
    for name in names:
        if name != name_of(user) and user_of(name) == user:
            path = os.path.join(ckpt_dir, name)
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
                    return path
    return primary  # taken, and no file of ours yet: append() says so and makes one


def append(ckpt_dir: str, user: str, naming: tuple, line: str, rotate_at: int) -> str:
    """Append a line to the user's own file of that naming (name_of, user_of), kept below
    rotate_at; where its name is taken, a file of the user's own. The path written, or
    OSError naming the last path refused."""
    name_of, user_of = naming
    path = own_file(ckpt_dir, user, name_of, user_of)
    for _attempt in range(3):
        try:
            _rotate(path, rotate_at)
            safe.append_line(path, line)
            return path
        except OSError as exc:
            problem = exc
            path = os.path.join(ckpt_dir, name_of(user, secrets.token_hex(4)))
    raise problem


class Events:
    def __init__(self, job: Job, verb: str) -> None:
        self.job = job
        self.verb = verb
        self.events_file: str | None = None

    def detail(self, message: str) -> None:
        stamp = layout.now_iso()
        line = f"{stamp} {self.job.host} pid={os.getpid()} {self.verb}: {message}"
        if not own_task_dir(self.job):
            return  # no task directory (yet), or not ours: the events file still has it
        # OSError: hook.log is not a file of ours (the job's own program put one there)
        with contextlib.suppress(OSError):
            safe.append_line(os.path.join(self.job.task_dir, layout.HOOK_LOG), line)

    def event(self, name: str, **fields: Any) -> None:
        """An event for the owner's events file (and the task log). Fields are key=value,
        no spaces."""
        parts = [
            layout.now_iso(),
            f"job={self.job.label}",
            f"host={self.job.host}",
            f"user={self.job.owner}",
            f"event={name}",
        ]
        parts += [f"{k}={str(v).replace(' ', '_')}" for k, v in fields.items()]
        self._log(" ".join(parts))
        self.detail(f"event {name} " + " ".join(f"{k}={v}" for k, v in fields.items()))

    def _log(self, line: str) -> None:
        if self.events_file:
            with contextlib.suppress(OSError):
                _rotate(self.events_file, ROTATE)
                safe.append_line(self.events_file, line)
                return
        naming = (layout.events_name, layout.events_user)
        try:
            self.events_file = append(self.job.ckpt_dir, self.job.owner, naming, line, ROTATE)
            primary = os.path.join(self.job.ckpt_dir, layout.events_name(self.job.owner))
            if self.events_file != primary:
                self.detail(f"{primary} is {safe.describe(primary)}: events in {self.events_file}")
        except OSError as exc:
            problem = f"{getattr(exc, 'filename', None) or 'events file'}: {exc.strerror or exc}"
            self.detail(f"event not written to ckpt_dir ({problem}): {line}")
            update_manifest(self.job, events_error=problem)

    def error(self, message: str) -> None:
        self.detail(f"ERROR {message}")
        self.event("error", verb=self.verb, message=message[:200])
        update_manifest(self.job, last_error={"time": layout.now_iso(), "message": message})


def own_task_dir(job: Job) -> bool:
    """Whether job.task_dir is the owner's trusted directory (never write into another's)."""
    return safe.trusted_dir(job.task_dir, os.geteuid()) is not None


def _rotate(path: str, limit: int) -> None:
    """Keep a file of ours below limit: rename it to .1 (replacing the old one)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if st.st_size > limit and st.st_uid == os.geteuid() and os.path.isfile(path):
        with contextlib.suppress(OSError):  # .1 is someone else's (sticky): keep appending
            os.replace(path, path + ".1")


def update_manifest(job: Job, **changes: Any) -> dict[str, Any]:
    """Read-modify-write manifest.json (callers hold the task lock when it matters), only
    in a task directory of our own."""
    path = os.path.join(job.task_dir, layout.MANIFEST)
    data = layout.read_json(path) or {
        "job": job.job_id,
        "task": job.task,
        "owner": job.owner,
        "env": job.env_name,
        "generations": [],
        "restarts": [],
        "last_error": None,
    }
    data.update(changes)
    data["updated"] = layout.now_iso()
    if own_task_dir(job):
        layout.write_json_atomic(path, data)
    return data


def fail(message: str, events: Events | None = None) -> int:
    """One clear line in the job's error file (and its log), and the exit status that puts
    the job in error state."""
    print(f"qckpt-starter: {message}", file=sys.stderr)  # the job's error file
    if events is not None:
        events.error(message)
    return FAILED
