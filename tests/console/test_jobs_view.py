"""The Jobs view with Pilot, on real jobs run by the signal engine on the sandbox cell."""

from __future__ import annotations

import json
import os
import pwd
import re
from types import SimpleNamespace

import pytest
from textual.widgets import DataTable

from qckpt.tui.app import QckptApp
from qckpt.tui.components.dialogs import ConfirmScreen, ErrorScreen
from qckpt.tui.rows import JOB_COLUMNS
from qckpt.tui.settings import Settings
from tests.cell.jobs import (
    checkpointing_queue,
    events_of,
    running_jobs,
    share_programs,
    submit,
    wait_until,
)

pytestmark = pytest.mark.cell
GENS = JOB_COLUMNS.index("GENS")


def submit_counter(sandbox, queue: str, env: str, *extra: str) -> str:
    counter = os.path.join(share_programs(sandbox), "counter.py")
    return submit(
        sandbox.ge(),
        sandbox,
        *f"-q {queue} -ckpt {env} -c 00:00:03 -b y -o /dev/null -j y".split(),
        *extra,
        counter,
        "5000",
    )


def state_of(ge, sandbox, job: str) -> str:
    for line in ge.qstat("-u", sandbox.user).stdout.splitlines()[2:]:
        parts = line.split()
        if parts and parts[0] == job:
            return parts[4]
    return ""


@pytest.fixture(name="open_jobs")
def open_jobs_fixture(settle):
    async def open_jobs(app, pilot) -> DataTable:
        await settle(app, pilot)
        await app.switch_view("jobs")
        await settle(app, pilot)
        return app.query_one("#job-table", DataTable)

    return open_jobs


async def test_jobs_are_listed_with_their_checkpoints_sorted_and_toggled(
    sandbox, name_for, screen_size, select_row, settle, shown_text, open_jobs
):
    ge = sandbox.ge()
    env = name_for("jv")
    with checkpointing_queue(sandbox, env, "signal", when="xsmr") as queue:
        first, second = submit_counter(sandbox, queue, env), submit_counter(sandbox, queue, env)
        plain = submit(ge, sandbox, "-h", "-b", "y", "-o", "/dev/null", "/bin/true")
        try:
            for job in (first, second):
                wait_until(lambda j=job: "checkpoint" in events_of(sandbox.ckpt_dir, j), 60, "ckpt")
            app = QckptApp(ge=ge, settings=Settings(refresh=60))
            async with app.run_test(size=screen_size) as pilot:
                table = await open_jobs(app, pilot)
                keys = [k.value for k in table.rows]
                assert {first, second} <= set(keys) and plain not in keys
                row = dict(zip(JOB_COLUMNS, (str(c) for c in table.get_row(first))))
                assert row["ENV"] == env and int(row["GENS"]) >= 1 and row["STATE"] == "r"
                await select_row(app, pilot, first)
                shown = shown_text(app.query_one("#job-details"))
                assert re.search(r"\bengine +signal\b", shown) and "gen-000001" in shown
                # what its checkpoints cost it: each taken, the time stopped, its share
                assert re.search(r"\bcheckpoints +\d+ taken, [\d.]+ s stopped in all: ", shown)
                view = app.current_view()
                for _ in range(2):  # JOB column, then reversed
                    view.on_data_table_header_selected(SimpleNamespace(column_index=0))
                shown_order = range(table.row_count)
                order = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in shown_order]
                assert order.index(second) < order.index(first)
                await pilot.press("A")  # every job, checkpointing or not
                await settle(app, pilot)
                assert plain in [k.value for k in table.rows]
        finally:
            ge.run(["qdel", first, second, plain], check=False)


async def test_actions_ask_first_and_migrate_needs_x(
    sandbox, name_for, screen_size, select_row, settle, open_jobs
):
    ge = sandbox.ge()
    env = name_for("jn")
    with checkpointing_queue(sandbox, env, "signal", when="m") as queue:  # no x
        job = submit_counter(sandbox, queue, env)
        try:
            wait_until(lambda: state_of(ge, sandbox, job) == "r", 60, "the job to run")
            app = QckptApp(ge=ge, settings=Settings(refresh=60))
            async with app.run_test(size=screen_size) as pilot:
                await open_jobs(app, pilot)
                await select_row(app, pilot, job)
                await pilot.press("m")
                assert (
                    isinstance(app.screen, ConfirmScreen)
                    and f"qmod -sj {job}" in app.screen.details
                )
                await pilot.press("y")
                await settle(app, pilot)
                assert isinstance(app.screen, ErrorScreen) and "without x" in app.screen.message
                await pilot.press("escape")
                for key, state in (("s", "s"), ("u", "r")):
                    await pilot.press(key, "y")
                    await settle(app, pilot)
                    wait_until(
                        lambda s=state: state_of(ge, sandbox, job) == s, 30, f"state {state}"
                    )
                await pilot.press("ctrl+d", "y")
                await settle(app, pilot)
                wait_until(lambda: job not in running_jobs(ge, sandbox), 30, "the job to go")
        finally:
            ge.run(["qdel", job], check=False)


async def test_checkpoint_now_runs_the_hook_as_the_owner_and_shows_the_generation(
    sandbox, name_for, screen_size, select_row, settle, open_jobs
):
    ge = sandbox.ge()
    env = name_for("jc")
    with checkpointing_queue(sandbox, env, "signal", when="s") as queue:  # no periodic ones
        job = submit_counter(sandbox, queue, env)
        held = submit_counter(sandbox, queue, env, "-h")
        try:
            wait_until(lambda: state_of(ge, sandbox, job) == "r", 60, "the job to run")
            task_dir = os.path.join(sandbox.ckpt_dir, f"{job}.1")
            wait_until(lambda: os.path.exists(os.path.join(task_dir, "manifest.json")), 30, "start")
            app = QckptApp(ge=ge, settings=Settings(refresh=60))
            async with app.run_test(size=screen_size) as pilot:
                table = await open_jobs(app, pilot)
                await select_row(app, pilot, held)
                await pilot.press("c")  # a pending job has no process to checkpoint
                assert isinstance(app.screen, ErrorScreen) and "only a running job" in (
                    app.screen.message
                )
                await pilot.press("escape")
                await select_row(app, pilot, job)
                assert str(table.get_row(job)[GENS]) == "0"
                await pilot.press("c")
                assert isinstance(app.screen, ConfirmScreen)
                shown = app.screen.details
                assert f"runuser -u {sandbox.user} -- " in shown.splitlines()[0] and (
                    " checkpoint --engine signal " in shown and f" {job} 0 " in shown
                )
                await pilot.press("y")
                wait_until(lambda: "checkpoint" in events_of(sandbox.ckpt_dir, job), 60, "ckpt")
                for _ in range(20):
                    await settle(app, pilot)
                    if str(table.get_row(job)[GENS]) == "1":
                        break
                assert str(table.get_row(job)[GENS]) == "1"
            generation = os.path.join(task_dir, "gen-000001")
            assert os.stat(generation).st_uid == pwd.getpwnam(sandbox.user).pw_uid
            with open(os.path.join(generation, "meta.json")) as handle:
                assert json.load(handle)["host"] == sandbox.host
        finally:
            ge.run(["qdel", job, held], check=False)
