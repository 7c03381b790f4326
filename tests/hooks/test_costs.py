"""What checkpoints cost a job and what restarts keep: the shipped hooks on real
processes record it in the manifest, the generations and, once the job ends, the owner's
history file."""

from __future__ import annotations

import getpass
import json
import os
import time

from qckpt.hooks import layout
from tests.hooks.conftest import checkpoint_args, run_hook

RAN = 100  # seconds the job had run in its first run before the checkpoints


def begin_run(task_dir: str, **extra) -> None:
    """The manifest as the starter leaves it: one run, started RAN seconds ago."""
    run = {"run": 1, "host": "vm", "started": layout.now_iso(time.time() - RAN), **extra}
    layout.write_json_atomic(os.path.join(task_dir, layout.MANIFEST), {"runs": [run]})


def checkpointed_once(hooks_dir: str, task: tuple, counter) -> None:
    """A job that ran RAN seconds, checkpointed once, then ended unseen (killed)."""
    ckpt_dir, task_dir = task
    begin_run(task_dir)
    program = counter(delay=0.01)
    time.sleep(0.3)
    assert run_hook(hooks_dir, *checkpoint_args(ckpt_dir, program.pid)).returncode == 0
    program.kill()


def manifest_of(task_dir: str) -> dict:
    return layout.read_json(os.path.join(task_dir, layout.MANIFEST))


def test_each_checkpoint_records_the_time_the_job_was_stopped_and_its_run_time(
    hooks_dir, task, counter
):
    ckpt_dir, task_dir = task
    begin_run(task_dir)
    program = counter(pad=2_000_000)
    time.sleep(0.3)
    for _ in range(2):
        assert run_hook(hooks_dir, *checkpoint_args(ckpt_dir, program.pid)).returncode == 0
    manifest = manifest_of(task_dir)
    taken = manifest["taken"]
    assert [t["gen"] for t in taken] == [1, 2]
    generations = manifest["generations"]
    for entry, kept in zip(taken, generations):
        # saving 2 MB of state takes the program a moment; the hook's whole time is more
        assert 0 < entry["stopped"] <= kept["seconds"] and entry["stopped"] == kept["stopped"]
        assert RAN <= entry["run_seconds"] < RAN + 30 and entry["size"] == kept["size"] > 2e6
    assert taken[1]["run_seconds"] >= taken[0]["run_seconds"]
    cost = manifest["cost"]
    assert cost["checkpoints"] == 2
    assert abs(cost["stopped"] - sum(t["stopped"] for t in taken)) < 0.01


def test_a_restart_records_the_work_it_kept_and_the_work_redone(
    hooks_dir, task, counter, restart_through_starter, tmp_path
):
    ckpt_dir, task_dir = task
    checkpointed_once(hooks_dir, task, counter)
    taken = manifest_of(task_dir)["taken"][0]
    # the run went on 40 s past its checkpoint before it stopped (its end, recorded)
    manifest = manifest_of(task_dir)
    ended = layout.epoch(taken["time"]) + 40
    manifest["runs"][0].update(ended=layout.now_iso(ended), seconds=RAN + 40)
    layout.write_json_atomic(os.path.join(task_dir, layout.MANIFEST), manifest)

    out = restart_through_starter(hooks_dir, ckpt_dir, tmp_path, 200)
    assert out.returncode == 3, out.stderr
    restart = manifest_of(task_dir)["restarts"][-1]
    assert restart["saved"] == taken["run_seconds"]
    assert restart["lost"] == 40 and restart["lost_from"] == "run end"


def test_a_run_that_ended_unseen_counts_its_work_redone_from_the_last_record(
    hooks_dir, task, counter, restart_through_starter, tmp_path
):
    ckpt_dir, task_dir = task
    checkpointed_once(hooks_dir, task, counter)  # its host failed: no end recorded
    out = restart_through_starter(hooks_dir, ckpt_dir, tmp_path, 200)
    assert out.returncode == 3, out.stderr
    restart = manifest_of(task_dir)["restarts"][-1]
    assert restart["lost_from"] == "last record" and 0 <= restart["lost"] < 5


def test_clean_writes_the_ended_tasks_figures_to_its_owners_history(hooks_dir, task, counter):
    ckpt_dir, task_dir = task
    checkpointed_once(hooks_dir, task, counter)
    # someone else took the owner's history name first: the owner's hooks use their own
    taken = os.path.join(ckpt_dir, layout.history_name(getpass.getuser()))
    with open(taken, "w") as handle:
        handle.write('{"owner": "forged"}\n')
    os.chown(taken, 54321, 54321)

    assert run_hook(hooks_dir, "clean", "50", "0", ckpt_dir).returncode == 0
    assert not os.path.exists(task_dir)
    ours = [
        n
        for n in os.listdir(ckpt_dir)
        if layout.history_user(n) == getpass.getuser() and n != os.path.basename(taken)
    ]
    assert len(ours) == 1
    with open(os.path.join(ckpt_dir, ours[0])) as handle:
        lines = [json.loads(line) for line in handle]
    assert len(lines) == 1
    line = lines[0]
    assert line["job"] == "50" and line["owner"] == getpass.getuser()
    assert line["checkpoints"] == 1 and line["stopped"] > 0 and line["run_seconds"] >= RAN
    assert line["size"] > 0 and line["restarts"] == 0
