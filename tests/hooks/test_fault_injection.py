"""kill -9 the checkpoint hook at random points: a complete generation always remains,
and a restart uses the newest one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

from qckpt.hooks import layout

TRIALS = 25


def hook_args(hooks_dir: str, ckpt_dir: str, pid: int) -> list[str]:
    return [
        os.path.join(hooks_dir, "qckpt-hook"),
        "checkpoint",
        "--engine",
        "signal",
        "--timeout",
        "30",
        "--keep",
        "2",
        "50",
        "0",
        ckpt_dir,
        str(pid),
    ]


def newest_state(task_dir: str) -> dict:
    generation = layout.newest_complete(task_dir)
    assert generation is not None, "no complete generation left"
    meta = layout.read_json(os.path.join(generation, layout.META))
    assert meta is not None and meta["gen"] == layout.gen_number(os.path.basename(generation))
    with open(os.path.join(generation, "state.json")) as handle:
        return json.load(handle)


def test_kill_9_at_random_points_always_leaves_a_complete_generation(
    hooks_dir, task, counter, tmp_path, restart_through_starter
):
    ckpt_dir, task_dir = task
    program = counter(pad=8_000_000)  # an 8 MB state takes a while to write and copy
    time.sleep(0.3)
    started = time.monotonic()
    assert subprocess.run(hook_args(hooks_dir, ckpt_dir, program.pid)).returncode == 0
    duration = time.monotonic() - started
    rng = random.Random(4242)
    killed_mid_way = 0
    for _ in range(TRIALS):
        hook = subprocess.Popen(hook_args(hooks_dir, ckpt_dir, program.pid))
        time.sleep(rng.uniform(0, duration * 1.2))
        if hook.poll() is None:
            killed_mid_way += 1
        hook.send_signal(signal.SIGKILL)
        hook.wait()
        state = newest_state(task_dir)
        assert state["count"] > 0
    assert killed_mid_way >= TRIALS // 2, "the kills should mostly land inside the hook"
    os.killpg(program.pid, signal.SIGKILL)  # the job crashes too
    program.wait()
    expected = newest_state(task_dir)["count"]

    # Restart through the real starter, as Grid Engine would after a migration.
    out = restart_through_starter(hooks_dir, ckpt_dir, tmp_path, expected + 3)
    assert out.returncode == 3, out.stderr
    assert out.stdout.splitlines()[0] == f"restarted at {expected}"
    assert out.stdout.splitlines()[-1] == f"done at {expected + 3}"
    no_partials = [n for n in os.listdir(task_dir) if n.endswith(layout.PARTIAL_SUFFIX)]
    assert len(no_partials) <= 1  # at most the one the last kill interrupted
