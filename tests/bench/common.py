"""Shared set-up for benchmarks: the shipped hooks and a fake job spool, as the shepherd has it."""

from __future__ import annotations

import os
import statistics
import tempfile

from qckpt.backend.setup.hooks_install import install
from qckpt.hooks import engine_dmtcp, layout


def hooks() -> str:
    folder = tempfile.mkdtemp(prefix="qckpt-bench-hooks-")
    install(folder)
    return folder


def spool(config: dict[str, str]) -> str:
    folder = tempfile.mkdtemp(prefix="qckpt-bench-spool-")
    with open(os.path.join(folder, "config"), "w") as handle:
        handle.writelines(f"{k}={v}\n" for k, v in config.items())
    return folder


def starter_env(spool_dir: str, **extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        SGE_JOB_SPOOL_DIR=spool_dir,
        SGE_STARTER_SHELL_PATH="/bin/sh",
        SGE_STARTER_SHELL_START_MODE="posix_compliant",
        SGE_STARTER_USE_LOGIN_SHELL="false",
        **extra,
    )


def checkpointing_job(command: str, ckpt_dir: str, job_tmp: str, job: str, **extra) -> dict:
    """The starter's environment for job `job` of a checkpoint environment whose
    ckpt_command is `command` (its arguments added), as the shepherd would give it."""
    config = {
        "ckpt_job": "1",
        "ckpt_interface": "application-level",
        "ckpt_command": command + " $job_id $ja_task_id $ckpt_dir $job_pid",
        "ckpt_dir": ckpt_dir,
        "handle_as_binary": "1",
        "no_shell": "1",
    }
    return starter_env(
        spool(config),
        JOB_ID=job,
        SGE_TASK_ID="undefined",
        RESTARTED="0",
        SGE_CKPT_ENV="bench",
        SGE_CKPT_DIR=ckpt_dir,
        TMPDIR=job_tmp,
        **extra,
    )


def dmtcp_running(task_dir: str) -> bool:
    """Whether the starter has seen the job run under DMTCP (a checkpoint can be asked)."""
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST)) or {}
    return (manifest.get("coordinator") or {}).get("state") not in (None, engine_dmtcp.STARTING)


def ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.1f} ms (min {min(seconds) * 1000:.1f})"
