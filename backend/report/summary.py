"""`qckpt report`: what checkpointing cost and saved, per environment, user, host and for
the whole cell: the running jobs' manifests and the ended ones' history lines summed."""

from __future__ import annotations

import calendar
import statistics
import time
from dataclasses import asdict, dataclass, field, fields

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import interval_seconds, split_list
from qckpt.backend.gridengine.queues import Queue, QueueStore
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs.listing import JobRow, list_jobs
from qckpt.backend.report import history, interruptions
from qckpt.backend.report.figures import figures
from qckpt.backend.report.interval import Advice, advise


@dataclass
class Counts:
    """What is summed: of one task, or of many."""

    checkpoints: int = 0
    stopped: float = 0.0  # seconds stopped for checkpoints
    run_seconds: float = 0.0
    restarts: int = 0
    saved: float = 0.0  # run time restarts kept
    lost: float = 0.0  # work done again after restarts
    size: int = 0  # the newest checkpoint's


@dataclass
class Task(Counts):
    """One job task's figures, running or ended."""

    key: str = ""
    env: str = ""
    owner: str = ""
    host: str = "-"  # the last it ran on
    running: bool = False


@dataclass
class Totals(Counts):
    tasks: int = 0
    running: int = 0

    def add(self, task: Task) -> None:
        self.tasks += 1
        self.running += task.running
        for name in (f.name for f in fields(Counts)):
            setattr(self, name, getattr(self, name) + getattr(task, name))

    @property
    def overhead(self) -> float | None:
        """Time stopped for checkpoints as a share of run time."""
        return self.stopped / self.run_seconds if self.run_seconds else None

    def as_dict(self) -> dict:
        return dict(asdict(self), overhead=self.overhead)


@dataclass
class Report:
    since: str | None
    mtbi: float | None = None  # seconds of run time between interruptions that lose work
    mtbi_from: str = ""  # "given" (--mtbi), "accounting", or "" (not known)
    interrupted: interruptions.Interruptions | None = None  # from accounting
    cell: Totals = field(default_factory=Totals)
    by_env: dict[str, Totals] = field(default_factory=dict)
    by_user: dict[str, Totals] = field(default_factory=dict)
    by_host: dict[str, Totals] = field(default_factory=dict)
    forged: int = 0  # history lines not believed: another owner's name in a user's file
    bad: int = 0  # history lines that are not what the hooks write
    in_use: dict[str, tuple[float, str]] = field(default_factory=dict)  # env -> (s, queue)
    asked: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # env -> (job, -c)
    env_users: dict[tuple[str, str], Totals] = field(default_factory=dict)  # (env, owner)

    def cost(self, env: str) -> float | None:
        """What one checkpoint stops an environment's jobs: each owner's mean over their
        tasks, and the median of those. The figures come from files their owners write
        (manifests, history lines): one user's numbers, however forged, move the median by
        one place among the users', not to any value they like."""
        means = [
            t.stopped / t.checkpoints
            for (name, _owner), t in self.env_users.items()
            if name == env and t.checkpoints > 0 and t.stopped > 0
        ]
        return statistics.median(means) if means else None

    def advice(self, env: str) -> Advice | None:
        """The interval to use for an environment's jobs: its measured cost of a checkpoint
        and the time between interruptions (None without either)."""
        cost = self.cost(env)
        if self.mtbi is None or cost is None:
            return None
        current = self.in_use.get(env)
        return advise(cost, self.mtbi, current[0] if current else None)

    def add(self, task: Task) -> None:
        self.cell.add(task)
        for groups, name in (
            (self.by_env, task.env),
            (self.by_user, task.owner),
            (self.by_host, task.host),
        ):
            groups.setdefault(name or "-", Totals()).add(task)
        self.env_users.setdefault((task.env or "-", task.owner or "-"), Totals()).add(task)

    def as_dict(self) -> dict:
        def sorted_groups(groups: dict[str, Totals]) -> dict:
            return {k: groups[k].as_dict() for k in sorted(groups)}

        by_env = sorted_groups(self.by_env)
        for env, data in by_env.items():
            advice = self.advice(env)
            if advice is not None:
                where = self.in_use.get(env)
                data["interval"] = dict(
                    asdict(advice), factor=advice.factor, queue=where[1] if where else None
                )
        return {
            "since": self.since,
            "mtbi": self.mtbi,
            "mtbi_from": self.mtbi_from or None,
            "interruptions": self.interrupted_dict(),
            "cell": self.cell.as_dict(),
            "by_env": by_env,
            "by_user": sorted_groups(self.by_user),
            "by_host": sorted_groups(self.by_host),
            "history_lines_not_believed": self.forged + self.bad,
        }

    def interrupted_dict(self) -> dict | None:
        found = self.interrupted
        if found is None:
            return None
        return dict(asdict(found), lost=found.lost, mtbi=found.mtbi)


RECENT = 30 * 86400  # the doctor's and the console's window: the last 30 days


