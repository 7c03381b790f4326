"""The on-disk layout of ckpt_dir, defined once here; the backend reads it from here.

ckpt_dir is shared by every user of the cluster (1777, sticky) and the console often runs
as root, so this layout is a security boundary, and one principle holds it:

    A hook trusts only what the job's owner owns in ckpt_dir;
    the console and the command line trust no file in ckpt_dir.

A hook uses a task directory only when it is a real directory (not a link) of the job's
owner that nobody else may write into; a name someone else took first gets the job a
directory of its own (JOB.TASK-xxxxxxxx) that its restart, on any host, and the console find
again by owner. No file here is writable by every user: each user's hooks append to their
own events file. The console reads through `safe` (no links followed, no blocking opens,
size caps) and checks every manifest against MANIFEST_SCHEMA before showing it, as plain text.

<ckpt_dir>/events-<user>.log       that user's events, one line each (O_APPEND), every job
<ckpt_dir>/history-<user>.jsonl    that user's ended job tasks, one JSON line each: their
                                   checkpoint figures outlive their directories
<ckpt_dir>/<job>.<task>/           the task's directory, 0711, owned by the job owner
    state/                         QCKPT_DIR: what the program saves (0700: owner only)
    manifest.json                  state for the console: no secrets, readable by the admin
    hook.log                       this task's detailed hook log
    gen-000004/                    a complete generation (0700, images 0600 + meta.json
                                   with each file's size and CRC-32; bad.json once it
                                   failed that check: kept, never restarted from;
                                   tmpdir/: the job's $TMPDIR, put back on restart)
    gen-000005.partial/            a generation being written; never used for a restart
    current -> gen-000004          switched atomically after a generation is complete
    dmtcp/                         the DMTCP engine's images, logs and port (0700)
    .lock                          serializes checkpoint/migrate/clean of the task
<ckpt_dir>/<job>.<task>-1a2b3c4d/  the same, where <job>.<task> was someone else's

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from typing import Any

from . import safe
from .errors import BadManifest

EVENTS_PREFIX = "events-"
EVENTS_SUFFIX = ".log"
HISTORY_PREFIX = "history-"  # history-<user>.jsonl: one line per ended job task (history.py)
HISTORY_SUFFIX = ".jsonl"
MANIFEST = "manifest.json"
HOOK_LOG = "hook.log"
CURRENT = "current"
LOCK = ".lock"
STATE = "state"
DMTCP = "dmtcp"
META = "meta.json"
BAD = "bad.json"  # in a generation that failed its check before a restart: never used again
TMPDIR = "tmpdir"  # in a generation: the job's $TMPDIR as it was (hooks/tmpdir.py)
GEN_PREFIX = "gen-"
PARTIAL_SUFFIX = ".partial"
TASK_MODE = 0o711  # the admin reads manifest.json and hook.log by name; nobody lists it
PRIVATE = 0o700  # state/, generations, dmtcp/: the owner's alone, whatever their umask
TASKS = "tasks"  # in the task directory: one record per running `qrsh -inherit` task
# Generation numbers are zero-padded to 6 digits and may grow wider (gen-1000000 follows
# gen-999999); more than 12 digits is no generation of ours.
_GEN = re.compile(r"^gen-(\d{6,12})$")
_PARTIAL = re.compile(r"^gen-(\d{6,12})\.partial$")
# JOB.TASK, JOB.TASK-1a2b3c4d (the name was taken), either with .stale-TIME[-1a2b3c4d]
# (set aside by a first run of a later job with the same id).
_TASK_DIR = re.compile(r"^(\d+)\.(\d+)(?:-[0-9a-f]{8})?(\.stale-\d+(?:-[0-9a-f]{8})?)?$")
_EVENTS = re.compile(r"^events-([A-Za-z0-9_.][A-Za-z0-9_.-]*?)(?:-[0-9a-f]{8})?\.log$")
_HISTORY = re.compile(r"^history-([A-Za-z0-9_.][A-Za-z0-9_.-]*?)(?:-[0-9a-f]{8})?\.jsonl$")


def task_number(ja_task_id: str | None) -> str:
    """Grid Engine numbers a non-array job's single task 1 ($ja_task_id says 0, or undefined)."""
    if ja_task_id and ja_task_id.isdigit() and int(ja_task_id) > 0:
        return str(int(ja_task_id))
    return "1"


