"""The owner's history of ended job tasks: when clean removes a task directory, one JSON
line of its checkpoint figures goes to ckpt_dir/history-<user>.jsonl (the user's own file,
found as events files are), so `qckpt report` counts jobs that have ended.

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import json
import os
import time

from . import layout
from .events import Events, append
from .jobinfo import Job

ROTATE = 4 << 20  # ~12,000 ended tasks; then renamed to .1 (one old file kept)


def record(job: Job, manifest: dict) -> dict:
    """What the report needs of an ended task, from its manifest (~300 bytes)."""
    runs = [r for r in manifest.get("runs") or [] if isinstance(r, dict)]
    restarts = [r for r in manifest.get("restarts") or [] if isinstance(r, dict)]
    taken = [t for t in manifest.get("taken") or [] if isinstance(t, dict)]
    cost = manifest.get("cost") if isinstance(manifest.get("cost"), dict) else {}
    run_seconds = layout.run_seconds(manifest, time.time())
    return {
        "job": job.job_id,
        "task": job.task,
        "owner": job.owner,
        "env": job.env_name,
        "engine": manifest.get("engine"),
        "hosts": sorted({r.get("host") for r in runs if isinstance(r.get("host"), str)}),
        "host": runs[-1].get("host") if runs else job.host,  # the last it ran on
        "started": runs[0].get("started") if runs else None,
        "ended": layout.now_iso(),
        "runs": len(runs),
        "run_seconds": round(run_seconds, 1) if run_seconds is not None else None,
        "checkpoints": cost.get("checkpoints") or 0,
        "stopped": cost.get("stopped") or 0.0,
        "restarts": len(restarts),
        "saved": round(sum(_number(r.get("saved")) for r in restarts), 1),
        "lost": round(sum(_number(r.get("lost")) for r in restarts), 1),
        "size": taken[-1].get("size") if taken else None,
        "first_size": taken[0].get("size") if taken else None,
    }


def _number(value: object) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def add(job: Job, task_dir: str, events: Events) -> None:
    """The task's line in its owner's history; a failure is said, never stops the clean."""
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST)) or {}
    line = json.dumps(record(job, manifest), separators=(",", ":"))
    naming = (layout.history_name, layout.history_user)
    try:
        append(job.ckpt_dir, job.owner, naming, line, ROTATE)
    except OSError as exc:
        events.error(f"the job's history was not written in {job.ckpt_dir}: {exc}")
