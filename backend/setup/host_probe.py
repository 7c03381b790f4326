"""Asking each execution host, through Grid Engine itself: a short job per host
(`qsub -sync y -l h=HOST`) runs `qckpt-hook probe CKPT_DIR` as an ordinary user and writes
one JSON line into ckpt_dir. So "can every host reach ckpt_dir" is answered by every host,
as a job will find it, and its CPU values and DMTCP come along."""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import time
from dataclasses import dataclass, field

from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup.hooks_install import HOOK
from qckpt.hooks import safe

TIMEOUT = 120.0
REPORT_CAP = 64 << 10
REASON = re.compile(r"^\S+ \S+ \[[^\]]*\]:\s*")  # "11/22/2026 09:03:21 [1001:16920]: "


@dataclass
class HostReport:
    host: str
    ok: bool
    problem: str = ""
    cpu: dict[str, str] = field(default_factory=dict)
    dmtcp: str | None = None
    python: str = ""
    hook: str | None = None  # the digest of the hook file the host ran


def output_path(ckpt_dir: str, host: str) -> str:
    """Where a probe job writes its report: a new name nobody can guess in ckpt_dir, where
    any user may create a name first (a FIFO at a fixed name would hang the set-up)."""
    return os.path.join(ckpt_dir, f".qckpt-probe-{host}-{secrets.token_hex(8)}.json")


def probe_hosts(
    ge: GridEngine, hooks_dir: str, ckpt_dir: str, user: str, hosts: list[str]
) -> list[HostReport]:
    """One probe job per host, all at once; a job Grid Engine cannot start on its host (its
    output path unreachable there) is reported with Grid Engine's reason, not waited for."""
    hook = os.path.join(hooks_dir, HOOK)
    jobs: dict[str, str] = {}
    reports: dict[str, HostReport] = {}
    outs = {host: output_path(ckpt_dir, host) for host in hosts}
    uid = pwd.getpwnam(user).pw_uid
    for host, out in outs.items():
        argv = [
            "qsub",
            "-terse",
            "-l",
            f"h={host}",
            "-b",
            "y",
            "-j",
            "y",
            "-o",
            out,
            "-N",
            "qckpt-probe",
            hook,
            "probe",
            ckpt_dir,
        ]
        jobs[host] = ge.run(argv, user=user, cwd="/tmp").stdout.strip().split(".")[0]
    deadline = time.monotonic() + TIMEOUT
    while len(reports) < len(jobs) and time.monotonic() < deadline:
        for host, job in jobs.items():
            if host not in reports:
                found = collect(ge, host, job, outs[host], uid)
                if found is not None:
                    reports[host] = found
        time.sleep(0.5)
    for host, job in jobs.items():
        if host not in reports:
            ge.run(["qdel", job], check=False)
            reports[host] = HostReport(host, False, f"no answer within {TIMEOUT:g} s")
    return [reports[h] for h in hosts]


def collect(ge: GridEngine, host: str, job: str, out: str, uid: int) -> HostReport | None:
    """The host's report once its job wrote it (a file of the probe's user, read safely);
    its failure once Grid Engine gave up on it."""
    try:
        text = (safe.read_head(out, REPORT_CAP, owner=uid) or b"").decode()
        data = json.loads(text.strip().splitlines()[-1])
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except (ValueError, IndexError):
        result = ge.qstat("-j", job, check=False)
        if result.returncode != 0 and not os.path.exists(out):  # ended without a report
            return HostReport(
                host, False, f"probe job {job} ended without a report: qacct -j {job}"
            )
        status = result.stdout
        reason = next(
            (
                REASON.sub("", ln.split(":", 1)[1].strip())
                for ln in status.splitlines()
                if ln.startswith("error reason")
            ),
            None,
        )
        if reason is None:
            return None  # pending or running still
        ge.run(["qdel", job], check=False)
        return HostReport(host, False, f"Grid Engine could not run the probe: {reason}")
    os.unlink(out)
    data = {k: v if isinstance(v, (dict, type(None))) else safe.plain(v) for k, v in data.items()}
    report = HostReport(
        host,
        data.get("ckpt_dir") == "ok",
        cpu=data.get("cpu") or {},
        dmtcp=data.get("dmtcp"),
        python=data.get("python", ""),
        hook=data.get("hook"),
    )
    if not report.ok:
        report.problem = f"ckpt_dir {data.get('ckpt_dir')} on {host}"
    return report
