#!/usr/bin/python3
"""A two-rank parallel job that checkpoints itself (the signal engine's protocol) in each
rank: this master, on the job's first host, starts a worker on the second host of
$PE_HOSTFILE with `qrsh -inherit` (as an MPI launcher would) and counts with it over TCP:
it sends N, the worker answers N+1. Each step prints "count N host MASTER worker WORKER".

Each rank saves its own state in $QCKPT_DIR (rank-0.json, rank-1.json) on USR1 and goes
on; on USR2 it saves and exits (the master once its worker has exited). Given --restart,
each reads its state back and says so ("restarted at N", "worker restarted at M on HOST"),
and the master passes --restart on to the worker it starts. After COUNT the master exits 3.

Usage: pecount.py COUNT [STEP_SECONDS] [--restart]; pecount.py --worker HOST PORT
[--restart] (what qrsh -inherit runs).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

RESTART = "--restart" in sys.argv
args = [a for a in sys.argv[1:] if a != "--restart"]
state = {"count": 0}
worker_run = None


def path(rank: int) -> str:
    return os.path.join(os.environ["QCKPT_DIR"], f"rank-{rank}.json")


def save(rank: int) -> None:
    tmp = path(rank) + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(state, handle)
    os.replace(tmp, path(rank))


def load(rank: int) -> int:
    with open(path(rank)) as handle:
        return json.load(handle)["count"]


def on_signals(rank: int) -> None:
    def checkpoint(*_args) -> None:
        save(rank)

    def migrate(*_args) -> None:
        save(rank)
        if worker_run is not None:
            worker_run.wait(30)  # its state is written before the job ends
        os._exit(0)

    signal.signal(signal.SIGUSR1, checkpoint)
    signal.signal(signal.SIGUSR2, migrate)


def worker(host: str, port: int) -> int:
    on_signals(1)
    if RESTART:
        state["count"] = load(1)
        print(f"worker restarted at {state['count']} on {socket.gethostname()}", flush=True)
    with socket.create_connection((host, port)) as sock:
        stream = sock.makefile("rw")
        for line in stream:
            if line.strip() == "end":
                return 0
            state["count"] += 1  # answers given, over all runs
            stream.write(f"{int(line) + 1} {socket.gethostname()}\n")
            stream.flush()
    return 1


def other_host() -> str:
    with open(os.environ["PE_HOSTFILE"]) as hosts:
        names = [line.split()[0] for line in hosts if line.strip()]
    return names[1]


def master(count: int, step: float) -> int:
    global worker_run
    on_signals(0)
    if RESTART:
        state["count"] = load(0)
        print(f"restarted at {state['count']}", flush=True)
    listener = socket.create_server(("", 0))
    me = socket.gethostname()
    command = [sys.executable, os.path.abspath(__file__), "--worker", me]
    command += [str(listener.getsockname()[1])] + (["--restart"] if RESTART else [])
    worker_run = subprocess.Popen(["qrsh", "-inherit", other_host(), *command])
    conn, _ = listener.accept()
    listener.close()
    stream = conn.makefile("rw")
    while state["count"] < count:
        stream.write(f"{state['count']}\n")
        stream.flush()
        answer, peer = stream.readline().split()
        state["count"] = int(answer)
        print(f"count {state['count']} host {me} worker {peer}", flush=True)
        time.sleep(step)
    stream.write("end\n")
    stream.flush()
    conn.close()
    print(f"qrsh exit {worker_run.wait()}", flush=True)
    return 3


if __name__ == "__main__":
    if args[0] == "--worker":
        sys.exit(worker(args[1], int(args[2])))
    sys.exit(master(int(args[0]), float(args[1]) if len(args) > 1 else 0.2))
