"""`qckpt report`: what checkpointing cost and saved, per environment, user, host, cell."""

from __future__ import annotations

import argparse
import time

from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.report.interval import FAR, clock_time, set_command
from qckpt.backend.report.summary import Totals, report
from qckpt.tui.output import human, print_json, print_table
from qckpt.tui.rows import share

HEADERS = ["TASKS", "RUNNING", "CKPTS", "STOPPED", "RUN TIME", "OVERHEAD", "RESTARTS"]
HEADERS += ["KEPT", "REDONE", "SIZE"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="what checkpointing cost and saved: per environment, user, host and the cell",
        description="Running jobs from their manifests, ended ones from each ckpt_dir's"
        " history files (written when a job's directory is cleaned). STOPPED: time jobs"
        " were stopped for checkpoints; OVERHEAD: that share of their run time; KEPT and"
        " REDONE: run time restarts kept, and work done again after them.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--since", metavar="DATE", help="only jobs ended since (2026-12-01, UTC)")
    p.add_argument(
        "--mtbi",
        metavar="HOURS",
        type=float,
        help="hours of job run time between interruptions that lose work (host failures,"
        " reschedules), instead of the rate measured in the accounting file",
    )
    p.set_defaults(run=cmd_report)


def hours(seconds: float) -> str:
    """A duration in the unit that reads: 0.4s, 135s, 2.5h."""
    if seconds >= 360:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"


def cells(totals: Totals) -> list[str]:
    return [
        str(totals.tasks),
        str(totals.running),
        str(totals.checkpoints),
        hours(totals.stopped),
        hours(totals.run_seconds),
        share(totals.overhead),
        str(totals.restarts),
        hours(totals.saved),
        hours(totals.lost),
        human(totals.size),
    ]


def cmd_report(args: argparse.Namespace, ge: GridEngine) -> int:
    found = report(ge, since=args.since, mtbi_hours=args.mtbi)
    if args.json:
        print_json(found.as_dict())
        return 0
    for title, groups in (
        ("ENV", found.by_env),
        ("USER", found.by_user),
        ("HOST", found.by_host),
    ):
        print_table([title, *HEADERS], [[name, *cells(groups[name])] for name in sorted(groups)])
        print()
    print_table(["CELL", *HEADERS], [["all", *cells(found.cell)]])
    print()
    print_interruptions(found)
    if found.mtbi is not None:
        print()
        print_intervals(found)
    if found.forged or found.bad:
        print(f"\n{found.forged + found.bad} history lines not believed (another user's name,")
        print("or not as the hooks write them): left out")
    return 0


def print_interruptions(found) -> None:
    """What the accounting file says about interrupted runs, and the rate it gives."""
    seen = found.interrupted
    if seen is None or seen.problem:
        print(f"interruptions not measured: {seen.problem if seen else 'no accounting'}")
        return
    since = time.strftime("%Y-%m-%d %H:%M", time.gmtime(seen.since)) if seen.since else "-"
    print(f"Accounting since {since} UTC: {seen.runs} runs, {hours(seen.run_seconds)} of run time")
    where = ", ".join(f"{h} {n}" for h, n in sorted(seen.by_host.items()))
    print(
        f"  lost work: {seen.failures} host failures, {seen.reschedules} reschedules"
        + (f": one every {hours(seen.mtbi)} of run time ({where})" if seen.mtbi else "")
    )
    print(
        f"  not counted: {seen.migrations} migrations (checkpointed first), {seen.requeues}"
        f" requeues the jobs asked for, {seen.limits} runs killed at a limit"
    )
    if seen.bad:
        print(f"  {seen.bad} accounting lines not as Grid Engine 8.1 writes them: left out")
    if found.mtbi is None:
        print("  no interruption that lost work: give --mtbi HOURS for the intervals to use")


def print_intervals(found) -> None:
    """Per environment: a checkpoint's cost, the interval in use and the best one (Daly's),
    the expected overhead of each, and the command that sets it."""
    rows, commands = [], []
    for env in sorted(found.by_env):
        advice = found.advice(env)
        if advice is None:
            continue
        where = found.in_use.get(env)
        rows.append(
            [
                env,
                f"{advice.cost:.1f}s",
                f"{clock_time(advice.current)} ({where[1]})" if where else "-",
                share(advice.overhead_current),
                clock_time(advice.best),
                share(advice.overhead_best),
            ]
        )
        if where and advice.factor is not None and advice.factor >= FAR:
            commands.append(set_command(where[1], advice.best))
    if not rows:
        print("no environment has a measured checkpoint yet: no interval to suggest")
        return
    said = "as given" if found.mtbi_from == "given" else "as measured"
    print(
        f"Checkpoint intervals for an interruption every {hours(found.mtbi)} of run time ({said}):"
    )
    headers = ["ENV", "COST", "IN USE (QUEUE)", "OVERHEAD", "BEST", "OVERHEAD AT BEST"]
    print_table(headers, rows)
    for command in commands:
        print(f"  far from the best: {command}")
