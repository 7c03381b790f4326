"""The Storage view with Pilot: usage per job directory and owner, a guarded orphan cleanup."""

from __future__ import annotations

import os

import pytest
from textual.widgets import DataTable

from qckpt.tui.app import QckptApp
from qckpt.tui.components.dialogs import ConfirmScreen
from qckpt.tui.settings import Settings
from tests.bad_inputs import valid_env
from tests.cell.jobs import submit

pytestmark = pytest.mark.cell


def shown_keys(table: DataTable) -> list[str]:
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


async def test_storage_lists_usage_and_cleans_only_orphans(
    sandbox, envs, name_for, tmp_path, monkeypatch, screen_size, select_row, settle, shown_text
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    ge = sandbox.ge()
    ckpt_dir = str(tmp_path / "ckpt")
    env = envs.add(valid_env(name_for()).with_changes(ckpt_dir=ckpt_dir))
    job = submit(ge, sandbox, "-h", "-ckpt", env.name, "-b", "y", "-o", "/dev/null", "/bin/true")
    try:
        known, orphan = os.path.join(ckpt_dir, f"{job}.1"), os.path.join(ckpt_dir, "999998.1")
        for path, megabytes in ((known, 1), (orphan, 3)):
            os.makedirs(os.path.join(path, "gen-000001"))
            with open(os.path.join(path, "gen-000001", "meta.json"), "w") as handle:
                handle.write("{}")
            with open(os.path.join(path, "gen-000001", "image"), "wb") as handle:
                handle.write(os.urandom(megabytes << 20))
        app = QckptApp(ge=ge, settings=Settings(refresh=60))
        async with app.run_test(size=screen_size) as pilot:
            await settle(app, pilot)
            await app.switch_view("storage")
            await settle(app, pilot)
            await select_row(app, pilot, ckpt_dir)
            await pilot.pause()
            tasks = app.query_one("#task-table", DataTable)
            assert shown_keys(tasks) == ["999998.1", f"{job}.1"]  # largest first
            assert (
                str(tasks.get_row("999998.1")[5]) == "orphan"
                and str(tasks.get_row(f"{job}.1")[5]) == ""
            )
            assert "root" in shown_text(app.query_one("#owners"))
            await pilot.press("o")
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.details == f"rm -r {ckpt_dir}/999998.1"  # the dry run
            await pilot.press("y")
            await settle(app, pilot)
        assert not os.path.exists(orphan) and os.path.isdir(known)
    finally:
        ge.run(["qdel", job], check=False)
