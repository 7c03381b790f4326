"""Each environment's checkpoint interval beside the best one, as the Environments view
shows it (a column each, and lines in the details)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qckpt.backend.report.interval import FAR, clock_time, in_hours, set_command

if TYPE_CHECKING:
    from qckpt.backend.report.summary import Report

INTERVAL_COLUMNS = ("CKPT COST", "INTERVAL", "BEST")


def interval_cells(found: Report | None, name: str) -> list[str]:
    """Its cost of a checkpoint, the interval in use and the best one ("-": not known)."""
    if found is None:
        return ["...", "...", "..."]
    cost = found.cost(name)
    where = found.in_use.get(name)
    advice = found.advice(name)
    best = "-"
    if advice is not None:
        off = advice.factor
        best = clock_time(advice.best) + (f" ({off:.0f}x)" if off and off >= FAR else "")
    return [
        f"{cost:.1f}s" if cost is not None else "-",
        clock_time(where[0]) if where else "-",
        best,
    ]


def interval_details(found: Report | None, name: str) -> list[tuple[str, str]]:
    """Lines for the details pane: what the figures are and the command that sets the best."""
    if found is None:
        return [("interval", "measuring (checkpoints, history, accounting)...")]
    totals = found.by_env.get(name)
    cost = found.cost(name)
    if totals is None or cost is None:
        return [("checkpoint cost", "no checkpoint measured yet")]
    owners = sum(1 for env, _owner in found.env_users if env == name)
    lines = [
        (
            "checkpoint cost",
            f"{cost:.2f} s stopped per checkpoint (the median of {owners} users' means;"
            f" {totals.checkpoints} checkpoints"
            + (f" since {found.since[:10]})" if found.since else ")"),
        )
    ]
    where = found.in_use.get(name)
    advice = found.advice(name)
    if advice is None:
        seen = found.interrupted
        why = seen.problem if seen and seen.problem else "no interruption lost work lately"
        lines.append(("best interval", f"not known: {why} (settings: mtbi, in hours)"))
        return lines
    if where:
        lines.append(
            (
                "interval in use",
                f"{clock_time(where[0])} (min_cpu_interval of {where[1]}):"
                f" expected overhead {advice.overhead_current:.1%}",
            )
        )
    said = "as set" if found.mtbi_from == "given" else "as measured"
    lines.append(
        (
            "best interval",
            f"{clock_time(advice.best)} for an interruption every {in_hours(found.mtbi)} of"
            f" run time ({said}): expected overhead {advice.overhead_best:.1%}",
        )
    )
    if where and advice.factor is not None and advice.factor >= FAR:
        lines.append(("set it", set_command(where[1], advice.best)))
    return lines
