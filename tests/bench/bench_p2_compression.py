"""P2, compression: a job holding MiB of compressible memory (one 256-byte pattern), then
one of random bytes, checkpointed by `qckpt-hook checkpoint` in an environment with
`--compress gzip` (DMTCP's own gzip -1) and with `--compress none`: the time a checkpoint
takes, the time the job was stopped for it (its generation's record), the image's size,
and a restart through qckpt-starter until the job runs again. Medians of ROUNDS each.

Needs DMTCP. Run: python -m tests.bench.bench_p2_compression [MiB]  (also run by P2)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from qckpt.hooks import layout
from tests.bench.bench_p2_checkpoint import kill_group, starter_restart, wait_for
from tests.bench.common import checkpointing_job, dmtcp_running, hooks
from tests.cell.jobs import has_dmtcp

ROUNDS = 3
MEMORY = {
    "compressible": "bytes(range(256)) * (int(sys.argv[1]) << 12)",
    "random": "open('/dev/urandom', 'rb').read(int(sys.argv[1]) << 20)",
}
HOLDER = (
    "import sys, time\n"
    "data = {memory}\n"
    "open(sys.argv[2], 'w').close()\n"
    "while True:\n"
    "    time.sleep(0.1)\n"
)


def compare(mib: int, hooks_dir: str | None = None) -> None:
    hooks_dir = hooks_dir or hooks()
    print(f"P2 compression, a job holding {mib} MiB, median of {ROUNDS}:")
    print(f"  {'MEMORY':13} {'COMPRESS':8} {'CHECKPOINT':>10} {'STOPPED':>8} {'IMAGE':>10}", end="")
    print(f" {'RESTART':>8}")
    for memory in MEMORY:
        for compress in ("gzip", "none"):
            took, stopped, size, restart = measure(hooks_dir, mib, memory, compress)
            print(
                f"  {memory:13} {compress:8} {took:9.2f}s {stopped:7.2f}s"
                f" {size / 2**20:7.0f} MiB {restart:7.2f}s",
                flush=True,
            )


def measure(hooks_dir: str, mib: int, memory: str, compress: str) -> tuple[float, ...]:
    """(checkpoint seconds, stopped seconds, image bytes, restart seconds), medians."""
    hook = os.path.join(hooks_dir, "qckpt-hook")
    ckpt_dir = tempfile.mkdtemp(prefix="qckpt-bench-zip-", dir="/var/tmp")
    job_tmp = tempfile.mkdtemp(prefix="qckpt-bench-tmp-")
    ready = os.path.join(job_tmp, "ready")
    command = f"{hook} checkpoint --engine dmtcp --keep 2 --timeout 900 --compress {compress}"
    env = checkpointing_job(command, ckpt_dir, job_tmp, "61")
    env.pop("DMTCP_GZIP", None)  # the environment's choice, as the hooks set it
    holder = HOLDER.format(memory=MEMORY[memory])
    starter = os.path.join(hooks_dir, "qckpt-starter")
    job = subprocess.Popen(
        [starter, sys.executable, "-c", holder, str(mib), ready],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    task_dir = os.path.join(ckpt_dir, "61.1")
    try:
        wait_for(lambda: os.path.exists(ready) or job.poll() is not None, "the job's start")
        if job.poll() is not None:
            raise SystemExit(f"P2: the job did not start ({job.returncode})")
        wait_for(lambda: dmtcp_running(task_dir), "the job to run under DMTCP")
        took, stopped, size = [], [], []
        for _ in range(ROUNDS):
            os.sync()
            started = time.perf_counter()
            done = subprocess.run(
                [hook, *command.split()[1:], "61", "0", ckpt_dir, str(job.pid)],
                env=env,
                capture_output=True,
                text=True,
            )
            took.append(time.perf_counter() - started)
            if done.returncode != 0:
                with open(os.path.join(task_dir, layout.HOOK_LOG)) as handle:
                    log = handle.read()[-1500:]
                raise SystemExit(f"P2: the checkpoint failed: {done.stderr[-800:]}\n{log}")
            generation = layout.newest_complete(task_dir)
            meta = layout.read_json(os.path.join(generation, layout.META)) or {}
            stopped.append(float(meta.get("stopped") or 0.0))
            size.append(image_bytes(generation))
        kill_group(job.pid)
        job.wait()
        command = shutil.which("dmtcp_command") or "/opt/dmtcp/bin/dmtcp_command"
        restart = []
        for _ in range(ROUNDS):
            os.sync()
            restart.append(starter_restart(starter, env, task_dir, command, subprocess.DEVNULL))
        return tuple(statistics.median(v) for v in (took, stopped, size, restart))
    finally:
        kill_group(job.pid)
        job.wait()
        shutil.rmtree(ckpt_dir, ignore_errors=True)
        shutil.rmtree(job_tmp, ignore_errors=True)


def image_bytes(generation: str) -> int:
    return sum(
        os.path.getsize(os.path.join(generation, n))
        for n in os.listdir(generation)
        if n.endswith(".dmtcp")
    )


if __name__ == "__main__":
    if not has_dmtcp():
        print("P2 compression skipped: DMTCP is not installed")
    else:
        compare(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
