"""The doctor's check of jobs longer than their time limit: can each environment's runs
work with the h_rt and s_rt of the queues that offer it? A run is checkpointed at s_rt,
or its --margin before h_rt (by default three times the job's last checkpoint time, plus
5 s), then requeued; the starter asks Grid Engine for the limits from the job's host."""

from __future__ import annotations

import math
import os

from qckpt.backend.doctor.findings import Cell, Finding, fail, ok, warn
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.formats import interval_seconds
from qckpt.hooks import errors, layout, safe
from qckpt.hooks.runs import seconds

MANIFESTS_READ = 500  # task directories looked at per ckpt_dir for checkpoint times


def checkpoint_seconds(env: CheckpointEnv, limit: int = MANIFESTS_READ) -> float | None:
    """The longest checkpoint of the environment's jobs in its ckpt_dir (their manifests,
    checked against the schema), or None when none has one."""
    try:
        names = sorted(os.listdir(env.ckpt_dir))[-limit:]
    except OSError:
        return None
    longest = None
    for name in names:
        raw = safe.read_json(os.path.join(env.ckpt_dir, name, layout.MANIFEST))
        try:
            manifest = layout.check_manifest(raw) if raw else {}
        except errors.BadManifest:
            continue
        if manifest.get("env") != env.name:
            continue
        for generation in manifest.get("generations") or []:
            took = (generation or {}).get("seconds")
            if isinstance(took, (int, float)) and (longest is None or took > longest):
                longest = float(took)
    return longest


def check_time_limits(cell: Cell) -> list[Finding]:
    out = []
    for env in cell.envs:
        hook = cell.hooks(env)
        if hook is None:
            continue
        margin = hook.options.margin
        measured = checkpoint_seconds(env) if margin is not None else None
        for queue, host in cell.offering(env.name):
            where = f"{env.name} on {queue.name}" + (f"@{host}" if host else "")
            h_rt = seconds(queue.value("h_rt", host))
            s_rt = seconds(queue.value("s_rt", host))
            if h_rt is None and s_rt is None:
                continue  # no limit here (a job's own -l h_rt is checked when it starts)
            interval = queue.value("min_cpu_interval", host)
            found = limit_findings(where, env, interval, h_rt, s_rt, margin)
            if measured is not None and margin is not None and measured > margin:
                better = math.ceil(3 * measured + 5)
                found.append(
                    warn(
                        "runs",
                        where,
                        f"its jobs' checkpoints took up to {measured:g} s, more than its margin"
                        f" of {margin:g} s before h_rt: a run may be killed before its"
                        " checkpoint ends",
                        f"--margin {better} in its ckpt_command and migr_command"
                        f" (qconf -mckpt {env.name})",
                    )
                )
            hosts = [host] if host else queue.hosts
            refused = sorted(h for h in hosts if h not in cell.admin_or_submit)
            if refused:
                found.append(
                    fail(
                        "runs",
                        where,
                        f"{', '.join(refused)} neither admin nor submit host: the starter"
                        " cannot ask Grid Engine for a run's limits there, so runs are killed"
                        " at h_rt instead of checkpointed and requeued",
                        f"qconf -as {refused[0]}",
                    )
                )
            out += found or [ok("runs", where, runs_said(h_rt, s_rt, margin))]
    return out


def limit_findings(
    where: str,
    env: CheckpointEnv,
    interval: str,
    h_rt: float | None,
    s_rt: float | None,
    margin: float | None,
) -> list[Finding]:
    """What in one queue's limits stops the environment's runs from working (pure)."""
    found = []
    if h_rt is not None and margin is not None and margin >= h_rt / 2:
        found.append(
            fail(
                "runs",
                where,
                f"its --margin of {margin:g} s leaves runs of {max(h_rt - margin, 0):g} s"
                f" under an h_rt of {h_rt:g} s",
                "a --margin under a tenth of h_rt, or none (from the job's checkpoint time)",
            )
        )
    if h_rt is not None and s_rt is not None and s_rt >= h_rt:
        found.append(
            warn(
                "runs",
                where,
                f"s_rt ({s_rt:g} s) is not before h_rt ({h_rt:g} s): runs are checkpointed"
                " before h_rt instead",
                "an s_rt shorter than h_rt by more than a checkpoint takes, or INFINITY",
            )
        )
    limit = min(v for v in (h_rt, s_rt) if v is not None)
    every = interval_seconds(interval)
    if "m" in env.when and every is not None and every >= limit:
        found.append(
            warn(
                "runs",
                where,
                f"min_cpu_interval ({interval}) is not shorter than a run: no periodic"
                " checkpoint within a run, only the one at its limit",
                "qckpt queue set QUEUE --min-cpu-interval with a tenth of h_rt",
            )
        )
    return found


def runs_said(h_rt: float | None, s_rt: float | None, margin: float | None) -> str:
    if s_rt is not None and (h_rt is None or s_rt < h_rt):
        return f"runs are checkpointed and requeued at s_rt ({s_rt:g} s)"
    how = f"{margin:g} s" if margin is not None else "from each job's checkpoint time"
    return f"runs are checkpointed and requeued before h_rt ({h_rt:g} s; margin {how})"
