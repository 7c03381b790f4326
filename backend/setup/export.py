"""The whole checkpoint set-up of a cell as data (`qckpt export`), and the plan that makes a
cell match such data (`qckpt apply`): environments, the queues' checkpointing attributes
(with their queue@host overrides), qckpt's CPU complexes and the hosts' values for them.

A plan is computed from what the cell holds now, so applying the same file twice changes
nothing the second time. Objects the file does not name are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import parse_complexes, parse_fields, split_list
from qckpt.backend.gridengine.hosts import exec_hosts
from qckpt.backend.gridengine.queues import Queue, QueueStore, Target, same_setting
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup import cpu_complexes
from qckpt.backend.setup.export_file import QUEUE_ATTRS, VERSION, check


@dataclass
class Change:
    """One step of a plan: what it changes, as lines of a difference, and how."""

    kind: str  # environment, queue, complexes, host
    target: str
    lines: list[str]
    run: Callable[[], object] = field(repr=False)

    def shown(self) -> str:
        return "\n".join([f"{self.kind} {self.target}:"] + [f"  {ln}" for ln in self.lines])


# -- export ---------------------------------------------------------------------------
def export(ge: GridEngine) -> dict:
    """What `apply` needs to reproduce this cell's checkpoint set-up."""
    envs = [{"name": e.name, **_env_fields(e)} for e in EnvStore(ge).list()]
    queues = [_queue_entry(q) for q in QueueStore(ge).list()]
    defined = parse_complexes(ge.qconf("-sc").stdout)
    ours = set(cpu_complexes.complex_lines())
    hosts: dict[str, dict[str, str]] = {}
    for host in exec_hosts(ge):
        values = {k: v for k, v in _host_values(ge, host).items() if k in ours}
        if values:
            hosts[host] = values
    return {
        "version": VERSION,
        "cpu_complexes": bool(ours & set(defined)),
        "environments": envs,
        "queues": queues,
        "host_values": hosts,
    }


def _env_fields(env: CheckpointEnv) -> dict[str, str]:
    data = env.canonical().as_dict()
    data.pop("ckpt_name")
    return data


def _queue_entry(queue: Queue) -> dict:
    entry: dict = {"name": queue.name, "hostlist": queue.attrs["hostlist"].default}
    overrides: dict[str, dict[str, str]] = {}
    for attr in QUEUE_ATTRS:
        entry[attr] = queue.attrs[attr].default
        for host, value in queue.attrs[attr].overrides.items():
            overrides.setdefault(host, {})[attr] = value
    if overrides:
        entry["overrides"] = overrides
    return entry


def _host_values(ge: GridEngine, host: str) -> dict[str, str]:
    raw = dict(parse_fields(ge.qconf("-se", host).stdout)).get("complex_values", "NONE")
    values = {}
    for item in split_list(raw):
        name, sep, value = item.partition("=")
        if sep:
            values[name] = value
    return values


# -- plan ------------------------------------------------------------------------------
def plan(ge: GridEngine, data: object) -> list[Change]:
    """What applying `data` would change on the cell now (nothing: an empty list)."""
    envs, queues, wants_cpu, hosts = check(data)
    known_envs = {e.name for e in envs} | set(EnvStore(ge).names())
    changes: list[Change] = []
    if wants_cpu or hosts:
        changes += _complex_changes(ge)
    changes += _env_changes(ge, envs)
    changes += _queue_changes(ge, queues, known_envs)
    changes += _host_changes(ge, hosts)
    return changes


def apply(changes: list[Change]) -> None:
    for change in changes:
        change.run()


def _complex_changes(ge: GridEngine) -> list[Change]:
    defined = parse_complexes(ge.qconf("-sc").stdout)
    lines = []
    for name, line in cpu_complexes.complex_lines().items():
        if name not in defined:
            lines.append(f"+ {line}")
        elif defined[name] != line.split():
            lines.append(f"~ {' '.join(defined[name])} -> {line}")
    if not lines:
        return []
    return [Change("complexes", "(qconf -Mc)", lines, partial(cpu_complexes.ensure_complexes, ge))]


def _env_changes(ge: GridEngine, envs: list[CheckpointEnv]) -> list[Change]:
    store = EnvStore(ge)
    present = {e.name: e for e in store.list()}
    changes = []
    for env in envs:
        current = present.get(env.name)
        if current is None:
            lines = [f"+ {k}: {v}" for k, v in env.canonical().as_dict().items()]
            changes.append(Change("environment", env.name, lines, partial(store.add, env)))
        else:
            diff = current.diff(env)
            if diff:
                run = partial(store.modify, env, current)
                changes.append(Change("environment", env.name, [f"~ {d}" for d in diff], run))
    return changes


def _queue_changes(ge: GridEngine, queues: list[dict], known_envs: set[str]) -> list[Change]:
    store = QueueStore(ge)
    present = set(store.names())
    changes = []
    for entry in queues:
        name = entry["name"]
        for _host, attr, value in entry["settings"]:
            if attr == "ckpt_list":
                missing = set(split_list(str(value))) - known_envs
                if missing:
                    raise ValidationFailed(
                        [FieldError(f"{name}.ckpt_list", f"no environment {sorted(missing)[0]}")]
                    )
        if name not in present:
            if not entry["hostlist"]:
                raise ValidationFailed([FieldError(f"{name}.hostlist", "needed to create it")])
            run = partial(store.create, name, entry["hostlist"])
            changes.append(Change("queue", name, [f"+ hostlist: {entry['hostlist']}"], run))
            current = None
        else:
            current = store.get(name)
        lines, steps = [], []
        for host, attr, value in entry["settings"]:
            value = str(value)
            old = current.value(attr, host) if current else _default(attr)
            if current and host is not None and host not in current.attrs[attr].overrides:
                old = f"({old})"
            if not _same(attr, old, value):
                lines.append(f"~ {attr}{'@' + host if host else ''}: {old} -> {value}")
                steps.append((Target(name, host), attr, value))
        if steps:
            changes.append(Change("queue", name, lines, partial(_set_all, store, steps)))
    return changes


def _default(attr: str) -> str:
    return "00:05:00" if attr == "min_cpu_interval" else "NONE"


def _same(attr: str, old: str, new: str) -> bool:
    if old.startswith("("):
        return False  # inherited: the file wants an override of its own
    if attr == "ckpt_list":
        return split_list(old) == split_list(new)
    return same_setting(old, new)


def _set_all(store: QueueStore, steps: list[tuple[Target, str, str]]) -> None:
    for target, attr, value in steps:
        if attr == "ckpt_list":
            store.ge.qconf(
                "-rattr", "queue", "ckpt_list", " ".join(split_list(value)) or "NONE", str(target)
            )
        else:
            store.set(target, {attr: value})


def _host_changes(ge: GridEngine, hosts: dict[str, dict[str, str]]) -> list[Change]:
    changes = []
    known = set(exec_hosts(ge))
    for host, wanted in hosts.items():
        if host not in known:
            raise ValidationFailed([FieldError(f"host_values.{host}", "not an execution host")])
        current = _host_values(ge, host)
        differ = {k: v for k, v in wanted.items() if current.get(k, "").upper() != v.upper()}
        if differ:
            lines = [f"~ {k}: {current.get(k, '(none)')} -> {v}" for k, v in differ.items()]
            values = ",".join(f"{k}={v}" for k, v in differ.items())
            run = partial(ge.qconf, "-mattr", "exechost", "complex_values", values, host)
            changes.append(Change("host", host, lines, run))
    return changes