def task_dir_name(job_id: str, ja_task_id: str | None) -> str:
    return f"{job_id}.{task_number(ja_task_id)}"


def parse_task_dir_name(name: str) -> tuple[int, int] | None:
    """(job, task) of any task directory name, set aside (.stale-) or not; None otherwise."""
    match = _TASK_DIR.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_live_task_dir_name(name: str) -> bool:
    """A name a running job's directory may have (JOB.TASK or JOB.TASK-xxxxxxxx)."""
    match = _TASK_DIR.match(name)
    return bool(match) and match.group(3) is None


def events_name(user: str, suffix: str = "") -> str:
    return f"{EVENTS_PREFIX}{user}{'-' + suffix if suffix else ''}{EVENTS_SUFFIX}"


def events_user(name: str) -> str | None:
    """The user an events file is named for (the console trusts its owner, not its name)."""
    match = _EVENTS.match(name)
    return match.group(1) if match else None


def history_name(user: str, suffix: str = "") -> str:
    return f"{HISTORY_PREFIX}{user}{'-' + suffix if suffix else ''}{HISTORY_SUFFIX}"


def history_user(name: str) -> str | None:
    """The user a history file is named for (trusted no more than an events file's)."""
    match = _HISTORY.match(name)
    return match.group(1) if match else None


def gen_name(number: int) -> str:
    return f"{GEN_PREFIX}{number:06d}"


def gen_number(name: str) -> int | None:
    match = _GEN.match(name)
    return int(match.group(1)) if match else None


def partial_number(name: str) -> int | None:
    match = _PARTIAL.match(name)
    return int(match.group(1)) if match else None


def complete_generations(task_dir: str) -> list[int]:
    """Numbers of complete generations, ascending: real directories renamed from .partial,
    of the task directory's owner (whom the caller has checked), whose own meta.json names
    the same number."""
    try:
        owner = os.lstat(task_dir).st_uid
        names = os.listdir(task_dir)
    except OSError:
        return []
    numbers = []
    for name in names:
        number = gen_number(name)
        path = os.path.join(task_dir, name)
        if number is None or safe.trusted_dir(path, owner) is None:
            continue
        meta = read_json(os.path.join(path, META))
        if (
            meta is not None
            and meta.get("gen") == number
            and not os.path.lexists(os.path.join(path, BAD))
        ):
            numbers.append(number)
    return sorted(numbers)


def newest_complete(task_dir: str) -> str | None:
    numbers = complete_generations(task_dir)
    return os.path.join(task_dir, gen_name(numbers[-1])) if numbers else None


def read_json(path: str) -> dict[str, Any] | None:
    """A JSON object read safely (see safe.read_json), or None."""
    return safe.read_json(path)


