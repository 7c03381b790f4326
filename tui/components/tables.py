"""Updating a DataTable by row key, so the cursor and selection survive a refresh.

Every cell and detail is shown as plain text (rich Text), never parsed as markup: job
names, owners' files and Grid Engine's messages reach these tables, and `[/]` in one of them
would end the console.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable


def sync_rows(table: DataTable, rows: dict[str, list[str]], text_filter: str = "") -> None:
    """Make the table show `rows` (key -> cells), filtered by a case-insensitive substring."""
    needle = text_filter.lower()
    wanted = {
        k: cells
        for k, cells in rows.items()
        if not needle or any(needle in c.lower() for c in cells)
    }
    cursor_key = None
    if table.row_count and table.cursor_row < table.row_count:
        cursor_key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
    columns = list(table.columns)
    with table.app.batch_update():
        for key in [k.value for k in list(table.rows)]:
            if key not in wanted:
                table.remove_row(key)
        for key, cells in wanted.items():
            texts = [Text(cell) for cell in cells]
            if key in table.rows:
                for column, value in zip(columns, texts):
                    if table.get_cell(key, column) != value:
                        table.update_cell(key, column, value, update_width=True)
            else:
                table.add_row(*texts, key=key)
    if cursor_key in wanted:
        table.move_cursor(row=table.get_row_index(cursor_key))


def current_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value


def details_grid(pairs: list[tuple[str, str]]) -> Table:
    """name / value rows; long values wrap inside their own column."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(Text(name), Text(value))
    return grid
