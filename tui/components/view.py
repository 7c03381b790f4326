"""What every view shares: a filter over a table of rows and the selected row's details;
its data read in a worker, its changes written in another; refusal of changes when
read-only. A view gets Grid Engine from whoever makes it and tells the app what happened
by messages (Loaded, Failed), never by calling into it."""

from __future__ import annotations

from typing import Callable

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from qckpt.backend.errors import ChangedOnCell
from qckpt.backend.gridengine.runner import GridEngine

from .tables import Table


class View(Vertical):
    KEY = ""  # the widgets' ids: KEY-filter, KEY-table, KEY-details
    COLUMNS: tuple[str, ...] = ()
    CHANGES: tuple[str, ...] = ()  # actions that change the cell

    class Loaded(Message):
        """The view read Grid Engine: the qmaster answers, the next refresh counts from now."""

    class Failed(Message):
        """A worker of the view failed. Worker.StateChanged does not bubble: this does, so
        every error meets in the app's one handler."""

        def __init__(self, event: Worker.StateChanged) -> None:
            super().__init__()
            self.event = event

    def __init__(self, ge: GridEngine, hooks_dir: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.ge = ge
        self.hooks_dir = hooks_dir  # where the hooks are installed, to suggest their paths

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter (esc clears)", id=f"{self.KEY}-filter", classes="filter")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        table = Table(id=f"{self.KEY}-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*self.COLUMNS)
        yield table
        yield Static("", id=f"{self.KEY}-details", classes="details")

    @property
    def text_filter(self) -> str:
        return self.query_one(f"#{self.KEY}-filter", Input).value

    @property
    def table(self) -> Table:
        return self.query_one(f"#{self.KEY}-table", Table)

    @property
    def details(self) -> Static:
        return self.query_one(f"#{self.KEY}-details", Static)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_details()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == f"{self.KEY}-filter":
            self.show_filtered()

    # -- what each view fills in ---------------------------------------------------------
    def refresh_data(self, force: bool = False) -> None:
        """Load the view's data again (force: also what is cached for a while)."""
        raise NotImplementedError

    def show_filtered(self) -> None:
        """Show the rows already read again, through the filter as it is now."""
        raise NotImplementedError

    def show_details(self) -> None:
        """Show the selected row's details."""
        raise NotImplementedError

    # -- telling the app -----------------------------------------------------------------
    def loaded(self) -> None:
        self.post_message(self.Loaded())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.post_message(self.Failed(event))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return not (action in self.CHANGES and self.app.read_only)  # read-only: hidden, refused

    # -- changing the cell ---------------------------------------------------------------
    @work(thread=True, group="writes", exit_on_error=False)
    def write(self, change: Callable[[], object], done: str) -> None:
        """Apply a change through the backend, say what it did (the text it returns, or
        `done`) and read the view again. A change refused because the cell changed
        meanwhile reads it again too; every error meets in the app's one handler."""
        try:
            said = change()
        except ChangedOnCell:
            self.app.call_from_thread(self.refresh_data)
            raise
        shown = said if isinstance(said, str) and said else done
        self.app.call_from_thread(lambda: self.notify(shown, markup=False))
        self.app.call_from_thread(self.refresh_data)
