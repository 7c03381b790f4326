"""Starting a job that uses a qckpt checkpoint environment: first run or restart."""

from __future__ import annotations

import os
import sys
import time

from . import errors, generations, jobinfo, layout, runs, taskdir, tmpdir
from .events import Events, fail, update_manifest
from .launch import FAILED, REQUEUE, exec_job, with_option
from .restore import begin_run, good_generation, unfit_cpu


def prepare_task_dir(job: jobinfo.Job, events: Events) -> None:
    """Find or claim the task's directory (taskdir: a name someone else took gets the job
    one of its own) and its private state/; a first run sets aside what an older job of
    ours with the same id left there."""
    taskdir.check_ckpt_dir(job.ckpt_dir)
    found = taskdir.find(job.ckpt_dir, job.label)
    if found and job.restarted == 0 and os.listdir(found):
        aside = taskdir.set_aside(found)
        events.detail(f"a first run found {found} in use; moved it to {aside}")
        found = None
    taken = None
    if found is None:
        found, taken = taskdir.claim(job.ckpt_dir, job.label)
    job.task_dir = found
    taskdir.private_dir(found, layout.STATE)
    if os.path.isdir(os.path.join(found, layout.TASKS)):  # a parallel job's last run
        from .pe_task import forget  # sockets and threads: a serial job's start never needs them

        forget(found)  # a run's tasks start after it: records there are the last run's
    if taken:
        primary = os.path.join(job.ckpt_dir, job.label)
        events.event("name-taken", found=taken, using=os.path.basename(found))
        events.detail(f"{primary} was {taken}: using {found}")
        update_manifest(
            job, name_taken={"name": job.label, "found": taken, "time": layout.now_iso()}
        )


def start(
    environ: dict[str, str],
    config: dict[str, str],
    hook: jobinfo.HookCommand,
    filename: str,
    job_argv: list[str],
) -> int:
    began = time.monotonic()  # the run's limits count from its start
    try:
        job = jobinfo.job_from_environment(environ, config)
    except errors.UsageError as exc:
        return fail(str(exc))
    events = Events(job, "start")
    opts = hook.options
    new_tmpdir = tmpdir.job_tmpdir(config, {})
    try:
        if opts.engine == "dmtcp":  # before any directory is made: a refused job leaves none
            from .engine_dmtcp import refuse_hosts

            refuse_hosts(jobinfo.pe_hosts(config))
        prepare_task_dir(job, events)
        env = dict(environ, QCKPT_DIR=job.state_dir)  # the directory found or claimed
        with generations.TaskLock(job.task_dir, opts.timeout):  # a migrating hook may still write
            generation = good_generation(job, events) if job.restarted else None
            if generation is not None and opts.same_cpu:
                refusal = unfit_cpu(generation)
                if refusal:
                    print(f"qckpt-starter: {refusal}", file=sys.stderr)
                    events.event("refused", gen=os.path.basename(generation), reason=refusal)
                    events.error(refusal)
                    return REQUEUE
            generation = begin_run(job, events, opts, new_tmpdir, generation)
            if opts.engine == "dmtcp":
                from . import engine_dmtcp

                launch = engine_dmtcp.prepare(
                    job, events, generation, filename, job_argv, env, opts.compress
                )
            elif generation is not None:
                launch = (*with_option(filename, job_argv, opts.restart_option), env)
            else:
                launch = (filename, job_argv, env)
        limit = runs.limit_of(job, opts, environ, events)
        number = runs.begin(job, events, limit)
    except (OSError, errors.LockTimeout, errors.EngineError) as exc:
        return fail(str(exc), events)
    except Exception as exc:  # anything else: still a clear line, never a silent job
        return fail(f"{type(exc).__name__}: {exc}", events)
    # No signal is set to ignored for the job: a non-interactive shell cannot trap a signal
    # that was ignored when it started (POSIX), so a job script's own `trap ... USR1` would
    # silently never run. The hooks signal only the job's processes that catch the signal.
    events.detail(f"exec {launch[0]} {' '.join(launch[1])}")
    if opts.engine == "dmtcp" or limit is not None:
        from .supervise import Run, supervise

        run = Run(job, events, hook, environ, began, limit, number)
        return supervise(run, new_tmpdir, generation, launch, (filename, job_argv, env))
    exec_job(*launch)
    return FAILED  # not reached
