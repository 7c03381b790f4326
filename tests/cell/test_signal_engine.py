"""The application-level signal engine end to end on the real cell.

One job is checkpointed periodically (when m), migrated with qmod -sj, restarted from its
saved state, and finishes with its own exit status in accounting; clean removes its
directory. A second job, submitted with SGE_LEAVE_CKPT_DIR, keeps it.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid

import pytest

from qckpt.hooks import layout
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    events_of,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell


@pytest.fixture
def signal_queue(sandbox, name_for):
    env = name_for("sig")
    with checkpointing_queue(sandbox, env, "signal", when="xsmr") as queue:
        yield env, queue


def test_checkpoint_migrate_restart_and_clean(sandbox, signal_queue):
    ge = sandbox.ge()
    env, queue = signal_queue
    programs = share_programs(sandbox)
    out = scratch(sandbox, f"signal-{uuid.uuid4().hex[:6]}")
    counter = os.path.join(programs, "counter.py")
    common = ["-q", queue, "-ckpt", env, "-c", "00:00:03", "-j", "y", "-b", "y"]
    moved = submit(ge, sandbox, *common, "-o", f"{out}/moved", counter, "250", "0.1")
    kept = submit(
        ge, sandbox, *common, "-v", "SGE_LEAVE_CKPT_DIR=1", "-o", f"{out}/kept", counter, "60"
    )
    ckpt = sandbox.ckpt_dir
    task_dir = os.path.join(ckpt, f"{moved}.1")

    # A periodic checkpoint (when m) makes a complete generation.
    wait_until(lambda: "checkpoint" in events_of(ckpt, moved), 60, "a periodic checkpoint")
    generation = layout.newest_complete(task_dir)
    assert generation is not None
    image = os.path.join(generation, "state.json")
    assert stat.S_IMODE(os.stat(image).st_mode) == 0o600  # readable only by the owner
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    assert stat.S_IMODE(os.stat(os.path.join(task_dir, layout.MANIFEST)).st_mode) == 0o644
    assert manifest["engine"] == "signal" and manifest["generations"]

    # qmod -sj migrates: the job saves, exits, is requeued and restarts from its state.
    ge.run(["qmod", "-sj", moved], user=sandbox.user)
    wait_until(lambda: "restart" in events_of(ckpt, moved), 150, "the restart")
    wait_finished(ge, sandbox, [moved, kept], timeout=120)

    with open(f"{out}/moved") as handle:
        lines = handle.read().splitlines()
    migrated_at = int(next(ln for ln in lines if ln.startswith("migrating at")).split()[-1])
    assert f"restarted at {migrated_at}" in lines
    assert lines[-1] == "done at 250"
    records = accounting(ge, moved, records=2)
    assert [r["failed"] for r in records][0].startswith("24")  # the migrated run
    assert records[-1]["exit_status"] == "3"  # the job's own status after the restart
    events = events_of(ckpt, moved)
    assert events[:2] == ["start", "checkpoint"]
    assert "migrate" in events and events[-1] == "clean"
    assert not os.path.exists(task_dir)

    # SGE_LEAVE_CKPT_DIR keeps the directory, its manifest and generations.
    assert accounting(ge, kept)[-1]["exit_status"] == "3"
    assert events_of(ckpt, kept)[-1] == "clean-kept"
    kept_dir = os.path.join(ckpt, f"{kept}.1")
    assert layout.newest_complete(kept_dir) is not None
    shutil.rmtree(kept_dir)  # kept on purpose; the test's own leftover


def test_a_job_whose_environment_is_not_utf8_runs(sandbox, signal_queue):
    """Before: the starter's `qstat -j` (which shows the job's environment) raised
    UnicodeDecodeError on a Latin-1 value, and the job failed before it began."""
    ge = sandbox.ge()
    env, queue = signal_queue
    counter = os.path.join(share_programs(sandbox), "counter.py")
    common = ["-q", queue, "-ckpt", env, "-j", "y", "-b", "y", "-o", "/dev/null"]
    job = submit(ge, sandbox, *common, "-v", "PLACE=Z\udcfcrich\x1b[0m", counter, "10", "0.1")
    try:
        wait_finished(ge, sandbox, [job], timeout=90)
        assert accounting(ge, job)[-1]["exit_status"] == "3"
        assert events_of(sandbox.ckpt_dir, job) == ["start", "clean"]
    finally:
        ge.run(["qdel", job], check=False)
