"""`qckpt report`: what checkpointing cost and saved, per environment, user, host, cell."""

from __future__ import annotations

import argparse

from qckpt.backend.gridengine.runner import GridEngine
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
    p.set_defaults(run=cmd_report)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}h" if seconds >= 360 else f"{seconds:.0f}s"


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
    found = report(ge, since=args.since)
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
    if found.forged or found.bad:
        print(f"\n{found.forged + found.bad} history lines not believed (another user's name,")
        print("or not as the hooks write them): left out")
    return 0
