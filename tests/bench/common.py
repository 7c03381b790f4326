"""Shared set-up for benchmarks: the shipped hooks and a fake job spool, as the shepherd has it."""

from __future__ import annotations

import os
import statistics
import tempfile

from qckpt.backend.setup.hooks_install import install


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


def ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.1f} ms (min {min(seconds) * 1000:.1f})"
