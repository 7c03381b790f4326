"""ckpt_dir usage: per task directory, per owner, orphans, and the file system around it.

Sizes are disk blocks as `du` counts them, each hard-linked inode once (DMTCP generations
are hard links of the images). A rescan only walks task directories whose own mtime, or
whose subdirectories' mtimes, changed since the last scan.
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import asdict, dataclass, field

import psutil

from qckpt.hooks import layout

from .errors import FieldError, ValidationFailed


@dataclass
class TaskUsage:
    name: str
    job_id: int | None
    task: int | None
    owner: str
    size: int
    generations: int
    partials: int
    orphan: bool = False


@dataclass
class DirUsage:
    ckpt_dir: str
    exists: bool
    fs_total: int = 0
    fs_free: int = 0
    used: int = 0
    tasks: list[TaskUsage] = field(default_factory=list)

    @property
    def per_owner(self) -> dict[str, int]:
        owners: dict[str, int] = {}
        for task in self.tasks:
            owners[task.owner] = owners.get(task.owner, 0) + task.size
        return dict(sorted(owners.items(), key=lambda kv: -kv[1]))

    @property
    def orphans(self) -> list[str]:
        return [t.name for t in self.tasks if t.orphan]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["per_owner"] = self.per_owner
        data["orphans"] = self.orphans
        return data


def owner_name(uid: int, cache: dict[int, str] = {}) -> str:  # noqa: B006 (a deliberate cache)
    if uid not in cache:
        try:
            cache[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            cache[uid] = str(uid)
    return cache[uid]


def _signature(path: str) -> tuple:
    """Changes when anything is added, removed or renamed in the task dir or its subdirs."""
    parts = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                parts.append((entry.name, entry.stat(follow_symlinks=False).st_mtime_ns))
    return (os.stat(path).st_mtime_ns, tuple(sorted(parts)))


def _walk_size(path: str) -> int:
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += st.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return total


class StorageScanner:
    def __init__(self) -> None:
        self.cache: dict[str, tuple[tuple, TaskUsage]] = {}

    def scan(self, ckpt_dir: str, known_jobs: set[int] | None = None) -> DirUsage:
        """Usage of one ckpt_dir; with known_jobs, task dirs of other jobs are orphans."""
        if not os.path.isdir(ckpt_dir):
            return DirUsage(ckpt_dir, exists=False)
        disk = psutil.disk_usage(ckpt_dir)
        usage = DirUsage(ckpt_dir, exists=True, fs_total=disk.total, fs_free=disk.free)
        with os.scandir(ckpt_dir) as entries:
            dirs = [e for e in entries if e.is_dir(follow_symlinks=False)]
        for entry in dirs:
            task = self._task(entry)
            if task is None:
                continue
            task.orphan = known_jobs is not None and task.job_id not in known_jobs
            usage.tasks.append(task)
        usage.tasks.sort(key=lambda t: -t.size)
        usage.used = sum(t.size for t in usage.tasks)
        return usage

    def _task(self, entry: os.DirEntry) -> TaskUsage | None:
        base = entry.name.split(".stale-")[0]
        parsed = layout.parse_task_dir_name(base)
        try:
            signature = _signature(entry.path)
        except OSError:
            return None
        cached = self.cache.get(entry.path)
        if cached and cached[0] == signature:
            return TaskUsage(**asdict(cached[1]))
        names = os.listdir(entry.path)
        task = TaskUsage(
            name=entry.name,
            job_id=parsed[0] if parsed else None,
            task=parsed[1] if parsed else None,
            owner=owner_name(entry.stat(follow_symlinks=False).st_uid),
            size=_walk_size(entry.path),
            generations=len(layout.complete_generations(entry.path)),
            partials=sum(1 for n in names if layout.partial_number(n) is not None),
        )
        self.cache[entry.path] = (signature, task)
        return TaskUsage(**asdict(task))


def remove_orphans(ckpt_dir: str, names: list[str], known_jobs: set[int]) -> list[str]:
    """Remove task directories of jobs Grid Engine no longer knows (checked again here)."""
    removed = []
    for name in names:
        path = os.path.join(ckpt_dir, name)
        parsed = layout.parse_task_dir_name(name.split(".stale-")[0])
        if parsed is None or os.path.dirname(os.path.normpath(path)) != os.path.normpath(ckpt_dir):
            raise ValidationFailed([FieldError(name, "not a task directory of " + ckpt_dir)])
        if parsed[0] in known_jobs:
            raise ValidationFailed([FieldError(name, f"job {parsed[0]} is known to Grid Engine")])
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
            removed.append(name)
    return removed


def known_job_ids(ge) -> set[int]:
    """Every job Grid Engine knows now (any user, any state): one qstat."""
    from .jobs import parse_qstat_r

    return {int(job.job_id) for job in parse_qstat_r(ge.qstat("-u", "*", "-r").stdout)}


def overview(ge, scanner: StorageScanner | None = None) -> list[tuple[list[str], DirUsage]]:
    """Each ckpt_dir named by a checkpoint environment, with the environments using it."""
    from .envs import EnvStore

    scanner = scanner or StorageScanner()
    dirs: dict[str, list[str]] = {}
    for env in EnvStore(ge).list():
        dirs.setdefault(env.ckpt_dir, []).append(env.name)
    known = known_job_ids(ge)
    return [(names, scanner.scan(path, known)) for path, names in sorted(dirs.items())]
