"""Cluster queues: the checkpointing attributes, per queue and per queue@host override."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from qckpt.backend.errors import (
    FieldError,
    NotFound,
    QckptError,
    ReadBackMismatch,
    ValidationFailed,
)
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import (
    format_fields,
    parse_complexes,
    parse_fields,
    seconds_of,
    split_host_values,
    split_list,
)
from qckpt.backend.gridengine.rules import check_name
from qckpt.backend.gridengine.runner import GridEngine

ATTRS = (
    "hostlist",
    "slots",
    "ckpt_list",
    "pe_list",  # parallel environments (the doctor checks those beside a qckpt one)
    "starter_method",
    "min_cpu_interval",
    "suspend_thresholds",
    "shell_start_mode",
    "s_rt",  # a run's wall-clock limits: jobs longer than them run in runs
    "h_rt",
)
SETTABLE = ("starter_method", "min_cpu_interval", "suspend_thresholds")
_TIME = re.compile(r"^(\d+)(?::(\d{1,2})(?::(\d{1,2}))?)?$")
_THRESHOLD = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(\S+)$")
# A threshold compares a load value: a number, with K/M/G for memory (sge_types(1)).
_LOAD_VALUE = re.compile(r"^\d+(\.\d+)?[KMGkmg]?$")
# A path and nothing else: `,` and `[` would start Grid Engine's queue@host overrides.
_PATH = re.compile(r"^/[A-Za-z0-9_.+@%/-]*$")


@dataclass
class HostValues:
    """A queue attribute: its cluster-wide value and its [host=value] overrides."""

    default: str
    overrides: dict[str, str] = field(default_factory=dict)

    def for_host(self, host: str | None) -> str:
        if host is not None and host in self.overrides:
            return self.overrides[host]
        return self.default

    def as_dict(self) -> dict:
        return {"default": self.default, "overrides": dict(self.overrides)}


@dataclass
class Queue:
    name: str
    attrs: dict[str, HostValues]
    hosts: list[str] = field(default_factory=list)  # hostlist, host groups resolved

    def value(self, attr: str, host: str | None = None) -> str:
        return self.attrs[attr].for_host(host)

    def override_hosts(self) -> list[str]:
        found: set[str] = set()
        for attr in ATTRS:
            found.update(self.attrs[attr].overrides)
        return sorted(found)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "hosts": list(self.hosts),
            **{attr: self.attrs[attr].as_dict() for attr in ATTRS},
        }


@dataclass(frozen=True)
class Target:
    """QUEUE or QUEUE@HOST as a user writes it."""

    queue: str
    host: str | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        queue, sep, host = text.partition("@")
        if not queue or (sep and not host) or any(c.isspace() for c in text):
            raise ValidationFailed([FieldError("queue", f"{text!r}: write QUEUE or QUEUE@HOST")])
        return cls(queue, host or None)

    def __str__(self) -> str:
        return f"{self.queue}@{self.host}" if self.host else self.queue


def parse_queue(text: str) -> Queue:
    """A queue from `qconf -sq NAME` output (pure; tested on captured output)."""
    values = dict(parse_fields(text))
    attrs = {}
    for attr in ATTRS:
        default, overrides = split_host_values(values.get(attr, "NONE"))
        attrs[attr] = HostValues(default, overrides)
    return Queue(values.get("qname", ""), attrs)


def check_setting(attr: str, value: str, complexes: set[str] | None = None) -> FieldError | None:
    """Validate a value for one of SETTABLE (what qconf itself does not check)."""
    value = value.strip()
    if attr not in SETTABLE:
        return FieldError(attr, "qckpt sets only " + ", ".join(SETTABLE))
    if not value:
        return FieldError(attr, "required (NONE to clear)")
    if attr == "starter_method":
        if value.upper() == "NONE":
            return None
        if not _PATH.match(value):
            return FieldError(
                attr,
                "an absolute path of letters, digits and . _ - + @ % / only"
                " (it takes no arguments; per-host values are set with QUEUE@HOST)",
            )
        return None
    if attr == "min_cpu_interval":
        match = _TIME.match(value)
        if value.upper() == "INFINITY":
            return None
        if not match or any(int(p) > 59 for p in match.groups()[1:] if p):
            return FieldError(attr, "a time: seconds, MM:SS or HH:MM:SS (minutes, seconds < 60)")
        return None
    if value.upper() == "NONE":
        return None
    for item in value.split(","):
        match = _THRESHOLD.match(item.strip())
        if not match:
            return FieldError(attr, f"{item!r}: write complex=value, comma-separated, or NONE")
        if complexes is not None and match.group(1) not in complexes:
            return FieldError(attr, f"{match.group(1)} is not a complex of this cell (qconf -sc)")
        if not _LOAD_VALUE.match(match.group(2)):
            return FieldError(
                attr, f"{item.strip()!r}: the value must be a number (K, M or G for memory)"
            )
    return None


class QueueStore:
    def __init__(self, ge: GridEngine | None = None) -> None:
        self.ge = ge or GridEngine()

    def names(self) -> list[str]:
        result = self.ge.qconf("-sql", check=False)
        if result.returncode != 0:
            if "no cqueue list defined" in result.message:
                return []
            self.ge.qconf("-sql")
        return [ln.strip() for ln in result.stdout.splitlines() if ln.strip()]

    def get(self, name: str) -> Queue:
        queue = parse_queue(self.ge.qconf("-sq", name).stdout)
        queue.hosts = self._resolve_hosts(queue.attrs["hostlist"].default)
        return queue

    def list(self) -> list[Queue]:
        queues = []
        for name in self.names():
            try:
                queues.append(self.get(name))
            except NotFound:
                continue
        return queues

    def create(self, name: str, hostlist: str) -> Queue:
        """A new batch queue with Grid Engine's usual defaults (qconf -Aq)."""
        _raise_if(check_name(name, "qname"))
        slots = max(4, os.cpu_count() or 1)
        fields = [
            ("qname", name),
            ("hostlist", hostlist),
            ("seq_no", "0"),
            ("load_thresholds", "NONE"),
            ("suspend_thresholds", "NONE"),
            ("nsuspend", "1"),
            ("suspend_interval", "00:05:00"),
            ("priority", "0"),
            ("min_cpu_interval", "00:05:00"),
            ("processors", "UNDEFINED"),
            ("qtype", "BATCH INTERACTIVE"),
            ("ckpt_list", "NONE"),
            ("pe_list", "NONE"),
            ("rerun", "FALSE"),
            ("slots", str(slots)),
            ("tmpdir", "/tmp"),
            ("shell", "/bin/sh"),
            ("prolog", "NONE"),
            ("epilog", "NONE"),
            ("shell_start_mode", "posix_compliant"),
            ("starter_method", "NONE"),
            ("suspend_method", "NONE"),
            ("resume_method", "NONE"),
            ("terminate_method", "NONE"),
            ("notify", "00:00:60"),
            ("owner_list", "NONE"),
            ("user_lists", "NONE"),
            ("xuser_lists", "NONE"),
            ("subordinate_list", "NONE"),
            ("complex_values", "NONE"),
            ("projects", "NONE"),
            ("xprojects", "NONE"),
            ("calendar", "NONE"),
            ("initial_state", "default"),
        ] + [
            (f"{p}_{lim}", "INFINITY")
            for lim in ("rt", "cpu", "fsize", "data", "stack", "core", "rss", "vmem")
            for p in "sh"
        ]
        self.ge.qconf_file("-Aq", format_fields(fields, 22))
        return self.get(name)

    def complexes(self) -> set[str]:
        names = set()
        for words in parse_complexes(self.ge.qconf("-sc").stdout).values():
            names.update(words[:2])  # name and shortcut
        return names

    def attach(self, env: str, target: Target, starter: str | None = None) -> Queue:
        """Add env to ckpt_list of target (and set starter_method if given)."""
        if starter is not None:
            _raise_if(check_setting("starter_method", starter))
        if env not in EnvStore(self.ge).names():
            raise NotFound(f'checkpoint environment "{env}" does not exist')
        queue = self._target_queue(target)
        current = split_list(queue.value("ckpt_list", target.host))
        if env not in current:
            self._set_list(target, current + [env])
        if starter is not None:
            try:
                self._set_value(target, "starter_method", starter)
            except QckptError:
                if env not in current:
                    self._set_list(target, current)  # undo: nothing half-applied
                raise
        after = self.get(target.queue)
        if env not in split_list(after.value("ckpt_list", target.host)):
            raise ReadBackMismatch(str(target), [f"ckpt_list lacks {env} after attach"])
        if starter is not None and after.value("starter_method", target.host) != starter:
            raise ReadBackMismatch(str(target), ["starter_method not set"])
        return after

    def detach(self, env: str, target: Target) -> Queue:
        queue = self._target_queue(target)
        current = split_list(queue.value("ckpt_list", target.host))
        if env not in current:
            raise ValidationFailed([FieldError("ckpt_list", f"{env} is not attached to {target}")])
        self._set_list(target, [n for n in current if n != env])
        after = self.get(target.queue)
        if env in split_list(after.value("ckpt_list", target.host)):
            raise ReadBackMismatch(str(target), [f"ckpt_list still holds {env}"])
        return after

    def set(self, target: Target, changes: dict[str, str]) -> Queue:
        """Set SETTABLE attributes of target; all are validated before any is written."""
        complexes = self.complexes() if "suspend_thresholds" in changes else None
        errors = [e for a, v in changes.items() if (e := check_setting(a, v, complexes))]
        if errors:
            raise ValidationFailed(errors)
        self._target_queue(target)
        for attr, value in changes.items():
            self._set_value(target, attr, value.strip())
        after = self.get(target.queue)
        for attr, value in changes.items():
            stored = after.value(attr, target.host)
            if not same_setting(stored, value.strip()):
                raise ReadBackMismatch(str(target), [f"{attr}: {stored} (wanted {value.strip()})"])
        return after

    def _target_queue(self, target: Target) -> Queue:
        queue = self.get(target.queue)
        if target.host is not None and target.host not in queue.hosts:
            raise ValidationFailed(
                [
                    FieldError(
                        "queue",
                        f"host {target.host} is not in the hostlist of {target.queue}"
                        f" ({' '.join(queue.hosts) or 'empty'})",
                    )
                ]
            )
        return queue

    def _set_list(self, target: Target, names: list[str]) -> None:
        # -rattr replaces the whole list (-mattr only adds elements to a list).
        self.ge.qconf("-rattr", "queue", "ckpt_list", " ".join(names) or "NONE", str(target))

    def _set_value(self, target: Target, attr: str, value: str) -> None:
        is_list = attr == "suspend_thresholds" or value.upper() == "NONE"
        self.ge.qconf("-rattr" if is_list else "-mattr", "queue", attr, value, str(target))

    def _resolve_hosts(self, hostlist: str) -> list[str]:
        hosts: list[str] = []
        for item in split_list(hostlist):
            if item.startswith("@"):
                out = self.ge.qconf("-shgrp_resolved", item).stdout
                hosts.extend(out.split())
            else:
                hosts.append(item)
        return sorted(set(hosts))


def _raise_if(error: FieldError | None) -> None:
    if error is not None:
        raise ValidationFailed([error])


def same_setting(stored: str, wanted: str) -> bool:
    """Whether two values of a queue attribute mean the same (case; a time written two ways)."""
    if stored.upper() == wanted.upper():
        return True
    a, b = _TIME.match(stored), _TIME.match(wanted)
    return bool(a and b) and seconds_of(stored) == seconds_of(wanted)
