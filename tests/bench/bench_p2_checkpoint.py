"""P2: `qckpt-hook checkpoint` vs a bare `dmtcp_command -bc`, on a job holding 1 GiB.

Goal: <= 1.05x. Needs DMTCP (on PATH or under /opt/dmtcp).
Run: python -m tests.bench.bench_p2_checkpoint [MiB]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from qckpt.hooks import engine_dmtcp, layout
from tests.bench.common import hooks, spool, starter_env
from tests.cell.jobs import has_dmtcp

ROUNDS = 6
HOLDER = (
    "import sys, time\n"
    "data = bytes(range(256)) * (int(sys.argv[1]) << 12)  # non-zero, fast to make\n"
    "open(sys.argv[2], 'w').close()\n"
    "while True:\n"
    "    time.sleep(0.1)\n"
)


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    if not has_dmtcp():
        print("P2 skipped: DMTCP is not installed")
        return
    hooks_dir = hooks()
    hook = os.path.join(hooks_dir, "qckpt-hook")
    ckpt_dir = tempfile.mkdtemp(prefix="qckpt-bench-ckpt-", dir="/var/tmp")
    job_tmp = tempfile.mkdtemp(prefix="qckpt-bench-tmp-")
    ready = os.path.join(job_tmp, "ready")
    command = f"{hook} checkpoint --engine dmtcp --keep 2 --timeout 600"
    config = {
        "ckpt_job": "1",
        "ckpt_interface": "application-level",
        "ckpt_command": command + " $job_id $ja_task_id $ckpt_dir $job_pid",
        "ckpt_dir": ckpt_dir,
        "handle_as_binary": "1",
        "no_shell": "1",
    }
    env = starter_env(
        spool(config),
        JOB_ID="60",
        SGE_TASK_ID="undefined",
        RESTARTED="0",
        SGE_CKPT_ENV="bench",
        SGE_CKPT_DIR=ckpt_dir,
        TMPDIR=job_tmp,
        DMTCP_GZIP="0",  # the same for both sides; gzip would measure zlib, not us
    )
    job_err = open(os.path.join(job_tmp, "job.err"), "w")  # noqa: SIM115 (the job's lifetime)
    job = subprocess.Popen(
        [
            os.path.join(hooks_dir, "qckpt-starter"),
            "/usr/bin/python3",
            "-c",
            HOLDER,
            str(mib),
            ready,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=job_err,
        start_new_session=True,
    )
    task_dir = os.path.join(ckpt_dir, "60.1")
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not os.path.exists(ready):
            with open(os.path.join(job_tmp, "job.err")) as handle:
                raise SystemExit("P2: the job did not start:\n" + handle.read()[-2000:])
        coordinator = layout.read_json(
            os.path.join(task_dir, layout.DMTCP, engine_dmtcp.PORT_FILE)
        )  # the owner's private record of the port
        dmtcp_command = shutil.which("dmtcp_command") or "/opt/dmtcp/bin/dmtcp_command"
        bare_args = [
            dmtcp_command,
            "-h",
            coordinator["host"],
            "-p",
            str(coordinator["port"]),
            "-bc",
        ]
        hook_args = [hook, *command.split()[1:], "60", "0", ckpt_dir, str(job.pid)]
        bare, ours = [], []
        for round_ in range(ROUNDS):
            pairs = [(bare, bare_args), (ours, hook_args)]
            for times, args in pairs if round_ % 2 else pairs[::-1]:  # alternate who goes first
                os.sync()  # each run starts with no dirty pages from the one before
                wait_running(bare_args[:-1])  # the last checkpoint's resume is over
                started = time.perf_counter()
                done = subprocess.run(args, env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                if done.returncode != 0:
                    with open(os.path.join(task_dir, layout.HOOK_LOG)) as handle:
                        log = handle.read()[-1500:]
                    raise SystemExit(
                        f"P2: {args[0]} failed ({done.returncode}): "
                        f"{done.stderr[-800:]}\nhook.log:\n{log}"
                    )
        if os.environ.get("P2_TRACE"):
            subprocess.run(["strace", "-f", "-tt", "-o", "/tmp/p2.trace", *hook_args], env=env)
        with open(os.path.join(task_dir, layout.HOOK_LOG)) as handle:
            secs = [ln.split(": ", 1)[1] for ln in handle if "secs=" in ln or "-bc took" in ln]
        print("P2 hook's log:\n  " + "\n  ".join(secs))
        size = layout.tree_size(layout.newest_complete(task_dir))
        ratio = statistics.median(ours) / statistics.median(bare)
        print(f"P2 job holding {mib} MiB; generation size {size / 2**20:.0f} MiB")
        print(f"P2 bare dmtcp_command -bc: median {statistics.median(bare):.3f} s {bare}")
        print(f"P2 qckpt-hook checkpoint:  median {statistics.median(ours):.3f} s {ours}")
        print(f"P2 ratio: {ratio:.3f}x (goal <= 1.05x)")
    finally:
        os.killpg(job.pid, 9)
        job.wait()
        job_err.close()
        shutil.rmtree(ckpt_dir, ignore_errors=True)


def wait_running(command: list[str], timeout: float = 30) -> None:
    """Until the coordinator says RUNNING=yes (`dmtcp_command -s`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = subprocess.run([*command, "-s"], capture_output=True, text=True).stdout
        if "RUNNING=yes" in status:
            return
        time.sleep(0.05)
    raise SystemExit("P2: the coordinator never came back to RUNNING")


if __name__ == "__main__":
    main()
