"""ckpt_dir usage: per task directory, per owner, orphans, and the file system around it.

Sizes are what `du -s` says, each hard-linked inode once (DMTCP generations are hard links
of the images): one du run measures every new or changed task directory. A task
directory's own mtime changes whenever the hooks write (a generation is created and
renamed in it, a program replaces its state there), so a rescan lstat()s each task
directory and measures only those whose mtime or inode changed; an unchanged ckpt_dir
gives the last result again.
"""

from __future__ import annotations

import copy
import os
import shutil
import stat
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


def du_sizes(
    args: list[str], depth: int, tasks: set[str], started: DuRun | None = None
) -> dict[str, int]:
    """One `du -B1 --max-depth` run: the size of each task dir it lists."""
    run = started or start_du(args, depth)
    if run is None:
        return {}
    found: dict[str, int] = {}
    for line in run.lines():
        size, _, path = line.partition("\t")
        if path in tasks and size.isdigit():
            found[path] = int(size)
    return found


def generation_counts(path: str) -> tuple[int, int]:
    """(complete gen-N, gen-N.partial) directories in a task dir, by the hooks' names."""
    try:
        names = os.listdir(path)
    except OSError:
        return 0, 0  # gone since the listing, or unreadable
    gens = partials = 0
    for name in names:
        if name.startswith(layout.GEN_PREFIX):
            gens += layout.gen_number(name) is not None
            partials += layout.partial_number(name) is not None
    return gens, partials


def measure(
    ckpt_dir: str,
    tasks: dict[str, TaskUsage],
    whole: bool,
    chunk: int = 1000,
    started: DuRun | None = None,
) -> None:
    """Fill in the sizes and generation counts of task dirs (path -> its TaskUsage). The
    counts are listed here while du measures the sizes on another core: one du over the
    whole ckpt_dir when most are new (a first scan; `started` early), else du over just
    these; a Python walk where du is missing."""
    for path, task in tasks.items():
        task.generations, task.partials = generation_counts(path)
    paths = list(tasks)
    if whole:
        sizes = du_sizes([ckpt_dir], 1, set(paths), started)
    else:
        sizes = {}
        for start in range(0, len(paths), chunk):
            sizes.update(du_sizes(paths[start : start + chunk], 0, set(paths)))
    for path, task in tasks.items():
        task.size = sizes.get(path) or _walk_size(path)


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
    """Scans ckpt_dirs again and again: per ckpt_dir, each task directory's signature
    (inode, mtime) and usage, and the last result (reused as it is when nothing changed)."""

    def __init__(self) -> None:
        self.cache: dict[str, dict[str, tuple[tuple[int, int], TaskUsage]]] = {}
        self.last: dict[str, tuple[set[int] | None, list[TaskUsage]]] = {}

    def scan(self, ckpt_dir: str, known_jobs: set[int] | None = None) -> DirUsage:
        """Usage of one ckpt_dir; with known_jobs, task dirs of other jobs are orphans."""
        if not os.path.isdir(ckpt_dir):
            return DirUsage(ckpt_dir, exists=False)
        disk = psutil.disk_usage(ckpt_dir)
        usage = DirUsage(ckpt_dir, exists=True, fs_total=disk.total, fs_free=disk.free)
        # A first scan: one du over it all, started now so that it runs while the
        # directories are listed and stat'ed here.
        started = start_du([ckpt_dir], 1) if ckpt_dir not in self.cache else None
        cached = self.cache.setdefault(ckpt_dir, {})
        parse = layout.parse_task_dir_name
        seen: dict[str, None] = {}  # in the listing's order, as before
        changed: list[tuple[str, tuple[int, int], int]] = []  # name, signature, owner
        with os.scandir(ckpt_dir) as listing:
            for entry in listing:
                name = entry.name
                known = cached.get(name)
                # task directories only: any user may put any other name here
                if known is None and not (parse(name) and entry.is_dir(follow_symlinks=False)):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed since the listing (a job's clean hook)
                if known is not None and not stat.S_ISDIR(st.st_mode):
                    continue  # replaced by something else since the last scan
                seen[name] = None
                if known is None or known[0] != (st.st_ino, st.st_mtime_ns):
                    changed.append((name, (st.st_ino, st.st_mtime_ns), st.st_uid))
        # Mostly new: one du over it all rather than over each
        whole = started is not None or (len(changed) > 100 and len(changed) > len(seen) // 2)
        prefix = ckpt_dir.rstrip("/") + "/"
        fresh = {prefix + name: self._task(name, uid) for name, _sig, uid in changed}
        if fresh:
            measure(ckpt_dir, fresh, whole, started=started)
        elif started is not None:
            started.proc.kill()
            started.lines()
        for name, signature, _uid in changed:
            cached[name] = (signature, fresh[prefix + name])
        gone = cached.keys() - seen.keys()
        for name in gone:
            del cached[name]
        last = self.last.get(ckpt_dir)
        if not changed and not gone and last is not None and last[0] == known_jobs:
            usage.tasks = list(last[1])  # nothing changed: the same, already sorted
        else:
            for name in seen:
                task = cached[name][1]
                orphan = known_jobs is not None and task.job_id not in known_jobs
                if task.orphan != orphan:  # cached objects are shared with earlier results
                    task = copy.copy(task)
                    task.orphan = orphan
                    cached[name] = (cached[name][0], task)
                usage.tasks.append(task)
            usage.tasks.sort(key=lambda t: -t.size)
            self.last[ckpt_dir] = (set(known_jobs) if known_jobs is not None else None, usage.tasks)
            usage.tasks = list(usage.tasks)
        usage.used = sum(t.size for t in usage.tasks)
        return usage

    @staticmethod
    def _task(name: str, uid: int) -> TaskUsage:
        """A task dir's usage before it is measured."""
        parsed = layout.parse_task_dir_name(name)
        return TaskUsage(
            name=name,
            job_id=parsed[0] if parsed else None,
            task=parsed[1] if parsed else None,
            owner=owner_name(uid),
            size=0,
            generations=0,
            partials=0,
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
