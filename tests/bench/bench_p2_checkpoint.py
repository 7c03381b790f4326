"""P2: `qckpt-hook checkpoint` vs a bare `dmtcp_command -bc`, on a job holding 1 GiB; then
a restart of those images through qckpt-starter (RESTARTED=2: the generation checked,
a coordinator, dmtcp_restart) vs a bare coordinator and `dmtcp_restart` of the same images,
each timed until its coordinator says RUNNING=yes with the job's process back.

Goals: checkpoint <= 1.0x, restart <= 1.1x. Needs DMTCP (on PATH or under /opt/dmtcp).
Then bench_p2_compression: the same job's time and size with gzip and without.
Run: python -m tests.bench.bench_p2_checkpoint [MiB]
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from qckpt.hooks import engine_dmtcp, layout
from tests.bench.common import checkpointing_job, dmtcp_running, hooks
from tests.cell.jobs import has_dmtcp

ROUNDS = 6
RESTARTS = 6  # of each kind, alternating which goes first
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
    # no compression, for both sides (the job's): gzip would measure zlib, not us
    command = f"{hook} checkpoint --engine dmtcp --keep 2 --timeout 600 --compress none"
    env = checkpointing_job(command, ckpt_dir, job_tmp, "60")
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
        wait_for(lambda: dmtcp_running(task_dir), "the job to run under DMTCP")
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
        images = os.path.join(task_dir, layout.DMTCP, "images")

        def bare_checkpoint() -> subprocess.CompletedProcess:
            """-bc, and (DMTCP 3.1 to 4.2 return before the image is written) until its
            image is complete, as DMTCP itself leaves it: the time a checkpoint takes."""
            before = engine_dmtcp.image_inodes(images)
            done = subprocess.run(bare_args, env=env, capture_output=True, text=True)
            if done.returncode == 0:
                engine_dmtcp.wait_complete(images, before, time.monotonic() + 600)
            return done

        bare, ours = [], []
        for round_ in range(ROUNDS):
            pairs = [(bare, bare_args), (ours, hook_args)]
            for times, args in pairs if round_ % 2 else pairs[::-1]:  # alternate who goes first
                os.sync()  # each run starts with no dirty pages from the one before
                wait_running(bare_args[:-1])  # the last checkpoint's resume is over
                started = time.perf_counter()
                if args is bare_args:
                    done = bare_checkpoint()
                else:
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
            secs = [
                ln.split(": ", 1)[1].strip() for ln in handle if "secs=" in ln or "-bc took" in ln
            ]
        print("P2 hook's log:\n  " + "\n  ".join(secs))
        size = layout.tree_size(layout.newest_complete(task_dir))
        ratio = statistics.median(ours) / statistics.median(bare)
        print(f"P2 job holding {mib} MiB; generation size {size / 2**20:.0f} MiB")
        median = statistics.median(bare)
        print(f"P2 bare dmtcp_command -bc, image complete: median {median:.3f} s {bare}")
        print(f"P2 qckpt-hook checkpoint:  median {statistics.median(ours):.3f} s {ours}")
        print(f"P2 ratio: {ratio:.3f}x (goal <= 1.0x)")
        os.killpg(job.pid, 9)
        job.wait()
        restarts(hooks_dir, env, task_dir, job_err, dmtcp_command)
        from tests.bench.bench_p2_compression import compare

        compare(mib, hooks_dir)
    finally:
        kill_group(job.pid)
        job.wait()
        job_err.close()
        if os.environ.get("P2_KEEP"):  # the hooks' logs, to see where the time went
            print(f"P2 kept {ckpt_dir}")
        else:
            shutil.rmtree(ckpt_dir, ignore_errors=True)


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, 9)


def restarts(hooks_dir: str, env: dict, task_dir: str, job_err, dmtcp_command: str) -> None:
    """Alternately, the starter's restart and a bare one of the newest generation's images,
    each until RUNNING=yes with its process, then ended."""
    generation = layout.newest_complete(task_dir)
    images = sorted(
        os.path.join(generation, n) for n in os.listdir(generation) if n.endswith(".dmtcp")
    )
    bin_dir = os.path.dirname(dmtcp_command)
    starter = os.path.join(hooks_dir, "qckpt-starter")
    bare, ours = [], []
    for round_ in range(RESTARTS):
        for kind in ("ours", "bare") if round_ % 2 else ("bare", "ours"):
            os.sync()
            if kind == "bare":
                bare.append(bare_restart(bin_dir, images, env))
                continue
            ours.append(starter_restart(starter, env, task_dir, dmtcp_command, job_err))
    ratio = statistics.median(ours) / statistics.median(bare)
    size = sum(os.path.getsize(i) for i in images)
    print(f"P2 restart of {len(images)} images, {size / 2**20:.0f} MiB")
    print(f"P2 bare dmtcp_restart:       median {statistics.median(bare):.3f} s {bare}")
    print(f"P2 restart via qckpt-starter: median {statistics.median(ours):.3f} s {ours}")
    print(f"P2 restart ratio: {ratio:.3f}x (goal <= 1.1x)")


def starter_restart(starter: str, env: dict, task_dir: str, dmtcp_command: str, err) -> float:
    """The starter's restart of the newest generation (RESTARTED=2): seconds until its
    coordinator says the job runs; then ended."""
    record = os.path.join(task_dir, layout.DMTCP, engine_dmtcp.PORT_FILE)
    before = os.stat(record).st_mtime_ns if os.path.exists(record) else 0
    started = time.perf_counter()
    job = subprocess.Popen(
        [starter, "/bin/true"],
        env=dict(env, RESTARTED="2"),
        stdout=subprocess.DEVNULL,
        stderr=err,
        start_new_session=True,
    )
    try:
        port = wait_for(lambda: new_port(record, before), "the starter's coordinator")
        wait_for(lambda: running(dmtcp_command, port), "the starter's restart")
        return time.perf_counter() - started
    finally:
        kill_group(job.pid)
        job.wait()


def bare_restart(bin_dir: str, images: list[str], env: dict) -> float:
    """A coordinator of its own and dmtcp_restart of the images: seconds until RUNNING."""
    folder = tempfile.mkdtemp(prefix="qckpt-bench-bare-")
    port_file = os.path.join(folder, "port")
    started = time.perf_counter()
    subprocess.run(
        [
            os.path.join(bin_dir, "dmtcp_coordinator"),
            "--port", "0", "--port-file", port_file, "--ckptdir", folder,
            "--exit-on-last", "--daemon",
        ],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    port = int(open(port_file).read().strip())  # noqa: SIM115 (written before it forks)
    restart = subprocess.Popen(
        [os.path.join(bin_dir, "dmtcp_restart"), "-h", "localhost", "-p", str(port), *images],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    command = os.path.join(bin_dir, "dmtcp_command")
    try:
        wait_for(lambda: running(command, ("localhost", port)), "the bare restart")
        return time.perf_counter() - started
    finally:
        subprocess.run([command, "-h", "localhost", "-p", str(port), "-k"], capture_output=True)
        kill_group(restart.pid)
        restart.wait()
        shutil.rmtree(folder, ignore_errors=True)


def new_port(record: str, before: int) -> tuple[str, int] | None:
    """The coordinator the starter's new run recorded (host, port), once it has."""
    try:
        if os.stat(record).st_mtime_ns == before:
            return None
    except FileNotFoundError:
        return None
    data = layout.read_json(record) or {}
    return (data["host"], int(data["port"])) if data.get("port") else None


def running(command: str, where: tuple[str, int]) -> bool:
    status = subprocess.run(
        [command, "-h", where[0], "-p", str(where[1]), "-s"], capture_output=True, text=True
    ).stdout
    return "RUNNING=yes" in status and "NUM_PEERS=0" not in status


def wait_for(check, what: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise SystemExit(f"P2: {what} never came")


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
