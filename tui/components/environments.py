"""The Environments view: every checkpoint object, a details pane, and its actions."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding

from qckpt.backend.errors import ChangedOnCell
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore

from ..intervals import INTERVAL_COLUMNS, interval_cells, interval_details
from ..rows import ENV_COLUMNS, env_cells
from .dialogs import ConfirmScreen, ValueScreen
from .tables import current_key, details_grid
from .view import View

if TYPE_CHECKING:
    from qckpt.backend.report.summary import Report


class EnvironmentsView(View):
    """Checkpoint environments (qconf -sckptl / -sckpt)."""

    BINDINGS = [
        Binding("a", "add", "Add", id="env.add"),
        Binding("e", "edit", "Edit", id="env.edit"),
        Binding("c", "clone", "Clone", id="env.clone"),
        Binding("ctrl+d", "delete", "Delete", id="env.delete"),
    ]
    KEY = "env"
    COLUMNS = (*ENV_COLUMNS, *INTERVAL_COLUMNS)
    MEASURE_EVERY = 60.0  # seconds between reports of what checkpoints cost
    CHANGES = ("add", "edit", "clone", "delete")

    def __init__(self, *args, **kwargs) -> None:  # View's: Grid Engine, the hooks' folder
        super().__init__(*args, **kwargs)
        self.envs: dict[str, CheckpointEnv] = {}
        self.report: Report | None = None  # what checkpoints cost, and the interval to use
        self.measured_at = -math.inf
        self.measure_due = False  # the next list read is followed by the report's figures

    @property
    def store(self) -> EnvStore:
        return EnvStore(self.ge)

    # -- reading -----------------------------------------------------------------
    def refresh_data(self, force: bool = False) -> None:
        if force or time.monotonic() - self.measured_at >= self.MEASURE_EVERY:
            self.measure_due = True
        self.load()

    @work(thread=True, exclusive=True, group="env-costs", exit_on_error=False)
    def measure(self, envs: list[CheckpointEnv]) -> None:
        """The report's figures per environment: slower than the list (every running job's
        manifest, the history files, the accounting file), so after it, for the
        environments it read, and less often."""
        from qckpt.backend.report.summary import recent, report

        settings = getattr(self.app, "settings", None)
        mtbi = getattr(settings, "mtbi", None)
        found = report(self.ge, since=recent(), envs=envs, mtbi_hours=mtbi)
        self.app.call_from_thread(self.show_report, found)

    def show_report(self, found: Report) -> None:
        self.report = found
        self.show_filtered()

    @work(thread=True, exclusive=True, group="environments", exit_on_error=False)
    def load(self) -> None:
        envs = self.store.list()
        self.app.call_from_thread(self.show, envs)

    def show(self, envs: list[CheckpointEnv]) -> None:
        self.envs = {e.name: e for e in envs}
        rows = {e.name: env_cells(e) + interval_cells(self.report, e.name) for e in envs}
        self.table.sync(rows, self.text_filter)
        self.loaded()
        self.show_details()
        if self.measure_due:
            self.measure_due = False
            self.measured_at = time.monotonic()
            self.measure(envs)

    def show_filtered(self) -> None:
        self.show(list(self.envs.values()))

    def selected(self) -> CheckpointEnv | None:
        key = current_key(self.table)
        return self.envs.get(key) if key else None

    def show_details(self) -> None:
        env = self.selected()
        details = self.details
        if env is None:
            details.update("No checkpoint environment: press a to add one.")
        else:
            pairs = list(env.as_dict().items()) + list(env.extra.items())
            # what its checkpoints cost and the interval to use first: the commands wrap long
            figures = interval_details(self.report, env.name)
            details.update(details_grid(pairs[:1] + figures + pairs[1:]))

    # -- changing ----------------------------------------------------------------
    def action_add(self) -> None:
        from .env_form import EnvFormScreen  # the form's widgets load when first asked for

        self.app.push_screen(EnvFormScreen(None, self.hooks_dir, ""), self.confirm_add)

    def confirm_add(self, env: CheckpointEnv | None) -> None:
        if env is not None:
            self.app.push_screen(
                ConfirmScreen(
                    f"Add {env.name}? (qconf -Ackpt)", env.canonical().to_text(), yes="Add"
                ),
                lambda yes: yes and self.write(lambda: self.store.add(env), f"added {env.name}"),
            )

    def action_edit(self) -> None:
        loaded = self.selected()
        if loaded is not None:
            from .env_form import EnvFormScreen

            self.app.push_screen(
                EnvFormScreen(loaded), lambda new: new and self.compare(loaded, new)
            )

    @work(thread=True, group="writes", exit_on_error=False)
    def compare(self, loaded: CheckpointEnv, new: CheckpointEnv) -> None:
        """Apply shows the difference against what the cell holds now."""
        current = self.store.get(loaded.name)
        changed = loaded.diff(current)
        if changed:
            self.app.call_from_thread(self.load)
            raise ChangedOnCell(loaded.name, changed)
        self.app.call_from_thread(self.confirm_edit, current, new)

    def confirm_edit(self, current: CheckpointEnv, new: CheckpointEnv) -> None:
        diff = current.diff(new)
        if not diff:
            self.app.notify(f"{current.name}: nothing to change")
            return
        self.app.push_screen(
            ConfirmScreen(f"Apply to {current.name}? (qconf -Mckpt)", "\n".join(diff), yes="Apply"),
            lambda yes: (
                yes
                and self.write(lambda: self.store.modify(new, current), f"{current.name} changed")
            ),
        )

    def action_clone(self) -> None:
        source = self.selected()
        if source is None:
            return

        def check(name: str) -> str | None:
            from qckpt.backend.gridengine.rules import check_name

            error = check_name(name.strip())
            return error.rule if error else ("exists" if name.strip() in self.envs else None)

        self.app.push_screen(
            ValueScreen(f"Clone {source.name} as", f"{source.name}-copy", check),
            lambda name: (
                name
                and self.write(lambda: self.store.clone(source.name, name), f"cloned to {name}")
            ),
        )

    def action_delete(self) -> None:
        env = self.selected()
        if env is not None:
            self.app.push_screen(
                ConfirmScreen(
                    f"Delete checkpoint environment {env.name}?", env.to_text(), yes="Delete"
                ),
                lambda yes: (
                    yes and self.write(lambda: self.store.delete(env.name), f"deleted {env.name}")
                ),
            )
