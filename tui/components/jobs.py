"""The Jobs view: checkpointed jobs (or all jobs), their checkpoints, and actions on them."""

from __future__ import annotations

import contextlib
import ctypes
import json

from rich.console import Group
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.jobs import actions, checkpoint_now, listing
from qckpt.backend.jobs.listing import EnvCache, JobRow, ListingCache, list_jobs
from qckpt.backend.report.figures import Figures, figures

from ..output import SPANS, age, human, parse_size
from ..rows import JOB_COLUMNS, job_cells, share
from .dialogs import ConfirmScreen, ErrorScreen
from .tables import current_key, details_grid
from .view import View


def sort_value(column: str, cell: str):
    """Numbers sort as numbers (sizes, ages, counts, shares, job ids), text as text; a
    column's "-" after its numbers."""
    text = str(cell)
    try:
        if column == "JOB":
            job, _, task = text.partition(".")
            return (0, int(job), int(task) if task.isdigit() else 0)
        if text == "-" and column in ("LAST", "COST", "RUN"):
            return (1, 0)
        if column == "LAST":
            return (0, float(text[:-1]) * SPANS[text[-1]])
        size = parse_size(text) if column == "SIZE" else None
        if size is not None:
            return (0, size)
        if column in ("GENS", "RESTARTS"):
            return (0, int(text))
        if column == "COST":
            return (0, float(text.rstrip("%")))
        if column == "RUN":
            return (0, int(text.split()[0]))
    except (ValueError, KeyError):
        pass
    return (0, text.lower())


# jobs whose own `when` (qsub -c) one refresh asks Grid Engine for: `qstat -j` takes ~75 ms
# and ~0.55 ms a job, so a refresh of 50,000 jobs (qstat -r ~0.9 s) costs at most a quarter
# more while the whens are learned; until then a row shows its environment's, in brackets
LOOKUP = 250


