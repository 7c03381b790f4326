"""P3: a jobs refresh at 50,000 jobs vs qstat's own time, in the same run (goal <= 1.3x),
while the jobs' own whens are learned and once they are, and the Grid Engine calls of one.
P5: first paint of the console vs a minimal Textual app (goal <= 1.5x); the Jobs view at
50,000 rows: resident memory (goal <= 150 MB), a sort, a page-down, an unchanged refresh.

Needs the sandbox cell; submits held jobs (as its job user) up to COUNT, and removes them
afterwards (with --keep they stay for the next run: 50,000 take ~7 min through DRMAA).
Run: python -m tests.bench.bench_p3_p5_jobs [COUNT] [--keep]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.jobs.listing import EnvCache, ListingCache, list_jobs, parse_qstat_r
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.tui.components.jobs import LOOKUP
from tests.bad_inputs import valid_env
from tests.bench import held_jobs

ENV = "bench-p3"
SETTLE = 60  # seconds after submitting before anything is timed
PAINT = """
import sys, time
started = time.perf_counter()
from textual.app import App
from textual.widgets import Static
{import_line}
class Minimal(App):
    def compose(self):
        yield Static("hello")
app = {make_app}
def painted():
    print(f"{{time.perf_counter() - started:.4f}}", flush=True)
    app.exit()
app.call_after_refresh(painted)
app.run(headless=True)
"""


def submit_held(sandbox: Sandbox, count: int) -> bool:
    """Held jobs of the bench's environment, up to count (each a job of one task); whether
    any were submitted."""
    ge = sandbox.ge(timeout=600)
    have = sum(1 for j in parse_qstat_r(ge.qstat("-u", "*", "-r").stdout) if j.env == ENV)
    if have < count:
        held_jobs.submit(sandbox, f"-h -ckpt {ENV} -b y -o /dev/null", have, count)
    return have < count


def timed(call, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def paint_time(make_app: str, import_line: str, env: dict) -> float:
    code = PAINT.format(make_app=make_app, import_line=import_line)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    count = int(numbers[0]) if numbers else 50_000
    keep = "--keep" in sys.argv
    sandbox = Sandbox.from_environment()
    ge = sandbox.ge(timeout=120)
    envs = EnvStore(ge)
    if ENV not in envs.names():
        envs.add(valid_env(ENV))
    try:
        started = time.perf_counter()
        if submit_held(sandbox, count):
            print(f"(submitted held jobs up to {count} in {time.perf_counter() - started:.0f} s)")
            time.sleep(SETTLE)  # the qmaster still writes them to its spool: a busy qmaster
        env_cache = EnvCache()
        env_cache.get(ge)
        anchors: list[float] = []  # qstat's own times, each taken just before a refresh

        def refreshes(
            cache: ListingCache, lookup: int | None, change=None
        ) -> tuple[float, int, int]:
            """Refreshes as the Jobs view makes them, each after a bare `qstat -u '*' -r`
            (so both see the machine alike; `change` first, untimed, where given): the
            ratio of their medians, the Grid Engine calls of the last refresh, its rows."""
            times, bare = [], []
            for _ in range(5):
                if change:
                    change()
                bare.append(timed(lambda: ge.qstat("-u", "*", "-r"), runs=1)[0])
                before = len(ge.calls)
                started = time.perf_counter()
                rows = list_jobs(ge, envs=env_cache.get(ge), cache=cache, lookup=lookup)
                times.append(time.perf_counter() - started)
            anchors.extend(bare)
            ratio = statistics.median(times) / statistics.median(bare)
            return ratio, len(ge.calls) - before, len(rows)

        # the console's first refreshes: each learns the own when of LOOKUP more jobs
        learning, calls, rows = refreshes(ListingCache(), LOOKUP)
        print(f"P3 jobs listed: {rows} (each a job of one task: one row each)")
        print(f"P3 refresh while whens are learned: {learning:.2f}x (goal <= 1.3x), {calls} calls")
        cache = ListingCache()
        list_jobs(ge, envs=env_cache.get(ge), cache=cache)  # every when learned
        steady, calls, _ = refreshes(cache, LOOKUP)
        print(f"P3 refresh, listing unchanged: {steady:.2f}x, {calls} Grid Engine call")
        names = iter(range(10**6))
        job = next(j.job_id for j in parse_qstat_r(ge.qstat("-u", "*", "-r").stdout))

        def rename() -> None:  # a real change in the cell: one job's name
            ge.run(["qalter", "-N", f"bench{next(names)}", job], check=False)

        anew, calls, _ = refreshes(cache, LOOKUP, rename)
        print(f"P3 refresh after a job changed (qalter -N): {anew:.2f}x, {calls} call")
        print(f"P3 qstat -u '*' -r itself: median {statistics.median(anchors):.3f} s")

        env = dict(os.environ, **sandbox.env())
        mins, ourss = [], []
        for _ in range(7):  # alternated, so a busy moment hits both alike
            mins.append(paint_time("Minimal()", "", env))
            ourss.append(paint_time("QckptApp()", "from qckpt.tui.app import QckptApp", env))
        minimal, ours = statistics.median(mins), statistics.median(ourss)
        ratio = ours / minimal
        print(f"P5 first paint: minimal app {minimal:.3f} s, qckpt {ours:.3f} s", end=" ")
        print(f"({ratio:.2f}x, goal <= 1.5x)")
        out = subprocess.run(
            [sys.executable, "-m", "tests.bench.jobs_view"],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        ).stdout
        view = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
        print(f"P5 Jobs view at {view.get('rows')} rows: all shown after {view.get('shown')} s,")
        print(f"   resident memory {view.get('rss_mb')} MB (goal <= 150 MB),")
        print(
            f"   an unchanged refresh {view.get('refresh')} s, a sort by name {view.get('sort')} s,"
        )
        print(f"   a page-down {view.get('pagedown')} s", end=" ")
        print(f"(on the few rows of Environments: {view.get('small_pagedown')} s)")
    finally:
        if not keep:
            ge.run(["qdel", "-u", sandbox.user, "*"], check=False)
            time.sleep(2)
            ge.qconf("-dckpt", ENV, check=False)


if __name__ == "__main__":
    main()
