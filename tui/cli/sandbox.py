"""`qckpt sandbox ...`: the private single-node Grid Engine cell."""

from __future__ import annotations

import argparse
import sys

from qckpt.backend.sandbox.cell import Sandbox
from qckpt.backend.sandbox.demo import load_demo


def register(sub: argparse._SubParsersAction) -> None:
    sandbox = sub.add_parser("sandbox", help="a private single-node Grid Engine cell")
    verbs = sandbox.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("up", help="create and start the cell (as root); idempotent")
    p.add_argument(
        "--demo",
        action="store_true",
        help="also set the cell up with qckpt's own steps and submit demo jobs that checkpoint"
        " (one is moved to another host: --hosts 2)",
    )
    p.add_argument(
        "--hosts",
        type=int,
        default=1,
        metavar="N",
        help="execution hosts in all (2 to 8 adds hosts in network namespaces on this machine)",
    )
    p.set_defaults(run=cmd_up)
    p = verbs.add_parser("down", help="stop the daemons this cell started")
    p.add_argument(
        "--remove", action="store_true", help="also delete the cell: its jobs, spool and ckpt_dir"
    )
    p.set_defaults(run=cmd_down)
    verbs.add_parser("status", help="what runs; exit 0 when the cell answers").set_defaults(
        run=cmd_status
    )
    verbs.add_parser("env", help='print export lines: eval "$(qckpt sandbox env)"').set_defaults(
        run=cmd_env
    )


def cmd_up(args: argparse.Namespace, sandbox: Sandbox) -> int:
    sandbox.up(log=_log, hosts=args.hosts)
    if args.demo:
        load_demo(sandbox, log=_log)
    return 0


def cmd_down(args: argparse.Namespace, sandbox: Sandbox) -> int:
    if args.remove:
        sandbox.remove(log=_log)
    else:
        sandbox.down(log=_log)
    return 0


def cmd_status(args: argparse.Namespace, sandbox: Sandbox) -> int:
    answers, lines = sandbox.status()
    print("\n".join(lines))
    return 0 if answers else 1


def cmd_env(args: argparse.Namespace, sandbox: Sandbox) -> int:
    sys.stdout.write(sandbox.export_lines())
    return 0


def _log(message: str) -> None:
    print(f"qckpt sandbox: {message}", file=sys.stderr)
