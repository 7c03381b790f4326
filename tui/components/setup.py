"""The setup wizard: the answers, then each step with what it will do, run one at a time
(or all), skipped or run again; progress of long steps as it happens; a failed step says
why and how to fix it."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, RichLog, Static

from qckpt.backend.errors import FieldError, QckptError, ValidationFailed
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup.steps import Answers, Step, StepFailed, steps

from .dialogs import ValueScreen
from .tables import details_grid

ANSWERS = (
    "hooks_dir",
    "ckpt_dir",
    "templates",
    "queues",
    "job_user",
    "load_threshold",
    "cpu_values",
    "parallel_env",
)
MARKS = {
    "todo": "",
    "running": "running…",
    "done": "done",
    "skipped": "skipped",
    "failed": "FAILED",
}


class Indented:
    """Lines that keep their indent (plus `extra`) on every line they wrap onto.

    The indent is a styled segment of its own: SVG screenshots drop plain leading spaces."""

    def __init__(self, lines: list[str], extra: int) -> None:
        self.lines, self.extra = lines, extra

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            body = line.lstrip()
            indent = Segment(" " * (self.extra + len(line) - len(body)), Style(dim=True))
            for wrapped in Text(body).wrap(console, max(options.max_width - len(indent.text), 20)):
                yield indent
                yield from wrapped.render(console)
                yield Segment.line()


class SetupScreen(Screen):
    """`:setup` or the palette; `qckpt setup` opens the console here."""

    BINDINGS = [
        Binding("enter", "run_step", "Run step", id="setup.run", priority=True),
        Binding("s", "skip", "Skip", id="setup.skip"),
        Binding("a", "run_all", "Run all", id="setup.all"),
        Binding("e", "edit", "Answers", id="setup.edit"),
        Binding("t", "toggle_smoke", "Smoke test", id="setup.smoke"),
        Binding("escape", "close", "Close", id="setup.close"),
    ]

    def __init__(self, ge: GridEngine, answers: Answers) -> None:
        super().__init__()
        self.ge = ge
        self.answers = answers
        self.steps: list[Step] = []
        self.states: dict[str, str] = {}
        self.busy = False
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("Set up checkpointing", id="setup-title", classes="dialog-title")
        yield Static("", id="setup-answers", classes="details")
        with Horizontal(id="setup-body"):
            table = DataTable(id="setup-steps", cursor_type="row")
            table.add_columns("#", "STEP", "STATE")
            yield table
            with Vertical(id="setup-right"):
                yield Static("", id="setup-shows", markup=False)
                yield RichLog(id="setup-log", wrap=True, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.build()

    def build(self) -> None:
        """The steps for the current answers; an answer that breaks a rule is named (e)."""
        pairs = [(k, _shown(getattr(self.answers, k))) for k in ANSWERS]
        pairs.append(("smoke_test", "yes" if self.answers.smoke_test else "no (t)"))
        self.query_one("#setup-answers", Static).update(details_grid(pairs))
        try:
            self.steps = steps(self.ge, self.answers)
        except QckptError as exc:
            self.steps = []
            self.query_one("#setup-shows", Static).update(f"{exc}\n\nPress e to change it.")
        self.states = {s.key: self.states.get(s.key, "todo") for s in self.steps}
        self.show_states()
        self.show_step()

    def show_states(self) -> None:
        table = self.query_one("#setup-steps", DataTable)
        cursor = table.cursor_row
        table.clear()
        for number, step in enumerate(self.steps, start=1):
            state = self.states[step.key]
            mark = Text(MARKS[state], style="bold red" if state == "failed" else "")
            table.add_row(str(number), step.title, mark, key=step.key)
        table.move_cursor(row=max(0, min(cursor, len(self.steps) - 1)))
        table.focus()

    def selected(self) -> Step | None:
        table = self.query_one("#setup-steps", DataTable)
        if not self.steps:
            return None
        return self.steps[min(table.cursor_row, len(self.steps) - 1)]

    def show_step(self) -> None:
        step = self.selected()
        if step is not None:
            shown = Group(Text("What it will do:", style="bold"), Indented(step.shows, 2))
            self.query_one("#setup-shows", Static).update(shown)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_step()

    # -- actions ---------------------------------------------------------------------
    def action_run_step(self) -> None:
        step = self.selected()
        if step is not None and not self.busy:
            self.run_steps([step])

    def action_run_all(self) -> None:
        todo = [s for s in self.steps if self.states[s.key] in ("todo", "failed")]
        if todo and not self.busy:
            self.run_steps(todo)

    def action_skip(self) -> None:
        step = self.selected()
        if step is not None and not self.busy:
            self.states[step.key] = "skipped"
            self.log_line(f"skipped: {step.title}")
            self.show_states()
            self.query_one("#setup-steps", DataTable).action_cursor_down()

    def action_toggle_smoke(self) -> None:
        self.answers = replace(self.answers, smoke_test=not self.answers.smoke_test)
        self.build()

    def action_edit(self) -> None:
        """One answer at a time: `name=value` (lists: space separated)."""
        current = " ".join(f"{k}={_shown(getattr(self.answers, k), '')}" for k in ANSWERS[:2])

        def check(text: str) -> str | None:
            try:
                self.changed(text)
            except ValidationFailed as exc:
                return str(exc)
            return None

        hint = "name=value, e.g. queues=all.q long.q  or  templates=dmtcp signal\n" + ", ".join(
            ANSWERS
        )
        self.app.push_screen(
            ValueScreen("Change a setup answer", current.split()[0], check, hint),
            lambda text: text and self.use(self.changed(text)),
        )

    def changed(self, text: str) -> Answers:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or name not in ANSWERS:
            raise ValidationFailed([FieldError(name or "answer", "write name=value")])
        if name in ("templates", "queues"):
            parsed: object = value.replace(",", " ").split()
        else:
            parsed = value.strip()
        answers = replace(self.answers, **{name: parsed})
        answers.check()
        return answers

    def use(self, answers: Answers) -> None:
        self.answers = answers
        self.build()

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(None)

    # -- running ---------------------------------------------------------------------
    def log_line(self, line: str) -> None:
        self.lines.append(line)  # as written (the widget wraps them, indent kept)
        self.query_one("#setup-log", RichLog).write(Indented([line], 0))

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def run_steps(self, chosen: list[Step]) -> None:
        self.busy = True
        try:
            for step in chosen:
                self.app.call_from_thread(self.mark, step, "running")
                self.app.call_from_thread(self.log_line, f"== {step.title}")
                try:
                    outcome = step.run(
                        lambda line: self.app.call_from_thread(self.log_line, f"   {line}")
                    )
                except StepFailed as exc:
                    self.app.call_from_thread(self.failed, step, exc.why, exc.fix)
                    return
                except QckptError as exc:
                    self.app.call_from_thread(self.failed, step, str(exc), "see the message")
                    return
                self.app.call_from_thread(self.log_line, f"   done: {outcome}")
                self.app.call_from_thread(self.mark, step, "done")
        finally:
            self.busy = False

    def mark(self, step: Step, state: str) -> None:
        self.states[step.key] = state
        self.show_states()
        if state == "running":  # follow the step being run
            self.query_one("#setup-steps", DataTable).move_cursor(row=self.steps.index(step))

    def failed(self, step: Step, why: str, fix: str) -> None:
        self.mark(step, "failed")
        self.log_line(f"   FAILED: {why}")
        self.log_line(f"   fix: {fix}")


def _shown(value: object, empty: str = "-") -> str:
    if isinstance(value, list):
        return " ".join(value) or empty
    return str(value) if value else empty
