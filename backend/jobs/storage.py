"""ckpt_dir usage: per task directory, per owner, orphans, and the file system around it.

Sizes are what `du -s` says, each hard-linked inode once (DMTCP generations are hard links
of the images): one du run measures every new or changed task directory. A task
directory's own mtime changes whenever the hooks write (a generation is created and
renamed in it, a program replaces its state there), so a rescan lstat()s each task
directory and measures only those whose mtime or inode changed.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from typing import IO

import psutil

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.hooks import layout, safe


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
        cache[uid] = safe.user_name(uid)
    return cache[uid]


@dataclass
class Measured:
    size: int = 0
    generations: int = 0
    partials: int = 0


@dataclass
class DuRun:
    """A `du -B1 --max-depth` started: it writes to a file (a pipe read from Python cost a
    fifth of du's own time) and runs on another core while Python stats."""

    proc: subprocess.Popen
    out: IO[bytes]

    def lines(self) -> list[str]:
        try:
            self.proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return []
        finally:
            self.out.seek(0)
        with self.out:
            return self.out.read().decode(errors="surrogateescape").splitlines()


def start_du(args: list[str], depth: int) -> DuRun | None:
    out = tempfile.TemporaryFile()  # noqa: SIM115 (DuRun.lines closes it)
    try:
        proc = subprocess.Popen(
            ["du", "-B1", f"--max-depth={depth}", "--", *args],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        out.close()
        return None
    return DuRun(proc, out)


def du_tasks(
    args: list[str], depth: int, tasks: set[str], started: DuRun | None = None
) -> dict[str, Measured]:
    """One `du -B1 --max-depth` run: each task dir's size, and from the subdirectories it
    lists, its gen-N (complete, by the hooks' protocol) and gen-N.partial counts."""
    run = started or start_du(args, depth)
    if run is None:
        return {}
    found: dict[str, Measured] = {}
    for line in run.lines():
        size, _, path = line.partition("\t")
        if path in tasks:
            if size.isdigit():
                found.setdefault(path, Measured()).size = int(size)
            continue
        parent, _, name = path.rpartition("/")
        if parent in tasks and name.startswith(layout.GEN_PREFIX):
            entry = found.setdefault(parent, Measured())
            entry.generations += layout.gen_number(name) is not None
            entry.partials += layout.partial_number(name) is not None
    return found


def measure(
    ckpt_dir: str,
    paths: list[str],
    whole: bool,
    chunk: int = 1000,
    started: DuRun | None = None,
) -> dict[str, Measured]:
    """Sizes and generation counts of task dirs: du over the whole ckpt_dir when most are
    new (a first scan; `started` early), else du over just these; a Python walk where du is
    missing."""
    tasks = set(paths)
    if whole:
        found = du_tasks([ckpt_dir], 2, tasks, started)
    else:
        found = {}
        for start in range(0, len(paths), chunk):
            found.update(du_tasks(paths[start : start + chunk], 1, tasks))
    for path in paths:
        if path not in found or not found[path].size:
            try:
                names = os.listdir(path)
            except OSError:
                names = []  # gone since the listing, or unreadable
            found[path] = Measured(
                _walk_size(path),
                sum(1 for n in names if layout.gen_number(n) is not None),
                sum(1 for n in names if layout.partial_number(n) is not None),
            )
    return found


def _walk_size(path: str) -> int:
    seen: set[tuple[int, int]] = set()
    try:
        total = os.lstat(path).st_blocks * 512
    except OSError:
        return 0  # gone since the listing
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
        self.cache: dict[str, tuple[tuple[int, int], TaskUsage]] = {}

    def scan(self, ckpt_dir: str, known_jobs: set[int] | None = None) -> DirUsage:
        """Usage of one ckpt_dir; with known_jobs, task dirs of other jobs are orphans."""
        if not os.path.isdir(ckpt_dir):
            return DirUsage(ckpt_dir, exists=False)
        disk = psutil.disk_usage(ckpt_dir)
        usage = DirUsage(ckpt_dir, exists=True, fs_total=disk.total, fs_free=disk.free)
        with os.scandir(ckpt_dir) as listing:
            # task directories only: any user may put any other name here
            entries = [
                e
                for e in listing
                if layout.parse_task_dir_name(e.name) and e.is_dir(follow_symlinks=False)
            ]
        new = sum(1 for e in entries if e.path not in self.cache)
        # Mostly new (a first scan): one du over it all, started now so that it runs while
        # the directories are stat'ed here.
        whole = new > 100 and new > len(entries) // 2
        started = start_du([ckpt_dir], 2) if whole else None
        current: dict[str, tuple[tuple[int, int], int, str]] = {}
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed since the listing (a job's clean hook)
            current[entry.path] = ((st.st_ino, st.st_mtime_ns), st.st_uid, entry.name)
        changed = [p for p, (sig, _uid, _name) in current.items() if self._stale(p, sig)]
        measured = measure(ckpt_dir, changed, whole, started=started) if changed else {}
        if started is not None and not changed:
            started.proc.kill()
            started.lines()
        for path in changed:
            signature, uid, name = current[path]
            self.cache[path] = (signature, self._task(name, uid, measured[path]))
        for path in [p for p in self.cache if p.startswith(ckpt_dir + os.sep) and p not in current]:
            del self.cache[path]
        for path in current:
            task = self.cache[path][1]
            orphan = known_jobs is not None and task.job_id not in known_jobs
            if task.orphan != orphan:  # cached objects are shared with earlier results
                task = copy.copy(task)
                task.orphan = orphan
                self.cache[path] = (self.cache[path][0], task)
            usage.tasks.append(task)
        usage.tasks.sort(key=lambda t: -t.size)
        usage.used = sum(t.size for t in usage.tasks)
        return usage

    def _stale(self, path: str, signature: tuple[int, int]) -> bool:
        cached = self.cache.get(path)
        return cached is None or cached[0] != signature

    @staticmethod
    def _task(name: str, uid: int, measured: Measured) -> TaskUsage:
        parsed = layout.parse_task_dir_name(name)
        return TaskUsage(
            name=name,
            job_id=parsed[0] if parsed else None,
            task=parsed[1] if parsed else None,
            owner=owner_name(uid),
            size=measured.size,
            generations=measured.generations,
            partials=measured.partials,
        )


def remove_orphans(ckpt_dir: str, names: list[str], known_jobs: set[int]) -> list[str]:
    """Remove task directories of jobs Grid Engine no longer knows (checked again here,
    all of them before anything is removed). shutil.rmtree works through directory fds
    and never follows a link, so a user's link inside cannot turn it elsewhere."""
    for name in names:
        parsed = layout.parse_task_dir_name(name)
        if parsed is None or "/" in name:
            raise ValidationFailed([FieldError(name, "not a task directory of " + ckpt_dir)])
        if parsed[0] in known_jobs:
            raise ValidationFailed([FieldError(name, f"job {parsed[0]} is known to Grid Engine")])
    removed = []
    for name in names:
        path = os.path.join(ckpt_dir, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(name)
    return removed


def known_job_ids(ge) -> set[int]:
    """Every job Grid Engine knows now (any user, any state): one qstat."""
    from qckpt.backend.jobs.listing import parse_qstat_r

    return {int(job.job_id) for job in parse_qstat_r(ge.qstat("-u", "*", "-r").stdout)}


def overview(ge, scanner: StorageScanner | None = None) -> list[tuple[list[str], DirUsage]]:
    """Each ckpt_dir named by a checkpoint environment, with the environments using it."""
    from qckpt.backend.gridengine.envs import EnvStore

    scanner = scanner or StorageScanner()
    dirs: dict[str, list[str]] = {}
    for env in EnvStore(ge).list():
        dirs.setdefault(env.ckpt_dir, []).append(env.name)
    known = known_job_ids(ge)
    return [(names, scanner.scan(path, known)) for path, names in sorted(dirs.items())]
