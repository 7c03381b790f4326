"""The starter's pass-through loads only what it needs: every job of a queue with the
starter pays for each module imported before the job is exec'd."""

from __future__ import annotations

import os
import subprocess

# What `python3 -IS qckpt-starter` may load beyond a bare `python3 -IS -c pass` for a job
# that does not use a qckpt environment: the starter and the modules it execs the job with.
HOOK_MODULES = {
    "qckpt",
    "qckpt.hooks",
    "qckpt.hooks.starter",
    "qckpt.hooks.launch",
    "qckpt.hooks.errors",
    "qckpt.hooks.spool",
}
# os and what os itself imports, and the `from __future__ import annotations` of each module
STANDARD = {"os", "stat", "_stat", "posixpath", "genericpath", "_collections_abc", "__future__"}


def imported(argv: list[str], env: dict[str, str]) -> tuple[set[str], str]:
    """Modules a Python run imports (-X importtime writes one line each to stderr)."""
    proc = subprocess.run(
        ["python3", "-X", "importtime", *argv], env=env, capture_output=True, text=True
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "imported package" not in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names, proc.stdout


def test_a_job_without_checkpointing_is_started_with_the_fast_path_alone(hooks_dir, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "config").write_text("ckpt_job=0\nshell_path=/bin/sh\n")
    script = tmp_path / "job.sh"
    script.write_text("echo started\n")
    env = dict(os.environ, SGE_JOB_SPOOL_DIR=str(spool))
    bare, _ = imported(["-IS", "-c", "pass"], env)
    loaded, out = imported(["-IS", os.path.join(hooks_dir, "qckpt-starter"), str(script)], env)
    assert out == "started\n"  # the job ran, exec'd by the starter
    extra = loaded - bare
    assert {m for m in extra if m.startswith("qckpt")} == HOOK_MODULES
    assert extra - HOOK_MODULES <= STANDARD, (
        f"the fast path now also loads {extra - HOOK_MODULES - STANDARD}"
    )


def test_a_checkpointing_job_loads_the_rest(hooks_dir, tmp_path):
    """The same measure sees the checkpointing path (so the test above can fail)."""
    spool = tmp_path / "spool"
    spool.mkdir()
    command = f"{hooks_dir}/qckpt-hook checkpoint --engine signal $job_id $ja_task_id $ckpt_dir"
    (spool / "config").write_text(
        f"ckpt_job=1\nckpt_dir={tmp_path}\nckpt_interface=application-level\n"
        f"ckpt_command={command}\nshell_path=/bin/sh\n"
    )
    script = tmp_path / "job.sh"
    script.write_text("echo started\n")
    env = dict(os.environ, SGE_JOB_SPOOL_DIR=str(spool), SGE_CKPT_ENV="ours")
    loaded, _ = imported(["-IS", os.path.join(hooks_dir, "qckpt-starter"), str(script)], env)
    assert "qckpt.hooks.start_checkpointing" in loaded
