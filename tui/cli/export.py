"""`qckpt export` and `qckpt apply`: the checkpoint set-up of a cell as a YAML file."""

from __future__ import annotations

import argparse
import sys

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup import export
from qckpt.tui.output import read_text, yaml_problem

HEADER = "# qckpt export: the checkpoint set-up of a cell; `qckpt apply FILE` reproduces it\n"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="the cell's checkpoint set-up as YAML")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=cmd_export)
    p = sub.add_parser("apply", help="make the cell match a YAML set-up (shows the plan first)")
    p.add_argument("file", metavar="FILE.yaml")
    p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    p.set_defaults(run=cmd_apply)


def dump(data: dict) -> str:
    import yaml

    return HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def load(path: str) -> object:
    import yaml

    try:
        return yaml.safe_load(read_text(path, path))
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError(path, yaml_problem(exc))]) from None


def cmd_export(args: argparse.Namespace, ge: GridEngine) -> int:
    text = dump(export.export(ge))
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_apply(args: argparse.Namespace, ge: GridEngine) -> int:
    changes = export.plan(ge, load(args.file))
    if not changes:
        print("nothing to change: the cell matches " + args.file)
        return 0
    for change in changes:
        print(change.shown())
    if args.dry_run:
        print(f"(dry run: {len(changes)} changes not made)")
        return 0
    export.apply(changes)
    print(f"applied {len(changes)} changes")
    return 0
