"""A DMTCP job whose newest generation is damaged on disk while it waits to be restarted:
the starter on the other host finds it bad, keeps it, and restarts from the previous one."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from qckpt.backend.jobs import events as cell_events
from qckpt.hooks import generations, layout
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

COUNT = 200  # the job counts every 0.1 s: 20 s and more of work, two checkpoints in it
pytestmark = [
    pytest.mark.cell,
    pytest.mark.skipif(not has_dmtcp(), reason="DMTCP is not installed (on PATH or /opt/dmtcp)"),
]


@pytest.fixture(name="written_broken")
def written_broken_fixture(damage):
    def written_broken(generation: str, images: list[str]) -> None:
        """Images DMTCP wrote broken: cut short before qckpt took its checks, so they pass and
        only the restore finds it out (it dies at once)."""
        for image in images:
            damage(os.path.join(generation, image), "truncated")
        meta_path = os.path.join(generation, layout.META)
        meta = layout.read_json(meta_path)
        meta["checks"] = generations.checks_of(generation)
        owner = os.stat(meta_path)
        layout.write_json_atomic(meta_path, meta)
        os.chown(meta_path, owner.st_uid, owner.st_gid)
        assert generations.fault(generation) is None

    return written_broken


# "corrupted": an image of the same size, other bytes (its checks find it; a truncated one
# is found the same way, as tests/hooks/test_fallback.py shows for both);
# "dies at restore": every process's image is broken, the job's first process dies;
# "a child dies at restore": only its children's (bgcount.sh keeps one), the shell waits
@pytest.mark.parametrize("how", ["corrupted", "dies at restore", "a child dies at restore"])
def test_a_damaged_newest_dmtcp_generation_falls_back_to_the_previous(
    sandbox, hosts, name_for, how, damage, drain, started_on, undrain, written_broken
):
    a, b = hosts
    ge = sandbox.ge()
    env = name_for("fb")
    out = scratch(sandbox, f"fall-{uuid.uuid4().hex[:6]}")
    program = "bgcount.sh" if how == "a child dies at restore" else "bcount.sh"
    script = os.path.join(share_programs(sandbox), program)
    with checkpointing_queue(sandbox, env, "dmtcp", hosts=f"{a} {b}", when="xsmr") as queue:
        drain(ge, queue, b)
        job = submit(
            ge,
            sandbox,
            *f"-q {queue} -ckpt {env} -c 00:00:03 -o {out}/out -e {out}/err".split(),
            script,
            str(COUNT),
        )
        try:
            task_dir = os.path.join(sandbox.ckpt_dir, f"{job}.1")
            wait_until(lambda: started_on(sandbox, job, a), 60, "the start on A")
            wait_until(
                lambda: events_of(sandbox.ckpt_dir, job).count("checkpoint") >= 2,
                60,
                "two checkpoints",
            )
            drain(ge, queue, a)  # nowhere to go yet: the job waits after its migration
            ge.run(["qmod", "-sj", job], user=sandbox.user)
            wait_until(lambda: "migrate" in events_of(sandbox.ckpt_dir, job), 60, "the migration")
            newest = layout.newest_complete(task_dir)
            images = sorted(n for n in os.listdir(newest) if n.endswith(".dmtcp"))
            image = images[0]
            if how == "dies at restore":
                written_broken(newest, images)
            elif how == "a child dies at restore":
                children = [n for n in images if n.startswith("ckpt_sleep_")]
                assert children, images  # bgcount.sh's helper is always there
                written_broken(newest, children)
            else:
                damage(os.path.join(newest, image), how)
            undrain(ge, queue, b)
            wait_until(lambda: "restart" in events_of(sandbox.ckpt_dir, job), 150, "restart")
            wait_finished(ge, sandbox, [job], timeout=150)
            with open(f"{out}/out") as handle:
                counts = [int(m) for m in re.findall(r"^count (\d+)$", handle.read(), re.M)]
            assert counts[-1] == COUNT and counts.count(1) == 1  # never again from 1
            assert accounting(ge, job, records=2)[-1]["exit_status"] == "5"
            events = events_of(sandbox.ckpt_dir, job)
            after = events[events.index("migrate") :]
            if "dies" in how:  # restarted from it, died, marked, restarted again
                steps = [e for e in after if e in ("restart", "restart-failed", "bad-generation")]
                assert steps[:4] == ["restart", "restart-failed", "bad-generation", "restart"]
            else:  # found out by its checks, before any restart
                assert after.index("bad-generation") < after.index("restart"), after
            last = len(after) - 1 - after[::-1].index("restart")
            assert "running" in after[last:], after  # DMTCP reported the restarted job running
            read = cell_events.read(sandbox.ckpt_dir, f"{job}.1").events
            marked = [e.fields["gen"] for e in read if e.event == "bad-generation"]
            assert marked == [os.path.basename(newest)]
            restarts = [e.fields["gen"] for e in read if e.event == "restart"]
            assert restarts[-1] != os.path.basename(newest)  # the previous generation's
        finally:
            ge.run(["qdel", job], check=False)
