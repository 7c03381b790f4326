"""`qckpt-hook probe CKPT_DIR`: what `qckpt setup` needs to know of an execution host, run
there as a job by an ordinary user. One JSON line: the host's name, whether the user can
write into ckpt_dir, the host's CPU values (as Grid Engine complex values), DMTCP's version
and the system python's."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import sys
import tempfile

from . import cpu


def ckpt_dir_state(path: str) -> str:
    if not os.path.isdir(path):
        return "missing"
    try:
        fd, name = tempfile.mkstemp(prefix=".qckpt-probe-", dir=path)
    except OSError as exc:
        return f"not writable ({exc.strerror})"
    os.close(fd)
    os.unlink(name)
    return "ok"


def dmtcp_version() -> str | None:
    try:
        from . import engine_dmtcp

        return engine_dmtcp.find().version()
    except Exception:  # absent, or broken: the probe reports, never fails
        return None


def own_digest() -> str | None:
    """This hook file's digest (as `qckpt hooks install` reports it): current on this host?"""
    try:
        with open(sys.argv[0], "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:16]
    except OSError:
        return None


def report(ckpt_dir: str) -> dict:
    return {
        "host": socket.gethostname(),
        "ckpt_dir": ckpt_dir_state(ckpt_dir),
        "cpu": cpu.complex_values(cpu.read_flags()),
        "dmtcp": dmtcp_version(),
        "python": platform.python_version(),
        "hook": own_digest(),
    }


def main(positionals: list[str]) -> int:
    if len(positionals) != 1 or not os.path.isabs(positionals[0]):
        print("qckpt-hook probe: give the absolute ckpt_dir", flush=True)
        return 2
    print(json.dumps(report(positionals[0]), sort_keys=True), flush=True)
    return 0
