"""`qckpt setup`: the guided set-up. In the console (a wizard), or with --yes and a file of
answers, the same steps without questions."""

from __future__ import annotations

import argparse
import sys

from qckpt.backend.errors import QckptError
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup.steps import Answers, StepFailed, steps
from qckpt.tui.cli.export import load


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("setup", help="set up checkpointing step by step (the console's wizard)")
    p.add_argument("--config", metavar="FILE", help="answers (YAML): hooks_dir, ckpt_dir, ...")
    p.add_argument("--yes", action="store_true", help="run every step without questions")
    p.add_argument("--show", action="store_true", help="show what each step would do, do nothing")
    p.set_defaults(run=cmd_setup)


def answers_of(args: argparse.Namespace, ge: GridEngine) -> Answers:
    if args.config:
        return Answers.from_dict(load(args.config), ge)
    answers = Answers.defaults(ge)
    answers.check()
    return answers


def cmd_setup(args: argparse.Namespace, ge: GridEngine) -> int:
    if not (args.yes or args.show):
        from qckpt.tui.app import QckptApp
        from qckpt.tui.settings import load_settings

        answers = Answers.from_dict(load(args.config), ge) if args.config else None
        QckptApp(settings=load_settings(), setup=answers or True).run()
        return 0
    planned = steps(ge, answers_of(args, ge))
    for number, step in enumerate(planned, start=1):
        print(f"== {number}/{len(planned)} {step.title}")
        print("\n".join(f"   {line}" for line in step.shows))
        if args.show:
            continue
        try:
            outcome = step.run(lambda line: print(f"   .. {line}", flush=True))
        except StepFailed as exc:
            print(f"   FAILED: {exc.why}\n   fix: {exc.fix}", file=sys.stderr)
            return 1
        except QckptError as exc:
            print(f"   FAILED: {exc}", file=sys.stderr)
            return 1
        print(f"   done: {outcome}", flush=True)
    return 0
