"""The hooks' events of every user of a ckpt_dir, in time order.

Each user's hooks append to their own ckpt_dir/events-<user>[-xxxxxxxx].log. A file's
name proves nothing (anyone can create any name in a 1777 directory): its owner does. A
line is believed only when its user= is the file's owner, so no user can forge, truncate or
hide another user's events; lines that claim someone else are counted, not shown. Files are
read through hooks.safe: no links, no FIFOs, only their last TAIL_CAP bytes.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from qckpt.hooks import layout, safe


@dataclass
class Event:
    time: str
    job: str
    host: str
    user: str
    event: str
    fields: dict[str, str] = field(default_factory=dict)
    line: str = ""  # the whole line as the hook wrote it, made plain


@dataclass
class Listing:
    """What read() found: the events, and how many lines it did not believe."""

    events: list[Event]
    forged: int = 0  # lines whose user= is not the owner of the file they are in
    files: int = 0


def parse_line(line: str) -> Event | None:
    """`TIME job=J host=H user=U event=E k=v...` as the hooks write it, made plain."""
    words = safe.plain(line, 4000).split()
    if len(words) < 5:
        return None
    values = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if sep:
            values[key] = value
    core = ("job", "host", "user", "event")
    if any(k not in values for k in core):
        return None
    extra = {k: v for k, v in values.items() if k not in core}
    return Event(
        words[0],
        values["job"],
        values["host"],
        values["user"],
        values["event"],
        extra,
        " ".join(words),
    )


def events_files(ckpt_dir: str, user_of=layout.events_user) -> list[tuple[str, str]]:
    """(path, owner's name) of each regular events file in ckpt_dir (or, with user_of,
    each file of another per-user naming: layout.history_user)."""
    found = []
    try:
        entries = list(os.scandir(ckpt_dir))
    except OSError:
        return []
    for entry in entries:
        if user_of(entry.name) is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone since the listing
        if stat.S_ISREG(st.st_mode):
            found.append((entry.path, safe.user_name(st.st_uid)))
    return sorted(found)


def read(
    ckpt_dir: str,
    job: str | None = None,
    limit: int = 500,
    cap: int = safe.TAIL_CAP,
    owner_only: str | None = None,
) -> Listing:
    """The newest `limit` events (of one JOB.TASK with `job`), oldest first. With
    `owner_only`, only that user's files are read (a job's events are in its owner's)."""
    result = Listing([])
    for path, owner in events_files(ckpt_dir):
        if owner_only is not None and owner != owner_only:
            continue
        result.files += 1
        for raw in safe.read_tail(path, cap).decode(errors="replace").splitlines():
            event = parse_line(raw)
            if event is None:
                continue
            if event.user != owner:
                result.forged += 1
                continue
            if job is None or event.job == job:
                result.events.append(event)
    result.events.sort(key=lambda e: e.time)  # ISO 8601 UTC: text order is time order
    result.events = result.events[-limit:]
    return result
