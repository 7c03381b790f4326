"""What a doctor check finds (pass, warn or fail, with the fix), and the Cell the checks
look at: the cell's environments, queues, complexes, hosts and states, read once."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qckpt.backend.gridengine import hosts, pes, queue_states
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import parse_complexes, split_list
from qckpt.backend.gridengine.queues import Queue, QueueStore
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.hooks import cpu, jobinfo


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
    pes: dict[str, dict[str, str]] = field(default_factory=dict)  # parallel environments

    @classmethod
    def read(cls, ge: GridEngine) -> Cell:
        return cls(
            envs=EnvStore(ge).list(),
            queues=QueueStore(ge).list(),
            complexes=parse_complexes(ge.qconf("-sc").stdout),
            exec_hosts=hosts.exec_hosts(ge),
            admin_or_submit=hosts.admin_or_submit_hosts(ge),
            states=queue_states.instance_states(ge),
            levels=parse_levels(ge.run(["qhost", "-F", cpu.LEVEL_COMPLEX], check=False).stdout),
            pes=pes.list_pes(ge),
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


def parse_levels(text: str) -> dict[str, str]:
    """`qhost -F x86_64_level`: host -> value, for hosts that have one (pure)."""
    levels, host = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            host = line.split()[0]
        elif host and f":{cpu.LEVEL_COMPLEX}=" in line:
            levels[host] = line.rsplit("=", 1)[1].strip()
    return levels
