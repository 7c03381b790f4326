"""Same-CPU restarts with the shipped hooks: the load sensor, and refusing an unfit host."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from qckpt.hooks import cpu, layout


@pytest.mark.parametrize("command", [["qckpt-loadsensor"], ["qckpt-hook", "loadsensor"]])
def test_the_load_sensor_speaks_grid_engines_protocol(hooks_dir, command):
    proc = subprocess.run(
        [os.path.join(hooks_dir, command[0]), *command[1:]],
        input="\n\nquit\n",
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, HOST="nodeA"),
    )
    assert proc.returncode == 0
    reports = proc.stdout.split("end\n")
    assert len(reports) == 3 and reports[-1] == ""  # one report per empty line, then quit
    lines = reports[0].splitlines()
    assert lines[0] == "begin"
    values = dict(line.rsplit(":", 1) for line in lines[1:])
    assert values["nodeA:x86_64_level"] == str(cpu.level(cpu.read_flags()))
    assert set(values) == {"nodeA:x86_64_level", *(f"nodeA:cpuflag_{f}" for f in cpu.FLAGS)}
    assert set(values.values()) <= {"0", "1", "2", "3", "4"}


@pytest.fixture(name="restart")
def restart_fixture(restart_through_starter):
    def restart(
        hooks_dir: str, ckpt_dir: str, tmp_path, same_cpu: bool
    ) -> subprocess.CompletedProcess:
        options = "--engine signal" + (" --same-cpu" if same_cpu else "")
        return restart_through_starter(hooks_dir, ckpt_dir, tmp_path, 3, options)

    return restart


def make_generation(task_dir: str, taken_on: dict) -> None:
    gen = os.path.join(task_dir, layout.gen_name(1))
    os.mkdir(gen)
    with open(os.path.join(gen, "state.json"), "w") as handle:
        json.dump({"count": 1}, handle)
    layout.write_json_atomic(os.path.join(gen, layout.META), {"gen": 1, "cpu": taken_on})


def test_a_generation_from_a_cpu_this_host_lacks_is_refused_and_requeued(
    hooks_dir, task, tmp_path, event_names, restart
):
    ckpt_dir, task_dir = task
    make_generation(task_dir, {"level": 9, "flags": ["no_such_feature"]})
    out = restart(hooks_dir, ckpt_dir, tmp_path, same_cpu=True)
    assert out.returncode == 99  # Grid Engine requeues the job for another host
    assert "no_such_feature" in out.stderr and "requeued" in out.stderr
    assert "refused" in event_names(ckpt_dir)
    assert "started at" not in out.stdout and "restarted at" not in out.stdout


def test_a_generation_from_the_same_cpu_restarts(hooks_dir, task, tmp_path, restart):
    ckpt_dir, task_dir = task
    make_generation(task_dir, cpu.features(cpu.read_flags()))
    out = restart(hooks_dir, ckpt_dir, tmp_path, same_cpu=True)
    assert out.returncode == 3, out.stderr
    assert out.stdout.splitlines()[0] == "restarted at 1"


def test_without_same_cpu_the_cpu_is_not_checked(hooks_dir, task, tmp_path, restart):
    ckpt_dir, task_dir = task
    make_generation(task_dir, {"level": 9, "flags": ["no_such_feature"]})
    assert restart(hooks_dir, ckpt_dir, tmp_path, same_cpu=False).returncode == 3
