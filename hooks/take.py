"""`qckpt-hook checkpoint` and `qckpt-hook migrate`: take a new generation.

Exit 0 only when a new complete generation exists (Grid Engine then marks the checkpoint
as in the arena). Overlapping requests wait for each other on the task lock.
"""

from __future__ import annotations

import contextlib
import os
import time

from . import cpu, engine_signal, errors, ge, generations, jobinfo, layout, taskdir, tmpdir
from .events import Events, update_manifest


def job_pid(cmd: jobinfo.HookCommand, config: dict[str, str]) -> int:
    """$job_pid, the fourth argument (or the spool config's ckpt_pid)."""
    raw = cmd.positionals[3] if len(cmd.positionals) > 3 else config.get("ckpt_pid", "")
    if not raw.isdigit() or int(raw) <= 1:
        raise errors.EngineError("no job pid (expected $job_pid as the fourth argument)")
    return int(raw)


def run(cmd: jobinfo.HookCommand, environ: dict[str, str], trigger: str | None = None) -> int:
    """Take a generation; `trigger` names why when it is not the verb (the starter's
    checkpoint before a run's time limit: "limit")."""
    config = jobinfo.read_config(environ.get("SGE_JOB_SPOOL_DIR"))
    if jobinfo.is_pe_task(config):
        # Grid Engine runs ckpt_command and migr_command for each `qrsh -inherit` task of a
        # parallel job too, on the task's host with the task's pid, each host on its own
        # clock: the master's call takes the whole job (pe_task.py), the tasks' do nothing
        return 0
    job = jobinfo.job_from_environment(environ, config, cmd.positionals)
    events = Events(job, cmd.verb)
    opts = cmd.options
    found = taskdir.find(job.ckpt_dir, job.label)
    if found is None:
        events.error(
            f"no task directory of {job.owner} for {job.label} in {job.ckpt_dir}:"
            " is the queue's starter_method qckpt-starter?"
        )
        return 1
    job.task_dir = found
    started = time.monotonic()
    try:
        with generations.TaskLock(job.task_dir, opts.timeout):
            number, partial = generations.begin(job.task_dir)
            events.detail(f"writing {os.path.basename(partial)} (engine {opts.engine})")
            host, flags = where_the_job_runs(job)
            if cmd.verb == "migrate" and opts.same_cpu:
                pin_to_this_cpu(job, flags, events)
            try:
                detail = take(cmd, job, partial, events)
                copying = time.monotonic()
                kept = keep_tmpdir(cmd, job, partial, events)
                if kept is not None:
                    detail["tmpdir"] = kept
                    if opts.engine == "dmtcp":  # frozen while its $TMPDIR was copied
                        detail["stopped"] += round(time.monotonic() - copying, 3)
                if cmd.verb == "migrate" and opts.engine == "dmtcp":
                    from . import engine_dmtcp

                    engine_dmtcp.end_job(job)
            except BaseException:
                generations.discard(partial)
                raise
            seconds = round(time.monotonic() - started, 3)
            manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
            run_seconds = layout.run_seconds(manifest, time.time())
            meta = {
                "time": layout.now_iso(),
                "host": host,
                "engine": opts.engine,
                "trigger": trigger or cmd.verb,
                "seconds": seconds,
                "cpu": cpu.features(flags),
                # the work a restart from this generation keeps
                "run_seconds": round(run_seconds, 1) if run_seconds is not None else None,
                **detail,
            }
            generations.commit(job.task_dir, number, partial, meta, fsync_data=opts.fsync)
            pruned = generations.prune(job.task_dir, opts.keep)
            summaries = generations.summaries(job.task_dir)
            changes = {"generations": summaries, **costs(manifest, number, meta, summaries)}
            if (detail.get("tmpdir") or {}).get("kept", True):
                changes["last_error"] = None  # else the limit's error stays the last word
            if cmd.verb == "migrate":
                changes["state"] = "migrated"
            update_manifest(job, **changes)
            size = summaries[-1]["size"] if summaries else 0
            events.event(
                trigger or cmd.verb,
                gen=number,
                size=size,
                secs=seconds,
                stopped=meta.get("stopped"),
                pruned=len(pruned),
            )
            return 0
    except (errors.EngineError, errors.LockTimeout, OSError) as exc:
        events.error(str(exc))
        return 1


TAKEN = 500  # checkpoints the manifest lists (the oldest go first; its totals keep all)


