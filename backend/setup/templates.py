"""Checkpoint environments that call the installed hooks (interface application-level).

The engine and its options live in the object's command lines; the starter reads them
back from the job's spool config.
"""

from __future__ import annotations

import os

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.rules import check_signal
from qckpt.backend.setup.hooks_install import HOOK
from qckpt.hooks.errors import UsageError
from qckpt.hooks.jobinfo import COMPRESSORS, parse_size

TEMPLATES = ("dmtcp", "dmtcp-cpu", "signal")
SUPPORTS = {  # what each template's environment can checkpoint, as the hooks do it
    "dmtcp": "any program, unchanged (DMTCP); serial jobs, and parallel jobs whose run is on"
    " one host (DMTCP cannot checkpoint processes that talk across hosts: such a run is"
    " refused)",
    "dmtcp-cpu": "as dmtcp, and a restart only on a host with the same CPU features",
    "signal": "programs that save themselves on USR1 (USR2: save and exit) and read their"
    " state back given --restart; serial jobs, and parallel jobs on any number of hosts"
    " (tasks started by qrsh -inherit: every rank is signalled)",
}
ARGS = "$job_id $ja_task_id $ckpt_dir $job_pid"


def from_template(
    name: str,
    template: str,
    hooks_dir: str,
    ckpt_dir: str,
    when: str = "xsr",
    keep: int = 2,
    timeout: int = 600,
    ckpt_signal: str = "USR1",
    migr_signal: str = "USR2",
    restart_option: str = "--restart",
    same_cpu: bool = False,
    tmpdir_limit: str | None = None,
    margin: int | None = None,
    max_runs: int | None = None,
    compress: str = "gzip",
) -> CheckpointEnv:
    if template not in TEMPLATES:
        raise ValidationFailed([FieldError("--template", "one of " + ", ".join(TEMPLATES))])
    if not os.path.isabs(hooks_dir) or any(c.isspace() for c in hooks_dir):
        raise ValidationFailed([FieldError("--hooks", "an absolute path without spaces")])
    if keep < 1:
        raise ValidationFailed([FieldError("--keep", "at least 1")])
    if timeout < 1:
        raise ValidationFailed([FieldError("--timeout", "at least 1 second")])
    for flag, sig in (("--ckpt-signal", ckpt_signal), ("--migr-signal", migr_signal)):
        error = check_signal(sig)
        if error is not None or sig.upper() == "NONE":
            raise ValidationFailed(
                [FieldError(flag, error.rule if error else "a signal, not NONE")]
            )
    hook = os.path.join(hooks_dir, HOOK)
    common = f"--keep {keep} --timeout {timeout}"
    if tmpdir_limit is not None:
        try:
            parse_size(tmpdir_limit)
        except UsageError:
            raise ValidationFailed(
                [FieldError("--tmpdir-limit", "a size such as 10G, 500M or 0 (keep none)")]
            ) from None
        common += f" --tmpdir-limit {tmpdir_limit}"
    if margin is not None:
        if margin < 1:
            raise ValidationFailed([FieldError("--margin", "at least 1 second")])
        common += f" --margin {margin}"
    if max_runs is not None:
        if max_runs < 1:
            raise ValidationFailed([FieldError("--max-runs", "at least 1 run")])
        common += f" --max-runs {max_runs}"
    if compress not in COMPRESSORS:
        raise ValidationFailed([FieldError("--compress", "one of " + ", ".join(COMPRESSORS))])
    if compress != "gzip" and template == "signal":
        raise ValidationFailed(
            [FieldError("--compress", "DMTCP's images only: the signal engine's programs save")]
        )
    if compress != "gzip":
        common += f" --compress {compress}"
    if same_cpu or template == "dmtcp-cpu":
        common += " --same-cpu"
    if template == "signal":
        if any(c.isspace() for c in restart_option) or not restart_option:
            raise ValidationFailed([FieldError("--restart-option", "one word, e.g. --restart")])
        common = f"--engine signal {common} --restart-option {restart_option}"
        ckpt = f"{hook} checkpoint {common} --signal {ckpt_signal} {ARGS}"
        migr = f"{hook} migrate {common} --signal {migr_signal} {ARGS}"
    else:
        ckpt = f"{hook} checkpoint --engine dmtcp {common} {ARGS}"
        migr = f"{hook} migrate --engine dmtcp {common} {ARGS}"
    return CheckpointEnv(
        name=name,
        interface="application-level",
        ckpt_command=ckpt,
        migr_command=migr,
        restart_command="NONE",
        clean_command=f"{hook} clean $job_id $ja_task_id $ckpt_dir",
        ckpt_dir=ckpt_dir,
        signal="NONE",
        when=when,
    )
