"""The on-disk layout of ckpt_dir, defined once here; the backend reads it from here.

<ckpt_dir>/ckpt.log                one line per event, every job (O_APPEND)
<ckpt_dir>/<job>.<task>/           the task's directory (QCKPT_DIR), owned by the job owner
    manifest.json                  state for the console: no secrets, readable by the admin
    hook.log                       this task's detailed hook log
    gen-000004/                    a complete generation (images 0600 + meta.json)
    gen-000005.partial/            a generation being written; never used for a restart
    current -> gen-000004          switched atomically after a generation is complete
    .lock                          serializes checkpoint/migrate/clean of the task

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from typing import Any

CKPT_LOG = "ckpt.log"
MANIFEST = "manifest.json"
HOOK_LOG = "hook.log"
CURRENT = "current"
LOCK = ".lock"
META = "meta.json"
GEN_PREFIX = "gen-"
PARTIAL_SUFFIX = ".partial"
RESERVED = (MANIFEST, HOOK_LOG, CURRENT, LOCK, "dmtcp")
_GEN = re.compile(r"^gen-(\d{6})$")
_PARTIAL = re.compile(r"^gen-(\d{6})\.partial$")
_TASK_DIR = re.compile(r"^(\d+)\.(\d+)$")


def task_number(ja_task_id: str | None) -> str:
    """Grid Engine numbers a non-array job's single task 1 ($ja_task_id says 0, or undefined)."""
    if ja_task_id and ja_task_id.isdigit() and int(ja_task_id) > 0:
        return str(int(ja_task_id))
    return "1"


def task_dir_name(job_id: str, ja_task_id: str | None) -> str:
    return f"{job_id}.{task_number(ja_task_id)}"


def parse_task_dir_name(name: str) -> tuple[int, int] | None:
    match = _TASK_DIR.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def gen_name(number: int) -> str:
    return f"{GEN_PREFIX}{number:06d}"


def gen_number(name: str) -> int | None:
    match = _GEN.match(name)
    return int(match.group(1)) if match else None


def partial_number(name: str) -> int | None:
    match = _PARTIAL.match(name)
    return int(match.group(1)) if match else None


def is_reserved(name: str) -> bool:
    return name in RESERVED or name.startswith(GEN_PREFIX) or name.startswith(".qckpt")


def complete_generations(task_dir: str) -> list[int]:
    """Numbers of complete generations (renamed from .partial, with their meta), ascending."""
    numbers = []
    try:
        names = os.listdir(task_dir)
    except FileNotFoundError:
        return []
    for name in names:
        number = gen_number(name)
        if number is not None and os.path.isfile(os.path.join(task_dir, name, META)):
            numbers.append(number)
    return sorted(numbers)


def newest_complete(task_dir: str) -> str | None:
    numbers = complete_generations(task_dir)
    return os.path.join(task_dir, gen_name(numbers[-1])) if numbers else None


def read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json_atomic(path: str, data: dict[str, Any], mode: int = 0o644) -> None:
    """Replace path atomically: a reader sees the old or the new file, never a torn one."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".qckpt-", dir=folder)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_symlink(link: str, target: str) -> None:
    """Point link at target atomically (a new symlink renamed over the old one)."""
    tmp = f"{link}.qckpt-{os.getpid()}"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(os.path.dirname(link) or ".")


def now_iso(stamp: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp if stamp else time.time()))


def tree_size(path: str) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total
