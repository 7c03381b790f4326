"""Snapshots of the console's screens on a real cell; they double as screenshots/.

They run on a private cell of their own (the sandbox's second cell), holding only the
objects made here, so the screens are the same on every machine and run.
Regenerate after a deliberate change: bash dev/screenshots.sh
"""

from __future__ import annotations

import pytest

from qckpt.backend.envs import EnvStore
from qckpt.backend.queues import QueueStore, Target
from qckpt.backend.sandbox import Sandbox
from qckpt.backend.templates import from_template
from qckpt.tui.app import QckptApp
from qckpt.tui.config import Settings

pytestmark = pytest.mark.cell
HOOKS = "/opt/qckpt"
BIG, SMALL = (140, 40), (80, 24)


@pytest.fixture(scope="module")
def sandbox(sandbox):
    """A second private cell, only for these screens (started after the main one)."""
    cell = Sandbox(cell="qckptsnap", qmaster_port=18444, execd_port=18445, user=sandbox.user)
    cell.up(log=lambda message: None)
    yield cell
    cell.down(log=lambda message: None)


@pytest.fixture(scope="module")
def objects(sandbox):
    ge = sandbox.ge()
    for name in EnvStore(ge).names():  # nothing but what these screens show
        if name not in ("snap-dmtcp", "snap-signal"):
            ge.qconf("-dckpt", name, check=False)
    envs, queues = EnvStore(ge), QueueStore(ge)
    for name in ("snap-dmtcp", "snap-signal"):
        ge.qconf("-dckpt", name, check=False)
    ge.qconf("-dq", "snapq", check=False)
    envs.add(from_template("snap-dmtcp", "dmtcp", HOOKS, "/shared/ckpt"))
    envs.add(from_template("snap-signal", "signal", HOOKS, "/shared/ckpt", when="xsmr"))
    sandbox.add_queue("snapq")
    queues.attach("snap-dmtcp", Target("snapq"), starter=f"{HOOKS}/qckpt-starter")
    queues.attach("snap-signal", Target("snapq", sandbox.host))
    queues.set(Target("snapq"), {"min_cpu_interval": "01:00:00"})
    yield
    ge.qconf("-dq", "snapq", check=False)
    for name in ("snap-dmtcp", "snap-signal"):
        ge.qconf("-dckpt", name, check=False)


def make_app(sandbox) -> QckptApp:
    return QckptApp(ge=sandbox.ge(), settings=Settings(refresh=3600), hooks_dir=HOOKS)


def showing(view: str, *keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.workers.wait_for_complete()
        if view != "environments":
            app.switch_view(view)
            await app.workers.wait_for_complete()
        app.current_view().query_one(".filter").value = "snap"
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def test_environments(objects, sandbox, snap_compare):
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=showing("environments"))


def test_environments_80x24(objects, sandbox, snap_compare):
    assert snap_compare(make_app(sandbox), terminal_size=SMALL, run_before=showing("environments"))


def test_queues(objects, sandbox, snap_compare):
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=showing("queues"))


def test_queues_80x24(objects, sandbox, snap_compare):
    assert snap_compare(make_app(sandbox), terminal_size=SMALL, run_before=showing("queues"))


def test_env_form(objects, sandbox, snap_compare):
    assert snap_compare(
        make_app(sandbox), terminal_size=BIG, run_before=showing("environments", "e")
    )


def test_help(objects, sandbox, snap_compare):
    before = showing("environments", "question_mark")
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=before)
