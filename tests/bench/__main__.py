"""Every benchmark's figures in one command, with the machine's load beside each.

Run: python -m tests.bench [p1 p2 p3 p4 ...]   (all of them without names)
P3/P5 need the sandbox cell, P2 needs DMTCP; each says so and the others go on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

BENCHES = {
    "p1": "tests.bench.bench_p1_starter",
    "p2": "tests.bench.bench_p2_checkpoint",
    "p3": "tests.bench.bench_p3_p5_jobs",
    "p4": "tests.bench.bench_p4_storage",
}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHES)}")
        return 2
    failed = []
    for name in names or list(BENCHES):
        print(f"== {name} ({BENCHES[name]}), {load()}", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", BENCHES[name]])
        print(f"== {name} took {time.monotonic() - started:.0f} s, {load()}", flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
