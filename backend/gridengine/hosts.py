"""Which hosts: every execution host, the admin and submit hosts, a queue's hosts."""

from __future__ import annotations

from qckpt.backend.gridengine.queues import QueueStore
from qckpt.backend.gridengine.runner import GridEngine


def exec_hosts(ge: GridEngine) -> list[str]:
    """Every execution host (qconf -sel); none when Grid Engine cannot say."""
    result = ge.qconf("-sel", check=False)
    return [h for h in result.stdout.split() if h] if result.returncode == 0 else []


def admin_or_submit_hosts(ge: GridEngine) -> set[str]:
    """Hosts that may run qstat and qalter (what the same-CPU migrate hook does)."""
    return set(ge.qconf("-sh", check=False).stdout.split()) | set(
        ge.qconf("-ss", check=False).stdout.split()
    )


def hosts_of_queues(ge: GridEngine, queues: list[str]) -> list[str]:
    """The execution hosts the named queues run on."""
    store = QueueStore(ge)
    hosts: set[str] = set()
    for name in queues:
        hosts.update(store.get(name).hosts)
    return sorted(hosts)
