"""Starting a job that uses a qckpt checkpoint environment: first run or restart."""

from __future__ import annotations

import os
import sys

from . import cpu, engine_signal, generations, jobinfo, layout, taskdir
from .events import Events, update_manifest
from .starter import exec_job, with_option

# Grid Engine: exit 100 puts the job in error state, so an administrator sees it;
# exit 99 requeues it (for another host).
FAILED = 100
REQUEUE = 99


def fail(message: str, events: Events | None = None) -> int:
    print(f"qckpt-starter: {message}", file=sys.stderr)  # the job's error file
    if events is not None:
        events.error(message)
    return FAILED


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
    if taken:
        primary = os.path.join(job.ckpt_dir, job.label)
        events.event("name-taken", found=taken, using=os.path.basename(found))
        events.detail(f"{primary} was {taken}: using {found}")
        update_manifest(
            job, name_taken={"name": job.label, "found": taken, "time": layout.now_iso()}
        )


def good_generation(job: jobinfo.Job, events: Events) -> str | None:
    """The newest complete generation that passes its check (generations.fault); each
    newer one that fails is marked bad, kept and said. None: start from scratch."""
    while True:
        generation = layout.newest_complete(job.task_dir)
        if generation is None:
            break
        reason = generations.fault(generation)
        if reason is None:
            return generation
        set_bad(job, events, generation, reason)
    bad = generations.bad_generations(job.task_dir)
    if bad:
        events.event("restart-from-scratch", bad=len(bad))
        events.error(f"no good generation left ({len(bad)} bad): the job starts from scratch")
    else:
        events.detail(f"RESTARTED={job.restarted} but no complete generation: starting afresh")
    return None


def set_bad(job: jobinfo.Job, events: Events, generation: str, reason: str) -> None:
    name = os.path.basename(generation)
    generations.mark_bad(generation, reason)
    events.event("bad-generation", gen=name, reason=reason)
    events.error(f"{name} is bad ({reason}): kept, and not restarted from")


def restore_signal(
    job: jobinfo.Job, events: Events, generation: str | None
) -> tuple[str | None, list[str]]:
    """Put the newest good generation's files back into QCKPT_DIR; one whose restore
    fails is marked bad and the next older one tried."""
    while generation is not None:
        try:
            return generation, engine_signal.restore(generation, job.state_dir)
        except OSError as exc:
            set_bad(job, events, generation, f"its restore failed: {exc}")
            generation = good_generation(job, events)
    return None, []


def unfit_cpu(generation: str) -> str | None:
    """Why this host must not restart the generation (it would crash), or None."""
    meta = layout.read_json(os.path.join(generation, layout.META)) or {}
    missing = cpu.lacking(meta.get("cpu") or {}, cpu.read_flags())
    if not missing:
        return None
    return (
        f"{os.path.basename(generation)} was taken on a CPU with {', '.join(missing)},"
        " which this host lacks: requeued for another host"
    )


def start(
    environ: dict[str, str],
    config: dict[str, str],
    hook: jobinfo.HookCommand,
    filename: str,
    job_argv: list[str],
) -> int:
    try:
        job = jobinfo.job_from_environment(environ, config)
    except jobinfo.UsageError as exc:
        return fail(str(exc))
    events = Events(job, "start")
    opts = hook.options
    try:
        prepare_task_dir(job, events)
        with generations.TaskLock(job.task_dir, opts.timeout):  # a migrating hook may still write
            generation = good_generation(job, events) if job.restarted else None
            restarts = (layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}).get(
                "restarts", []
            )
            if generation is not None and opts.same_cpu:
                refusal = unfit_cpu(generation)
                if refusal:
                    print(f"qckpt-starter: {refusal}", file=sys.stderr)
                    events.event("refused", gen=os.path.basename(generation), reason=refusal)
                    events.error(refusal)
                    return REQUEUE
            if generation is not None and opts.engine == "signal":
                generation, restored = restore_signal(job, events, generation)
            if generation is not None:
                restarts = restarts + [
                    {
                        "time": layout.now_iso(),
                        "host": job.host,
                        "gen": os.path.basename(generation),
                    }
                ]
            update_manifest(
                job,
                engine=opts.engine,
                host=job.host,
                pid=os.getpid(),  # the job's: the starter execs it (Checkpoint now signals it)
                cpu=cpu.features(cpu.read_flags()),
                state="running",
                started=layout.now_iso(),
                restarts=restarts,
                generations=generations.summaries(job.task_dir),
                bad_generations=generations.bad_generations(job.task_dir),
            )
            env = dict(environ, QCKPT_DIR=job.state_dir)
            if opts.engine == "signal":
                if generation is not None:
                    filename, job_argv = with_option(filename, job_argv, opts.restart_option)
                    events.event("restart", gen=os.path.basename(generation), files=len(restored))
                else:
                    events.event("start", engine="signal")
            else:
                from . import engine_dmtcp

                filename, job_argv, env = engine_dmtcp.prepare(
                    job, events, generation, filename, job_argv, env
                )
    except (OSError, generations.LockTimeout, engine_signal.EngineError) as exc:
        return fail(str(exc), events)
    except Exception as exc:  # anything else: still a clear line, never a silent job
        return fail(f"{type(exc).__name__}: {exc}", events)
    # No signal is set to ignored for the job: a non-interactive shell cannot trap a signal
    # that was ignored when it started (POSIX), so a job script's own `trap ... USR1` would
    # silently never run. The hooks signal only the job's processes that catch the signal.
    events.detail(f"exec {filename} {' '.join(job_argv)}")
    exec_job(filename, job_argv, env)
    return FAILED  # not reached
