"""The job's $TMPDIR, kept with each generation and put back on restart.

Grid Engine gives every run of a job a fresh $TMPDIR (`<queue tmpdir>/JOB.TASK.QUEUE`) and
deletes it when the run ends, so whatever a job keeps there (a scratch file it has open,
as chemistry and simulation codes do) is gone at a restart, and a DMTCP restart of a
process that had a file open there dies ("File not found"). A checkpoint copies $TMPDIR
into the generation's tmpdir/ (up to --tmpdir-limit); a restart copies it into the new
run's $TMPDIR, wherever Grid Engine made it. Only the owner's own entries are kept:
regular files, folders and symlinks (as links, never followed); FIFOs, sockets and
devices cannot be restored and are left out.

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat

from . import errors, layout, safe


def human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size}B"  # not reached


def job_tmpdir(config: dict[str, str], manifest: dict) -> str | None:
    """The run's $TMPDIR: the job's spool config names it (`tmpdir=/tmp/JOB.TASK.QUEUE`),
    and a hook run without one (Checkpoint now) takes what the starter recorded. Never the
    hook's own $TMPDIR: outside a job that is /tmp, which is not the job's to copy. Only a
    real folder of ours counts."""
    path = config.get("tmpdir") or (manifest.get("tmpdir") or {}).get("path") or ""
    if not os.path.isabs(path):
        return None
    try:
        st = os.lstat(os.path.realpath(path))
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        return None
    return os.path.realpath(path)


def entries(root: str) -> tuple[list[tuple[str, os.stat_result]], int]:
    """(relative path, lstat) of what is kept below root, parents before children, and
    the number of entries left out (someone else's, FIFOs, sockets, devices)."""
    kept: list[tuple[str, os.stat_result]] = []
    left_out = 0
    uid = os.geteuid()
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        for name in sorted(dirs) + sorted(files):
            rel = os.path.normpath(os.path.join(rel_folder, name))
            try:
                st = os.lstat(os.path.join(root, rel))
            except OSError:
                continue  # gone meanwhile
            mode = st.st_mode
            if st.st_uid != uid or not (
                stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)
            ):
                left_out += 1
                if stat.S_ISDIR(mode):
                    dirs.remove(name)
                continue
            kept.append((rel, st))
        dirs.sort()
    return kept, left_out


def keep(source: str, generation: str, limit: int) -> dict:
    """Copy $TMPDIR into generation/tmpdir; over `limit` bytes nothing is copied. Returns
    what the generation's meta records: path, size, files, kept (and reason if not)."""
    found, left_out = entries(source)
    size = sum(st.st_size for _rel, st in found if stat.S_ISREG(st.st_mode))
    files = sum(1 for _rel, st in found if stat.S_ISREG(st.st_mode))
    record = {"path": source, "size": size, "files": files, "kept": False}
    if left_out:
        record["left_out"] = left_out
    if size > limit:
        record["reason"] = f"{human(size)} is over the limit of {human(limit)} (--tmpdir-limit)"
        return record
    target = os.path.join(generation, layout.TMPDIR)
    os.mkdir(target, layout.PRIVATE)
    copy_tree(source, target, found)
    record["kept"] = True
    return record


def copy_tree(source: str, target: str, found: list[tuple[str, os.stat_result]]) -> None:
    """Folders (owner rwx kept), files (with their mode bits) and symlinks (as links)."""
    from .engine_signal import copy_regular

    for rel, st in found:
        src, dst = os.path.join(source, rel), os.path.join(target, rel)
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(dst, layout.PRIVATE)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(src), dst)
        else:
            try:
                copy_regular(src, dst)
            except FileNotFoundError:
                continue  # removed by the job meanwhile
            os.chmod(dst, stat.S_IMODE(st.st_mode) & 0o777 | 0o600)
    for rel, st in reversed(found):  # folders' modes last: a read-only folder is filled first
        if stat.S_ISDIR(st.st_mode):
            os.chmod(os.path.join(target, rel), stat.S_IMODE(st.st_mode) & 0o777 | 0o700)


def put_back(generation: str, target: str) -> int:
    """Copy generation/tmpdir into the new run's $TMPDIR (a folder of ours that Grid Engine
    has just made). Returns the number of files put back; 0 when the generation kept none."""
    source = os.path.join(generation, layout.TMPDIR)
    if not os.path.isdir(source) or os.path.islink(source):
        return 0
    found, _left_out = entries(source)
    for rel, _st in found:  # a fresh $TMPDIR is empty; whatever is in the way is replaced
        path = os.path.join(target, rel)
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
    existing = [(rel, st) for rel, st in found if not os.path.isdir(os.path.join(target, rel))]
    copy_tree(source, target, existing)
    return sum(1 for _rel, st in found if stat.S_ISREG(st.st_mode))


def reach_old_path(old: str, new: str) -> str | None:
    """A DMTCP process finds its open files by their old absolute path. When the new run's
    $TMPDIR has another name (another queue, another queue tmpdir), a symlink at the old
    name leads there; it is made only where nothing is (a world-writable /tmp may hold
    someone else's entry by that name: then OSError names it). Returns the link made."""
    if not old or os.path.realpath(old) == os.path.realpath(new):
        return None
    try:
        st = os.lstat(old)
    except FileNotFoundError:
        os.symlink(new, old)
        return old
    if stat.S_ISLNK(st.st_mode) and st.st_uid == os.geteuid():
        os.unlink(old)  # our link of an earlier run
        os.symlink(new, old)
        return old
    raise errors.Untrusted(
        f"the job's files were in {old}, and {old} exists"
        f" ({safe.describe(old)}): the restart cannot reach them there"
    )


def remove_link(record: dict) -> None:
    """Remove the link reach_old_path made, if it is still ours and still leads to the
    run's $TMPDIR (clean, at the job's end)."""
    link, path = record.get("link"), record.get("path")
    if not link or not path:
        return
    try:
        st = os.lstat(link)
        if stat.S_ISLNK(st.st_mode) and st.st_uid == os.geteuid() and os.readlink(link) == path:
            os.unlink(link)
    except OSError:
        pass


def empty(folder: str) -> None:
    """Remove what is in the run's $TMPDIR (before a second restore into it)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
