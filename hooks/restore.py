"""Which generation a restart uses, and putting it back: the newest complete one that
passes its checks (a newer one that fails is marked bad, kept and said), the signal
engine's files into QCKPT_DIR and the job's $TMPDIR into this run's; and the run recorded
in the manifest."""

from __future__ import annotations

import os

from . import cpu, engine_signal, generations, jobinfo, layout, tmpdir
from .events import Events, update_manifest


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


def work_kept(manifest: dict, generation: str) -> dict:
    """What a restart from `generation` keeps and loses of the job's work: saved, the run
    time it holds; lost, the time from it to the stop of the run before. That stop is the
    run's recorded end, or where the run ended unseen (its host failed, the job was
    rescheduled) the hooks' last record of it: then lost is at least that much
    (lost_from says which)."""
    meta = layout.read_json(os.path.join(generation, layout.META)) or {}
    kept: dict = {}
    if isinstance(meta.get("run_seconds"), (int, float)):
        kept["saved"] = meta["run_seconds"]
    taken = layout.epoch(meta.get("time"))
    runs = [r for r in manifest.get("runs") or [] if isinstance(r, dict)]
    ended = layout.epoch(runs[-1].get("ended")) if runs else None
    stop = ended if ended is not None else layout.epoch(manifest.get("updated"))
    if taken is not None and stop is not None:
        kept["lost"] = max(0.0, stop - taken)
        kept["lost_from"] = "run end" if ended is not None else "last record"
    return kept


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
    hosts = jobinfo.pe_hosts(job.config)
    if generation is not None:
        name = os.path.basename(generation)
        restarts.append(
            {
                "time": layout.now_iso(),
                "host": job.host,
                **({"hosts": hosts} if hosts else {}),
                "gen": name,
                "tmpdir_files": done["tmpdir_files"],
                **work_kept(manifest, generation),
            }
        )
    update_manifest(
        job,
        engine=opts.engine,
        host=job.host,
        **({"hosts": hosts} if hosts else {}),
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
