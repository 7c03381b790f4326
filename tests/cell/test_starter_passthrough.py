"""A job that does not checkpoint runs through qckpt-starter exactly as without it.

Each case runs the same job on two queues that differ only in starter_method, and compares
what the job saw: argv[0], arguments, its parent (the shepherd: no extra process), the
command line, ignored signals, stdin, cwd and its environment's names in their order.
"""

from __future__ import annotations

import os
import uuid

import pytest

from qckpt.backend.setup.hooks_install import install
from tests.cell.jobs import scratch, share_programs, submit, wait_finished

pytestmark = pytest.mark.cell
# A queue's shell_start_mode is one of these three (Grid Engine refuses start_as_command,
# which it uses only internally; tests/unit/test_starter.py covers its argv).
MODES = ("unix_behavior", "posix_compliant", "script_from_stdin")
CASES = {
    **{mode: (mode, []) for mode in MODES},
    "binary": ("posix_compliant", ["-b", "y"]),
    "binary-no-shell": ("posix_compliant", ["-b", "y", "-shell", "no"]),
}


@pytest.fixture(scope="module")
def outputs(sandbox):
    ge = sandbox.ge()
    install(sandbox.hooks_dir)
    programs = share_programs(sandbox)
    out_dir = scratch(sandbox, "passthrough")
    tag = uuid.uuid4().hex[:6]
    queues = []
    jobs = []
    try:
        for mode in MODES:
            for kind in ("plain", "starter"):
                name = f"pt{tag}-{mode[:6]}-{kind}"
                sandbox.add_queue(name)
                queues.append(name)
                ge.qconf("-mattr", "queue", "shell_start_mode", mode, name)
                if kind == "starter":
                    starter = os.path.join(sandbox.hooks_dir, "qckpt-starter")
                    ge.qconf("-mattr", "queue", "starter_method", starter, name)
        for case, (mode, extra) in CASES.items():
            for kind in ("plain", "starter"):
                queue = f"pt{tag}-{mode[:6]}-{kind}"
                path = os.path.join(out_dir, f"{case}.{kind}")
                # LANG=C: Python coerces a C locale (adds LC_CTYPE to its environment)
                args = ["-q", queue, "-o", path, "-j", "y", "-v", "LANG=C", *extra]
                probe = os.path.join(programs, "probe.sh")
                jobs.append(submit(ge, sandbox, *args, probe, "a", "b c"))
        wait_finished(ge, sandbox, jobs, timeout=120)
        results = {}
        for case in CASES:
            pair = []
            for kind in ("plain", "starter"):
                with open(os.path.join(out_dir, f"{case}.{kind}")) as handle:
                    pair.append(handle.read())
            results[case] = pair
        yield results
    finally:
        for name in queues:
            ge.qconf("-dq", name, check=False)


@pytest.mark.parametrize("case", list(CASES))
def test_job_sees_the_same_start_with_and_without_the_starter(outputs, case):
    plain, starter = outputs[case]
    # The shepherd (or, for a binary job, the shell it runs it with) is the parent.
    assert "parent=sge_shepherd" in plain or ("parent=sh" in plain and "binary" in case)
    assert starter == plain


def test_the_start_modes_really_differ(outputs):
    """Guard against a comparison that cannot fail: the modes start jobs differently."""
    assert len({outputs[case][0] for case in CASES}) >= 3
