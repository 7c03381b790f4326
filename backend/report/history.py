"""The ended job tasks of a ckpt_dir: each user's history-<user>.jsonl (and its .1), as
the hooks' clean wrote them. A file's name proves nothing: a line is believed only when
its owner is the file's owner (no user can add to, or hide, another user's figures), and
only as the schema says (a line that breaks it is counted, never shown). Read through
hooks.safe: no links, no FIFOs, at most CAP bytes of each file."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field

from qckpt.backend.jobs.events import events_files
from qckpt.hooks import layout, safe
from qckpt.hooks.errors import BadManifest

CAP = 8 << 20  # a file rotates at 4 MiB
_TEXT, _INT, _NUMBER = str, int, (int, float)
RECORD = {
    "job": _TEXT,
    "task": _TEXT,
    "owner": _TEXT,
    "env": _TEXT,
    "engine": _TEXT,
    "hosts": [_TEXT],
    "host": _TEXT,
    "started": _TEXT,
    "ended": _TEXT,
    "runs": _INT,
    "run_seconds": _NUMBER,
    "checkpoints": _INT,
    "stopped": _NUMBER,
    "restarts": _INT,
    "saved": _NUMBER,
    "lost": _NUMBER,
    "size": _INT,
    "first_size": _INT,
}


@dataclass
class History:
    records: list[dict] = field(default_factory=list)
    forged: int = 0  # lines naming another owner than their file's
    bad: int = 0  # lines that are not a record as the hooks write it


def read(ckpt_dir: str, since: str | None = None) -> History:
    """Every believed record of ckpt_dir (ended at or after `since`, an ISO time), in the
    order they ended."""
    found = History()
    for path, _owner in events_files(ckpt_dir, layout.history_user):
        for name in (path + ".1", path):  # the rotated file first: it is older
            owner = file_owner(name)  # each its own: anyone may make a NAME.1
            if owner is None:
                continue
            for raw in safe.read_tail(name, CAP).decode(errors="replace").splitlines():
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict):
                        raise BadManifest("history line must be an object")
                    entry = layout.checked(data, RECORD, "history")
                    if not possible(entry):
                        raise BadManifest("history line stopped longer than it ran")
                except (ValueError, BadManifest):
                    found.bad += 1
                    continue
                if entry.get("owner") != owner:
                    found.forged += 1
                elif since is None or (entry.get("ended") or "") >= since:
                    found.records.append(entry)
    found.records.sort(key=lambda r: r.get("ended") or "")
    return found


def possible(entry: dict) -> bool:
    """A task's time stopped for checkpoints is part of its run time, and neither is
    negative: a line saying otherwise was not written by the hooks (its owner may write
    any number into their own file, and the console takes the median over users of it)."""
    stopped, ran = entry.get("stopped") or 0, entry.get("run_seconds")
    return stopped >= 0 and (ran is None or 0 <= stopped <= ran)


def file_owner(path: str) -> str | None:
    """The name of a regular file's owner (None: no such file, or not a regular file)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return safe.user_name(st.st_uid) if stat.S_ISREG(st.st_mode) else None
