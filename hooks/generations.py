"""Crash-safe checkpoint generations.

A generation is written into gen-N.partial, fsynced, given its meta.json last, then renamed
to gen-N; only then does `current` move. A crash at any point leaves the previous complete
generation untouched, and a restart never uses a .partial. Everything happens under the
task lock, so overlapping checkpoint requests are serialized, never interleaved.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
import zlib
from typing import Any

from . import layout, safe
from .errors import LockTimeout


class TaskLock:
    """An exclusive flock on <task_dir>/.lock, waited for up to `timeout` seconds."""

    def __init__(self, task_dir: str, timeout: float) -> None:
        self.path = os.path.join(task_dir, layout.LOCK)
        self.timeout = timeout
        self.fd = -1

    def __enter__(self) -> TaskLock:
        self.fd = safe.open_regular(self.path, os.O_RDWR | os.O_CREAT, owner=os.geteuid())
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                os.close(self.fd)
                raise LockTimeout(f"another hook held {self.path} for {self.timeout:g} s")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing releases the lock


def begin(task_dir: str) -> tuple[int, str]:
    """Start generation N+1 in a fresh .partial directory (stale partials are removed)."""
    highest = 0
    for name in os.listdir(task_dir):
        partial = layout.partial_number(name)
        if partial is not None:
            shutil.rmtree(os.path.join(task_dir, name), ignore_errors=True)
            highest = max(highest, partial)
        number = layout.gen_number(name)
        if number is not None:
            highest = max(highest, number)
    number = highest + 1
    path = os.path.join(task_dir, layout.gen_name(number) + layout.PARTIAL_SUFFIX)
    os.mkdir(path, layout.PRIVATE)
    os.chmod(path, layout.PRIVATE)  # the owner's alone, whatever the umask
    return number, path


def discard(partial: str) -> None:
    shutil.rmtree(partial, ignore_errors=True)


def _fsync_tree(path: str) -> None:
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                fd = safe.open_regular(os.path.join(folder, name))
            except OSError:
                continue  # a link DMTCP keeps beside its images: nothing to sync
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        layout.fsync_dir(folder)


def commit(
    task_dir: str, number: int, partial: str, meta: dict[str, Any], fsync_data: bool = False
) -> str:
    """Make the partial generation complete and current. Returns its path.

    The directory entries and meta.json are always fsynced, so the rename protocol holds
    across a host crash; the image data only with fsync_data (--fsync), because writing
    back gigabytes costs as much as the checkpoint itself, DMTCP does not do it either, and
    on NFS close() has already committed the data to the server.
    """
    if fsync_data:
        _fsync_tree(partial)
    else:
        layout.fsync_dir(partial)
    meta = dict(meta, gen=number, size=layout.tree_size(partial), checks=checks_of(partial))
    layout.write_json_atomic(os.path.join(partial, layout.META), meta)
    final = os.path.join(task_dir, layout.gen_name(number))
    os.rename(partial, final)
    layout.fsync_dir(task_dir)
    layout.switch_symlink(os.path.join(task_dir, layout.CURRENT), layout.gen_name(number))
    return final


def checks_of(folder: str) -> dict[str, list[int]]:
    """[size, CRC-32, inode, mtime, ctime (ns)] of each regular file below folder but
    meta.json: what a restart checks. CRC-32 reads a GiB in about 0.45 s (the images are
    still in the page cache); it finds a truncated, damaged or replaced image, which is all
    it must find."""
    found: dict[str, list[int]] = {}
    for rel, fd in _files(folder):
        try:
            found[rel] = [*_crc(fd), *_identity(os.fstat(fd))]
        finally:
            os.close(fd)
    return found


def _files(folder: str):
    """(relative path, open fd) of each regular file below folder but meta.json and the
    bad mark; a link is not part of what is restored."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if rel in (layout.META, layout.BAD):
                continue
            try:
                yield rel, safe.open_regular(path)
            except OSError:
                continue


def _crc(fd: int) -> tuple[int, int]:
    crc, size = 0, 0
    while True:
        chunk = os.read(fd, 1 << 22)
        if not chunk:
            return size, crc
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def fault(generation: str) -> str | None:
    """Why a complete generation must not be restarted from (a file missing, truncated or
    changed since it was taken), or None. One taken before checks were recorded passes.

    A file whose inode, size, mtime and ctime are those recorded with its checks has not
    been written, truncated or replaced since (each of those changes its ctime, which no
    user can set back), so its CRC is not read again: a restart of the newest generation
    after a migration reads its images once, in dmtcp_restart. Any other file is read."""
    meta = layout.read_json(os.path.join(generation, layout.META)) or {}
    expected = meta.get("checks")
    if not isinstance(expected, dict):
        return None
    found: dict[str, list[int]] = {}
    for rel, fd in _files(generation):
        try:
            st = os.fstat(fd)
            want = expected.get(rel)
            same = isinstance(want, list) and len(want) == 5 and want[2:] == _identity(st)
            if same and want[0] == st.st_size:
                found[rel] = want[:2]
            else:
                found[rel] = list(_crc(fd))
        finally:
            os.close(fd)
    for rel, want in sorted(expected.items()):
        have = found.get(rel)
        if have is None:
            return f"{rel} is missing"
        if not isinstance(want, list) or len(want) < 2 or have[0] != want[0]:
            taken = want[0] if isinstance(want, list) and want else "?"
            return f"{rel} has {have[0]} bytes, not the {taken} it was taken with"
        if have[1] != want[1]:
            return f"{rel} changed since it was taken (its checksum differs)"
    return None


def mark_bad(generation: str, reason: str) -> None:
    """Keep the generation but never use it again; the reason is for the administrator."""
    record = {"time": layout.now_iso(), "reason": reason}
    layout.write_json_atomic(os.path.join(generation, layout.BAD), record)


def bad_generations(task_dir: str) -> list[dict[str, Any]]:
    """The generations marked bad, oldest first: {gen, time, reason} for the manifest."""
    out = []
    for name in sorted(os.listdir(task_dir)):
        if layout.gen_number(name) is None:
            continue
        record = layout.read_json(os.path.join(task_dir, name, layout.BAD))
        if record is not None:
            out.append({"gen": name, "time": record.get("time"), "reason": record.get("reason")})
    return out


def prune(task_dir: str, keep: int) -> list[int]:
    """Remove complete generations older than the newest `keep`."""
    numbers = layout.complete_generations(task_dir)
    doomed = numbers[:-keep] if keep > 0 else []
    for number in doomed:
        shutil.rmtree(os.path.join(task_dir, layout.gen_name(number)), ignore_errors=True)
    return doomed


def summaries(task_dir: str) -> list[dict[str, Any]]:
    """What the manifest lists: each complete generation's meta, oldest first."""
    out = []
    for number in layout.complete_generations(task_dir):
        meta = layout.read_json(os.path.join(task_dir, layout.gen_name(number), layout.META))
        if meta:
            keys = ("gen", "time", "host", "size", "engine", "seconds", "trigger", "tmpdir")
            keys += ("stopped", "run_seconds")
            summary = {k: meta.get(k) for k in keys}
            summary.update({k: meta[k] for k in ("hosts", "tasks") if k in meta})  # parallel
            out.append(summary)
    return out
