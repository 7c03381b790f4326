"""Parallel environments (sge_pe(5)): what the doctor reads of them."""

from __future__ import annotations

from qckpt.backend.gridengine.formats import format_fields, parse_fields
from qckpt.backend.gridengine.runner import GridEngine


def list_pes(ge: GridEngine) -> dict[str, dict[str, str]]:
    """Every parallel environment by name; none when Grid Engine cannot say."""
    listing = ge.qconf("-spl", check=False)
    if listing.returncode != 0:
        return {}
    found = {}
    for name in listing.stdout.split():
        shown = ge.qconf("-sp", name, check=False)
        if shown.returncode == 0:
            found[name] = dict(parse_fields(shown.stdout))  # qconf wraps long lists
    return found


def pe_text(name: str, allocation_rule: str, **attrs: str) -> str:
    """A PE for checkpointing parallel jobs, in qconf's format: tasks started by Grid Engine
    (`qrsh -inherit`, control_slaves TRUE) so that the hooks reach them, the job script
    being the first task (as MPI launchers expect); `attrs` changes any attribute."""
    fields = {
        "pe_name": name,
        "slots": "99999",
        "user_lists": "NONE",
        "xuser_lists": "NONE",
        "start_proc_args": "NONE",
        "stop_proc_args": "NONE",
        "allocation_rule": allocation_rule,
        "control_slaves": "TRUE",
        "job_is_first_task": "TRUE",
        "urgency_slots": "min",
        "accounting_summary": "FALSE",
        "qsort_args": "NONE",
        **attrs,
    }
    return format_fields(list(fields.items()))


def add_pe(ge: GridEngine, name: str, allocation_rule: str) -> None:
    ge.qconf_file("-Ap", pe_text(name, allocation_rule))


def problems(name: str, attrs: dict[str, str], dmtcp: list[str]) -> list[tuple[str, str]]:
    """What in an existing PE stops checkpointing its jobs, each with its fix: tasks started
    outside Grid Engine (control_slaves FALSE: ssh, rsh) are never signalled; under DMTCP
    (the environments `dmtcp`) a run must stay on one host ($pe_slots): DMTCP's socket drain
    hangs a job across hosts, and the starter refuses such a run."""
    found = []
    if attrs.get("control_slaves", "").upper() != "TRUE":
        found.append(
            (
                "control_slaves FALSE: its tasks are started outside Grid Engine (ssh, rsh),"
                " so no checkpoint reaches them",
                f"qconf -mp {name}: control_slaves TRUE (tasks by qrsh -inherit)",
            )
        )
    if dmtcp and attrs.get("allocation_rule") != "$pe_slots":
        found.append(
            (
                f"allocation_rule {attrs.get('allocation_rule')}: a run on several hosts is"
                f" refused under {', '.join(dmtcp)} (DMTCP's socket drain hangs a job across"
                " hosts)",
                f"qconf -mp {name}: allocation_rule $pe_slots, or a signal-engine environment"
                " for jobs across hosts",
            )
        )
    return found
