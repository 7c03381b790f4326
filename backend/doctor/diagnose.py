"""`qckpt doctor`: every condition checkpointing relies on, each pass / warn / fail with the
fix. Read-only: it runs qconf/qstat and looks at files, and changes nothing."""

from __future__ import annotations

from qckpt.backend.doctor import checks
from qckpt.backend.doctor.findings import Cell, Finding, fail, ok
from qckpt.backend.doctor.intervals import check_intervals
from qckpt.backend.errors import GridEngineError
from qckpt.backend.gridengine.runner import GridEngine


def diagnose(
    ge: GridEngine, probe_user: str | None = None, mtbi_hours: float | None = None
) -> list[Finding]:
    """Every check; with probe_user, also a probe job on every execution host, as that user;
    intervals judged for the hours between interruptions given, else those measured."""
    try:
        cell = Cell.read(ge)
    except GridEngineError as exc:  # unreachable, or no such cell
        return [fail("qmaster", ge.describe(), str(exc), "start sge_qmaster (or qckpt sandbox up)")]
    findings = [ok("qmaster", ge.describe(), "sge_qmaster answers")]
    for check in checks.ALL:
        findings += check(cell)
    findings += check_intervals(ge, cell, mtbi_hours)
    if probe_user:
        findings += checks.check_hosts(cell, ge, probe_user)
    return findings
