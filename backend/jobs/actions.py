"""What an administrator does to a checkpointed job: migrate, suspend, resume, delete."""

from __future__ import annotations

import os

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs import events
from qckpt.backend.jobs.listing import JobRow, read_when
from qckpt.hooks import layout, safe


def target(row: JobRow) -> str:
    """JOB or JOB.TASK, as qmod and qdel take it."""
    return f"{row.job_id}.{row.task}" if row.task.isdigit() else row.job_id


def migrate(ge: GridEngine, row: JobRow) -> str:
    when = read_when(ge, row)
    if "x" not in when:
        raise ValidationFailed(
            [
                FieldError(
                    "when",
                    f"{row.env or 'no environment'} has when {when or '-'}"
                    " without x: qmod -sj would only suspend the job, not migrate it",
                )
            ]
        )
    return ge.run(["qmod", "-sj", target(row)]).message


def suspend(ge: GridEngine, row: JobRow) -> str:
    if "x" in read_when(ge, row):
        raise ValidationFailed(
            [FieldError("when", f"{row.env} has x: suspending the job migrates it (use migrate)")]
        )
    return ge.run(["qmod", "-sj", target(row)]).message


def resume(ge: GridEngine, row: JobRow) -> str:
    return ge.run(["qmod", "-usj", target(row)]).message


def delete(ge: GridEngine, row: JobRow) -> str:
    return ge.run(["qdel", target(row)]).message


def tail(path: str | None, lines: int) -> list[str]:
    """The last lines of a log in ckpt_dir, read safely (hooks.safe) and made plain."""
    if not path:
        return []
    text = safe.read_tail(path).decode(errors="replace")
    return [safe.plain(line, 500) for line in text.splitlines()[-lines:]]


def details(row: JobRow, ckpt_dir: str | None, lines: int = 12) -> dict[str, list[str]]:
    """The tail of the job's hook log and its newest events (of its owner's events file)."""
    hook_log = os.path.join(row.task_dir, layout.HOOK_LOG) if row.task_dir else None
    label = f"{row.job_id}.{row.task if row.task.isdigit() else 1}"
    found = events.read(ckpt_dir, label, lines, owner_only=row.owner).events if ckpt_dir else []
    return {
        "hook.log": tail(hook_log, lines),
        "events": [e.line for e in found],
    }
