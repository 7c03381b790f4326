"""Starting a job that uses a qckpt checkpoint environment: first run or restart."""

from __future__ import annotations

import os
import sys

from . import cpu, engine_signal, errors, generations, jobinfo, layout, taskdir, tmpdir
from .events import Events, update_manifest
from .launch import exec_job, with_option

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


def restore(
    job: jobinfo.Job, events: Events, generation: str | None, engine: str, new_tmpdir: str | None
) -> tuple[str | None, dict]:
    """Put the newest good generation back: the signal engine's files into QCKPT_DIR, the
    job's $TMPDIR into this run's. One whose restore fails is marked bad and the next
    older one tried. Returns (generation, what was put back)."""
    while generation is not None:
        try:
            files = engine_signal.restore(generation, job.state_dir) if engine == "signal" else []
            put = tmpdir.put_back(generation, new_tmpdir) if new_tmpdir else 0
        except OSError as exc:
            set_bad(job, events, generation, f"its restore failed: {exc}")
            generation = good_generation(job, events)
            continue
        done = {"files": files, "tmpdir_files": put, "link": None}
        if engine == "dmtcp" and new_tmpdir:
            meta = layout.read_json(os.path.join(generation, layout.META)) or {}
            old = (meta.get("tmpdir") or {}).get("path")
            try:
                done["link"] = tmpdir.reach_old_path(old, new_tmpdir)
            except OSError as exc:  # not the generation's fault: say it and try the restart
                events.error(f"{exc}")
        return generation, done
    return None, {}


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


def begin_run(
    job: jobinfo.Job,
    events: Events,
    opts: jobinfo.Options,
    new_tmpdir: str | None,
    generation: str | None,
) -> str | None:
    """Put the generation back (restore) and record the run in the manifest. Returns the
    generation the run restarts from (None: from the start)."""
    done: dict = {}
    if generation is not None:
        generation, done = restore(job, events, generation, opts.engine, new_tmpdir)
    if done.get("tmpdir_files"):
        events.detail(f"put {done['tmpdir_files']} files of $TMPDIR back in {new_tmpdir}")
    manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
    restarts = list(manifest.get("restarts") or [])
    if generation is not None:
        name = os.path.basename(generation)
        restarts.append(
            {
                "time": layout.now_iso(),
                "host": job.host,
                "gen": name,
                "tmpdir_files": done["tmpdir_files"],
            }
        )
    update_manifest(
        job,
        engine=opts.engine,
        host=job.host,
        pid=os.getpid(),  # the job's: the starter execs it, or is its parent (DMTCP)
        cpu=cpu.features(cpu.read_flags()),
        state="running",
        started=layout.now_iso(),
        restarts=restarts,
        generations=generations.summaries(job.task_dir),
        bad_generations=generations.bad_generations(job.task_dir),
        tmpdir={"path": new_tmpdir, "link": done.get("link")},
    )
    if opts.engine == "signal" and generation is not None:
        events.event("restart", gen=os.path.basename(generation), files=len(done["files"]))
    elif opts.engine == "signal":
        events.event("start", engine="signal")
    return generation


def start(
    environ: dict[str, str],
    config: dict[str, str],
    hook: jobinfo.HookCommand,
    filename: str,
    job_argv: list[str],
) -> int:
    try:
        job = jobinfo.job_from_environment(environ, config)
    except errors.UsageError as exc:
        return fail(str(exc))
    events = Events(job, "start")
    opts = hook.options
    new_tmpdir = tmpdir.job_tmpdir(config, {})
    try:
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

                launch = engine_dmtcp.prepare(job, events, generation, filename, job_argv, env)
            elif generation is not None:
                launch = (*with_option(filename, job_argv, opts.restart_option), env)
            else:
                launch = (filename, job_argv, env)
    except (OSError, errors.LockTimeout, errors.EngineError) as exc:
        return fail(str(exc), events)
    except Exception as exc:  # anything else: still a clear line, never a silent job
        return fail(f"{type(exc).__name__}: {exc}", events)
    # No signal is set to ignored for the job: a non-interactive shell cannot trap a signal
    # that was ignored when it started (POSIX), so a job script's own `trap ... USR1` would
    # silently never run. The hooks signal only the job's processes that catch the signal.
    events.detail(f"exec {launch[0]} {' '.join(launch[1])}")
    if opts.engine == "dmtcp":
        return supervise(
            job, events, opts, new_tmpdir, generation, launch, (filename, job_argv, env)
        )
    exec_job(*launch)
    return FAILED  # not reached


def supervise(
    job: jobinfo.Job,
    events: Events,
    opts: jobinfo.Options,
    new_tmpdir: str | None,
    generation: str | None,
    launch: tuple[str, list[str], dict[str, str]],
    original: tuple[str, list[str], dict[str, str]],
) -> int:
    """A DMTCP job runs as the starter's child (watch.py says why); a restore that dies
    before DMTCP reports the job running marks its generation bad, and the job restarts
    from the next good one, or from the start, in the same run."""
    from . import engine_dmtcp, watch

    watch.pass_signals_on()
    while True:
        outcome = watch.run(job, events, launch, generation, opts.timeout)
        if not outcome.restore_failed or generation is None:
            return watch.exit_like(outcome.status)
        try:
            with generations.TaskLock(job.task_dir, opts.timeout):
                set_bad(job, events, generation, outcome.reason)
                generation = good_generation(job, events)
                if new_tmpdir:
                    tmpdir.empty(new_tmpdir)  # what the failed restore was given or made
                generation = begin_run(job, events, opts, new_tmpdir, generation)
                launch = engine_dmtcp.prepare(job, events, generation, *original)
        except (OSError, errors.LockTimeout, errors.EngineError) as exc:
            return fail(str(exc), events)
