"""Opening files in a directory other users can write into, the way a careful daemon does.

ckpt_dir is shared by every user (1777): any of them can put a symlink, a FIFO, a device,
a hard link or a huge file where a name is expected. Every open here refuses to follow a
symlink (O_NOFOLLOW), never blocks (O_NONBLOCK: a FIFO with no writer would hang a plain
open), checks what it opened with fstat (a regular file, and for writes one owned by us
with a single link, so a hard link to someone's file is refused) and reads at most a
cap. Hooks and the console both read ckpt_dir through this module.

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from typing import Any

from .errors import Untrusted

NOFOLLOW = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
JSON_CAP = 1 << 20  # a manifest or meta.json is a few KB; a MiB is already absurd
TAIL_CAP = 64 << 10  # logs are read from their end, at most this much


def open_regular(
    path: str, flags: int = os.O_RDONLY, mode: int = 0o600, *, owner: int | None = None
) -> int:
    """An fd of a regular file at path, never through a symlink and never blocking.
    With `owner`, the file must belong to that uid and have one link (writes use this)."""
    fd = os.open(path, flags | NOFOLLOW, mode)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Untrusted(f"{path} is not a regular file")
        if owner is not None and st.st_uid != owner:
            raise Untrusted(f"{path} belongs to uid {st.st_uid}, not {owner}")
        if owner is not None and st.st_nlink != 1:
            raise Untrusted(f"{path} has {st.st_nlink} links (a hard link to another file?)")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_head(path: str, cap: int, *, owner: int | None = None) -> bytes | None:
    """The whole file if it is a regular file (of `owner`) of at most `cap` bytes, else None."""
    try:
        fd = open_regular(path, owner=owner)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size > cap:
            return None
        data = os.read(fd, cap + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= cap else None


def read_tail(path: str, cap: int = TAIL_CAP) -> bytes:
    """At most the last `cap` bytes of a regular file, from the start of a line."""
    try:
        fd = open_regular(path)
    except OSError:
        return b""
    try:
        size = os.fstat(fd).st_size
        start = max(0, size - cap)
        os.lseek(fd, start, os.SEEK_SET)
        data = os.read(fd, cap)
    except OSError:
        return b""
    finally:
        os.close(fd)
    if start > 0:
        data = data.partition(b"\n")[2]  # the first line is cut: drop it
    return data


def read_json(path: str, cap: int = JSON_CAP) -> dict[str, Any] | None:
    """A JSON object from a regular file of at most `cap` bytes, or None for anything else
    (missing, a link, a FIFO, too big, not JSON, nested too deep, not an object)."""
    data = read_head(path, cap)
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return value if isinstance(value, dict) else None


def append_line(path: str, line: str, mode: int = 0o644) -> None:
    """One write() of one line with O_APPEND (lines from many hosts never interleave), to a
    regular file of our own; raises OSError (Untrusted among them) when that is not so."""
    data = (line.replace("\n", " ") + "\n").encode(errors="replace")
    fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode, owner=os.geteuid())
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def trusted_dir(path: str, owner: int) -> os.stat_result | None:
    """path's lstat if it is a real directory (not a link) of `owner` that nobody else may
    write into (no group or other write bit), else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != owner or st.st_mode & 0o022:
        return None
    return st


def describe(path: str) -> str:
    """What is at path, for a message: 'directory 0777 of uid 1001', 'symlink of mallory'."""
    try:
        st = os.lstat(path)
    except OSError:
        return "nothing"
    kinds = (
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISDIR, "directory"),
        (stat.S_ISREG, "file"),
        (stat.S_ISFIFO, "FIFO"),
    )
    kind = next((name for test, name in kinds if test(st.st_mode)), "special file")
    return f"{kind} {stat.S_IMODE(st.st_mode):04o} of {user_name(st.st_uid)}"


def user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def plain(text: Any, limit: int = 2000) -> str:
    """Text from a file made safe to show: control and format characters (escape sequences,
    newlines, bidi overrides) become spaces or go, and it is cut at `limit` characters."""
    out = []
    for char in str(text)[:limit]:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif category not in ("Cf", "Cs", "Co", "Cn"):
            out.append(char)
    return "".join(out)
