"""Queue instance states (E error, d disabled, u unknown, a alarm, ...) with Grid Engine's
reasons: one `qstat -f -explain E -xml` per listing, jobs left out.

A starter_method missing on a host fails the start of a job there and puts the queue
instance in E state (qstat -explain E gives the reason); it stays so until `qmod -c`
clears it, once the cause is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qckpt.backend.gridengine.formats import parse_xml
from qckpt.backend.gridengine.runner import GridEngine

# qstat -f lists each instance's jobs too; a user that cannot exist keeps them out.
NO_JOBS_USER = "qckpt-no-such-user"
MEANINGS = {
    "E": "error",
    "d": "disabled",
    "u": "unknown (execd not reporting)",
    "a": "load alarm",
    "A": "suspend threshold alarm",
    "s": "suspended",
    "S": "subordinate",
    "C": "calendar suspended",
    "D": "calendar disabled",
    "c": "configuration ambiguous",
    "o": "orphaned",
}


@dataclass
class InstanceState:
    name: str  # queue@host
    states: str = ""
    messages: list[str] = field(default_factory=list)

    @property
    def queue(self) -> str:
        return self.name.partition("@")[0]

    @property
    def host(self) -> str:
        return self.name.partition("@")[2]

    def described(self) -> str:
        words = ", ".join(MEANINGS.get(letter, letter) for letter in self.states)
        return f"{self.states} ({words})" if self.states else "ok"


def parse_queue_states(text: str) -> dict[str, InstanceState]:
    """`qstat -f -explain E -xml` -> queue@host -> its states and reasons (pure)."""
    found: dict[str, InstanceState] = {}
    root = parse_xml(text)
    if root is None:
        return found
    for element in root.iter("Queue-List"):
        name = element.findtext("name") or ""
        if not name:
            continue
        found[name] = InstanceState(
            name=name,
            states=(element.findtext("state") or "").strip(),
            messages=[(m.text or "").strip() for m in element.findall("message")],
        )
    return found


def instance_states(ge: GridEngine) -> dict[str, InstanceState]:
    result = ge.qstat("-f", "-u", NO_JOBS_USER, "-explain", "E", "-xml")
    return parse_queue_states(result.stdout)


def with_states(states: dict[str, InstanceState], queue: str) -> list[InstanceState]:
    """The instances of `queue` that are in some state, by host."""
    return sorted(
        (s for s in states.values() if s.queue == queue and s.states), key=lambda s: s.host
    )


def clear_error(ge: GridEngine, name: str) -> str:
    """`qmod -c queue[@host]`: clear the error state (after fixing its cause)."""
    return ge.run(["qmod", "-c", name]).message
