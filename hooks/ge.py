"""The hooks' one place that runs Grid Engine commands (qstat, qalter, qconf -sc).

They run on the execution host as the job owner, with the job's environment (SGE_ROOT,
SGE_CELL, ports); the host must be a submit or admin host for them to be allowed.
"""

from __future__ import annotations

import subprocess

from .errors import GridEngineFailed

TIMEOUT = 60


def run(args: list[str]) -> str:
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",  # the job's environment, which qstat -j shows, is any bytes
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GridEngineFailed(f"{args[0]}: {exc}") from None
    if proc.returncode != 0:
        message = " ".join((proc.stderr + proc.stdout).split())
        raise GridEngineFailed(f"{' '.join(args[:2])} failed: {message}")
    return proc.stdout


def hard_requests(job_id: str) -> dict[str, str]:
    """The job's hard resource list (qstat -j), e.g. {"h_rt": "3600"}."""
    for line in run(["qstat", "-j", job_id]).splitlines():
        if line.startswith("hard resource_list:"):
            items = line.split(":", 1)[1].strip()
            return dict(item.split("=", 1) for item in items.split(",") if "=" in item)
    return {}


def set_hard_requests(job_id: str, wanted: dict[str, str]) -> None:
    """qalter -l replaces the whole hard list: pass every request to keep."""
    run(["qalter", "-l", ",".join(f"{k}={v}" for k, v in wanted.items()), job_id])


def complex_names() -> set[str]:
    names = set()
    for line in run(["qconf", "-sc"]).splitlines():
        if line and not line.startswith("#"):
            names.add(line.split()[0])
    return names