def recent() -> str:
    """--since for the last RECENT seconds (a date)."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - RECENT))


def since_of(text: str | None) -> str | None:
    """--since as the history's times are written (2026-12-01T00:00:00Z), from a date or
    such a time; ValidationFailed naming the rule otherwise."""
    if text is None:
        return None
    for form in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(text, form))
        except ValueError:
            continue
    raise ValidationFailed(
        [FieldError("--since", "must be a date (2026-12-01) or a UTC time (2026-12-01T08:00:00Z)")]
    )


def epoch_of(since: str | None) -> float | None:
    """A time as since_of writes it, in seconds since 1970 (UTC)."""
    if since is None:
        return None
    return float(calendar.timegm(time.strptime(since, "%Y-%m-%dT%H:%M:%SZ")))


def mtbi_of(hours: float | None) -> float | None:
    """--mtbi (hours of job run time between interruptions) in seconds; the rule named."""
    if hours is None:
        return None
    if not hours > 0 or hours == float("inf"):
        raise ValidationFailed([FieldError("--mtbi", "must be a number of hours above 0")])
    return hours * 3600.0


def intervals_in_use(queues: list[Queue]) -> dict[str, tuple[float, str]]:
    """Each environment's periodic checkpoint interval where queues offer it: the shortest
    min_cpu_interval of those queues (and of their queue@host values), and that queue's
    name. A job's own `qsub -c` can only make its interval longer: Grid Engine takes the
    larger of the two."""
    found: dict[str, tuple[float, str]] = {}
    for queue in queues:
        for host in [None, *queue.attrs["ckpt_list"].overrides]:
            names = split_list(queue.value("ckpt_list", host))
            seconds = interval_seconds(queue.value("min_cpu_interval", host))
            if seconds is None:
                continue  # no periodic checkpoints there
            where = f"{queue.name}@{host}" if host else queue.name
            for name in names:
                if name not in found or seconds < found[name][0]:
                    found[name] = (seconds, where)
    return found


def running_task(row: JobRow, now: float) -> Task | None:
    if not row.manifest:
        return None
    found = figures(row.manifest, now)
    return Task(
        key=row.key,
        env=row.env,
        owner=row.owner,
        host=str(row.manifest.get("host") or "-"),
        running=True,
        checkpoints=found.checkpoints,
        stopped=found.stopped,
        run_seconds=found.run_seconds or 0.0,
        restarts=len(found.restarts),
        saved=found.saved,
        lost=found.lost,
        size=found.taken[-1].size if found.taken else 0,
    )


def ended_task(record: dict) -> Task:
    hosts = record.get("hosts") or ["-"]
    return Task(
        key=f"{record.get('job')}.{record.get('task')}",
        env=record.get("env") or "-",
        owner=record.get("owner") or "-",
        host=record.get("host") or hosts[-1],
        running=False,
        checkpoints=record.get("checkpoints") or 0,
        stopped=float(record.get("stopped") or 0.0),
        run_seconds=float(record.get("run_seconds") or 0.0),
        restarts=record.get("restarts") or 0,
        saved=float(record.get("saved") or 0.0),
        lost=float(record.get("lost") or 0.0),
        size=record.get("size") or 0,
    )


def report(
    ge: GridEngine,
    since: str | None = None,
    envs: list[CheckpointEnv] | None = None,
    mtbi_hours: float | None = None,
    queues: list[Queue] | None = None,
    lookup: int | None = 0,
) -> Report:
    """The running jobs (one qstat, their manifests), the tasks ended since `since` (every
    ckpt_dir's history files, read once each) and the runs interrupted since then (the
    accounting file); the interval each environment's jobs should checkpoint at, for the
    time between interruptions given (mtbi_hours) or else measured. With lookup None,
    also each running job's own `qsub -c` interval (a `qstat -j` per hundred jobs)."""
    found = Report(since=since_of(since), mtbi=mtbi_of(mtbi_hours))
    envs = envs if envs is not None else EnvStore(ge).list()
    found.in_use = intervals_in_use(queues if queues is not None else QueueStore(ge).list())
    found.interrupted = interruptions.read(ge.common("accounting"), epoch_of(found.since))
    if found.mtbi is not None:
        found.mtbi_from = "given"
    elif found.interrupted.mtbi is not None:
        found.mtbi, found.mtbi_from = found.interrupted.mtbi, "accounting"
    now = time.time()
    running = set()
    for row in list_jobs(ge, envs=envs, lookup=lookup):
        if row.interval and row.env:
            found.asked.setdefault(row.env, []).append((row.job_id, float(row.interval)))
        task = running_task(row, now)
        if task is not None:
            running.add(task.key)
            found.add(task)
    for ckpt_dir in sorted({e.ckpt_dir.rstrip("/") for e in envs}):
        read = history.read(ckpt_dir, found.since)
        found.forged += read.forged
        found.bad += read.bad
        for record in read.records:
            task = ended_task(record)
            if task.key not in running:  # cleaned a moment ago, still listed: counted once
                found.add(task)
    return found
