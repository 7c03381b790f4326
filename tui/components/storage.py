"""The Storage view: each ckpt_dir, its job directories, owners, orphans, growth and the
newest events of all its users in time order."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Sparkline, Static

from qckpt.backend.jobs import events, usage_history
from qckpt.backend.jobs.storage import (
    DirUsage,
    StorageScanner,
    known_job_ids,
    overview,
    remove_orphans,
)

from ..output import human, parse_size
from .dialogs import ConfirmScreen
from .tables import Table, current_key, details_grid
from .view import View

DIR_COLUMNS = ("CKPT_DIR", "ENVS", "USED", "JOB DIRS", "ORPHANS", "FREE", "FS SIZE")
TASK_COLUMNS = ("DIRECTORY", "OWNER", "SIZE", "GENS", "PARTIAL", "ORPHAN")
EVENTS_SHOWN = 6


class StorageView(View):
    BINDINGS = [Binding("o", "clean_orphans", "Clean orphans", id="storage.orphans")]
    KEY = "storage"
    CHANGES = ("clean_orphans",)

    def __init__(self, *args, **kwargs) -> None:  # View's: Grid Engine, the hooks' folder
        super().__init__(*args, **kwargs)
        self.scanner = StorageScanner()
        self.dirs: dict[str, tuple[list[str], DirUsage]] = {}
        self.series: dict[str, list[float]] = {}
        self.recent: dict[str, events.Listing] = {}
        self.sort_column = 2  # by size, largest first
        self.sort_reverse = True

    def compose_body(self) -> ComposeResult:
        """Two tables: the ckpt_dirs, then the selected one's job directories (filtered)."""
        dirs = Table(id="dir-table", cursor_type="row", classes="dirs")
        dirs.add_columns(*DIR_COLUMNS)
        yield dirs
        tasks = Table(id="task-table", cursor_type="row", zebra_stripes=True)
        tasks.add_columns(*TASK_COLUMNS)
        yield tasks
        with Horizontal(classes="storage-bottom"):
            yield Static("", id="owners", classes="details")
            with Vertical(classes="growth"):
                yield Label("used over time", id="growth-label")
                yield Sparkline([], id="growth")
                yield Static("", id="cell-events")

    def refresh_data(self, force: bool = False) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="storage", exit_on_error=False)
    def load(self) -> None:
        dirs = overview(self.ge, self.scanner)
        used = {usage.ckpt_dir: usage.used for _names, usage in dirs if usage.exists}
        series = usage_history.update(used)
        recent = {path: events.read(path, limit=EVENTS_SHOWN) for path in used}
        self.app.call_from_thread(self.show, dirs, series, recent)

    def show(
        self,
        dirs: list[tuple[list[str], DirUsage]],
        series: dict[str, list[float]],
        recent: dict[str, events.Listing] | None = None,
    ) -> None:
        self.dirs = {usage.ckpt_dir: (names, usage) for names, usage in dirs}
        self.series = series
        self.recent = recent if recent is not None else self.recent
        rows = {}
        for names, usage in dirs:
            free = human(usage.fs_free) if usage.exists else "missing"
            size = human(usage.fs_total) if usage.exists else "-"
            counts = [str(len(usage.tasks)), str(len(usage.orphans))]
            rows[usage.ckpt_dir] = [
                usage.ckpt_dir,
                " ".join(names),
                human(usage.used),
                *counts,
                free,
                size,
            ]
        self.query_one("#dir-table", Table).sync(rows)
        self.show_dir()
        self.loaded()

    def selected_dir(self) -> DirUsage | None:
        key = current_key(self.query_one("#dir-table", DataTable))
        return self.dirs[key][1] if key in self.dirs else None

    def show_dir(self) -> None:
        usage = self.selected_dir()
        tasks = self.query_one("#task-table", Table)
        rows = {}
        if usage is not None:
            for t in usage.tasks:
                rows[t.name] = [
                    t.name,
                    t.owner,
                    human(t.size),
                    str(t.generations),
                    str(t.partials),
                    "orphan" if t.orphan else "",
                ]
        if tasks.sync(rows, self.text_filter):
            self.apply_sort()
        owners = usage.per_owner if usage else {}
        pairs = [(owner, human(size)) for owner, size in owners.items()]
        self.query_one("#owners", Static).update(
            details_grid([("owner", "used"), *pairs]) if pairs else "No job directories."
        )
        values = self.series.get(usage.ckpt_dir, []) if usage else []
        chart = self.query_one("#growth", Sparkline)
        chart.data = values[-120:] if len(values) > 1 else []
        chart.display = len(values) > 1
        if usage is None:
            label = ""
        elif len(values) > 1:
            low = human(int(min(values)))
            label = f"used over time: {len(values)} samples, {low} to {human(usage.used)}"
        else:
            label = f"used now {human(usage.used)}; the chart grows by a sample a minute while open"
        self.query_one("#growth-label", Label).update(label)
        found = self.recent.get(usage.ckpt_dir) if usage else None
        lines = [e.line for e in found.events] if found else []
        if found and found.forged:
            lines.append(f"({found.forged} lines claiming another user's job left out)")
        title = Text("events of every user, newest last", style="bold")
        self.query_one("#cell-events", Static).update(
            Group(title, Text("\n".join(lines) or "none yet", overflow="ellipsis", no_wrap=True))
        )

    def apply_sort(self) -> None:
        table = self.query_one("#task-table", DataTable)
        column = list(table.columns)[self.sort_column]
        index = self.sort_column

        def key(cell):
            if index == 2:
                size = parse_size(str(cell))
                return -1 if size is None else size
            return int(str(cell)) if index in (3, 4) else str(cell)

        table.sort(column, key=key, reverse=self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table.id != "task-table":
            return
        if self.sort_column == event.column_index:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self.apply_sort()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "dir-table":
            self.show_dir()

    def show_filtered(self) -> None:
        self.show_dir()

    def show_details(self) -> None:
        self.show_dir()

    def action_clean_orphans(self) -> None:
        usage = self.selected_dir()
        if usage is None or not usage.orphans:
            self.app.notify("no orphaned job directories here")
            return
        listing = "\n".join(f"rm -r {usage.ckpt_dir}/{name}" for name in usage.orphans)
        question = f"Remove {len(usage.orphans)} directories of jobs Grid Engine no longer knows?"
        self.app.push_screen(
            ConfirmScreen(question, listing, yes="Remove"),
            lambda yes: yes and self.clean(usage.ckpt_dir, list(usage.orphans)),
        )

    def clean(self, ckpt_dir: str, names: list[str]) -> None:
        def remove() -> str:
            removed = remove_orphans(ckpt_dir, names, known_job_ids(self.ge))  # checked again
            return f"removed {len(removed)} directories"

        self.write(remove, "removed the orphaned directories")
