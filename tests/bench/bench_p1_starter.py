"""P1: a job that does not checkpoint, through qckpt-starter vs started directly.

Goal: <= +3 ms median, no lingering process. The job's spool config is one Grid Engine
wrote for a plain job (tests/data/spool_config_plain). Also printed: a bare perl exec'ing
the same job, the floor any perl starter pays.
Run: python -m tests.bench.bench_p1_starter
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time

from tests.bench.common import hooks, ms, spool, starter_env

RUNS = 200


def captured_config() -> dict[str, str]:
    path = os.path.join(os.path.dirname(__file__), "..", "data", "spool_config_plain")
    with open(path) as handle:
        return dict(line.rstrip("\n").partition("=")[::2] for line in handle if "=" in line)


def main() -> None:
    starter = os.path.join(hooks(), "qckpt-starter")
    script = os.path.join(tempfile.mkdtemp(), "job.sh")
    with open(script, "w") as handle:
        handle.write('#!/bin/sh\necho $$ > "$1"\n')
    os.chmod(script, 0o755)
    env = starter_env(spool(captured_config()))
    pid_file = script + ".pid"
    bare_perl = ["/usr/bin/perl", "-e", "exec {'/bin/sh'} 'sh', @ARGV"]
    direct, through, perl = [], [], []
    for _ in range(RUNS):  # interleaved, so all see the same machine
        for times, argv in (
            (direct, ["/bin/sh", script]),
            (through, [starter, script]),
            (perl, [*bare_perl, script]),
        ):
            started = time.perf_counter()
            proc = subprocess.run([*argv, pid_file], env=env)
            times.append(time.perf_counter() - started)
            assert proc.returncode == 0
    # exec'd, not forked: the job's pid is the starter's own, and nothing stays behind
    child = subprocess.Popen([starter, script, pid_file], env=env)
    child.wait()
    with open(pid_file) as handle:
        job_pid = int(handle.read())
    lingering = subprocess.run(["pgrep", "-f", starter], capture_output=True, text=True)
    delta = statistics.median(through) - statistics.median(direct)
    print(f"P1 direct job:        {ms(direct)}")
    print(f"P1 via qckpt-starter: {ms(through)}")
    print(f"P1 overhead: {delta * 1000:+.1f} ms median (goal <= +3 ms)")
    floor = statistics.median(perl) - statistics.median(direct)
    print(f"P1 a bare perl exec'ing the job: {floor * 1000:+.1f} ms median (perl's own start)")
    print(f"P1 job ran as the starter's own process (exec): {job_pid == child.pid}")
    print(f"P1 lingering starter processes: {len(lingering.stdout.split())}")


if __name__ == "__main__":
    main()
