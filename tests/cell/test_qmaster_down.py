"""A stopped qmaster: a clear error, no hang; the sandbox stops and starts again.

These stop and restart the cell's daemons: marked `stops_cell`, they run after every
other test (tests/conftest.py orders them), whatever the order of the files.
"""

import time

import pytest

from qckpt.backend.errors import QmasterUnreachable
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.runner import GridEngine

pytestmark = [pytest.mark.cell, pytest.mark.stops_cell]


def test_down_stops_the_cells_daemons_and_up_brings_them_back(sandbox):
    hosts = list(sandbox.execd_hosts())
    assert len(hosts) >= 2  # the suite's cell has a second host
    pids = sandbox.execd_pids() + [sandbox.qmaster_pid()]
    assert all(pids)
    messages = []
    sandbox.down(log=messages.append)
    assert sandbox.qmaster_pid() is None and sandbox.execd_pids() == []
    assert all(str(pid) in messages[0] for pid in pids)
    answers, lines = sandbox.status()
    assert not answers and "sge_qmaster: not running" in lines
    assert all(f"sge_execd on {host}: stopped" in " ".join(lines) for host in hosts)
    sandbox.up(log=lambda message: None)  # no count given: every host it had comes back
    assert sandbox.status()[0]
    assert all(sandbox.execd_hosts()[host] for host in hosts)


async def test_a_stopped_qmaster_is_a_clear_error_and_a_banner_and_the_console_recovers(
    sandbox, settle, error_of
):
    """One stop of the qmaster (each costs the suite a restart of the cell): the backend's
    clear error, no hang; the console's banner while it is down, and its recovery."""
    from textual.widgets import DataTable, Static

    from qckpt.tui.app import QckptApp
    from qckpt.tui.settings import Settings

    app = QckptApp(ge=GridEngine(env=sandbox.env(), timeout=10), settings=Settings(refresh=1))
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(100):  # the console reads Grid Engine after its first frame
            await settle(app, pilot)
            if app.info is not None:
                break
        await settle(app, pilot)
        rows_before = app.query_one("#env-table", DataTable).row_count
        sandbox.stop_qmaster()
        try:
            for _ in range(40):  # the timer refreshes every second
                await pilot.pause(0.5)
                if app.qmaster_down:
                    break
            banner = app.query_one("#banner", Static)
            assert app.qmaster_down and banner.has_class("shown")
            assert "qmaster unreachable" in str(banner.render())
            store = EnvStore(GridEngine(env=sandbox.env(), timeout=20))
            started = time.monotonic()
            error = error_of(store.names)
            assert isinstance(error, QmasterUnreachable)
            assert "unable to send message to qmaster" in str(error)
            assert time.monotonic() - started < 20
            assert sandbox.status()[0] is False
            # the console keeps working: the table still shows what it had; keys still work
            assert app.query_one("#env-table", DataTable).row_count == rows_before
            await pilot.press("colon", *"queues", "enter")
            await pilot.pause()
            assert app.query_one("#views").current == "queues"
        finally:
            sandbox.up(log=lambda message: None)
        queues = app.query_one("#queue-table", DataTable)
        for _ in range(60):  # the banner goes with the first answer; the queues follow
            await pilot.pause(0.5)
            if not app.qmaster_down and queues.row_count >= 1:
                break
        assert not app.query_one("#banner", Static).has_class("shown")
        assert queues.row_count >= 1
