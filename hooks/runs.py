"""Jobs longer than their run-time limit, run in runs: shortly before the limit the
starter checkpoints the run, stops it and exits 99, so Grid Engine requeues the job and
starts it again from that checkpoint for another run of up to h_rt, until the job ends by
itself (or reaches the environment's cap on runs, --max-runs).

Grid Engine's execd enforces a run's wall-clock limits, both counted from the run's start
(daemons/execd/execd_ck_to_do.c): at s_rt it sends the job SIGUSR1 (again every 90 s), at
h_rt SIGKILL. Each is the smaller of the queue instance's value and the job's own request
(-l h_rt=, -l s_rt=). Neither is written into the shepherd's config, so the starter asks
Grid Engine once per run: the job's hard requests (qstat -j) and its queue instance's
limits (qconf -sq QUEUE@HOST). Exit 99 requeues a job (a new accounting record per run).

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from dataclasses import dataclass

from . import ge, layout
from .errors import GridEngineFailed
from .events import Events, update_manifest
from .jobinfo import Job, Options

MIN_MARGIN = 10.0  # seconds: a checkpoint and a stop take at least this much to be safe
MARGIN_PER_CHECKPOINT = 3  # the default margin is 3x the job's last checkpoint time, + 5 s
FIRST_MARGIN = 900.0  # before a job's first checkpoint: a tenth of h_rt, at most 15 min
# Grid Engine's SIGUSR1 at s_rt reaches the job's wrapper shell too (the `sh -c` around a
# binary job, or a job script that traps nothing), which dies of it: the job would end
# there, unsaved. So a run with s_rt is checkpointed this long before it (at most half of
# s_rt), and is already saving when the signal comes.
SOFT_LEAD = 5.0


@dataclass
class Limit:
    """A run's wall-clock limits (seconds from its start) and when it is checkpointed."""

    h_rt: float | None
    s_rt: float | None
    margin: float
    at: float  # seconds after the run's start: checkpoint, stop, requeue

    @property
    def why(self) -> str:
        if self.s_rt is not None and self.at == soft_moment(self.s_rt):
            return f"s_rt {self.s_rt:g} s (less {self.s_rt - self.at:g} s)"
        return f"h_rt {self.h_rt:g} s less a margin of {self.margin:g} s"


def soft_moment(s_rt: float) -> float:
    return s_rt - min(SOFT_LEAD, s_rt / 2)


def seconds(text: str | None) -> float | None:
    """A Grid Engine time (SS, MM:SS, HH:MM:SS, H:M:S) in seconds; None for INFINITY or
    anything else that is not a time."""
    if not text or text.strip().upper() in ("INFINITY", "NONE"):
        return None
    total = 0.0
    for part in text.strip().split(":"):
        if not part.isdigit():
            return None
        total = total * 60 + int(part)
    return total


def queue_limits(queue: str, host: str) -> dict[str, str]:
    """h_rt and s_rt of the queue instance (qconf -sq QUEUE@HOST resolves host overrides)."""
    found = {}
    for line in ge.run(["qconf", "-sq", f"{queue}@{host}"]).splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("h_rt", "s_rt"):
            found[words[0]] = words[1]
    return found


def smaller(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def margin_of(opts: Options, manifest: dict, h_rt: float) -> float:
    """The environment's --margin, or from the job's last checkpoint time (3x, + 5 s); a
    first run without one takes a tenth of h_rt, at most FIRST_MARGIN. At least
    MIN_MARGIN, at most h_rt / 4."""
    if opts.margin is not None:
        return opts.margin
    times = [g.get("seconds") for g in manifest.get("generations") or []]
    times = [t for t in times if isinstance(t, (int, float))]
    base = MARGIN_PER_CHECKPOINT * times[-1] + 5 if times else min(h_rt / 10, FIRST_MARGIN)
    return round(min(max(base, MIN_MARGIN), h_rt / 4), 1)


def limit_of(job: Job, opts: Options, environ: dict[str, str], events: Events) -> Limit | None:
    """This run's limit, or None when it has none (or Grid Engine cannot say: said)."""
    queue = environ.get("QUEUE") or job.config.get("queue", "")
    if not queue:
        return None
    try:
        requested = ge.hard_requests(job.job_id)
        offered = queue_limits(queue, job.host)
    except GridEngineFailed as exc:
        # a detail, not the job's error: most sites have no limit, and `qckpt doctor` says
        # where one is set on a queue whose hosts may not ask (neither admin nor submit host)
        events.detail(f"the run's time limit is unknown ({exc}): not checkpointed before it")
        return None
    h_rt = smaller(seconds(requested.get("h_rt")), seconds(offered.get("h_rt")))
    s_rt = smaller(seconds(requested.get("s_rt")), seconds(offered.get("s_rt")))
    if h_rt is None and s_rt is None:
        return None
    manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
    margin = margin_of(opts, manifest, h_rt) if h_rt is not None else 0.0
    at = smaller(
        soft_moment(s_rt) if s_rt is not None else None,
        h_rt - margin if h_rt is not None else None,
    )
    return Limit(h_rt=h_rt, s_rt=s_rt, margin=margin, at=max(at or 0.0, 1.0))


def begin(job: Job, events: Events, limit: Limit | None) -> int:
    """Record this run in the manifest's runs; its number (1 for the first)."""
    manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
    runs = list(manifest.get("runs") or [])
    entry: dict = {"run": len(runs) + 1, "host": job.host, "started": layout.now_iso()}
    if limit is not None:
        entry.update(limit=limit.at, h_rt=limit.h_rt, s_rt=limit.s_rt, margin=limit.margin)
        entry["checkpoint_at"] = layout.now_iso(time.time() + limit.at)
        events.detail(f"run {entry['run']}: checkpointed and requeued at {limit.why}")
    runs.append(entry)
    update_manifest(job, runs=runs)
    return entry["run"]


def end(job: Job, began: float, how: str) -> None:
    """Close this run's entry: when it ended, how long it ran, how (exit, limit, cap)."""
    manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
    runs = list(manifest.get("runs") or [])
    if not runs:
        return
    runs[-1] = dict(runs[-1], ended=layout.now_iso(), seconds=round(time.monotonic() - began, 1))
    runs[-1]["end"] = how
    update_manifest(job, runs=runs)


def wait(child: int, began: float, limit: Limit | None) -> int | None:
    """The child's wait status once it ends, or None when the run reached its limit first
    (the child still runs): the limit's moment, or Grid Engine's SIGUSR1 at s_rt. No
    polling: signals wake the wait through a pipe (signal.set_wakeup_fd), so a SIGCHLD
    that comes between two looks is never missed."""
    if limit is None:
        return os.waitpid(child, 0)[1]
    warned = []

    def on_usr1(*_args) -> None:
        if limit.s_rt is not None and time.monotonic() - began >= limit.s_rt - 5:
            warned.append(True)

    reader, writer = os.pipe()
    os.set_blocking(reader, False)
    os.set_blocking(writer, False)
    old = {s: signal.getsignal(s) for s in (signal.SIGCHLD, signal.SIGUSR1)}
    signal.signal(signal.SIGCHLD, lambda *_args: None)
    signal.signal(signal.SIGUSR1, on_usr1)
    previous_fd = signal.set_wakeup_fd(writer)
    try:
        while True:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                return status
            left = began + limit.at - time.monotonic()
            if left <= 0 or warned:
                return None
            select.select([reader], [], [], left)
            with contextlib.suppress(BlockingIOError):
                os.read(reader, 512)
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in old.items():
            signal.signal(signum, handler)
        os.close(reader)
        os.close(writer)
