"""A newest generation that cannot be restarted from: the starter checks it, marks it bad,
and restarts from the newest good one (or from scratch, and says so)."""

from __future__ import annotations

import json
import os
import time

import pytest

from qckpt.hooks import layout


@pytest.fixture(name="two_generations")
def two_generations_fixture(run_hook, checkpoint_args):
    def two_generations(hooks_dir: str, ckpt_dir: str, task_dir: str, counter) -> list[int]:
        """Two real checkpoints of the counting program: the count each saved."""
        program = counter(delay=0.01)
        counts = []
        for _ in range(2):
            time.sleep(0.3)
            assert run_hook(hooks_dir, *checkpoint_args(ckpt_dir, program.pid)).returncode == 0
            generation = layout.newest_complete(task_dir)
            with open(os.path.join(generation, "state.json")) as handle:
                counts.append(json.load(handle)["count"])
        program.kill()
        program.wait()
        return counts

    return two_generations


@pytest.mark.parametrize("how", ["truncated", "corrupted"])
def test_a_damaged_newest_generation_is_marked_bad_and_the_previous_one_used(
    hooks_dir,
    task,
    counter,
    tmp_path,
    how,
    damage,
    event_names,
    restart_through_starter,
    two_generations,
):
    ckpt_dir, task_dir = task
    first, second = two_generations(hooks_dir, ckpt_dir, task_dir, counter)
    newest = layout.newest_complete(task_dir)
    damage(os.path.join(newest, "state.json"), how)
    out = restart_through_starter(hooks_dir, ckpt_dir, tmp_path, first + 5)
    assert out.returncode == 3, out.stderr
    assert out.stdout.splitlines()[0] == f"restarted at {first}"  # not {second}, not 0
    assert os.path.isfile(os.path.join(newest, layout.BAD))  # kept, and marked
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    bad = manifest["bad_generations"]
    assert [b["gen"] for b in bad] == [os.path.basename(newest)]
    reason = "bytes, not the" if how == "truncated" else "checksum differs"
    assert reason in bad[0]["reason"] and "state.json" in bad[0]["reason"]
    assert "bad-generation" in event_names(ckpt_dir)
    assert manifest["restarts"][-1]["gen"] != os.path.basename(newest)
    assert second > first


def test_with_no_good_generation_left_the_job_starts_from_scratch_and_says_so(
    hooks_dir,
    task,
    counter,
    tmp_path,
    damage,
    event_names,
    restart_through_starter,
    two_generations,
):
    ckpt_dir, task_dir = task
    two_generations(hooks_dir, ckpt_dir, task_dir, counter)
    for number in layout.complete_generations(task_dir):
        damage(os.path.join(task_dir, layout.gen_name(number), "state.json"), "truncated")
    out = restart_through_starter(hooks_dir, ckpt_dir, tmp_path, 5)
    assert out.returncode == 3, out.stderr
    assert out.stdout.splitlines()[0] == "started at 0"
    names = event_names(ckpt_dir)
    assert names.count("bad-generation") == 2 and names[-2:] == ["error", "start"]
    assert names.index("restart-from-scratch") > names.index("bad-generation")
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    assert len(manifest["bad_generations"]) == 2
    assert "starts from scratch" in manifest["last_error"]["message"]


def test_numbering_goes_on_past_six_digits(task):
    """An empty gen-999999 once made the next generation gen-1000000, never recognised."""
    from qckpt.hooks import generations

    _ckpt_dir, task_dir = task
    os.mkdir(os.path.join(task_dir, "gen-999999"))  # the owner's own, and incomplete
    number, partial = generations.begin(task_dir)
    assert number == 1_000_000 and os.path.basename(partial) == "gen-1000000.partial"
    generations.commit(task_dir, number, partial, {"time": layout.now_iso()})
    assert layout.complete_generations(task_dir) == [1_000_000]  # 999999 has no meta: not one
    assert layout.newest_complete(task_dir).endswith("gen-1000000")
