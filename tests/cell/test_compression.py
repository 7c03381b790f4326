"""An environment's choice of image compression, on real DMTCP jobs (shell scripts, which
Grid Engine starts as login shells): `none` writes plain images, `gzip` DMTCP's gzip
stream, and the job restarts from either after a migration, counting on from where it
was."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from qckpt.hooks import layout
from tests.cell.jobs import (
    checkpointing_queue,
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
GZIP = b"\x1f\x8b"


def headers(generation: str) -> list[bytes]:
    found = []
    for name in sorted(os.listdir(generation)):
        if name.endswith(".dmtcp"):
            with open(os.path.join(generation, name), "rb") as handle:
                found.append(handle.read(10))
    assert found
    return found


@pytest.mark.parametrize("compress", ["none", "gzip"])
def test_images_are_compressed_as_the_environment_says(sandbox, name_for, compress):
    ge = sandbox.ge()
    env = name_for(f"z{compress[0]}")
    programs = share_programs(sandbox)
    out = scratch(sandbox, f"zip-{uuid.uuid4().hex[:6]}")
    with checkpointing_queue(sandbox, env, "dmtcp", when="xsmr", compress=compress) as queue:
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
        for header in headers(layout.newest_complete(task_dir)):
            assert header.startswith(GZIP) == (compress == "gzip")
        ge.run(["qmod", "-sj", job], user=sandbox.user)
        wait_until(lambda: "restart" in events_of(ckpt, job), 150, "the restart")
        wait_finished(ge, sandbox, [job], timeout=120)
    with open(f"{out}/out") as handle:
        counts = [int(m.group(1)) for m in re.finditer(r"^count (\d+)$", handle.read(), re.M)]
    assert counts[-1] == 250 and counts.count(1) == 1
