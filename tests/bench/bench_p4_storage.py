"""P4: scanning a ckpt_dir with 100,000 job directories vs `du -s` in the same run.

Goals: first scan <= 1.3x du, unchanged rescan <= 0.1x du.
Run: python -m tests.bench.bench_p4_storage [DIRS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from qckpt.backend.jobs.storage import StorageScanner


def make_tree(root: str, count: int) -> None:
    """Each task like a DMTCP job's: images, one generation hard-linking them, logs."""
    for number in range(count):
        task = os.path.join(root, f"{1000 + number}.1")
        images = os.path.join(task, "dmtcp", "images")
        gen = os.path.join(task, "gen-000001")
        os.makedirs(images)
        os.mkdir(gen)
        for name, size in (("ckpt_a.dmtcp", 8192), ("ckpt_b.dmtcp", 4096)):
            with open(os.path.join(images, name), "wb") as handle:
                handle.write(b"x" * size)
            os.link(os.path.join(images, name), os.path.join(gen, name))
        for path in (os.path.join(gen, "meta.json"), os.path.join(task, "manifest.json")):
            with open(path, "w") as handle:
                handle.write("{}")


def timed(call, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    root = tempfile.mkdtemp(prefix="qckpt-bench-p4-", dir="/var/tmp")
    try:
        make_tree(root, count)
        subprocess.run(["du", "-s", root], capture_output=True)  # warm the dentry cache
        du = timed(lambda: subprocess.run(["du", "-s", root], capture_output=True, check=True))
        first = timed(lambda: StorageScanner().scan(root))
        scanner = StorageScanner()
        scanner.scan(root)
        rescan = timed(lambda: scanner.scan(root))
        used = scanner.scan(root).used
        du_bytes = int(
            subprocess.run(
                ["du", "-s", "-B1", root], capture_output=True, text=True
            ).stdout.split()[0]
        )
        print(f"P4 {count} job directories; scanner total {used} B, du {du_bytes} B (du adds dirs)")
        print(f"P4 du -s:          {du * 1000:.0f} ms")
        print(f"P4 first scan:     {first * 1000:.0f} ms  ({first / du:.3f}x du, goal <= 1.3x)")
        print(f"P4 unchanged scan: {rescan * 1000:.0f} ms  ({rescan / du:.3f}x du, goal <= 0.1x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
