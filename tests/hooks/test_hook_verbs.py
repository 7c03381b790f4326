"""The shipped hooks' verbs on real processes and files (no Grid Engine needed)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

from qckpt.backend.setup.hooks_install import build_zipapp, install, installed_digest
from qckpt.hooks import engine_dmtcp, jobinfo, layout, start_checkpointing
from qckpt.hooks.errors import EngineError


def test_reinstalling_replaces_both_files_atomically(tmp_path):
    first = install(str(tmp_path))
    second = install(str(tmp_path))
    assert first["digest"] == second["digest"] == installed_digest(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["qckpt-hook", "qckpt-loadsensor", "qckpt-starter"]
    for name in ("qckpt-hook", "qckpt-loadsensor", "qckpt-starter"):
        assert os.access(tmp_path / name, os.X_OK)
    out = subprocess.run([str(tmp_path / "qckpt-hook"), "version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip()
    with open(tmp_path / "qckpt-hook", "rb") as handle:
        assert handle.readline() == b"#!/usr/bin/python3 -IS\n"


IMPORTED_FROM = "import sys; sys.path.insert(0, sys.argv[1]); import {0}; print({0}.__file__)"


def test_a_hook_imports_bytecode_made_for_its_python_and_another_python_the_sources(tmp_path):
    """A hook compiles nothing when it starts (~30 ms on every checkpoint and job start):
    the zipapp carries each module's bytecode, made by the interpreter it names; another
    interpreter (PyPy 3.9 here, or a host's other Python) reads the sources instead."""
    hook = install(str(tmp_path))["qckpt-hook"]
    module = "qckpt.hooks.start_checkpointing"
    run = ["/usr/bin/python3", "-IS", "-c", IMPORTED_FROM.format(module)]
    out = subprocess.run([*run, hook], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("start_checkpointing.pyc")
    other = shutil.which("pypy3")
    if other:
        run[0] = other
        out = subprocess.run([*run, hook], capture_output=True, text=True, check=True).stdout
        assert out.strip().endswith("start_checkpointing.py")
    # for an interpreter the head node lacks: the sources alone, each read on its host
    data = build_zipapp("/nonexistent/python3")
    names = zipfile.ZipFile(io.BytesIO(data[data.index(b"PK") :])).namelist()
    assert "qckpt/hooks/take.py" in names and not [n for n in names if n.endswith(".pyc")]


def test_overlapping_checkpoints_are_serialized(hooks_dir, task, counter, checkpoint_args):
    ckpt_dir, task_dir = task
    program = counter(pad=4_000_000)
    time.sleep(0.3)
    hooks = [
        subprocess.Popen(
            [os.path.join(hooks_dir, "qckpt-hook"), *checkpoint_args(ckpt_dir, program.pid)]
        )
        for _ in range(2)
    ]
    assert [h.wait(timeout=60) for h in hooks] == [0, 0]
    assert layout.complete_generations(task_dir) == [1, 2]
    with open(os.path.join(task_dir, layout.HOOK_LOG)) as handle:
        lines = [ln.split(": ", 1)[1] for ln in handle.read().splitlines()]
    # one generation written and committed before the other begins
    assert [ln.split()[0] for ln in lines] == ["writing", "event", "writing", "event"]


def test_only_the_newest_generations_are_kept(hooks_dir, task, counter, checkpoint_args, run_hook):
    ckpt_dir, task_dir = task
    program = counter()
    time.sleep(0.3)
    for _ in range(4):
        assert (
            run_hook(hooks_dir, *checkpoint_args(ckpt_dir, program.pid, "--keep", "2")).returncode
            == 0
        )
    assert layout.complete_generations(task_dir) == [3, 4]
    assert os.readlink(os.path.join(task_dir, layout.CURRENT)) == "gen-000004"
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    assert [g["gen"] for g in manifest["generations"]] == [3, 4]


def test_a_program_that_saves_nothing_fails_the_checkpoint_and_says_why(
    hooks_dir, task, event_names, run_hook
):
    ckpt_dir, task_dir = task
    catches = "import signal, time; signal.signal(signal.SIGUSR1, lambda *a: None); time.sleep(30)"
    program = subprocess.Popen([sys.executable, "-c", catches], start_new_session=True)
    try:
        time.sleep(0.5)
        args = ["checkpoint", "--engine", "signal", "--timeout", "1"]
        out = run_hook(hooks_dir, *args, "50", "1", ckpt_dir, str(program.pid))
    finally:
        program.kill()
    assert out.returncode == 1
    assert layout.complete_generations(task_dir) == []
    assert not [n for n in os.listdir(task_dir) if n.endswith(layout.PARTIAL_SUFFIX)]
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    assert "no new state" in manifest["last_error"]["message"]
    assert "error" in event_names(ckpt_dir)


def test_a_job_that_handles_no_signal_is_not_signalled_and_told_so(hooks_dir, task, run_hook):
    """`sh -c 'sleep 30; ...'`: neither the shell nor sleep handles USR1, whose default
    action would end them both."""
    ckpt_dir, task_dir = task
    job = subprocess.Popen(["sh", "-c", "sleep 30; echo done"], start_new_session=True)
    try:
        time.sleep(0.3)
        args = ["checkpoint", "--engine", "signal", "--timeout", "1"]
        out = run_hook(hooks_dir, *args, "50", "1", ckpt_dir, str(job.pid))
        assert out.returncode == 1
        assert job.poll() is None  # still running: nothing was signalled
    finally:
        job.kill()
    message = layout.read_json(os.path.join(task_dir, layout.MANIFEST))["last_error"]["message"]
    assert message.startswith("no process of the job handles SIGUSR1 (looked at sh ")
    assert "sleep" in message and "nothing was signalled" in message


def test_clean_removes_the_task_directory_and_is_idempotent(hooks_dir, task, tmp_path, run_hook):
    ckpt_dir, task_dir = task
    outside = tmp_path / "precious"
    outside.write_text("keep me")
    os.symlink(outside, os.path.join(task_dir, "link"))
    for _ in range(2):
        assert run_hook(hooks_dir, "clean", "50", "0", ckpt_dir).returncode == 0
    assert not os.path.exists(task_dir)
    assert outside.read_text() == "keep me"  # a symlink inside was removed, not followed


def test_clean_never_follows_a_symlinked_task_directory(hooks_dir, task, tmp_path, run_hook):
    ckpt_dir, task_dir = task
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data").write_text("x")
    shutil.rmtree(task_dir)
    os.symlink(elsewhere, task_dir)
    assert run_hook(hooks_dir, "clean", "50", "1", ckpt_dir).returncode == 0
    assert (elsewhere / "data").read_text() == "x"
    assert os.path.islink(task_dir)  # not the job's: left to whoever made it


@pytest.mark.parametrize("how", ["save", "SGE_LEAVE_CKPT_DIR"])
def test_clean_keeps_the_directory_when_asked(hooks_dir, task, how, event_names, run_hook):
    ckpt_dir, task_dir = task
    env = dict(os.environ, SGE_LEAVE_CKPT_DIR="1") if how != "save" else None
    args = (
        ["clean", "save", "50", "1", ckpt_dir] if how == "save" else ["clean", "50", "1", ckpt_dir]
    )
    assert run_hook(hooks_dir, *args, env=env).returncode == 0
    assert os.path.isdir(task_dir)
    assert "clean-kept" in event_names(ckpt_dir)


def test_missing_dmtcp_is_a_clear_error_in_the_jobs_error_file_and_the_log(
    task, monkeypatch, capsys, event_names
):
    ckpt_dir, _task_dir = task
    monkeypatch.setattr(engine_dmtcp, "SEARCH", ())
    with pytest.raises(EngineError, match="DMTCP not found on PATH or under /opt/dmtcp"):
        engine_dmtcp.find("/usr/bin:/bin")
    config = {"ckpt_dir": ckpt_dir, "job_owner": "someone", "host": "h"}
    environ = {
        "JOB_ID": "51",
        "SGE_TASK_ID": "undefined",
        "SGE_CKPT_DIR": ckpt_dir,
        "PATH": "/usr/bin",
    }
    hook = jobinfo.parse_hook_args(["checkpoint", "--engine", "dmtcp"])
    code = start_checkpointing.start(environ, config, hook, "/bin/sh", ["sh", "/x"])
    assert code == 100  # Grid Engine puts the job in error state: the admin sees it
    assert "DMTCP not found" in capsys.readouterr().err
    assert "error" in event_names(ckpt_dir)
    manifest = layout.read_json(os.path.join(ckpt_dir, "51.1", layout.MANIFEST))
    assert "DMTCP not found" in manifest["last_error"]["message"]


def test_a_checkpoint_run_from_the_console_records_the_jobs_host_and_cpu(
    hooks_dir, task, counter, checkpoint_args, run_hook
):
    """No spool config (the console's Checkpoint now): the generation names the host and the
    CPU the starter recorded on the job's host, never the console's."""
    ckpt_dir, task_dir = task
    program = counter()
    time.sleep(0.3)
    taken_on = {"level": 1, "flags": ["sse", "sse2"]}
    layout.write_json_atomic(
        os.path.join(task_dir, layout.MANIFEST),
        {"job": "50", "task": "1", "state": "running", "host": "nodeb", "cpu": taken_on},
    )
    env = {k: v for k, v in os.environ.items() if k != "SGE_JOB_SPOOL_DIR"}
    result = run_hook(hooks_dir, *checkpoint_args(ckpt_dir, program.pid), env=env)
    assert result.returncode == 0, result.stderr
    meta = layout.read_json(os.path.join(task_dir, "gen-000001", layout.META))
    assert meta["host"] == "nodeb" and meta["cpu"] == taken_on


@pytest.mark.parametrize("status, kept", [(99, True), (3, False)])
def test_clean_keeps_the_directory_of_a_job_grid_engine_requeues(
    hooks_dir, task, tmp_path, status, kept, event_names, run_hook
):
    """Grid Engine runs clean_command after an exit 99 too, and then starts the job again:
    its next run must find its generations."""
    ckpt_dir, task_dir = task
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "trace").write_text(
        "12/02/2026 05:10:57 [103:2982]: job exited with exit status 0\n"
        * 3
        + f"12/02/2026 05:10:57 [103:2982]: job exited with exit status {status}\n"
        "12/02/2026 05:10:57 [103:2982]: starting ckpt clean command\n"
    )
    env = dict(os.environ, SGE_JOB_SPOOL_DIR=str(spool))
    assert run_hook(hooks_dir, "clean", "50", "1", ckpt_dir, env=env).returncode == 0
    assert os.path.isdir(task_dir) == kept
    assert ("clean-kept" in event_names(ckpt_dir)) == kept
