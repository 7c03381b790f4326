"""`qckpt env ...`: checkpoint environments from the command line."""

from __future__ import annotations

import argparse
import sys

from qckpt.backend.doctor.checks import UNCOMPRESSED
from qckpt.backend.errors import FieldError, QckptError, ValidationFailed
from qckpt.backend.gridengine.checkpoint import COMMAND_FIELDS, FIELD_NAMES, CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.setup.templates import COMPRESSORS, SUPPORTS, TEMPLATES, from_template
from qckpt.tui.output import print_json, print_table, read_text
from qckpt.tui.rows import ENV_COLUMNS, env_cells

# qconf field -> command-line flag (ckpt_name is the positional NAME).
FLAGS = {qname: "--" + qname.replace("_", "-") for qname in FIELD_NAMES if qname != "ckpt_name"}
# Grid Engine's own template values for fields not given to `env add`.
ADD_DEFAULTS = {command: "NONE" for command in COMMAND_FIELDS} | {"signal": "NONE", "when": "sx"}


def register(sub: argparse._SubParsersAction) -> None:
    env = sub.add_parser("env", help="checkpoint environments (qconf -sckpt/-Ackpt/-Mckpt)")
    verbs = env.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("list", help="list every checkpoint environment")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_list)

    p = verbs.add_parser("show", help="show one checkpoint environment")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_show)

    p = verbs.add_parser("add", help="add a checkpoint environment")
    p.add_argument("name")
    p.add_argument("--from", dest="from_file", metavar="FILE", help="qconf's format (-sckpt)")
    _field_flags(p)
    t = p.add_argument_group("templates (commands that call the installed hooks)")
    t.add_argument(
        "--template",
        choices=TEMPLATES,
        help="; ".join(f"{name}: {what}" for name, what in SUPPORTS.items()),
    )
    t.add_argument("--hooks", metavar="DIR", help="where `qckpt hooks install` put the hooks")
    t.add_argument("--keep", type=int, default=2, help="complete generations kept (2)")
    t.add_argument("--timeout", type=int, default=600, help="seconds a checkpoint may take")
    t.add_argument("--ckpt-signal", default="USR1", help="signal engine: save and go on")
    t.add_argument("--migr-signal", default="USR2", help="signal engine: save and exit")
    t.add_argument("--restart-option", default="--restart", help="signal engine: restart flag")
    t.add_argument(
        "--tmpdir-limit",
        metavar="SIZE",
        help="most of a job's $TMPDIR kept per checkpoint (10G; 0: none)",
    )
    t.add_argument(
        "--margin",
        type=int,
        metavar="SECS",
        help="checkpoint a run this long before its h_rt (default: from the job's last"
        " checkpoint time)",
    )
    t.add_argument(
        "--max-runs",
        type=int,
        metavar="N",
        help="runs a job may have at its time limit before it waits in error state",
    )
    t.add_argument(
        "--compress",
        choices=COMPRESSORS,
        default="gzip",
        help="DMTCP images: gzip (DMTCP's own, gzip -1) or none (shorter stops, larger"
        " images); `python -m tests.bench p2` measures both",
    )
    p.set_defaults(run=cmd_add)

    p = verbs.add_parser("edit", help="change fields of a checkpoint environment")
    p.add_argument("name")
    _field_flags(p)
    p.set_defaults(run=cmd_edit)

    p = verbs.add_parser("clone", help="copy a checkpoint environment under a new name")
    p.add_argument("source")
    p.add_argument("target")
    p.set_defaults(run=cmd_clone)

    p = verbs.add_parser("delete", help="delete a checkpoint environment")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(run=cmd_delete)


def _field_flags(parser: argparse.ArgumentParser) -> None:
    for qname, flag in FLAGS.items():
        parser.add_argument(flag, dest=qname, metavar="VALUE", help=f"checkpoint(5) {qname}")


def _given(args: argparse.Namespace) -> dict[str, str]:
    return {FIELD_NAMES[q]: getattr(args, q) for q in FLAGS if getattr(args, q) is not None}


def env_json(env: CheckpointEnv) -> dict:
    data: dict = env.as_dict()
    if env.extra:
        data["extra"] = dict(env.extra)
    return data


def cmd_list(args: argparse.Namespace, store: EnvStore) -> int:
    envs = store.list()
    if args.json:
        print_json([env_json(e) for e in envs])
        return 0
    if not envs:
        print("no checkpoint environments")
        return 0
    print_table(list(ENV_COLUMNS), [env_cells(e) for e in envs])
    return 0


def cmd_show(args: argparse.Namespace, store: EnvStore) -> int:
    env = store.get(args.name)
    if args.json:
        print_json(env_json(env))
    else:
        sys.stdout.write(env.to_text())
    if env.extra:
        print(f"note: fields not in checkpoint(5): {', '.join(env.extra)}", file=sys.stderr)
    return 0


def cmd_add(args: argparse.Namespace, store: EnvStore) -> int:
    if args.from_file:
        env = CheckpointEnv.from_text(read_text(args.from_file, "--from"))
        if env.extra:
            print(f"note: fields not in checkpoint(5): {', '.join(env.extra)}", file=sys.stderr)
    elif args.template:
        if not args.hooks or not args.ckpt_dir:
            raise ValidationFailed([FieldError("--template", "needs --hooks DIR and --ckpt-dir D")])
        env = from_template(
            args.name,
            args.template,
            args.hooks,
            args.ckpt_dir,
            when=args.when or "xsr",
            keep=args.keep,
            timeout=args.timeout,
            ckpt_signal=args.ckpt_signal,
            migr_signal=args.migr_signal,
            restart_option=args.restart_option,
            tmpdir_limit=args.tmpdir_limit,
            margin=args.margin,
            max_runs=args.max_runs,
            compress=args.compress,
        )
    else:
        env = CheckpointEnv(**{FIELD_NAMES[q]: v for q, v in ADD_DEFAULTS.items()})
    env = env.with_changes(name=args.name, **_given(args))
    if args.template and args.compress == "none":
        print(f"note: {UNCOMPRESSED}", file=sys.stderr)
    stored = store.add(env)
    print(f"added checkpoint environment {stored.name}")
    return 0


def cmd_edit(args: argparse.Namespace, store: EnvStore) -> int:
    changes = _given(args)
    if not changes:
        flags = " ".join(FLAGS.values())
        raise ValidationFailed([FieldError("edit", f"give at least one of {flags}")])
    loaded = store.get(args.name)
    new = loaded.with_changes(**changes)
    diff = loaded.diff(new)
    if not diff:
        print(f"{args.name}: nothing to change")
        return 0
    store.modify(new, loaded)
    for line in diff:
        print(f"{args.name}: {line}")
    return 0


def cmd_clone(args: argparse.Namespace, store: EnvStore) -> int:
    stored = store.clone(args.source, args.target)
    print(f"cloned {args.source} to {stored.name}")
    return 0


def cmd_delete(args: argparse.Namespace, store: EnvStore) -> int:
    store.get(args.name)  # a clear "does not exist" before asking
    if not args.yes and not confirm(f"Delete checkpoint environment {args.name}?"):
        print("not deleted")
        return 1
    store.delete(args.name)
    print(f"deleted checkpoint environment {args.name}")
    return 0


def confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise QckptError("no terminal to ask for confirmation: add --yes")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")
