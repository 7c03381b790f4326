#!/usr/bin/python3
"""qckpt demo job: a computation whose memory grows by 256 KiB of random data a second, up
to 48 MiB, so its checkpoints grow. Counts once a second up to argv[1], then ends.

Under DMTCP it is checkpointed whole and needs none of this; under the signal engine USR1
(each checkpoint) saves its count and data in $QCKPT_DIR, USR2 (a migration) saves and
exits, and --restart reads them back."""

import os
import signal
import sys
import time

STEP, MOST = 256 << 10, 48 << 20
state = os.path.join(os.environ["QCKPT_DIR"], "grow.dat")
count, data = 0, bytearray()
if "--restart" in sys.argv:
    with open(state, "rb") as handle:
        count, data = int(handle.readline()), bytearray(handle.read())
    print(f"restarted at {count}", flush=True)


def save(*_):
    with open(state + ".tmp", "wb") as handle:
        handle.write(b"%d\n" % count + data)
    os.replace(state + ".tmp", state)


def stop(*_):
    save()
    sys.exit(0)


signal.signal(signal.SIGUSR1, save)
signal.signal(signal.SIGUSR2, stop)
while count < int(sys.argv[1]):
    count += 1
    if len(data) < MOST:
        data += os.urandom(STEP)
    time.sleep(1)
print(f"done at {count}", flush=True)
