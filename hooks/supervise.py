"""A run the starter stays the parent of (watch.py says when and why): restores that die
fall back to an older generation in the same run, and a run near its time limit is
checkpointed, stopped and requeued (runs.py)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace

from . import engine_signal, errors, generations, jobinfo, runs, tmpdir
from .events import Events, fail, update_manifest
from .launch import FAILED, REQUEUE
from .restore import begin_run, good_generation, set_bad


@dataclass
class Run:
    """One run of a job the starter stays the parent of."""

    job: jobinfo.Job
    events: Events
    hook: jobinfo.HookCommand
    environ: dict[str, str]
    began: float  # time.monotonic() at its start
    limit: runs.Limit | None
    number: int  # 1 for the job's first run


def supervise(
    run: Run,
    new_tmpdir: str | None,
    generation: str | None,
    launch: tuple[str, list[str], dict[str, str]],
    original: tuple[str, list[str], dict[str, str]],
) -> int:
    """The job runs as the starter's child (watch.py says why). A restore that dies before
    DMTCP reports the job running marks its generation bad, and the job restarts from the
    next good one, or from the start, in the same run. A run that reaches its time limit
    is checkpointed, stopped and requeued (at_limit)."""
    from . import engine_dmtcp, watch

    job, events, opts = run.job, run.events, run.hook.options
    watch.pass_signals_on()
    while True:
        outcome = watch.run(
            job, events, launch, generation, opts.timeout, opts.engine, run.began, run.limit
        )
        if outcome.at_limit:
            return at_limit(run, outcome.at_limit)
        if not outcome.restore_failed or generation is None:
            runs.end(job, run.began, "exit")
            return watch.exit_like(outcome.status)
        try:
            with generations.TaskLock(job.task_dir, opts.timeout):
                set_bad(job, events, generation, outcome.reason)
                generation = good_generation(job, events)
                if new_tmpdir:
                    tmpdir.empty(new_tmpdir)  # what the failed restore was given or made
                generation = begin_run(job, events, opts, new_tmpdir, generation)
                launch = engine_dmtcp.prepare(job, events, generation, *original, opts.compress)
        except (OSError, errors.LockTimeout, errors.EngineError) as exc:
            return fail(str(exc), events)


def at_limit(run: Run, child: int) -> int:
    """The run is near its time limit: a generation is taken as a migration would take it
    (the job saves and exits, or DMTCP checkpoints and ends it), then the starter exits 99
    and Grid Engine requeues the job, to restart from that generation. At the environment's
    cap on runs (--max-runs) it exits 100 instead: the job waits in error state."""
    from . import take, watch

    job, events, opts = run.job, run.events, run.hook.options
    events.event("run-limit", run=run.number, at=run.limit.why if run.limit else "?")
    migrate = migrate_command(job.config, run.hook)
    migrate.positionals = [job.job_id, job.task, job.ckpt_dir, str(child)]
    taken = take.run(migrate, run.environ, trigger="limit") == 0
    if engine_signal.alive(child):  # the checkpoint failed before it stopped the job
        watch.end_session()
    os.waitpid(child, 0)
    if not taken:
        events.error(
            f"run {run.number}: no checkpoint at its time limit; it restarts from"
            " the newest good generation"
        )
    if opts.max_runs and run.number >= opts.max_runs:
        runs.end(job, run.began, "cap")
        message = (
            f"run {run.number} reached the environment's cap of {opts.max_runs} runs: the job"
            " waits in error state (qmod -cj lets it run once more, qdel ends it)"
        )
        events.event("run-cap", runs=run.number, cap=opts.max_runs)
        events.error(message)
        print(f"qckpt-starter: {message}", file=sys.stderr)
        update_manifest(job, state="capped")
        return FAILED
    runs.end(job, run.began, "limit")
    update_manifest(job, state="requeued")
    return REQUEUE


def migrate_command(config: dict[str, str], hook: jobinfo.HookCommand) -> jobinfo.HookCommand:
    """The environment's migrate command (its options: the migrate signal), or the
    checkpoint command's options with the migrate verb."""
    found = jobinfo.parse_command_line(config.get("ckpt_migr_command"))
    if found is not None and found.verb == "migrate":
        return found
    return jobinfo.HookCommand("migrate", replace(hook.options, signal=None))
