"""The console's Table: a DataTable synced by row key, keeping its cells compact."""

from __future__ import annotations

from textual.app import App, ComposeResult

from qckpt.tui.components.tables import REFILL, Cells, Table, current_key


class One(App):
    def compose(self) -> ComposeResult:
        yield Table(cursor_type="row")


def rows(count: int, state: str = "qw") -> dict[str, tuple[str, ...]]:
    return {str(1000 + n): (str(1000 + n), f"job{n}", state) for n in range(count)}


def texts(table: Table) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_sync_adds_updates_and_removes_by_key_and_the_cursor_stays_on_its_row():
    app = One()
    async with app.run_test() as pilot:
        table = app.query_one(Table)
        for name in ("job", "name", "state"):
            table.add_column(name, key=name)
        assert table.sync(rows(5))
        assert not table.sync(rows(5))  # nothing changed: nothing done
        table.move_cursor(row=3)
        changed = rows(5)
        del changed["1000"]
        changed["1003"] = ("1003", "job3", "r")
        changed["2000"] = ("2000", "new", "hqw")
        assert table.sync(changed)
        await pilot.pause()
        assert texts(table) == [list(c) for c in changed.values()]
        assert current_key(table) == "1003"  # moved up one row, still the same job
        assert table.sync(changed, "HQW") and texts(table) == [["2000", "new", "hqw"]]


async def test_more_removals_than_refill_fill_the_table_again_with_the_same_rows():
    app = One()
    async with app.run_test():
        table = app.query_one(Table)
        for name in ("job", "name", "state"):
            table.add_column(name, key=name)
        table.sync(rows(REFILL * 3))
        kept = dict(list(rows(REFILL * 3, "r").items())[REFILL + 50 :])
        assert table.sync(kept)
        assert table.row_count == len(kept) and texts(table) == [list(c) for c in kept.values()]


async def test_cells_are_kept_compact_and_behave_as_datatable_expects():
    app = One()
    async with app.run_test():
        table = app.query_one(Table)
        for name in ("job", "name", "state"):
            table.add_column(name, key=name)
        table.sync(rows(4))
        stored = list(table._data.values())
        assert all(isinstance(c, Cells) for c in stored)
        assert len({id(c.columns) for c in stored}) == 1  # one layout for every row
        table.update_cell("1002", "state", "r")
        assert [str(c) for c in table.get_row("1002")] == ["1002", "job2", "r"]
        table.sort("name", key=lambda cell: str(cell), reverse=True)
        assert [str(r[0]) for r in (table.get_row_at(i) for i in range(4))] == [
            "1003",
            "1002",
            "1001",
            "1000",
        ]
        table.add_column("host", key="host", default="-")
        assert [str(c) for c in table.get_row("1001")] == ["1001", "job1", "qw", "-"]
        table.remove_column("name")
        assert [str(c) for c in table.get_row("1001")] == ["1001", "qw", "-"]
        table.remove_row("1000")
        assert table.row_count == 3 and "1000" not in {k.value for k in table._data}
