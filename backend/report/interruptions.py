"""How often the cell's jobs lose work: the interruptions in Grid Engine's accounting file
($SGE_ROOT/$SGE_CELL/common/accounting), per hour of job run time.

Son of Grid Engine 8.1.9 writes one line per run of a job, 45 fields split by ':' (names
and accounts cannot hold one: qsub refuses them; only the category, the 40th field, is
free text, so the fields after it are counted from the end). What a run's `failed` field
(the 12th) says, as seen on a real cell:

- 19 "before writing exit_status": the job's shepherd vanished; its execd came back and
  found no exit status. A host that crashed or rebooted under its jobs. The record has no
  start, end or wall clock time.
- 25 "rescheduling" with exit status 99: the job asked to be requeued (qckpt's own hooks
  do, after a checkpoint, before a time limit): planned, nothing lost.
- 25 with any other exit status: rescheduled by Grid Engine (qmod -rj, or a host gone
  longer than reschedule_unknown); the record is all zeros, no time at all. Work since the
  last checkpoint is lost.
- 24 "migrating": a checkpointing job migrated (qckpt checkpoints it first: nothing lost).
- 37 "qmaster enforced h_rt, h_cpu, or h_vmem limit": killed at a limit.

Only failures (19) and reschedules (25, not exit 99) lose work: they make the rate the
checkpoint interval is chosen for. Migrations and limit kills are counted beside them. A
record without a time of its own is dated by the next record that has one (the file is
written in the order runs end). Each parallel job's `qrsh -inherit` task has a record of
its own; only the master's (pe_taskid NONE) counts.

The file is the qmaster's: it is believed only when it belongs to the owner of its folder
and no one else may write it. At most its last CAP bytes are read (some 90,000 runs).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field

from qckpt.hooks import safe

CAP = 32 << 20
FIELDS = 45
REQUEUE = "99"  # the exit status that asks Grid Engine to requeue a job


@dataclass
class Interruptions:
    since: float | None = None  # the end time of the oldest run read (epoch)
    runs: int = 0
    run_seconds: float = 0.0  # the runs' wall clock time
    failures: int = 0  # shepherd gone: the host failed under the job (failed 19)
    reschedules: int = 0  # rescheduled by Grid Engine (failed 25, not exit 99)
    requeues: int = 0  # asked for by the job (failed 25, exit 99)
    migrations: int = 0  # failed 24
    limits: int = 0  # killed at h_rt, h_cpu or h_vmem (failed 37)
    bad: int = 0  # lines that are not a record of this version's accounting
    by_host: dict[str, int] = field(default_factory=dict)  # host -> failures + reschedules
    problem: str = ""  # why the file was not read, if it was not

    @property
    def lost(self) -> int:
        """Interruptions that lose the work since the last checkpoint."""
        return self.failures + self.reschedules

    @property
    def mtbi(self) -> float | None:
        """Seconds of job run time between interruptions that lose work (None: none seen)."""
        return self.run_seconds / self.lost if self.lost else None


def trusted(path: str) -> str:
    """Why the accounting file is not to be believed ("" when it is)."""
    try:
        st = os.lstat(path)
        folder = os.stat(os.path.dirname(path))
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    if st.st_uid != folder.st_uid or st.st_mode & 0o022:
        return f"{path} may be written by others than {safe.user_name(folder.st_uid)}"
    return ""


def read(path: str, since: float | None = None, cap: int = CAP) -> Interruptions:
    """The runs that ended at or after `since` (epoch) in the last `cap` bytes of the file."""
    problem = trusted(path)
    if problem:
        return Interruptions(problem=problem)
    found = Interruptions()
    records = []  # (ended, wall clock, failed, exit status, host) of masters' runs
    for line in safe.read_tail(path, cap).decode(errors="replace").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.count(":") < FIELDS - 1:
            found.bad += 1
            continue
        head = line.split(":", 14)  # the fields up to ru_wallclock, and the rest
        try:
            ended, wall = float(head[10]), float(head[13])
        except ValueError:
            found.bad += 1
            continue
        master = line.rsplit(":", 4)[1] == "NONE"  # pe_taskid: not a qrsh -inherit task
        records.append((ended, wall, head[11], head[12], head[1], master))
    # A record without an end time (a failure, a reschedule) was written when it happened:
    # before the next record that has one. The last ones happened by now.
    when = time.time()
    for index in range(len(records) - 1, -1, -1):
        ended, *rest = records[index]
        when = ended or when
        records[index] = (when, *rest)
    for when, wall, failed, exit_status, host, master in records:
        if master and (since is None or when >= since):
            found.since = when if found.since is None else found.since
            count(found, failed, exit_status, host, wall)
    return found


KINDS = {"19": "failures", "24": "migrations", "37": "limits"}
LOSE_WORK = ("failures", "reschedules")


def kind(failed: str, exit_status: str) -> str:
    """The counter a run's failed code and exit status go to ("" for none)."""
    if failed == "25":
        return "requeues" if exit_status == REQUEUE else "reschedules"
    return KINDS.get(failed, "")


def count(found: Interruptions, failed: str, exit_status: str, host: str, wall: float) -> None:
    found.runs += 1
    found.run_seconds += max(wall, 0.0)
    name = kind(failed, exit_status)
    if name:
        setattr(found, name, getattr(found, name) + 1)
    if name in LOSE_WORK:
        found.by_host[host] = found.by_host.get(host, 0) + 1
