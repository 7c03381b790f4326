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
# "a child dies at restore": only its children's (bgcount.sh keeps one), the shell waits.
# One job for each, all at once in one queue.
HOW = ("corrupted", "dies at restore", "a child dies at restore")


def test_a_damaged_newest_dmtcp_generation_falls_back_to_the_previous(
    sandbox, hosts, name_for, damage, drain, started_on, undrain, written_broken
):
    a, b = hosts
    ge = sandbox.ge()
    env = name_for("fb")
    out = scratch(sandbox, f"fall-{uuid.uuid4().hex[:6]}")
    programs = share_programs(sandbox)
    with checkpointing_queue(sandbox, env, "dmtcp", hosts=f"{a} {b}", when="xsmr") as queue:
        drain(ge, queue, b)
        jobs = {}
        for number, how in enumerate(HOW):
            program = "bgcount.sh" if how == "a child dies at restore" else "bcount.sh"
            args = f"-q {queue} -ckpt {env} -c 00:00:03 -o {out}/out{number} -e {out}/err{number}"
            jobs[how] = submit(
                ge, sandbox, *args.split(), os.path.join(programs, program), str(COUNT)
            )
        try:
            for how, job in jobs.items():
                wait_until(
                    lambda job=job: started_on(sandbox, job, a), 60, f"the start on A ({how})"
                )
            for how, job in jobs.items():
                wait_until(
                    lambda job=job: events_of(sandbox.ckpt_dir, job).count("checkpoint") >= 2,
                    60,
                    f"two checkpoints ({how})",
                )
            drain(ge, queue, a)  # nowhere to go yet: the jobs wait after their migration
            for job in jobs.values():
                ge.run(["qmod", "-sj", job], user=sandbox.user)
            newest = {}
            for how, job in jobs.items():
                wait_until(
                    lambda job=job: "migrate" in events_of(sandbox.ckpt_dir, job),
                    60,
                    f"migrated ({how})",
                )
                newest[how] = layout.newest_complete(os.path.join(sandbox.ckpt_dir, f"{job}.1"))
                images = sorted(n for n in os.listdir(newest[how]) if n.endswith(".dmtcp"))
                if how == "dies at restore":
                    written_broken(newest[how], images)
                elif how == "a child dies at restore":
                    children = [n for n in images if n.startswith("ckpt_sleep_")]
                    assert children, images  # bgcount.sh's helper is always there
                    written_broken(newest[how], children)
                else:
                    damage(os.path.join(newest[how], images[0]), how)
            undrain(ge, queue, b)
            wait_finished(ge, sandbox, list(jobs.values()), timeout=200)
            for number, (how, job) in enumerate(jobs.items()):
                fell_back(ge, sandbox, job, how, f"{out}/out{number}", newest[how])
        finally:
            ge.run(["qdel", *jobs.values()], check=False)


def fell_back(ge, sandbox, job: str, how: str, out: str, newest: str) -> None:
    """The job marked its newest generation bad, restarted from the one before, and
    counted on to the end from there."""
    with open(out) as handle:
        counts = [int(m) for m in re.findall(r"^count (\d+)$", handle.read(), re.M)]
    assert counts[-1] == COUNT and counts.count(1) == 1, how  # never again from 1
    assert accounting(ge, job, records=2)[-1]["exit_status"] == "5", how
    events = events_of(sandbox.ckpt_dir, job)
    after = events[events.index("migrate") :]
    if "dies" in how:  # restarted from it, died, marked, restarted again
        steps = [e for e in after if e in ("restart", "restart-failed", "bad-generation")]
        assert steps[:4] == ["restart", "restart-failed", "bad-generation", "restart"], how
    else:  # found out by its checks, before any restart
        assert after.index("bad-generation") < after.index("restart"), (how, after)
    last = len(after) - 1 - after[::-1].index("restart")
    assert "running" in after[last:], (how, after)  # DMTCP reported the restarted job running
    read = cell_events.read(sandbox.ckpt_dir, f"{job}.1").events
    marked = [e.fields["gen"] for e in read if e.event == "bad-generation"]
    assert marked == [os.path.basename(newest)], how
    restarts = [e.fields["gen"] for e in read if e.event == "restart"]
    assert restarts[-1] != os.path.basename(newest), how  # the previous generation's
