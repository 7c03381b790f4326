"""`qckpt sandbox up --demo` (what `bash dev/try.sh` opens): the cell set up by qckpt's own
steps, jobs that really checkpoint, one moved to the second host, and the console showing
it. With QCKPT_SCREENSHOTS=DIR (dev/screenshots.sh) the Environments, Queues, Jobs and
Storage views of this demo are saved there for README."""

from __future__ import annotations

import os

import pytest
from textual.widgets import DataTable

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.queues import QueueStore
from qckpt.backend.jobs.listing import list_jobs
from qckpt.backend.sandbox.demo import MOVED, QUEUE, load_demo
from qckpt.tui.app import QckptApp
from qckpt.tui.components.environments import EnvironmentsView
from qckpt.tui.rows import JOB_COLUMNS
from qckpt.tui.settings import Settings
from tests.cell.jobs import has_dmtcp, wait_until

pytestmark = pytest.mark.cell
KEPT = ("ckpt_list", "starter_method", "min_cpu_interval")


@pytest.fixture
def demo_cell(sandbox):
    """The demo changes all.q and defines signal and dmtcp: all of it is put back after."""
    ge = sandbox.ge()
    store = EnvStore(ge)
    before = {e.name: e for e in store.list()}
    queue = QueueStore(ge).get(QUEUE)
    kept = {attr: queue.value(attr) for attr in KEPT}
    jobs: dict[str, str] = {}
    yield jobs
    ge.run(["qdel", *jobs.values()], check=False)
    wait_until(lambda: not any(r.job_id in jobs.values() for r in list_jobs(ge)), 60, "qdel")
    for attr, value in kept.items():  # -mattr refuses NONE for a list (ckpt_list)
        how = "-rattr" if attr == "ckpt_list" else "-mattr"
        ge.qconf(how, "queue", attr, value, QUEUE)
    for name in ("signal", "dmtcp"):
        now = next((e for e in store.list() if e.name == name), None)
        if name in before and now is not None and now.diff(before[name]):
            store.modify(before[name], now)
        elif name not in before and now is not None:
            wait_until(lambda n=name: ge.qconf("-dckpt", n, check=False).returncode == 0, 60, name)


@pytest.mark.timeout(600)
async def test_the_demo_checkpoints_migrates_and_shows_it(
    sandbox, demo_cell, select_row, settle, shown_text
):
    ge = sandbox.ge()
    said: list[str] = []
    demo_cell.update(load_demo(sandbox, log=said.append))
    assert set(demo_cell) == {"demo-count", "demo-grow", "demo-array", "demo-held"}
    envs = {e.name: e for e in EnvStore(ge).list()}
    engine = "dmtcp" if has_dmtcp() else "signal"
    assert {"signal", engine} <= set(envs) and envs["signal"].when == "xsmr"
    assert "qckpt-hook checkpoint" in envs["signal"].ckpt_command
    queue = QueueStore(ge).get(QUEUE)
    assert queue.value("starter_method") == os.path.join(sandbox.hooks_dir, "qckpt-starter")
    assert {"signal", engine} <= set(split_list(queue.value("ckpt_list")))
    moved = demo_cell[MOVED]
    assert any(line.startswith(f"qmod -sj {moved}") for line in said), said

    def rows() -> dict:
        return {r.key: r for r in list_jobs(ge, envs=list(envs.values()))}

    # the moved job restarted elsewhere from its checkpoint; every running job's
    # checkpoints grow, a generation every min_cpu_interval (20 s)
    first = rows()
    wait_until(lambda: rows()[demo_cell["demo-grow"]].checkpoints >= 2, 150, "2 checkpoints")
    now = rows()
    restart = now[moved].manifest["restarts"][-1]
    assert now[moved].restarts == 1
    if len(sandbox.execds()) > 1:  # sent to a host it did not run on, and restarted there
        assert f"qalter -q {QUEUE}@{restart['host']} {moved}" in " ".join(said), said
    assert now[moved].checkpoints > 0 and restart["gen"]
    grow = now[demo_cell["demo-grow"]]
    assert grow.env == engine and grow.checkpoints > first[grow.key].checkpoints
    assert grow.size > 1 << 20  # its memory grows: 256 KiB a second
    assert now[demo_cell["demo-held"]].state == "hqw"
    array = demo_cell["demo-array"]
    assert {f"{array}.1", f"{array}.2"} <= set(now)

    app = QckptApp(ge=ge, settings=Settings(refresh=60, mtbi=24.0))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        env_table = app.query_one("#env-table", DataTable)
        shown = {str(env_table.get_row(n)[0]) for n in envs}
        assert shown == set(envs)
        # what a checkpoint of its jobs costs, the interval in use (the queue's 20 s) and
        # the best for an interruption a day (the settings' mtbi), with the command
        cells = dict(zip(EnvironmentsView.COLUMNS, (str(c) for c in env_table.get_row(engine))))
        assert cells["CKPT COST"].endswith("s") and cells["INTERVAL"] == "00:00:20"
        assert cells["BEST"].endswith("x)")  # seconds of cost against a day: far longer
        await select_row(app, pilot, engine)
        details = shown_text(app.query_one("#env-details"))
        assert f"qckpt queue set {QUEUE} --min-cpu-interval" in details
        assert "every 24 h of run time (as set)" in details
        save(app, "demo_environments")
        await app.switch_view("queues")
        await settle(app, pilot)
        assert str(app.query_one("#queue-table", DataTable).get_row(QUEUE)[0]) == QUEUE
        save(app, "demo_queues")
        await app.switch_view("jobs")
        await settle(app, pilot)
        table = app.query_one("#job-table", DataTable)
        cells = dict(zip(JOB_COLUMNS, (str(c) for c in table.get_row(moved))))
        assert cells["NAME"] == MOVED and cells["RESTARTS"] == "1" and int(cells["GENS"]) >= 1
        assert cells["COST"].endswith("%")  # it was stopped a moment for each checkpoint
        await select_row(app, pilot, moved)
        details = shown_text(app.query_one("#job-details"))
        assert "restarts: 1" in details and "of work kept" in details
        save(app, "demo_jobs")
        await app.switch_view("storage")
        await settle(app, pilot)
        await select_row(app, pilot, sandbox.ckpt_dir)
        await pilot.pause()
        tasks = app.query_one("#task-table", DataTable)
        assert {f"{moved}.1", f"{grow.job_id}.1"} <= {k.value for k in tasks.rows}
        save(app, "demo_storage")

    assert load_demo(sandbox, log=said.append) == {}  # once: the jobs are not submitted again
    assert said[-1] == "demo jobs already submitted"


def save(app: QckptApp, name: str) -> None:
    folder = os.environ.get("QCKPT_SCREENSHOTS")
    if folder:
        app.save_screenshot(filename=f"{name}.svg", path=folder)
