"""What an administrator does to a checkpointed job: migrate, suspend, resume, delete."""

from __future__ import annotations

import os

from qckpt.hooks import layout

from .errors import FieldError, ValidationFailed
from .gridengine import GridEngine
from .jobs import JobRow


def target(row: JobRow) -> str:
    """JOB or JOB.TASK, as qmod and qdel take it."""
    return f"{row.job_id}.{row.task}" if row.task.isdigit() else row.job_id


def migrate(ge: GridEngine, row: JobRow) -> str:
    if "x" not in row.when:
        raise ValidationFailed(
            [FieldError("when", f"{row.env or 'no environment'} has when {row.when or '-'}"
                        " without x: qmod -sj would only suspend the job, not migrate it")]
        )  # fmt: skip
    return ge.run(["qmod", "-sj", target(row)]).message


def suspend(ge: GridEngine, row: JobRow) -> str:
    if "x" in row.when:
        raise ValidationFailed(
            [FieldError("when", f"{row.env} has x: suspending the job migrates it (use migrate)")]
        )
    return ge.run(["qmod", "-sj", target(row)]).message


def resume(ge: GridEngine, row: JobRow) -> str:
    return ge.run(["qmod", "-usj", target(row)]).message


def delete(ge: GridEngine, row: JobRow) -> str:
    return ge.run(["qdel", target(row)]).message


def tail(path: str | None, lines: int, needle: str | None = None) -> list[str]:
    if not path:
        return []
    try:
        with open(path, errors="replace") as handle:
            found = [ln.rstrip("\n") for ln in handle if needle is None or needle in ln]
    except OSError:
        return []
    return found[-lines:]


def details(row: JobRow, ckpt_dir: str | None, lines: int = 12) -> dict[str, list[str]]:
    """The manifest, the tail of the job's hook log and its lines of ckpt.log."""
    hook_log = os.path.join(row.task_dir, layout.HOOK_LOG) if row.task_dir else None
    ckpt_log = os.path.join(ckpt_dir, layout.CKPT_LOG) if ckpt_dir else None
    label = f" job={row.job_id}.{row.task if row.task.isdigit() else 1} "
    return {
        "hook.log": tail(hook_log, lines),
        "ckpt.log": tail(ckpt_log, lines, label),
    }
