"""Logging for hooks: Grid Engine throws their output away, so they say it all here.

One short line per event in ckpt_dir/ckpt.log (all jobs), detail in the task's hook.log,
and the task's manifest.json kept current (atomic replace).
"""

from __future__ import annotations

import os
import time
from typing import Any

from . import layout
from .jobinfo import Job


def _append(path: str, line: str, mode: int) -> None:
    """One write() of one line with O_APPEND: lines from many hosts never interleave."""
    data = (line.replace("\n", " ") + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    except OSError:
        return
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, mode)
        os.write(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


class Events:
    def __init__(self, job: Job, verb: str) -> None:
        self.job = job
        self.verb = verb
        self.started = time.time()

    def detail(self, message: str) -> None:
        stamp = layout.now_iso()
        line = f"{stamp} {self.job.host} pid={os.getpid()} {self.verb}: {message}"
        if os.path.isdir(self.job.task_dir):
            _append(os.path.join(self.job.task_dir, layout.HOOK_LOG), line, 0o644)

    def event(self, name: str, **fields: Any) -> None:
        """An event for ckpt.log (and the task log). Fields are key=value, no spaces."""
        parts = [
            layout.now_iso(),
            f"job={self.job.label}",
            f"host={self.job.host}",
            f"user={self.job.owner}",
            f"event={name}",
        ]
        parts += [f"{k}={str(v).replace(' ', '_')}" for k, v in fields.items()]
        line = " ".join(parts)
        # ckpt.log is shared by every user in a 1777 directory: world-appendable.
        _append(os.path.join(self.job.ckpt_dir, layout.CKPT_LOG), line, 0o666)
        self.detail(f"event {name} " + " ".join(f"{k}={v}" for k, v in fields.items()))

    def error(self, message: str) -> None:
        self.detail(f"ERROR {message}")
        self.event("error", verb=self.verb, message=message[:200])
        update_manifest(self.job, last_error={"time": layout.now_iso(), "message": message})


def update_manifest(job: Job, **changes: Any) -> dict[str, Any]:
    """Read-modify-write manifest.json (callers hold the task lock when it matters)."""
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
    if os.path.isdir(job.task_dir):
        layout.write_json_atomic(path, data)
    return data