class JobsView(View):
    """One `qstat -u '*' -r` per refresh, joined with the hooks' manifests."""

    BINDINGS = [
        Binding("c", "checkpoint_now", "Checkpoint", id="job.checkpoint"),
        Binding("m", "act('migrate')", "Migrate", id="job.migrate"),
        Binding("s", "act('suspend')", "Suspend", id="job.suspend"),
        Binding("u", "act('resume')", "Resume", id="job.resume"),
        Binding("ctrl+d", "act('delete')", "Delete", id="job.delete"),
        Binding("A", "toggle_all", "All jobs", id="job.all"),
    ]
    KEY = "job"
    COLUMNS = JOB_COLUMNS
    CHANGES = ("act", "checkpoint_now")

    def __init__(self, *args, **kwargs) -> None:  # View's: Grid Engine, the hooks' folder
        super().__init__(*args, **kwargs)
        self.cells: dict[str, tuple[JobRow, tuple[str, ...]]] = {}  # key -> (its row, its cells)
        self.ckpt_dirs: dict[str, str] = {}
        self.all_jobs = False
        self.listing = ListingCache()
        self.env_cache = EnvCache()
        self.force_envs = False
        self.sort_column: int | None = None
        self.sort_reverse = False

    def refresh_data(self, force: bool = False) -> None:
        self.force_envs = self.force_envs or force
        self.load()

    @work(thread=True, exclusive=True, group="jobs", exit_on_error=False)
    def load(self) -> None:
        """The listing and each row's cells, made here, off the screen's thread: a refresh
        learns the own `when` of at most LOOKUP more jobs (one qstat -j), and a row the
        listing kept as it was keeps its cells."""
        envs = self.env_cache.get(self.ge, force=self.force_envs)
        self.force_envs = False
        rows = list_jobs(
            self.ge, all_jobs=self.all_jobs, envs=envs, cache=self.listing, lookup=LOOKUP
        )
        before = self.cells
        cells = {}
        texts: dict[str, str] = {}  # one string per text: 50,000 rows repeat most of theirs
        for row in rows:
            kept = before.get(row.key)
            if kept is None or kept[0] is not row:
                kept = (row, tuple(texts.setdefault(t, t) for t in job_cells(row)))
            cells[row.key] = kept
        ckpt_dirs = {e.name: e.ckpt_dir for e in envs}
        give_back()
        self.app.call_from_thread(self.show, cells, ckpt_dirs)

    def show(self, cells: dict[str, tuple[JobRow, tuple[str, ...]]], ckpt_dirs: dict[str, str]):
        self.cells = cells
        self.ckpt_dirs = ckpt_dirs
        if self.table.sync({k: c for k, (_row, c) in cells.items()}, self.text_filter):
            self.apply_sort()
        self.loaded()
        self.show_details()

    def show_filtered(self) -> None:
        self.show(self.cells, self.ckpt_dirs)

    def apply_sort(self) -> None:
        if self.sort_column is None:
            return
        table = self.table
        column = list(table.columns)[self.sort_column]
        index = self.sort_column
        name = JOB_COLUMNS[index]
        table.sort(column, key=lambda cell: sort_value(name, cell), reverse=self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Click a column's header to sort by it; again to reverse."""
        if self.sort_column == event.column_index:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self.apply_sort()

    def selected(self) -> JobRow | None:
        key = current_key(self.table)
        kept = self.cells.get(key) if key else None
        return kept[0] if kept else None

    def show_details(self) -> None:
        """The selected job's details; its logs are read by a worker (no file I/O here)."""
        row = self.selected()
        panel = self.details
        if row is None:
            panel.update("No checkpointing job." if not self.all_jobs else "No job.")
            return
        self.load_details(row, self.ckpt_dirs.get(row.env))  # shown when read: no flicker

    @staticmethod
    def detail_pairs(row: JobRow) -> list[tuple[str, str]]:
        pairs = [("job", row.key), ("task dir", row.task_dir or "-")]
        if row.problem:
            pairs.append(("problem", row.problem))
        if row.manifest:
            keys = ("engine", "host", "state", "started", "pid")
            pairs += [
                (k, json.dumps(row.manifest.get(k)).strip('"')) for k in keys if row.manifest.get(k)
            ]
            if row.manifest.get("hosts"):  # a parallel job: every host of this run
                pairs.append(("hosts", hosts_text(row.manifest["hosts"])))
            coordinator = row.manifest.get("coordinator")
            if coordinator:
                pairs.append(("coordinator", coordinator_text(coordinator)))
            kept = (row.manifest.get("generations") or [{}])[-1] or {}
            if kept.get("tmpdir"):
                pairs.append(("$TMPDIR", tmpdir_text(kept["tmpdir"], kept.get("gen"))))
            taken = row.manifest.get("name_taken")
            if taken:
                pairs.append(
                    (
                        "name taken",
                        f"{taken.get('name')} was {taken.get('found')}"
                        f" at {taken.get('time')}: the job made its own",
                    )
                )
            if row.run:
                pairs.append(("runs", runs_text(row)))
            found = figures(row.manifest, listing.clock())  # screenshots fix the clock
            if found.checkpoints:
                pairs.append(("checkpoints", cost_text(found)))
            if found.taken:
                pairs.append(("images", images_text(found)))
            moves = found.restarts
            if moves:
                kept = f" (the last {SHOWN})" if len(moves) > SHOWN else ""
                lines = [restart_text(m) for m in moves[-SHOWN:]]
                pairs.append((f"restarts: {len(moves)}{kept}", "\n".join(lines)))
                if any("saved" in m or "lost" in m for m in moves):  # older hooks said neither
                    kept_redone = f"{span(found.saved)} kept, {span(found.lost)} redone"
                    pairs.append(("work", kept_redone))
            for bad in row.manifest.get("bad_generations") or []:
                pairs.append(
                    (
                        "bad generation",
                        f"{bad.get('gen')}: {bad.get('reason')}"
                        f" ({bad.get('time')}); kept, never restarted from",
                    )
                )
            if row.last_error:
                pairs.append(("last error", row.last_error))
            if row.manifest.get("events_error"):
                pairs.append(("events", f"not written: {row.manifest['events_error']}"))
        return pairs

    @work(thread=True, exclusive=True, group="details", exit_on_error=False)
    def load_details(self, row: JobRow, ckpt_dir: str | None) -> None:
        logs = actions.details(row, ckpt_dir)
        self.app.call_from_thread(self.render_details, row, logs)

    def render_details(self, row: JobRow, logs: dict[str, list[str]]) -> None:
        if self.selected() is not row:
            return  # the cursor moved on, or a refresh replaced the row
        parts = [details_grid(self.detail_pairs(row))]
        for name, lines in logs.items():
            if lines:
                parts.append(Text(f"— {name}", style="bold"))
                parts.append(Text("\n".join(lines)))
        self.details.update(Group(*parts))

    def action_toggle_all(self) -> None:
        self.all_jobs = not self.all_jobs
        self.app.notify("all jobs" if self.all_jobs else "checkpointing jobs only")
        self.load()

    def action_act(self, what: str) -> None:
        row = self.selected()
        if row is None:
            return
        verb = {"migrate": "Migrate", "suspend": "Suspend", "resume": "Resume", "delete": "Delete"}[
            what
        ]
        command = {
            "migrate": "qmod -sj",
            "suspend": "qmod -sj",
            "resume": "qmod -usj",
            "delete": "qdel",
        }
        text = f"{command[what]} {actions.target(row)}\n{row.name} ({row.owner}), {row.state}"
        self.app.push_screen(
            ConfirmScreen(f"{verb} job {row.key}?", text, yes=verb),
            lambda yes: (
                yes
                and self.write(lambda: getattr(actions, what)(self.ge, row), f"{what}: {row.key}")
            ),
        )

    def action_checkpoint_now(self) -> None:
        """Run the job's ckpt_command now, as its owner (shown first, then asked)."""
        row = self.selected()
        if row is None:
            return
        env = next((e for e in self.env_cache.envs or [] if e.name == row.env), None)
        try:
            chosen = checkpoint_now.plan(self.ge, row, env)
        except ValidationFailed as exc:
            self.app.push_screen(
                ErrorScreen(f"Cannot checkpoint job {row.key} from here", str(exc))
            )
            return
        text = f"{chosen.shown}\n{row.name} ({row.owner}), engine {chosen.engine}"
        self.app.push_screen(
            ConfirmScreen(f"Checkpoint job {row.key} now?", text, yes="Checkpoint"),
            lambda yes: yes and self.take_checkpoint(row, chosen),
        )

    def take_checkpoint(self, row: JobRow, chosen: checkpoint_now.Plan) -> None:
        def take() -> str:
            newest = checkpoint_now.take(self.ge, row, chosen)
            size, took = human(int(newest.get("size") or 0)), newest.get("seconds")
            return f"job {row.key}: generation {newest.get('gen')} written ({size}, {took} s)"

        self.notify(f"checkpointing job {row.key}...", markup=False)
        self.write(take, f"job {row.key}: checkpointed")


def give_back() -> None:
    """Return freed memory to the system: a listing of 50,000 jobs reads 12 MB of qstat
    text and parses it into 300,000 lines, and glibc keeps what they leave in its heaps
    (~10 MB of the console's resident memory) unless told to trim them."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to ask
        ctypes.CDLL(None).malloc_trim(0)


def hosts_text(hosts: list, shown: int = 8) -> str:
    """A run's hosts, the master's first; a long list (the owner writes the manifest) cut."""
    more = f" (+{len(hosts) - shown} more)" if len(hosts) > shown else ""
    return " ".join(str(h) for h in hosts[:shown]) + more


def coordinator_text(coordinator: dict) -> str:
    """'DMTCP 4.2.0 on node7: RUNNING, 2 processes (2026-...)', from the manifest."""
    text = f"DMTCP {coordinator.get('dmtcp') or '?'} on {coordinator.get('host') or '?'}"
    if coordinator.get("state"):
        text += f": {coordinator['state']}"
    if coordinator.get("processes"):
        text += f", {coordinator['processes']} processes"
    if coordinator.get("time"):
        text += f" ({coordinator['time']})"
    return text


def tmpdir_text(record: dict, gen: int | None) -> str:
    """What the newest generation kept of the job's $TMPDIR."""
    where = f"gen {gen}" if gen is not None else "the newest generation"
    if not record.get("kept"):
        return f"{record.get('path')}: not kept with {where}: {record.get('reason')}"
    size = human(int(record.get("size") or 0))
    return f"{record.get('path')}: {size} in {record.get('files')} files kept with {where}"


SHOWN = 5  # restarts and generations the details list, the newest


def span(seconds: float | None) -> str:
    """A duration: 3.2 s below a minute, else age()'s largest unit."""
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 60 else age(int(seconds))


def cost_text(found: Figures) -> str:
    """'14 taken, 21.3 s stopped in all: 0.8% of 44m of run time'."""
    text = f"{found.checkpoints} taken, {span(found.stopped)} stopped in all"
    if found.overhead is not None:
        text += f": {share(found.overhead)} of {span(found.run_seconds)} of run time"
    return text


def images_text(found: Figures) -> str:
    """'gen 12 1.1G, gen 13 1.2G, gen 14 1.2G; +40.0M an hour of run time'."""
    text = ", ".join(f"gen {t.gen} {human(t.size)}" for t in found.taken[-SHOWN:])
    growth = found.growth
    if growth is not None:
        sign = "+" if growth >= 0 else "-"
        text += f"; {sign}{human(int(abs(growth)))} an hour of run time"
    return text


def restart_text(record: dict) -> str:
    """'2026-12-06T10:00:00Z on node2 from gen-000004: 2h of work kept, 3m redone'."""
    where = hosts_text(record.get("hosts") or [record.get("host")])
    text = f"{record.get('time')} on {where} from {record.get('gen')}"
    if record.get("saved") is not None:
        text += f": {span(record['saved'])} of work kept"
    if record.get("lost") is not None:
        least = "at least " if record.get("lost_from") == "last record" else ""
        text += f", {least}{span(record['lost'])} redone"
    return text


def runs_text(row: JobRow) -> str:
    """'run 3, 2h05m over all runs; checkpointed at its time limit (h_rt 1h less 5m) in 12m'."""
    text = f"run {row.run}, {age(row.run_seconds)} over all runs"
    current = (row.manifest.get("runs") or [{}])[-1] or {}
    if current.get("checkpoint_at") and not current.get("ended"):
        limit = f"h_rt {age(int(current['h_rt']))}" if current.get("h_rt") else "s_rt"
        text += f"; checkpointed and requeued at {current['checkpoint_at']} ({limit})"
    if current.get("end") == "cap":
        text += "; stopped at the environment's cap on runs"
    return text
