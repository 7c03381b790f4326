"""Finding and claiming a task's directory in a ckpt_dir every user can write into.

Anyone may create <ckpt_dir>/JOB.TASK before the job starts: the next job id is easy to
guess. So the name is only a hint. A task directory is the job owner's real directory that
nobody else may write into (safe.trusted_dir); when JOB.TASK is anything else, the job
makes JOB.TASK-<8 random hex digits> of its own, and a restart on any host (and the
console) finds it again by its owner. Nobody else can create a directory owned by the job
owner, and in a sticky ckpt_dir nobody else can rename or remove it, so once found it stays
the job's for as long as the job runs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time

from . import layout, safe
from .errors import Refused, Untrusted


def check_ckpt_dir(ckpt_dir: str) -> None:
    """ckpt_dir must be a real directory that only root or we may rename things in: sticky
    where others may write (else anyone could swap a job's directory after our checks)."""
    try:
        st = os.lstat(ckpt_dir)
    except FileNotFoundError:
        raise Refused(f"ckpt_dir {ckpt_dir} does not exist on this host (create it 1777)") from None
    if not stat.S_ISDIR(st.st_mode):
        raise Refused(f"ckpt_dir {ckpt_dir} is not a directory (a symlink?)")
    writable_by_others = st.st_mode & 0o022 or st.st_uid not in (0, os.geteuid())
    if writable_by_others and not st.st_mode & stat.S_ISVTX:
        raise Refused(
            f"ckpt_dir {ckpt_dir} is writable by others without the sticky bit"
            f" ({stat.S_IMODE(st.st_mode):04o}): chmod 1777 it"
        )


def candidates(ckpt_dir: str, label: str) -> list[str]:
    """JOB.TASK and every JOB.TASK-xxxxxxxx in ckpt_dir (a listing only when needed)."""
    found = [os.path.join(ckpt_dir, label)]
    try:
        names = os.listdir(ckpt_dir)
    except OSError:
        return found
    prefix = label + "-"
    for name in names:
        if name.startswith(prefix) and layout.is_live_task_dir_name(name):
            found.append(os.path.join(ckpt_dir, name))
    return found


def find(ckpt_dir: str, label: str, owner: int | None = None) -> str | None:
    """The task's directory of `owner` (default: us), or None. JOB.TASK is tried first, so
    ckpt_dir is listed only when someone else holds that name."""
    owner = os.geteuid() if owner is None else owner
    primary = os.path.join(ckpt_dir, label)
    if safe.trusted_dir(primary, owner) is not None:
        return primary
    return choose(candidates(ckpt_dir, label)[1:], owner)


def choose(paths: list[str], owner: int) -> str | None:
    """Of a task's candidate directories, the one to use: JOB.TASK when it is the owner's
    and trusted, else the newest trusted JOB.TASK-xxxxxxxx of the owner."""
    own = []
    for path in paths:
        st = safe.trusted_dir(path, owner)
        if st is not None:
            own.append(("-" not in os.path.basename(path), st.st_mtime_ns, path))
    return max(own)[2] if own else None


def claim(ckpt_dir: str, label: str) -> tuple[str, str | None]:
    """A new task directory of ours (mode TASK_MODE): JOB.TASK if free, else a name of our
    own. Returns (path, what held JOB.TASK or None)."""
    primary = os.path.join(ckpt_dir, label)
    path, taken = primary, None
    for _ in range(20):
        try:
            os.mkdir(path, layout.TASK_MODE)
        except FileExistsError:
            if path == primary:
                taken = safe.describe(primary)
            path = f"{primary}-{secrets.token_hex(4)}"
            continue
        os.chmod(path, layout.TASK_MODE)  # mkdir's mode passed through the umask
        if safe.trusted_dir(path, os.geteuid()) is None:
            raise Refused(f"{path} is not ours right after mkdir")
        return path, taken
    raise Refused(f"no free name for {label} in {ckpt_dir} after 20 tries")


def set_aside(path: str) -> str:
    """Rename an old directory of ours out of the way (a first run found it in use), to a
    name nobody could take first (a name taken in a sticky ckpt_dir would stop the job)."""
    aside = f"{path}.stale-{int(time.time())}-{secrets.token_hex(4)}"
    os.rename(path, aside)
    return aside


def private_dir(parent: str, name: str) -> str:
    """parent/name as a directory of ours, mode PRIVATE, not a link; made if missing."""
    path = os.path.join(parent, name)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, layout.PRIVATE)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise Untrusted(f"{path} is not a directory of ours ({safe.describe(path)})")
    if stat.S_IMODE(st.st_mode) != layout.PRIVATE:
        os.chmod(path, layout.PRIVATE)
    return path
