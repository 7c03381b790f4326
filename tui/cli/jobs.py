"""`qckpt jobs` and `qckpt storage`: checkpointed jobs and ckpt_dir usage."""

from __future__ import annotations

import argparse

from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.jobs.listing import list_jobs
from qckpt.backend.jobs.storage import known_job_ids, overview, remove_orphans
from qckpt.tui.cli.envs import confirm
from qckpt.tui.output import human, print_json, print_table
from qckpt.tui.rows import JOB_COLUMNS, job_cells


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("jobs", help="jobs using a checkpoint environment, with their checkpoints")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--all", action="store_true", help="every job, checkpointing or not")
    p.set_defaults(run=cmd_jobs)
    p = sub.add_parser("storage", help="usage of each ckpt_dir; orphaned job directories")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--delete-orphans", action="store_true", help="remove them (asks first)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(run=cmd_storage)


def cmd_jobs(args: argparse.Namespace, ge: GridEngine) -> int:
    rows = list_jobs(ge, all_jobs=args.all)
    if args.json:
        print_json([r.as_dict() for r in rows])
        return 0
    if not rows:
        print("no checkpointing jobs" if not args.all else "no jobs")
        return 0
    table = [job_cells(r) for r in rows]
    print_table(list(JOB_COLUMNS), table)
    return 0


def cmd_storage(args: argparse.Namespace, ge: GridEngine) -> int:
    dirs = overview(ge)
    if args.delete_orphans:
        return delete_orphans(args, ge, dirs)
    if args.json:
        print_json([dict(usage.as_dict(), envs=names) for names, usage in dirs])
        return 0
    if not dirs:
        print("no checkpoint environments")
        return 0
    rows = []
    for names, usage in dirs:
        free = (
            human(usage.fs_free) + " free of " + human(usage.fs_total)
            if usage.exists
            else "missing"
        )
        rows.append(
            [
                usage.ckpt_dir,
                " ".join(names),
                human(usage.used),
                str(len(usage.tasks)),
                str(len(usage.orphans)),
                free,
            ]
        )
    print_table(["CKPT_DIR", "ENVS", "USED", "JOB DIRS", "ORPHANS", "FILE SYSTEM"], rows)
    return 0


def delete_orphans(args: argparse.Namespace, ge: GridEngine, dirs) -> int:
    orphans = [(usage.ckpt_dir, name) for _names, usage in dirs for name in usage.orphans]
    if not orphans:
        print("no orphaned job directories")
        return 0
    for folder, name in orphans:  # the dry run: what would go
        print(f"would remove {folder}/{name}")
    if not args.yes and not confirm(f"Remove these {len(orphans)} directories?"):
        print("nothing removed")
        return 1
    known = known_job_ids(ge)  # checked again: a job may have been submitted meanwhile
    for folder in sorted({f for f, _ in orphans}):
        for name in remove_orphans(folder, [n for f, n in orphans if f == folder], known):
            print(f"removed {folder}/{name}")
    return 0
