"""A job's $TMPDIR survives its migration to the other host, both engines: a program keeps
a scratch file open there, appends to it and checks all of it on every step; the second
host's queue puts $TMPDIR somewhere else (another queue tmpdir), as another queue would
under another name. The restarted job finds its files in the new $TMPDIR, DMTCP its open
file at the new path, and the count goes on."""

from __future__ import annotations

import os
import re
import shutil
import uuid

import pytest

from qckpt.backend.jobs.listing import list_jobs
from qckpt.tui.components.jobs import JobsView
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    compiled,
    events_of,
    has_dmtcp,
    scratch,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell
TARGET = 200  # 20 s of counting: the migration comes well before its end


def came_up(events: list[str]) -> bool:
    """DMTCP reported the job running after its newest restart."""
    return (
        "restart" in events and "running" in events[len(events) - events[::-1].index("restart") :]
    )


@pytest.mark.parametrize("engine", ["signal", "dmtcp"])
def test_tmpdir_is_kept_and_put_back_in_the_new_runs_tmpdir(
    sandbox, hosts, name_for, engine, drain, manifest_of, move_from_a_to_b
):
    if engine == "dmtcp" and not has_dmtcp():
        pytest.skip("DMTCP is not installed (on PATH or /opt/dmtcp)")
    a, b = hosts
    ge = sandbox.ge()
    env = name_for(f"td{engine[0]}")
    program = compiled(sandbox, "scratch")
    out = scratch(sandbox, f"tmpdir-{uuid.uuid4().hex[:6]}")
    other_tmp = os.path.join(sandbox.spool, f"tmp-{uuid.uuid4().hex[:6]}")
    os.makedirs(other_tmp)
    os.chmod(other_tmp, 0o1777)
    with checkpointing_queue(sandbox, env, engine, hosts=f"{a} {b}", when="xsmr") as queue:
        ge.qconf("-mattr", "queue", "tmpdir", other_tmp, f"{queue}@{b}")
        drain(ge, queue, b)  # so the job starts on A
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -c 00:00:03 -b y -j y -o {out}/out".split(),
            program,
            str(TARGET),
        )
        try:
            move_from_a_to_b(sandbox, queue, job, a, b)
            if engine == "dmtcp":  # the starter records it once the coordinator says so
                wait_until(lambda: came_up(events_of(sandbox.ckpt_dir, job)), 30, "running")
            manifest = manifest_of(sandbox, job)  # the task's directory goes at the job's end
            row = next(r for r in list_jobs(ge) if r.job_id == job)
            details = dict(JobsView.detail_pairs(row))  # what the console's details show
            wait_finished(ge, sandbox, [job], timeout=150)
        finally:
            ge.run(["qdel", job], check=False)
    shutil.rmtree(other_tmp, ignore_errors=True)
    with open(f"{out}/out") as handle:
        text = handle.read()
    assert "BAD" not in text, text
    places = re.findall(r"^scratch at (\S+)$", text, re.M)  # the open file's real path
    assert len(places) == 2, places
    assert places[0].startswith("/tmp/") and places[1].startswith(other_tmp + "/"), places
    if engine == "signal":  # restarted with --restart; under DMTCP the program never knows
        assert re.findall(r"^restarted at (\d+)$", text, re.M), text
    counts = [int(n) for n in re.findall(r"^count (\d+)$", text, re.M)]
    assert counts[-1] == TARGET and counts.count(1) == 1  # never again from the start
    assert accounting(ge, job, records=2)[-1]["exit_status"] == "3"
    kept = manifest["generations"][-1]["tmpdir"]
    assert kept["kept"] and kept["files"] == 2 and kept["size"] > 0, kept
    assert manifest["restarts"][-1]["tmpdir_files"] == 2
    assert "tmpdir-over-limit" not in events_of(sandbox.ckpt_dir, job)
    assert re.search(r"^\S+: \d+(\.\d)?[KM]?i?B in 2 files kept with gen \d+$", details["$TMPDIR"])
    if engine == "dmtcp":  # the restart seen to come back
        assert manifest["coordinator"]["state"] == "RUNNING", manifest["coordinator"]
        assert re.search(r"on \S+: RUNNING, \d+ processes", details["coordinator"]), details
        assert manifest["restarts"][-1]["running"]
