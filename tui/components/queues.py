"""The Queues view: cluster queues and their queue@host overrides, and their actions."""

from __future__ import annotations

import os

from textual import work
from textual.binding import Binding

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.queue_states import (
    InstanceState,
    clear_error,
    instance_states,
    with_states,
)
from qckpt.backend.gridengine.queues import Queue, QueueStore, Target, check_setting

from ..rows import QUEUE_ATTRS, QUEUE_COLUMNS, queue_rows
from .dialogs import ConfirmScreen, ValueScreen
from .tables import current_key, details_grid
from .view import View


class QueuesView(View):
    """Cluster queues (qconf -sql / -sq): ckpt_list, starter_method, intervals, thresholds."""

    BINDINGS = [
        Binding("a", "attach", "Attach", id="queue.attach"),
        Binding("d", "detach", "Detach", id="queue.detach"),
        Binding("s", "set('starter_method')", "Starter", id="queue.starter"),
        Binding("i", "set('min_cpu_interval')", "Interval", id="queue.interval"),
        Binding("t", "set('suspend_thresholds')", "Thresholds", id="queue.thresholds"),
        Binding("x", "clear_error", "Clear E", id="queue.clear"),
    ]
    KEY = "queue"
    COLUMNS = QUEUE_COLUMNS
    CHANGES = ("attach", "detach", "set", "clear_error")

    def __init__(self, *args, **kwargs) -> None:  # View's: Grid Engine, the hooks' folder
        super().__init__(*args, **kwargs)
        self.queues: dict[str, Queue] = {}
        self.env_names: list[str] = []
        self.states: dict[str, InstanceState] = {}

    @property
    def store(self) -> QueueStore:
        return QueueStore(self.ge)

    def refresh_data(self, force: bool = False) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="queues", exit_on_error=False)
    def load(self) -> None:
        queues = self.store.list()
        names = EnvStore(self.ge).names()
        states = instance_states(self.ge)
        self.app.call_from_thread(self.show, queues, names, states)

    def show(
        self, queues: list[Queue], env_names: list[str], states: dict[str, InstanceState]
    ) -> None:
        self.queues = {q.name: q for q in queues}
        self.env_names, self.states = env_names, states
        rows: dict[str, list[str]] = {}
        for queue in queues:
            rows.update(queue_rows(queue, states))
        self.table.sync(rows, self.text_filter)
        self.loaded()
        self.show_details()

    def show_filtered(self) -> None:
        self.show(list(self.queues.values()), self.env_names, self.states)

    def target(self) -> Target | None:
        key = current_key(self.table)
        return Target.parse(key) if key else None

    def show_details(self) -> None:
        target = self.target()
        details = self.details
        if target is None or target.queue not in self.queues:
            details.update("No cluster queue.")
            return
        queue = self.queues[target.queue]
        attached = split_list(queue.value("ckpt_list", target.host))
        available = [n for n in self.env_names if n not in attached]
        pairs = [("queue", str(target)), ("hosts", " ".join(queue.hosts))]
        pairs += [(a, queue.value(a, target.host)) for a in QUEUE_ATTRS]
        pairs += [("referenced", " ".join(attached) or "none")]
        pairs += [("available", " ".join(available) or "none")]
        for state in self.instances(target):
            pairs.append((state.name, state.described()))
            pairs += [("", message) for message in state.messages]
        details.update(details_grid(pairs))

    def instances(self, target: Target) -> list[InstanceState]:
        """The instances of the selected row (all of a queue, or one queue@host) in a state."""
        found = with_states(self.states, target.queue)
        return [s for s in found if target.host in (None, s.host)]

    def action_clear_error(self) -> None:
        target = self.target()
        if target is None:
            return
        failed = [s.name for s in self.instances(target) if "E" in s.states]
        if not failed:
            self.app.notify(f"{target}: no instance in error state E")
            return
        reasons = "\n".join(m for s in self.instances(target) for m in s.messages)
        self.app.push_screen(
            ConfirmScreen(
                f"Clear the error state of {' '.join(failed)}?",
                f"qmod -c {' '.join(failed)}\n{reasons}\nFix the cause first (a missing"
                " starter_method puts the queue back in E with the next job).",
                yes="Clear",
            ),
            lambda yes: yes and self.write(lambda: self.clear(failed), f"cleared {len(failed)}"),
        )

    def clear(self, names: list[str]) -> None:
        for name in names:
            clear_error(self.ge, name)

    def attached(self, target: Target) -> list[str]:
        return split_list(self.queues[target.queue].value("ckpt_list", target.host))

    def action_attach(self) -> None:
        target = self.target()
        if target is None:
            return
        available = [n for n in self.env_names if n not in self.attached(target)]

        def check(name: str) -> str | None:
            return (
                None if name.strip() in available else "one of: " + (" ".join(available) or "none")
            )

        first = available[0] if available else ""
        self.app.push_screen(
            ValueScreen(f"Attach to {target}", first, check, "available: " + " ".join(available)),
            lambda env: (
                env
                and self.write(lambda: self.store.attach(env, target), f"{target}: attached {env}")
            ),
        )

    def action_detach(self) -> None:
        target = self.target()
        if target is None:
            return
        attached = self.attached(target)

        def check(name: str) -> str | None:
            return None if name.strip() in attached else "one of: " + (" ".join(attached) or "none")

        first = attached[0] if attached else ""
        self.app.push_screen(
            ValueScreen(f"Detach from {target}", first, check, "referenced: " + " ".join(attached)),
            lambda env: (
                env
                and self.write(lambda: self.store.detach(env, target), f"{target}: detached {env}")
            ),
        )

    def action_set(self, attr: str) -> None:
        target = self.target()
        if target is None:
            return
        value = self.queues[target.queue].value(attr, target.host)
        if attr == "starter_method" and value.upper() == "NONE" and self.hooks_dir:
            value = os.path.join(self.hooks_dir, "qckpt-starter")

        def check(text: str) -> str | None:
            error = check_setting(attr, text)
            return error.rule if error else None

        self.app.push_screen(
            ValueScreen(f"{attr} of {target}", value, check),
            lambda new: (
                new
                and self.write(
                    lambda: self.store.set(target, {attr: new}), f"{target}: {attr} {new}"
                )
            ),
        )
