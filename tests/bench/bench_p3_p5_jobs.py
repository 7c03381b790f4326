"""P3: one jobs refresh at 10,000 jobs vs qstat's own time, in the same run (goal <= 1.3x).
P5: first paint of the console vs a minimal Textual app (goal <= 1.5x), and resident
memory with 10,000 jobs in the Jobs view (goal <= 150 MB).

Needs the sandbox cell; submits held jobs (as its job user) up to COUNT, and removes them
afterwards (with --keep they stay for the next run: submitting 10,000 takes ~13 min).
Run: python -m tests.bench.bench_p3_p5_jobs [COUNT] [--keep]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.jobs.listing import EnvCache, WhenCache, list_jobs, parse_qstat_r
from qckpt.backend.sandbox.cell import Sandbox
from tests.bad_inputs import valid_env

ENV = "bench-p3"
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


def submit_held(sandbox: Sandbox, count: int, chunk: int = 1000) -> None:
    """Held jobs (about 20 submissions a second here), a thousand per shell."""
    ge = sandbox.ge(timeout=600)
    have = sum(1 for j in parse_qstat_r(ge.qstat("-u", "*", "-r").stdout) if j.env == ENV)
    for start in range(have, count, chunk):
        lines = (
            f"qsub -h -ckpt {ENV} -b y -o /dev/null -N b{i} /bin/true >/dev/null\n"
            for i in range(start, min(start + chunk, count))
        )
        ge.run(["/bin/sh", "-s"], input="".join(lines), user=sandbox.user, cwd="/tmp")


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
    count = int(numbers[0]) if numbers else 10_000
    keep = "--keep" in sys.argv
    sandbox = Sandbox.from_environment()
    ge = sandbox.ge(timeout=120)
    envs = EnvStore(ge)
    if ENV not in envs.names():
        envs.add(valid_env(ENV))
    try:
        started = time.perf_counter()
        submit_held(sandbox, count)
        print(f"(submitted held jobs up to {count} in {time.perf_counter() - started:.0f} s)")
        qstat = timed(lambda: ge.qstat("-u", "*", "-r"))
        # as the Jobs view refreshes: its first refresh learned every job's when, and it reads
        # the environments again once a minute
        cache, env_cache = WhenCache(), EnvCache()
        list_jobs(ge, envs=env_cache.get(ge), when_cache=cache)
        refresh = timed(lambda: list_jobs(ge, envs=env_cache.get(ge), when_cache=cache))
        rows = len(list_jobs(ge, envs=env_cache.get(ge), when_cache=cache))
        ratio = statistics.median(refresh) / statistics.median(qstat)
        print(f"P3 jobs listed: {rows}")
        print(f"P3 qstat -u '*' -r: median {statistics.median(qstat):.3f} s")
        median = statistics.median(refresh)
        print(f"P3 one refresh:     median {median:.3f} s ({ratio:.2f}x, goal <= 1.3x)")

        def changed() -> None:  # the listing changed since the last refresh: parsed anew
            cache.last_text = None
            list_jobs(ge, envs=env_cache.get(ge), when_cache=cache)

        anew = statistics.median(timed(changed))
        ratio = anew / statistics.median(qstat)
        print(f"P3 one refresh after a change: median {anew:.3f} s ({ratio:.2f}x)")

        env = dict(os.environ, **sandbox.env())
        mins, ourss = [], []
        for _ in range(7):  # alternated, so a busy moment hits both alike
            mins.append(paint_time("Minimal()", "", env))
            ourss.append(paint_time("QckptApp()", "from qckpt.tui.app import QckptApp", env))
        minimal, ours = statistics.median(mins), statistics.median(ourss)
        ratio = ours / minimal
        print(f"P5 first paint: minimal app {minimal:.3f} s, qckpt {ours:.3f} s", end=" ")
        print(f"({ratio:.2f}x, goal <= 1.5x)")
        rss = subprocess.run(
            [sys.executable, "-m", "tests.bench.rss_jobs_view"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        ).stdout.strip()
        print(f"P5 resident memory with the Jobs view at {rows} jobs: {rss} (goal <= 150 MB)")
    finally:
        if not keep:
            ge.run(["qdel", "-u", sandbox.user, "*"], check=False)
            time.sleep(2)
            ge.qconf("-dckpt", ENV, check=False)


if __name__ == "__main__":
    main()
