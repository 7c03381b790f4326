"""The rows the command line and the console both show, computed once here (no Textual)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qckpt.backend.gridengine.checkpoint import COMMAND_FIELDS, CheckpointEnv

from .output import age, human

if TYPE_CHECKING:  # the console's first view needs none of them loaded (P5: first paint)
    from qckpt.backend.gridengine.queue_states import InstanceState
    from qckpt.backend.gridengine.queues import Queue
    from qckpt.backend.jobs.listing import JobRow

ENV_COLUMNS = ("NAME", "INTERFACE", "WHEN", "SIGNAL", "COMMANDS", "CKPT_DIR")
QUEUE_COLUMNS = (
    "QUEUE",
    "HOSTS",
    "STATE",
    "SLOTS",
    "CKPT_LIST",
    "STARTER",
    "MIN_CPU",
    "SUSPEND_THR",
)
QUEUE_ATTRS = ("slots", "ckpt_list", "starter_method", "min_cpu_interval", "suspend_thresholds")
JOB_COLUMNS = (
    "JOB",
    "NAME",
    "OWNER",
    "STATE",
    "QUEUE",
    "ENV",
    "WHEN",
    "LAST",
    "GENS",
    "COST",
    "SIZE",
    "RESTARTS",
    "RUN",
    "LAST ERROR",
)


def commands_set(env: CheckpointEnv) -> str:
    """Which of the four commands are set: ckpt,migr,clean (or -)."""
    short = [c.split("_")[0] for c in COMMAND_FIELDS if env.as_dict()[c].upper() != "NONE"]
    return ",".join(short) or "-"


def env_cells(env: CheckpointEnv) -> list[str]:
    return [env.name, env.interface, env.when, env.signal, commands_set(env), env.ckpt_dir]


def queue_rows(queue: Queue, states: dict[str, InstanceState]) -> dict[str, list[str]]:
    """The queue's row and one per queue@host override (inherited values in parentheses).
    STATE: the queue row names each instance in a state (E@host); an override row its own."""
    from qckpt.backend.gridengine.queue_states import with_states

    flagged = " ".join(f"{s.states}@{s.host}" for s in with_states(states, queue.name))
    rows = {
        queue.name: [queue.name, " ".join(queue.hosts), flagged or "ok"]
        + [queue.value(a) for a in QUEUE_ATTRS]
    }
    for host in queue.override_hosts():
        own = states.get(f"{queue.name}@{host}")
        row = [f"{queue.name}@{host}", host, (own.states if own else "") or "ok"]
        for attr in QUEUE_ATTRS:
            own = queue.attrs[attr].overrides.get(host)
            row.append(own if own is not None else f"({queue.value(attr)})")
        rows[f"{queue.name}@{host}"] = row
    return rows


def job_cells(row: JobRow, error_width: int = 40) -> list[str]:
    return [
        row.key,
        row.name,
        row.owner,
        row.state,
        row.queue or "-",
        row.env or "-",
        (row.when or "-") if row.when_read else f"({row.when or '-'})",  # its env's, for now
        age(row.age_seconds),
        str(row.checkpoints),  # taken so far; the details list the kept ones
        share(row.overhead),  # of its run time, stopped for checkpoints
        human(row.size),
        str(row.restarts),
        run_text(row),
        (row.problem or row.last_error or "")[:error_width],
    ]


def share(part: float | None) -> str:
    """0.0123 as '1.2%' ('-' for none): what a cost is of a whole."""
    if part is None:
        return "-"
    if 0 < part < 0.0005:
        return "<0.1%"
    return f"{part * 100:.1f}%" if part < 0.1 else f"{part * 100:.0f}%"


def run_text(row: JobRow) -> str:
    """'2 (23m left)': this run's number, and the time before its checkpoint at the limit."""
    if not row.run:
        return "-"
    left = f" ({age(row.left_seconds)} left)" if row.left_seconds is not None else ""
    return f"{row.run}{left}"
