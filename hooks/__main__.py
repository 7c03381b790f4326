"""Entry point of the qckpt-hook zipapp; qckpt-starter (starter.pl) hands checkpointing jobs
to its `starter` verb.

Grid Engine discards what hooks print: everything worth reading goes to the logs.
"""

from __future__ import annotations

import os
import sys

VERSION = "0.1.0"
USAGE = (
    "usage: qckpt-hook checkpoint|migrate [--engine dmtcp|signal] [--keep N] [--signal SIG]"
    " [--timeout SECS] [--restart-option OPT] [--tmpdir-limit SIZE] [--margin SECS]"
    " [--max-runs N] [--compress gzip|none] [--same-cpu] [--fsync]"
    " $job_id $ja_task_id $ckpt_dir $job_pid\n"
    "       qckpt-hook clean [save] $job_id $ja_task_id $ckpt_dir\n"
    "       qckpt-hook loadsensor   (a Grid Engine load sensor: CPU level and cpuflag_*)\n"
    "       qckpt-hook probe CKPT_DIR   (a host's CPU values, DMTCP, ckpt_dir access: JSON)\n"
    "       qckpt-hook starter SCRIPT [ARGS]   (qckpt-starter runs it for a checkpointing job)\n"
    "       qckpt-hook version | --version | --help"
)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if argv[1:2] == ["starter"]:  # before anything else: every checkpointing job starts here
        from .starter import main as starter_main

        return starter_main(["qckpt-starter", *argv[2:]])
    if any(arg in ("-h", "--help") for arg in argv[1:]):
        print(USAGE)
        return 0
    if argv[1:2] == ["--version"]:
        print(VERSION)
        return 0
    from . import errors, jobinfo

    try:
        cmd = jobinfo.parse_hook_args(argv[1:])
    except errors.UsageError as exc:
        print(f"qckpt-hook: {exc}\n{USAGE}", file=sys.stderr)
        return 2
    environ = dict(os.environ)
    try:
        if cmd.verb in ("checkpoint", "migrate"):
            from . import take

            return take.run(cmd, environ)
        if cmd.verb == "clean":
            from . import clean

            return clean.run(cmd, environ)
        if cmd.verb == "loadsensor":
            from .cpu import loadsensor

            loadsensor(sys.stdin, sys.stdout)
            return 0
        if cmd.verb == "probe":
            from .probe import main as probe_main

            return probe_main(cmd.positionals)
        if cmd.verb == "version":
            print(VERSION)
            return 0
    except errors.UsageError as exc:
        print(f"qckpt-hook {cmd.verb}: {exc}", file=sys.stderr)
        return 2
    print(f"qckpt-hook: unknown verb {cmd.verb}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
