"""Migration between two execution hosts, as on a real cluster: this machine and a second
host in its own network namespace with its own name (qckpt sandbox up --hosts 2), sharing
ckpt_dir. A job starts on A, A is drained (disabled) and the job migrated (qmod -sj); Grid
Engine restarts it on B, where it goes on from its checkpoint."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from textual.widgets import DataTable

from qckpt.backend.setup.cpu_complexes import ensure_complexes, set_host_values
from qckpt.hooks import cpu
from qckpt.tui.app import QckptApp
from qckpt.tui.rows import JOB_COLUMNS
from qckpt.tui.settings import Settings
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    events_of,
    has_dmtcp,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell


async def test_a_job_migrates_to_the_second_host_and_goes_on(
    sandbox, hosts, name_for, screen_size, drain, move_from_a_to_b, select_row, settle, shown_text
):
    a, b = hosts
    ge = sandbox.ge()
    env = name_for("mh")
    out = scratch(sandbox, f"two-{uuid.uuid4().hex[:6]}")
    counter = os.path.join(share_programs(sandbox), "counter.py")
    with checkpointing_queue(sandbox, env, "signal", hosts=f"{a} {b}", when="xsmr") as queue:
        drain(ge, queue, b)  # so the job starts on A
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -c 00:00:03 -b y -j y -o {out}/out".split(),
            counter,
            "400",
            "0.05",
        )
        move_from_a_to_b(sandbox, queue, job, a, b)

        app = QckptApp(ge=ge, settings=Settings(refresh=60))
        async with app.run_test(size=screen_size) as pilot:  # what an administrator sees
            await settle(app, pilot)
            await app.switch_view("jobs")
            await settle(app, pilot)
            table = app.query_one("#job-table", DataTable)
            for _ in range(30):
                app.current_view().load()
                await settle(app, pilot)
                if job in [k.value for k in table.rows] and f"@{b}" in str(table.get_row(job)[4]):
                    break
            row = dict(zip(JOB_COLUMNS, (str(c) for c in table.get_row(job))))
            assert row["QUEUE"] == f"{queue}@{b}" and row["RESTARTS"] == "1"
            await select_row(app, pilot, job)
            assert f"on {b} from gen" in shown_text(app.query_one("#job-details"))

        wait_finished(ge, sandbox, [job], timeout=120)
        with open(f"{out}/out") as handle:
            text = handle.read()
        restarted_at = int(re.search(r"^restarted at (\d+)$", text, re.M).group(1))
        assert restarted_at > 0  # went on from its checkpoint, not from the start
        records = accounting(ge, job, records=2)
        assert records[0]["hostname"] == a and records[-1]["hostname"] == b
        assert records[-1]["exit_status"] == "3"


@pytest.mark.skipif(not has_dmtcp(), reason="DMTCP is not installed (on PATH or under /opt/dmtcp)")
def test_a_dmtcp_job_restarts_on_the_second_host(
    sandbox, hosts, name_for, drain, manifest_of, move_from_a_to_b
):
    a, b = hosts
    ge = sandbox.ge()
    env = name_for("md")
    out = scratch(sandbox, f"twod-{uuid.uuid4().hex[:6]}")
    script = os.path.join(share_programs(sandbox), "bcount.sh")
    with checkpointing_queue(sandbox, env, "dmtcp", hosts=f"{a} {b}", when="xsmr") as queue:
        drain(ge, queue, b)
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -c 00:00:03 -o {out}/out -e {out}/err".split(),
            script,
            "200",
        )
        move_from_a_to_b(sandbox, queue, job, a, b)
        assert manifest_of(sandbox, job)["coordinator"]["host"] == b
        wait_finished(ge, sandbox, [job], timeout=150)
        with open(f"{out}/out") as handle:
            counts = [int(m) for m in re.findall(r"^count (\d+)$", handle.read(), re.M)]
        assert counts[-1] == 200 and counts.count(1) == 1  # never started again from 1
        assert accounting(ge, job, records=2)[-1]["hostname"] == b


def test_same_cpu_migration_refuses_a_host_with_a_lower_cpu_level(
    sandbox, hosts, name_for, drain, manifest_of, started_on, undrain
):
    """B says (host complex values) it has an older CPU: a job pinned on A never goes there."""
    a, b = hosts
    ge = sandbox.ge()
    ensure_complexes(ge)
    flags = cpu.read_flags()
    level = cpu.level(flags)
    for host in (a, b):
        set_host_values(ge, host, flags)
    # the same flags, but B's level is lower: only the level can refuse it
    ge.qconf("-mattr", "exechost", "complex_values", f"x86_64_level={level - 1}", b)
    env = name_for("mc")
    counter = os.path.join(share_programs(sandbox), "counter.py")
    options = {"when": "xsmr", "same_cpu": True}
    try:
        with checkpointing_queue(sandbox, env, "signal", hosts=f"{a} {b}", **options) as queue:
            drain(ge, queue, b)
            job = submit(
                ge,
                sandbox,
                *f"-q {queue} -ckpt {env} -c 00:00:03 -b y -o /dev/null -j y".split(),
                counter,
                "100000",
                "0.05",
            )
            try:
                wait_until(lambda: started_on(sandbox, job, a), 60, "the start on A")
                wait_until(lambda: "checkpoint" in events_of(sandbox.ckpt_dir, job), 60, "ckpt")
                drain(ge, queue, a)
                undrain(ge, queue, b)
                ge.run(["qmod", "-sj", job], user=sandbox.user)
                wait_until(lambda: "pinned" in events_of(sandbox.ckpt_dir, job), 60, "pinning")
                reason = wait_until(lambda: unfit_reason(ge, job, b), 60, "the scheduler's reason")
                assert f"offers only hf:x86_64_level={level - 1}." in reason
                assert f"x86_64_level={level}" in ge.qstat("-j", job).stdout  # the pinned request
                assert "restart" not in events_of(sandbox.ckpt_dir, job)  # never ran on B
                undrain(ge, queue, a)  # A is back: the job goes on there
                wait_until(lambda: "restart" in events_of(sandbox.ckpt_dir, job), 150, "restart")
                assert manifest_of(sandbox, job)["restarts"][-1]["host"] == a
            finally:
                ge.run(["qdel", job], check=False)
    finally:
        set_host_values(ge, b, flags)


def unfit_reason(ge, job: str, host: str) -> str | None:
    """The scheduler's line saying why `job` cannot run on `host`, once it says it."""
    for line in ge.qstat("-j", job).stdout.splitlines():
        if f'cannot run at host "{host}"' in line:
            return line.strip()
    return None