def costs(manifest: dict, number: int, meta: dict, summaries: list[dict]) -> dict:
    """The manifest's record of what checkpoints cost this job: every checkpoint's moment,
    size, time stopped and run time (the last TAKEN of them), and the totals of all."""
    size = next((s.get("size") for s in summaries if s.get("gen") == number), None)
    stopped = meta.get("stopped")
    entry = {
        "gen": number,
        "time": meta["time"],
        "size": size,
        "stopped": stopped,
        "run_seconds": meta.get("run_seconds"),
    }
    taken = [t for t in manifest.get("taken") or [] if isinstance(t, dict)]
    before = manifest.get("cost") if isinstance(manifest.get("cost"), dict) else {}
    count, total = before.get("checkpoints"), before.get("stopped")
    return {
        "taken": [*taken, entry][-TAKEN:],
        "cost": {
            "checkpoints": (count if isinstance(count, int) else 0) + 1,
            "stopped": round(
                (total if isinstance(total, (int, float)) else 0.0) + (stopped or 0.0), 3
            ),
        },
    }


def keep_tmpdir(
    cmd: jobinfo.HookCommand, job: jobinfo.Job, partial: str, events: Events
) -> dict | None:
    """The job's $TMPDIR into the generation (tmpdir.keep). A DMTCP job has resumed after
    its checkpoint: it is stopped while the copy is taken, so the copy is at most moments
    newer than the images (DMTCP cuts a file it had open for writing back to its size at
    the checkpoint; only a file changed in place in those moments can differ)."""
    if cmd.options.tmpdir_limit == 0:
        return None  # --tmpdir-limit 0: the environment keeps no $TMPDIR
    manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
    source = tmpdir.job_tmpdir(job.config, manifest)
    if source is None:
        return None
    pid = job_pid_or_none(cmd, job.config, manifest)
    freeze = cmd.options.engine == "dmtcp" and pid is not None
    with engine_signal.frozen(pid) if freeze else contextlib.nullcontext():
        record = tmpdir.keep(source, partial, cmd.options.tmpdir_limit)
    if not record["kept"]:
        events.event("tmpdir-over-limit", size=record["size"], limit=cmd.options.tmpdir_limit)
        events.error(
            f"$TMPDIR ({source}) was not kept with"
            f" {os.path.basename(partial).removesuffix(layout.PARTIAL_SUFFIX)}:"
            f" {record['reason']}; a restart from it finds $TMPDIR empty"
        )
    return record


def job_pid_or_none(cmd: jobinfo.HookCommand, config: dict[str, str], manifest: dict) -> int | None:
    try:
        return job_pid(cmd, config)
    except errors.EngineError:
        pid = manifest.get("pid")
        return pid if isinstance(pid, int) and pid > 1 else None


def where_the_job_runs(job: jobinfo.Job) -> tuple[str, set[str]]:
    """The job's host and CPU flags. Under Grid Engine (a spool config) the hook runs there;
    run by the console ("Checkpoint now", no spool config) it takes what the starter recorded
    on the job's host, so a generation never claims the console host's CPU."""
    if not job.config:
        manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
        recorded = manifest.get("cpu")
        if manifest.get("host") and isinstance(recorded, dict):
            return manifest["host"], set(recorded.get("flags", [])) | cpu.level_flags(
                int(recorded.get("level", 0))
            )
    return job.host, cpu.read_flags()


def pin_to_this_cpu(job: jobinfo.Job, flags: set, events: Events) -> None:
    """Before the job stops: its restart may only go to hosts with this host's features.
    A failure is logged, not fatal: the starter still refuses an unfit host on restart."""
    try:
        known = ge.complex_names()
        ours = cpu.requests(flags)
        if not known & set(ours):
            events.error("no cpuflag_* or x86_64_level complex is defined: restart not pinned")
            return
        existing = ge.hard_requests(job.job_id)
        wanted = cpu.merge_requests(existing, ours, known)
        if wanted != existing:
            ge.set_hard_requests(job.job_id, wanted)
        pinned = ",".join(
            f"{k}={v}" for k, v in wanted.items() if k not in existing or k == cpu.LEVEL_COMPLEX
        )
        events.event("pinned", requests=pinned)
    except errors.GridEngineFailed as exc:
        events.error(f"could not pin the restart to this CPU: {exc}")


def take(cmd: jobinfo.HookCommand, job: jobinfo.Job, partial: str, events: Events) -> dict:
    opts = cmd.options
    if opts.engine == "signal":
        signame = engine_signal.signal_of(cmd.verb, opts.signal)
        pid = job_pid(cmd, job.config)
        action = engine_signal.checkpoint if cmd.verb == "checkpoint" else engine_signal.migrate
        from . import pe_task

        def tasks() -> list[dict]:  # a parallel job's ranks on its other hosts (none: [])
            return pe_task.signal_tasks(job.task_dir, cmd.verb)

        return action(job.state_dir, pid, signame, opts.timeout, partial, tasks)
    from . import engine_dmtcp

    return engine_dmtcp.take(cmd.verb, job, opts, partial, events)
