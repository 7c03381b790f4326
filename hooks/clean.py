"""`qckpt-hook clean`: remove the task's directory when the job is done.

Kept when SGE_LEAVE_CKPT_DIR is set or `save` is given (as the Cray scripts do). Never
follows a symlink, never leaves ckpt_dir; running it twice is harmless.
"""

from __future__ import annotations

import os
import shutil
import stat

from . import jobinfo
from .events import Events


def run(cmd: jobinfo.HookCommand, environ: dict[str, str]) -> int:
    config = jobinfo.read_config(environ.get("SGE_JOB_SPOOL_DIR"))
    job = jobinfo.job_from_environment(environ, config, cmd.positionals)
    events = Events(job, "clean")
    if cmd.options.save or environ.get("SGE_LEAVE_CKPT_DIR"):
        reason = "save" if cmd.options.save else "SGE_LEAVE_CKPT_DIR"
        events.event("clean-kept", reason=reason)
        return 0
    try:
        st = os.lstat(job.task_dir)
    except FileNotFoundError:
        events.event("clean", removed="none")
        return 0
    if not stat.S_ISDIR(st.st_mode):
        events.error(f"{job.task_dir} is not a directory (a symlink?): left alone")
        return 1
    parent = os.path.realpath(os.path.dirname(job.task_dir))
    if parent != os.path.realpath(job.ckpt_dir) or os.path.basename(job.task_dir) != job.label:
        events.error(f"{job.task_dir} is not a task directory of {job.ckpt_dir}: left alone")
        return 1
    events.event("clean", removed=job.task_dir)
    # shutil.rmtree unlinks symlinks inside the tree instead of following them.
    shutil.rmtree(job.task_dir, ignore_errors=True)
    if os.path.lexists(job.task_dir):
        events.error(f"could not remove all of {job.task_dir}")
        return 1
    return 0
