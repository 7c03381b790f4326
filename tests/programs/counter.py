#!/usr/bin/python3
"""A test program that checkpoints itself (GNU Queue's user-level protocol).

USR1: save state in $QCKPT_DIR and go on; USR2: save and exit; --restart: read state back.
Counts to TARGET in steps of DELAY seconds, then exits with status 3.
Optional PAD bytes of padding make the state big enough to take time to copy.
COUNTER_REQUEUE_AT=N: a first run exits 99 at N (Grid Engine requeues it; restarted, the
job goes on from its newest checkpoint).
"""

import json
import os
import signal
import sys
import time

state_path = os.path.join(os.environ["QCKPT_DIR"], "state.json")
target = int(sys.argv[1])
delay = float(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("-") else 0.1
pad = int(os.environ.get("COUNTER_PAD", "0"))
requeue_at = int(os.environ.get("COUNTER_REQUEUE_AT", "0"))
count = 0
if "--restart" in sys.argv:
    with open(state_path) as handle:
        count = json.load(handle)["count"]
    print(f"restarted at {count}", flush=True)


def save() -> None:
    tmp = state_path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump({"count": count, "pad": "x" * pad}, handle)
    os.replace(tmp, state_path)


def on_usr1(*_args) -> None:
    save()


def on_usr2(*_args) -> None:
    save()
    print(f"migrating at {count}", flush=True)
    sys.exit(0)


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGUSR2, on_usr2)
print(f"started at {count}", flush=True)
while count < target:
    count += 1
    if count == requeue_at and "--restart" not in sys.argv:
        print(f"requeue at {count}", flush=True)
        sys.exit(99)
    time.sleep(delay)
print(f"done at {count}", flush=True)
sys.exit(3)