def write_json_atomic(path: str, data: dict[str, Any], mode: int = 0o644) -> None:
    """Replace path atomically: a reader sees the old or the new file, never a torn one."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".qckpt-", dir=folder)  # O_EXCL, 0600, a new name
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


_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")


def epoch(stamp: Any) -> float | None:
    """A manifest's time (2026-12-02T10:00:00Z) in seconds since the epoch, or None. By
    hand: time.strptime imports calendar, datetime and locale (~4 ms of every start)."""
    match = _STAMP.fullmatch(stamp) if isinstance(stamp, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = map(int, match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    # days from 1970-01-01 to the date (the proleptic Gregorian calendar, civil_from_days'
    # inverse: a year counted from March, so the leap day ends it)
    year -= month <= 2
    era, of_era = divmod(year, 400)
    of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    days = era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468
    return float(days * 86400 + hour * 3600 + minute * 60 + second)


def run_seconds(manifest: dict[str, Any], now: float) -> float | None:
    """Seconds the job has run over all its runs (the manifest's runs: each ended run's
    own seconds, the current one's until now), or None before its first run."""
    entries = [r for r in manifest.get("runs") or [] if isinstance(r, dict)]
    if not entries:
        return None
    total = 0.0
    for entry in entries:
        if entry.get("ended"):
            seconds = entry.get("seconds")
            total += seconds if isinstance(seconds, (int, float)) else 0
        else:
            started = epoch(entry.get("started"))
            total += max(0.0, now - started) if started is not None else 0
    return total


def tree_size(path: str) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


# The manifest's schema: what the hooks write and all the console will read of it. A spec
# is a type (or tuple of types), a dict (an object's fields) or a one-element list (a list
# of such). Fields not named here are dropped; a field of the wrong type makes the whole
# manifest bad (the console shows that job's row marked bad, never a traceback).
_TEXT, _INT, _NUMBER = str, int, (int, float)
TMPDIR_RECORD = {
    "path": _TEXT,
    "size": _INT,
    "files": _INT,
    "kept": bool,
    "reason": _TEXT,
    "left_out": _INT,
}
GENERATION = {
    "gen": _INT,
    "time": _TEXT,
    "host": _TEXT,
    "size": _INT,
    "engine": _TEXT,
    "seconds": _NUMBER,
    "trigger": _TEXT,
    "tmpdir": TMPDIR_RECORD,
    "stopped": _NUMBER,  # seconds the job was stopped for it (saving its state)
    "run_seconds": _NUMBER,  # the job's run time over all runs when it was taken
    "hosts": [_TEXT],  # a parallel job's other hosts whose tasks were signalled
    "tasks": _INT,
}
MANIFEST_SCHEMA = {
    "job": _TEXT,
    "task": _TEXT,
    "owner": _TEXT,
    "env": _TEXT,
    "engine": _TEXT,
    "host": _TEXT,
    "hosts": [_TEXT],  # a parallel job's run: every host of $PE_HOSTFILE, the master's first
    "pid": _INT,
    "state": _TEXT,
    "started": _TEXT,
    "updated": _TEXT,
    "cpu": {"level": _INT, "flags": [_TEXT]},
    "coordinator": {
        "host": _TEXT,
        "dmtcp": _TEXT,
        "gen": _TEXT,
        "state": _TEXT,
        "processes": _INT,
        "time": _TEXT,
    },
    "tmpdir": {"path": _TEXT, "link": _TEXT},
    "generations": [GENERATION],
    "restarts": [
        {
            "time": _TEXT,
            "host": _TEXT,
            "hosts": [_TEXT],
            "gen": _TEXT,
            "tmpdir_files": _INT,
            "running": _TEXT,
            "failed": _TEXT,
            "saved": _NUMBER,  # run time the generation held
            "lost": _NUMBER,  # from the generation to the stop of the run before
            "lost_from": _TEXT,  # "run end", or "last record" (at least that much)
        }
    ],
    "taken": [
        {"gen": _INT, "time": _TEXT, "size": _INT, "stopped": _NUMBER, "run_seconds": _NUMBER}
    ],
    "cost": {"checkpoints": _INT, "stopped": _NUMBER},
    "runs": [
        {
            "run": _INT,
            "host": _TEXT,
            "started": _TEXT,
            "ended": _TEXT,
            "seconds": _NUMBER,
            "end": _TEXT,
            "limit": _NUMBER,
            "h_rt": _NUMBER,
            "s_rt": _NUMBER,
            "margin": _NUMBER,
            "checkpoint_at": _TEXT,
        }
    ],
    "last_error": {"time": _TEXT, "message": _TEXT},
    "name_taken": {"name": _TEXT, "found": _TEXT, "time": _TEXT},
    "bad_generations": [{"gen": _TEXT, "time": _TEXT, "reason": _TEXT}],
    "events_error": _TEXT,
}
MAX_ITEMS = 10000


def checked(value: Any, spec: Any, where: str) -> Any:
    """value as `spec` says, its strings made plain (safe.plain); BadManifest naming the
    field and the rule otherwise. None is allowed anywhere (a field not set yet)."""
    if value is None:
        return None
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise BadManifest(f"{where} must be an object")
        return {k: checked(value.get(k), s, f"{where}.{k}") for k, s in spec.items() if k in value}
    if isinstance(spec, list):
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise BadManifest(f"{where} must be a list of at most {MAX_ITEMS} items")
        return [checked(item, spec[0], f"{where}[{i}]") for i, item in enumerate(value)]
    if (isinstance(value, bool) and spec is not bool) or not isinstance(value, spec):
        kind = {str: "text", bool: "true or false"}.get(spec, "a number")
        raise BadManifest(f"{where} must be {kind}")
    return safe.plain(value) if isinstance(value, str) else value


def check_manifest(data: dict[str, Any]) -> dict[str, Any]:
    """A manifest as the console may show it (see MANIFEST_SCHEMA), or BadManifest."""
    return checked(data, MANIFEST_SCHEMA, "manifest")
