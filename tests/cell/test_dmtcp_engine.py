"""The DMTCP engine end to end on the real cell (where DMTCP is installed).

A plain bash job is checkpointed periodically, migrated with qmod -sj, restarted by
dmtcp_restart from the newest complete generation, and its own exit status reaches
accounting; clean removes its directory.
"""

from __future__ import annotations

import os
import re
import stat
import uuid

import pytest

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.jobs import checkpoint_now
from qckpt.backend.jobs.listing import list_jobs
from qckpt.hooks import generations, layout
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    compressed,
    events_of,
    has_dmtcp,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = [
    pytest.mark.cell,
    pytest.mark.skipif(
        not has_dmtcp(),
        reason="DMTCP is not installed (on PATH or under /opt/dmtcp): build it from its sources",
    ),
]


@pytest.fixture
def dmtcp_queue(sandbox, name_for):
    env = name_for("dm")
    with checkpointing_queue(sandbox, env, "dmtcp", when="xsmr") as queue:
        yield env, queue


def test_dmtcp_checkpoint_migrate_restart_and_clean(sandbox, dmtcp_queue):
    ge = sandbox.ge()
    env, queue = dmtcp_queue
    programs = share_programs(sandbox)
    out = scratch(sandbox, f"dmtcp-{uuid.uuid4().hex[:6]}")
    job = submit(
        ge,
        sandbox,
        *f"-q {queue} -ckpt {env} -c 00:00:03 -o {out}/out -e {out}/err".split(),
        os.path.join(programs, "bcount.sh"),
        "250",
    )
    ckpt = sandbox.ckpt_dir
    task_dir = os.path.join(ckpt, f"{job}.1")
    wait_until(lambda: "checkpoint" in events_of(ckpt, job), 60, "a periodic checkpoint")
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    assert manifest["engine"] == "dmtcp" and manifest["coordinator"]["host"]
    # The coordinator takes commands from whoever knows its port: the world-readable
    # manifest does not say it; the owner's private dmtcp/ does (0700, the file 0600).
    assert "port" not in manifest["coordinator"]
    private = os.path.join(task_dir, layout.DMTCP)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
    port_file = os.path.join(private, "coordinator.json")
    assert stat.S_IMODE(os.stat(port_file).st_mode) == 0o600
    assert layout.read_json(port_file)["port"] > 0
    with open(os.path.join(task_dir, layout.HOOK_LOG)) as handle:
        assert "dmtcp/job-script" in handle.read()  # not the spool path, which names the host
    generation = layout.newest_complete(task_dir)
    images = [n for n in os.listdir(generation) if n.endswith(".dmtcp")]
    assert images and all(
        stat.S_IMODE(os.stat(os.path.join(generation, n)).st_mode) == 0o600 for n in images
    )
    assert all(compressed(os.path.join(generation, n)) for n in images)  # DMTCP's own gzip
    # the checkpoints after a generation leave it as it was taken: one to fall back on
    wait_until(lambda: len(layout.complete_generations(task_dir)) >= 2, 60, "a 2nd generation")
    older = os.path.join(task_dir, layout.gen_name(layout.complete_generations(task_dir)[0]))
    assert generations.fault(older) is None

    ge.run(["qmod", "-sj", job], user=sandbox.user)
    wait_until(lambda: "restart" in events_of(ckpt, job), 150, "the restart")
    wait_finished(ge, sandbox, [job], timeout=120)

    with open(f"{out}/out") as handle:
        counts = [int(m.group(1)) for m in re.finditer(r"^count (\d+)$", handle.read(), re.M)]
    assert counts[-1] == 250
    # Restarted from a checkpoint, not from the beginning: the count never went back to 1.
    assert counts.count(1) == 1
    records = accounting(ge, job, records=2)
    assert records[0]["failed"].startswith("24")
    assert records[-1]["exit_status"] == "5"
    events = events_of(ckpt, job)
    assert "migrate" in events and events[-1] == "clean"
    assert not os.path.exists(task_dir)


def test_checkpoint_now_goes_through_the_jobs_coordinator(sandbox, name_for):
    ge = sandbox.ge()
    env = name_for("dn")
    programs = share_programs(sandbox)
    with checkpointing_queue(sandbox, env, "dmtcp", when="s") as queue:  # no periodic ones
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -o /dev/null -j y".split(),
            os.path.join(programs, "bcount.sh"),
            "600",
        )
        try:
            task_dir = os.path.join(sandbox.ckpt_dir, f"{job}.1")
            manifest = os.path.join(task_dir, layout.MANIFEST)
            wait_until(
                lambda: (layout.read_json(manifest) or {}).get("coordinator"), 60, "a coordinator"
            )
            envs = EnvStore(ge).list()
            # qstat says t until the execd reports the job, well after the starter has run
            row = wait_until(
                lambda: next(
                    (r for r in list_jobs(ge, envs=envs) if r.job_id == job and "r" in r.state),
                    None,
                ),
                60,
                "qstat to show the job running",
            )
            chosen = checkpoint_now.plan(ge, row, next(e for e in envs if e.name == env))
            newest = checkpoint_now.take(ge, row, chosen)
            assert newest["gen"] == 1 and newest["size"] > 0
            generation = os.path.join(task_dir, "gen-000001")
            assert any(n.endswith(".dmtcp") for n in os.listdir(generation))
            assert "checkpoint" in events_of(sandbox.ckpt_dir, job)
        finally:
            ge.run(["qdel", job], check=False)
