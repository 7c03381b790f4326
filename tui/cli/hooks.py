"""`qckpt hooks install DIR`: the execution-host hooks as one zipapp file."""

from __future__ import annotations

import argparse

from qckpt.backend.setup.hooks_install import DEFAULT_PYTHON, install


def register(sub: argparse._SubParsersAction) -> None:
    hooks = sub.add_parser("hooks", help="the hooks Grid Engine runs on execution hosts")
    verbs = hooks.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("install", help="write qckpt-hook, qckpt-starter, qckpt-loadsensor")
    p.add_argument("directory", metavar="DIR", help="a directory every execution host sees")
    p.add_argument("--python", default=DEFAULT_PYTHON, help="the hosts' python3 (3.9 or newer)")
    p.set_defaults(run=cmd_install)


def cmd_install(args: argparse.Namespace, _context: object) -> int:
    written = install(args.directory, python=args.python)
    print(f"installed {written['qckpt-hook']} and {written['qckpt-starter']} ({written['digest']})")
    print(f"starter_method for the queues: {written['qckpt-starter']}")
    print(f"load_sensor for same-CPU migration: {written['qckpt-loadsensor']}")
    return 0
