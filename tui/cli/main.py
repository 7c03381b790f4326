"""`qckpt`: the command line. Errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import signal
import sys

from qckpt.backend.errors import QckptError
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.queues import QueueStore
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.tui.cli import doctor, envs, export, hooks, jobs, queues, report, sandbox, setup


def version() -> str:
    """The installed distribution's version (pyproject.toml's)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("qckpt")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qckpt",
        description="Checkpoint console for Grid Engine. The cell is the one SGE_ROOT and"
        ' SGE_CELL name (eval "$(qckpt sandbox env)" for the private sandbox cell).',
    )
    parser.add_argument("--version", action="version", version=f"qckpt {version()}")
    parser.add_argument("--read-only", action="store_true", help="the console changes nothing")
    parser.add_argument("--hooks", metavar="DIR", default="", help="where the hooks are installed")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox.register(sub)
    envs.register(sub)
    queues.register(sub)
    hooks.register(sub)
    jobs.register(sub)
    report.register(sub)
    export.register(sub)
    doctor.register(sub)
    setup.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `qckpt ... | head` ends quietly
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return console(args)
    if args.command == "sandbox":
        context: object = Sandbox.from_environment()
    elif args.command == "hooks":
        context = None
    elif args.command in ("jobs", "storage", "report", "export", "apply", "doctor", "setup"):
        context = GridEngine()
    elif args.command == "env":
        context = EnvStore(GridEngine())
    else:
        context = QueueStore(GridEngine())
    try:
        return args.run(args, context)
    except QckptError as exc:
        print(f"qckpt: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qckpt: interrupted", file=sys.stderr)
        return 130


def console(args: argparse.Namespace) -> int:
    """`qckpt` with no command: the Textual console on the cell SGE_ROOT/SGE_CELL name."""
    from qckpt.tui.app import QckptApp
    from qckpt.tui.settings import load_settings

    try:
        settings = load_settings()
    except QckptError as exc:
        print(f"qckpt: {exc}", file=sys.stderr)
        return 1
    app = QckptApp(settings=settings, read_only=args.read_only, hooks_dir=args.hooks)
    app.run()
    return app.return_code or 0  # 1 when the console ended on an error


if __name__ == "__main__":
    sys.exit(main())
