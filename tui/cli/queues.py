"""`qckpt queue ...`: checkpointing attributes of cluster queues."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.queue_states import clear_error, instance_states, with_states
from qckpt.backend.gridengine.queues import SETTABLE, QueueStore, Target
from qckpt.tui.output import print_json, print_table
from qckpt.tui.rows import QUEUE_COLUMNS, queue_rows


def register(sub: argparse._SubParsersAction) -> None:
    queue = sub.add_parser("queue", help="cluster queues: ckpt_list, starter_method, ...")
    verbs = queue.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("list", help="queues and their queue@host overrides")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_list)

    p = verbs.add_parser("attach", help="add an environment to a queue's ckpt_list")
    p.add_argument("env")
    p.add_argument("target", metavar="QUEUE[@HOST]")
    p.add_argument("--starter", metavar="PATH", help="also set starter_method (qckpt-starter)")
    p.set_defaults(run=cmd_attach)

    p = verbs.add_parser("detach", help="remove an environment from a queue's ckpt_list")
    p.add_argument("env")
    p.add_argument("target", metavar="QUEUE[@HOST]")
    p.set_defaults(run=cmd_detach)

    p = verbs.add_parser("clear", help="clear the error state E (qmod -c), after fixing its cause")
    p.add_argument("target", metavar="QUEUE[@HOST]")
    p.set_defaults(run=cmd_clear)

    p = verbs.add_parser("set", help="set starter_method, min_cpu_interval, suspend_thresholds")
    p.add_argument("target", metavar="QUEUE[@HOST]")
    for attr in SETTABLE:
        p.add_argument("--" + attr.replace("_", "-"), dest=attr, metavar="VALUE")
    p.set_defaults(run=cmd_set)


def cmd_list(args: argparse.Namespace, store: QueueStore) -> int:
    queues = store.list()
    if args.json:
        states = instance_states(store.ge)
        print_json(
            [
                {**q.as_dict(), "instances": [asdict(s) for s in with_states(states, q.name)]}
                for q in queues
            ]
        )
        return 0
    if not queues:
        print("no cluster queues")
        return 0
    states = instance_states(store.ge)
    rows = [row for q in queues for row in queue_rows(q, states).values()]
    print_table(list(QUEUE_COLUMNS), rows)
    if any(q.override_hosts() for q in queues):
        print("(values in parentheses are inherited from the queue)")
    for state in (s for q in queues for s in with_states(states, q.name)):
        reasons = "; ".join(state.messages)
        print(f"{state.name}: {state.described()}" + (f": {reasons}" if reasons else ""))
    return 0


def cmd_clear(args: argparse.Namespace, store: QueueStore) -> int:
    target = Target.parse(args.target)
    store.get(target.queue)  # NotFound with Grid Engine's words for an unknown queue
    print(clear_error(store.ge, str(target)) or f"{target}: error state cleared")
    return 0


def cmd_attach(args: argparse.Namespace, store: QueueStore) -> int:
    target = Target.parse(args.target)
    queue = store.attach(args.env, target, starter=args.starter)
    print(f"{target}: ckpt_list {' '.join(split_list(queue.value('ckpt_list', target.host)))}")
    if args.starter:
        print(f"{target}: starter_method {queue.value('starter_method', target.host)}")
    return 0


def cmd_detach(args: argparse.Namespace, store: QueueStore) -> int:
    target = Target.parse(args.target)
    queue = store.detach(args.env, target)
    remaining = split_list(queue.value("ckpt_list", target.host))
    print(f"{target}: ckpt_list {' '.join(remaining) or 'NONE'}")
    return 0


def cmd_set(args: argparse.Namespace, store: QueueStore) -> int:
    target = Target.parse(args.target)
    changes = {a: getattr(args, a) for a in SETTABLE if getattr(args, a) is not None}
    if not changes:
        flags = " ".join("--" + a.replace("_", "-") for a in SETTABLE)
        raise ValidationFailed([FieldError("set", f"give at least one of {flags}")])
    queue = store.set(target, changes)
    for attr in changes:
        print(f"{target}: {attr} {queue.value(attr, target.host)}")
    return 0
