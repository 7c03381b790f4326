"""The cell's interruption rate from its accounting file, on real failures: a host whose
every process dies (its execd started again afterwards, as after a reboot), a job Grid
Engine reschedules (`qmod -rj`), and a job that asks to be requeued (exit 99, as qckpt's
hooks do before a time limit). `qckpt report --json` counts the first two as lost work and
gives the time between them; the third costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qckpt.backend.sandbox import hosts
from tests.cell.jobs import submit, wait_finished, wait_until

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")
SLEEPER = "sleep 600\n"
REQUEUE_ONCE = '[ "$RESTARTED" = 1 ] || { sleep 3; exit 99; }\nsleep 2\n'


def failed_codes(sandbox, jobs: list[str]) -> list[str]:
    """The `failed` field of each of the jobs' accounting records (file order)."""
    with open(f"{sandbox.common}/accounting") as handle:
        records = [line.split(":") for line in handle if not line.startswith("#")]
    return [r[11] for r in records if len(r) > 11 and r[5] in jobs]


def running(ge, job: str) -> bool:
    lines = ge.qstat("-u", "*").stdout.splitlines()[2:]
    return any(line.split()[0] == job and line.split()[4] == "r" for line in lines)


def crash(sandbox, host: hosts.ExtraHost) -> None:
    """Every process of the host killed at once (its execd, the shepherds, the jobs)."""
    pids = hosts.ip("ip", "netns", "pids", host.netns).stdout.split()
    subprocess.run(["kill", "-9", *pids], check=True)


def test_host_failures_and_reschedules_set_the_rate_and_requeues_do_not(sandbox):
    ge = sandbox.ge()
    second, third = (h for h in sandbox.extra_hosts(3)[:2])
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    common = ["-r", "y", "-o", "/dev/null", "-j", "y"]
    lost = submit(ge, sandbox, *common, "-q", f"all.q@{third.name}", stdin=SLEEPER)
    moved = submit(ge, sandbox, *common, "-q", f"all.q@{second.name}", stdin=SLEEPER)
    asked = submit(ge, sandbox, *common, "-q", f"all.q@{second.name}", stdin=REQUEUE_ONCE)
    jobs = [lost, moved, asked]
    try:
        wait_until(lambda: running(ge, lost) and running(ge, moved), 60, "both sleepers")
        time.sleep(2)  # some run time to count
        crash(sandbox, third)
        ge.run(["qmod", "-rj", moved])
        sandbox.up(log=lambda _line: None, hosts=3)  # the host back, as after a reboot
        wait_until(lambda: "19" in failed_codes(sandbox, [lost]), 90, "the failed run's record")
        wait_until(lambda: "25" in failed_codes(sandbox, [moved]), 30, "the reschedule's record")
        twice = lambda: failed_codes(sandbox, [asked]) == ["25", "0"]  # noqa: E731
        wait_until(twice, 90, "the requeued job's two runs")  # requeued once, then done
    finally:
        ge.run(["qdel", "-f", lost, moved], check=False)
        sandbox.up(log=lambda _line: None, hosts=3)
    wait_finished(ge, sandbox, jobs, timeout=60)

    shell_env = {"PATH": "/usr/bin:/bin", **sandbox.env()}  # the cell's, as its admin has it
    out = subprocess.run(
        [QCKPT, "report", "--json", "--since", since], capture_output=True, text=True, env=shell_env
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    seen = found["interruptions"]
    assert (seen["failures"], seen["reschedules"], seen["requeues"]) == (1, 1, 1)
    assert seen["by_host"] == {third.name: 1, second.name: 1}
    assert seen["run_seconds"] >= 5  # the requeued job's two runs at least
    assert found["mtbi_from"] == "accounting"
    assert found["mtbi"] == pytest.approx(seen["run_seconds"] / 2)
    text = subprocess.run(
        [QCKPT, "report", "--since", since], capture_output=True, text=True, env=shell_env
    )
    assert "1 host failures, 1 reschedules: one every" in text.stdout
    given = subprocess.run(
        [QCKPT, "report", "--json", "--since", since, "--mtbi", "24"],
        capture_output=True,
        text=True,
        env=shell_env,
    )
    assert json.loads(given.stdout)["mtbi"] == 24 * 3600
    assert json.loads(given.stdout)["mtbi_from"] == "given"
