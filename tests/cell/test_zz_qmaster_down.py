"""A stopped qmaster: a clear error, no hang; the sandbox stops and starts again.

Named to run last: it stops and restarts the cell.
"""

import time

import pytest

from qckpt.backend.envs import EnvStore
from qckpt.backend.errors import QmasterUnreachable
from qckpt.backend.gridengine import GridEngine
from tests.conftest import error_of

pytestmark = pytest.mark.cell


def test_a_stopped_qmaster_gives_a_clear_error_not_a_hang(sandbox):
    sandbox.stop_qmaster()
    try:
        store = EnvStore(GridEngine(env=sandbox.env(), timeout=20))
        started = time.monotonic()
        error = error_of(store.names)
        assert isinstance(error, QmasterUnreachable)
        assert "unable to send message to qmaster" in str(error)
        assert time.monotonic() - started < 20
        assert sandbox.status()[0] is False
    finally:
        sandbox.up(log=lambda message: None)
    assert sandbox.answers()


def test_down_stops_the_cells_daemons_and_up_brings_them_back(sandbox):
    pids = sandbox.execd_pids() + [sandbox.qmaster_pid()]
    assert all(pids)
    messages = []
    sandbox.down(log=messages.append)
    assert sandbox.qmaster_pid() is None and sandbox.execd_pids() == []
    assert all(str(pid) in messages[0] for pid in pids)
    answers, lines = sandbox.status()
    assert not answers and "sge_qmaster: not running" in lines
    sandbox.up(log=lambda message: None)
    assert sandbox.status()[0]
