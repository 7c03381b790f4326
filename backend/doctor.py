"""`qckpt doctor`: every condition checkpointing relies on, each pass / warn / fail with the
fix. Read-only: it runs qconf/qstat and looks at files, and changes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qckpt.hooks import cpu, jobinfo

from . import cellconfig, queue_states
from .checkpoint import CheckpointEnv
from .envs import EnvStore
from .errors import GridEngineError
from .gridengine import GridEngine
from .qconf_format import split_list
from .queues import Queue, QueueStore


@dataclass
class Finding:
    check: str
    status: str  # pass, warn, fail
    subject: str
    message: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def ok(check: str, subject: str, message: str) -> Finding:
    return Finding(check, "pass", subject, message)


def warn(check: str, subject: str, message: str, fix: str) -> Finding:
    return Finding(check, "warn", subject, message, fix)


def fail(check: str, subject: str, message: str, fix: str) -> Finding:
    return Finding(check, "fail", subject, message, fix)


@dataclass
class Cell:
    """What the checks look at, read once."""

    envs: list[CheckpointEnv]
    queues: list[Queue]
    complexes: dict[str, list[str]]
    exec_hosts: list[str]
    admin_or_submit: set[str]
    states: dict[str, queue_states.InstanceState]
    levels: dict[str, str]  # host -> its x86_64_level (host value or load sensor)

    @classmethod
    def read(cls, ge: GridEngine) -> Cell:
        return cls(
            envs=EnvStore(ge).list(),
            queues=QueueStore(ge).list(),
            complexes=cellconfig.defined_complexes(ge),
            exec_hosts=cellconfig.all_exec_hosts(ge),
            admin_or_submit=cellconfig.admin_or_submit_hosts(ge),
            states=queue_states.instance_states(ge),
            levels=parse_levels(ge.run(["qhost", "-F", cpu.LEVEL_COMPLEX], check=False).stdout),
        )

    def hooks(self, env: CheckpointEnv) -> jobinfo.HookCommand | None:
        return jobinfo.parse_command_line(env.ckpt_command)

    def offering(self, env: str) -> list[tuple[Queue, str | None]]:
        """(queue, host or None) whose ckpt_list holds env."""
        found = []
        for queue in self.queues:
            for host in [None, *queue.attrs["ckpt_list"].overrides]:
                if env in split_list(queue.value("ckpt_list", host)):
                    found.append((queue, host))
        return found


def diagnose(ge: GridEngine, probe_user: str | None = None) -> list[Finding]:
    """Every check; with probe_user, also a probe job on every execution host, as that user."""
    try:
        cell = Cell.read(ge)
    except GridEngineError as exc:  # unreachable, or no such cell
        return [fail("qmaster", ge.describe(), str(exc), "start sge_qmaster (or qckpt sandbox up)")]
    from . import doctor_checks as checks  # they import this module's Finding and Cell

    findings = [ok("qmaster", ge.describe(), "sge_qmaster answers")]
    for check in checks.ALL:
        findings += check(cell)
    if probe_user:
        findings += checks.check_hosts(cell, ge, probe_user)
    return findings


def parse_levels(text: str) -> dict[str, str]:
    """`qhost -F x86_64_level`: host -> value, for hosts that have one (pure)."""
    levels, host = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            host = line.split()[0]
        elif host and f":{cpu.LEVEL_COMPLEX}=" in line:
            levels[host] = line.rsplit("=", 1)[1].strip()
    return levels
