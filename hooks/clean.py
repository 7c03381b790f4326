"""`qckpt-hook clean`: remove the task's directory when the job is done.

Kept when SGE_LEAVE_CKPT_DIR is set or `save` is given (as the Cray scripts do), when
the job exited 99 (Grid Engine requeues it, and its next run restarts from here), and
when it exited 100 (it waits in error state: `qmod -cj` runs it again, from here; a job
deleted while it waits leaves its directory to the Storage view's orphans). Removes
only the owner's own task directories (JOB.TASK, JOB.TASK-xxxxxxxx), never follows a
symlink, never leaves ckpt_dir; running it twice is harmless.
"""

from __future__ import annotations

import os
import re
import shutil

from . import history, jobinfo, layout, safe, taskdir, tmpdir
from .events import Events

# The shepherd runs clean_command whenever a checkpointing job ends other than by
# migration: after an exit 99 too, which Grid Engine answers by requeueing the job. Its
# trace file in the job's spool directory, written before the clean command starts, says
# how the job ended (seen on 8.1.9: "job exited with exit status 99"; the spool's
# exit_status file is still empty then).
_EXIT = re.compile(rb"job exited with exit status (\d+)")
REQUEUE = 99
ERROR_STATE = 100


def job_exit_status(environ: dict[str, str]) -> int | None:
    """The job's exit status as the shepherd traced it, or None."""
    spool = environ.get("SGE_JOB_SPOOL_DIR")
    if not spool:
        return None
    found = _EXIT.findall(safe.read_tail(os.path.join(spool, "trace")))
    return int(found[-1]) if found else None


def keep_reason(cmd: jobinfo.HookCommand, environ: dict[str, str]) -> str | None:
    if cmd.options.save:
        return "save"
    if environ.get("SGE_LEAVE_CKPT_DIR"):
        return "SGE_LEAVE_CKPT_DIR"
    status = job_exit_status(environ)
    if status == REQUEUE:
        return "requeued"  # the next run restarts from the directory's generations
    if status == ERROR_STATE:
        return "error-state"  # not ended: qmod -cj lets it run again
    return None


def run(cmd: jobinfo.HookCommand, environ: dict[str, str]) -> int:
    config = jobinfo.read_config(environ.get("SGE_JOB_SPOOL_DIR"))
    if jobinfo.is_pe_task(config):
        return 0  # a `qrsh -inherit` task's end is not its job's: the master's clean cleans
    job = jobinfo.job_from_environment(environ, config, cmd.positionals)
    events = Events(job, "clean")
    reason = keep_reason(cmd, environ)
    if reason:
        events.event("clean-kept", reason=reason)
        return 0
    removed = []
    used = taskdir.find(job.ckpt_dir, job.label)  # the directory the job ran in
    if used is not None:
        history.add(job, used, events)
    for path in taskdir.candidates(job.ckpt_dir, job.label):
        # only the owner's own directories: a name someone else took is theirs to remove
        if safe.trusted_dir(path, os.geteuid()) is None:
            continue
        manifest = layout.read_json(os.path.join(path, layout.MANIFEST)) or {}
        tmpdir.remove_link(manifest.get("tmpdir") or {})  # a restart's link to the new $TMPDIR
        # shutil.rmtree works through directory fds and unlinks links instead of following
        shutil.rmtree(path, ignore_errors=True)
        if os.path.lexists(path):
            events.error(f"could not remove all of {path}")
            return 1
        removed.append(os.path.basename(path))
    events.event("clean", removed=",".join(removed) or "none")
    return 0
