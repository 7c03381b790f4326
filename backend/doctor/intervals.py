"""The doctor's check of checkpoint intervals: is each environment's periodic interval
(min_cpu_interval where it is offered, or a running job's own `qsub -c`) within a factor of
two of the best one for its measured checkpoint cost and the cell's interruption rate?"""

from __future__ import annotations

from qckpt.backend.doctor.findings import Cell, Finding, ok, warn
from qckpt.backend.gridengine.formats import interval_seconds
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.report.interval import FAR, advise, clock_time, daly, in_hours, set_command
from qckpt.backend.report.summary import Report, recent, report

JOBS_NAMED = 5


def check_intervals(ge: GridEngine, cell: Cell, mtbi_hours: float | None = None) -> list[Finding]:
    since = recent()  # the checkpoints and interruptions of the last 30 days
    found = report(
        ge, since=since, envs=cell.envs, mtbi_hours=mtbi_hours, queues=cell.queues, lookup=None
    )
    if found.mtbi is None:
        seen = found.interrupted
        why = (
            seen.problem
            if seen is not None and seen.problem
            else "no interruption lost work in the accounting since " + since
        )
        return [ok("interval", "cell", f"{why}: intervals not judged (doctor --mtbi HOURS)")]
    out = []
    for env in cell.envs:
        if cell.hooks(env) is None or "m" not in env.when:
            continue
        out += env_findings(found, cell, env.name)
    return out


def env_findings(found: Report, cell: Cell, name: str) -> list[Finding]:
    cost = found.cost(name)
    if cost is None:
        return [ok("interval", name, "no checkpoint measured yet: no interval to judge")]
    said = (
        f"a checkpoint stops its jobs {cost:.1f} s; an interruption every"
        f" {in_hours(found.mtbi)} of run time ({found.mtbi_from or 'given'})"
    )
    out = []
    for queue, host in cell.offering(name):
        where = f"{queue.name}@{host}" if host else queue.name
        every = interval_seconds(queue.value("min_cpu_interval", host))
        if every is None:
            continue  # no periodic checkpoints there
        advice = advise(cost, found.mtbi, every)
        if advice.factor is not None and advice.factor >= FAR:
            longer = "longer" if every > advice.best else "shorter"
            out.append(
                warn(
                    "interval",
                    f"{name} on {where}",
                    f"min_cpu_interval {clock_time(every)} is {advice.factor:.1f}x {longer}"
                    f" than the best {clock_time(advice.best)} ({said}): expected overhead"
                    f" {advice.overhead_current:.1%} against {advice.overhead_best:.1%}",
                    set_command(where, advice.best),
                )
            )
    best = daly(cost, found.mtbi)
    slow = sorted({job for job, asked in found.asked.get(name, []) if asked >= FAR * best}, key=int)
    if slow:
        jobs = ", ".join(slow[:JOBS_NAMED]) + (" ..." if len(slow) > JOBS_NAMED else "")
        out.append(
            warn(
                "interval",
                name,
                f"{len(slow)} running jobs ask for `qsub -c` intervals {FAR:g}x or more the best"
                f" {clock_time(best)} ({jobs}); Grid Engine takes the longer of theirs and"
                " the queue's",
                f"submit such jobs with -c {clock_time(best)} or without -c (qalter -c leaves"
                " a job's interval as it was: seen on Grid Engine 8.1.9)",
            )
        )
    return out or [ok("interval", name, f"intervals near the best {clock_time(best)} ({said})")]
