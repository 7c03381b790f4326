"""`qckpt doctor`: every condition checkpointing relies on, with the fix for each."""

from __future__ import annotations

import argparse

from qckpt.backend.doctor.diagnose import diagnose
from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup.steps import ordinary_user
from qckpt.tui.output import print_json, print_table

MARKS = {"pass": "ok", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the cell's checkpoint set-up; exit 1 on a failure")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--problems", action="store_true", help="only warnings and failures")
    p.add_argument(
        "--hosts",
        action="store_true",
        help="also ask every execution host, by a short job each (as --user)",
    )
    p.add_argument("--user", metavar="USER", help="an ordinary user for those jobs")
    p.add_argument(
        "--mtbi",
        metavar="HOURS",
        type=float,
        help="hours of job run time between interruptions that lose work, to judge"
        " checkpoint intervals by (default: as measured in the accounting file)",
    )
    p.set_defaults(run=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, ge: GridEngine) -> int:
    user = None
    if args.hosts:
        env = ge.environment()
        user = args.user or env.get("QCKPT_SANDBOX_USER") or env.get("SUDO_USER")
        if not ordinary_user(user):
            raise ValidationFailed([FieldError("--user", "an ordinary user (uid >= 1000)")])
    findings = diagnose(ge, probe_user=user, mtbi_hours=args.mtbi)
    shown = [f for f in findings if f.status != "pass"] if args.problems else findings
    if args.json:
        print_json([f.as_dict() for f in shown])
    else:
        rows = [[MARKS[f.status], f.check, f.subject, f.message] for f in shown]
        print_table(["", "CHECK", "SUBJECT", "FINDING"], rows)
        for finding in (f for f in shown if f.fix):
            print(f"fix {finding.check} {finding.subject}: {finding.fix}")
        counts = {s: sum(f.status == s for f in findings) for s in MARKS}
        print(f"{counts['pass']} ok, {counts['warn']} warnings, {counts['fail']} failures")
    return 1 if any(f.status == "fail" for f in findings) else 0
