"""Updating a DataTable by row key, so the cursor and selection survive a refresh.

Every cell and detail is shown as plain text (rich Text), never parsed as markup: job
names, owners' files and Grid Engine's messages reach these tables, and `[/]` in one of them
would end the console.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence

from rich.cells import cell_len
from rich.measure import Measurement
from rich.table import Table as Grid
from rich.text import Text
from textual.widgets import DataTable

# remove_row renumbers every row after it (O(rows)): more removals than this at once and
# the table is filled again instead (50,000 rows: one fill is ~1 s, 10,000 removals minutes)
REFILL = 200


class Plain:
    """A cell shown as plain text: rich Text made only when the cell is drawn (a visible
    row). A table of 50,000 rows keeps one of these per distinct text (40 bytes), not
    650,000 Text objects (~300 bytes each with their two lists)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console, options):
        yield Text(self.text, end="")

    def __rich_measure__(self, console, options) -> Measurement:
        width = cell_len(self.text)
        return Measurement(width, width)

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return str(other) == self.text

    def __hash__(self) -> int:
        return hash(self.text)


class Cells(MutableMapping):
    """One row's cells by column key, as DataTable keeps them, in a tuple beside the column
    keys every row shares: 50,000 rows of 12 columns keep 9 MB of these where DataTable's
    own dict per row takes 33 MB."""

    __slots__ = ("columns", "values")

    def __init__(self, columns: dict, values: tuple) -> None:
        self.columns = columns  # column key -> position, one dict for the table
        self.values = values

    def __getitem__(self, key):
        return self.values[self.columns[key]]

    def __setitem__(self, key, value) -> None:
        if key not in self.columns:  # a column added after the rows: its own layout
            self.columns = {**self.columns, key: len(self.columns)}
            self.values = (*self.values, None)
        at = self.columns[key]
        self.values = (*self.values[:at], value, *self.values[at + 1 :])

    def __delitem__(self, key) -> None:
        kept = {k: self[k] for k in self.columns if k != key}
        self.columns = dict(zip(kept, range(len(kept))))
        self.values = tuple(kept.values())

    def __iter__(self) -> Iterator:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)


class Rows(dict):
    """DataTable's row key -> cells, each row kept as Cells: DataTable stores a new dict
    for each row it adds (`self._data[key] = {column: cell}`), turned here into Cells that
    share one column layout."""

    def __init__(self) -> None:
        super().__init__()
        self.order: tuple = ()
        self.layout: dict = {}

    def __setitem__(self, key, cells) -> None:
        if isinstance(cells, dict):
            order = tuple(cells)
            if order != self.order:  # a column added or removed since the row before
                self.order, self.layout = order, dict(zip(order, range(len(order))))
            cells = Cells(self.layout, tuple(cells.values()))
        super().__setitem__(key, cells)


class Table(DataTable):
    """A DataTable updated by row key from the rows last shown, so that the cursor and
    selection survive a refresh and an unchanged row costs one comparison."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shown: dict[str, tuple[str, ...]] = {}
        self._data = Rows()  # DataTable's own store of cells, kept compact (see Rows)

    def sync(self, rows: dict[str, Sequence[str]], text_filter: str = "") -> bool:
        """Show `rows` (key -> cells), filtered by a case-insensitive substring; true when
        anything shown changed (so a sorted table needs sorting again)."""
        needle = text_filter.lower()
        wanted = {
            k: tuple(cells)
            for k, cells in rows.items()
            if not needle or any(needle in c.lower() for c in cells)
        }
        if wanted == self.shown:
            return False
        cursor_key = current_key(self)
        gone = [k for k in self.shown if k not in wanted]
        with self.app.batch_update():
            if len(gone) > REFILL:
                self.clear()
                self.shown = {}
            else:
                for key in gone:
                    self.remove_row(key)
            columns = list(self.columns.values())
            made: dict[str, Plain] = {}  # one cell object per text ("-", "0", an owner)

            def plain(text: str) -> Plain:
                return made.get(text) or made.setdefault(text, Plain(text))

            for key, cells in wanted.items():
                before = self.shown.get(key)
                if before is None:
                    self.add_row(*map(plain, cells), key=key)
                elif before != cells:
                    for column, old, new in zip(columns, before, cells):
                        if old != new:
                            # a column only widens: a narrower cell with update_width
                            # measures every cell of its column again (50,000 rows: ~0.4 s
                            # for each cell changed)
                            wider = cell_len(new) >= column.content_width
                            self.update_cell(key, column.key, plain(new), update_width=wider)
        self.shown = wanted
        if cursor_key in wanted:
            self.move_cursor(row=self.get_row_index(cursor_key))
        return True


def current_key(table: DataTable) -> str | None:
    if not table.row_count or table.cursor_row >= table.row_count:
        return None
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value


def details_grid(pairs: list[tuple[str, str]]) -> Grid:
    """name / value rows; long values wrap inside their own column."""
    grid = Grid.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(Text(name), Text(value))
    return grid
