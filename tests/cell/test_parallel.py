"""Parallel jobs across execution hosts (a PE with control_slaves TRUE, tasks started with
`qrsh -inherit`), on three sandbox hosts (qckpt sandbox up --hosts 3): a two-host job
migrates to another pair of hosts and every rank goes on; a hostile user cannot make its
ranks save or exit; a DMTCP environment refuses a run on several hosts with one clear line.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import uuid

import pytest
from textual.widgets import DataTable

from qckpt.tui.app import QckptApp
from qckpt.tui.settings import Settings
from tests.cell.conftest import manifest_of
from tests.cell.jobs import (
    checkpointing_queue,
    events_of,
    parallel_environment,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)
from tests.cell.test_multi_user import as_user, attacker  # noqa: F401  (a fixture)

pytestmark = pytest.mark.cell


@pytest.fixture
def three_hosts(sandbox):
    extra = [h.name for h in sandbox.extra_hosts(3)]
    known = sandbox.ge().run(["qconf", "-sel"]).stdout.split()
    if len(extra) < 2 or not set(extra) <= set(known):
        pytest.skip("needs three sandbox hosts: qckpt sandbox up --hosts 3")
    return sandbox.host, extra[0], extra[1]


def master_records(sandbox, job: str, runs: int) -> list[dict[str, str]]:
    """The master's accounting record of each run: the accounting file's records of the job
    whose pe_taskid (field 42) is NONE; each `qrsh -inherit` task has a record of its own
    (pe_taskid 1.HOST), and `qacct -j` does not say which is which."""

    def read():
        with open(os.path.join(sandbox.common, "accounting")) as handle:
            rows = [line.rstrip("\n").split(":") for line in handle if not line.startswith("#")]
        found = [
            {"hostname": r[1], "failed": r[11], "exit_status": r[12]}
            for r in rows
            if len(r) > 41 and r[5] == job and r[41] == "NONE"
        ]
        return found if len(found) >= runs else None

    return wait_until(read, 60, f"{runs} master records of job {job}")


def agent_ports(host: str) -> set[int]:
    """Every port listening on `host` (a sandbox host's namespace), as any user there can
    read them in /proc/net/tcp."""
    out = subprocess.run(
        ["ip", "netns", "exec", host, "ss", "-tlnH"], capture_output=True, text=True, check=True
    ).stdout
    return {int(line.split()[3].rsplit(":", 1)[1]) for line in out.splitlines() if line.strip()}


def out_text(path: str) -> str:
    with open(path) as handle:
        return handle.read()


async def test_a_two_host_job_migrates_to_other_hosts_and_every_rank_goes_on(
    sandbox,
    three_hosts,
    name_for,
    screen_size,
    drain,
    undrain,
    select_row,
    settle,
    shown_text,
    attacker,  # noqa: F811
):
    a, b, c = three_hosts
    ge = sandbox.ge()
    env = name_for("pe")
    out = scratch(sandbox, f"pe-{uuid.uuid4().hex[:6]}")
    program = os.path.join(share_programs(sandbox), "pecount.py")
    pe = f"qpe{uuid.uuid4().hex[:5]}"
    hosts = f"{a} {b} {c}"
    with (
        checkpointing_queue(sandbox, env, "signal", hosts=hosts, when="xsmr") as queue,
        parallel_environment(ge, pe, queue),
    ):
        drain(ge, queue, c)  # the first run gets A and B
        job = submit(
            ge,
            sandbox,
            *f"-pe {pe} 2 -q {queue} -ckpt {env} -c 00:00:03 -b y -j y -o {out}/out".split(),
            program,
            "600",
            "0.1",
        )
        first = wait_until(lambda: manifest_of(sandbox, job).get("hosts"), 60, "the start")
        assert sorted(first) == sorted([a, b])
        worker_host = first[1]

        def both_ranks_saved():
            kept = manifest_of(sandbox, job).get("generations") or []
            return kept and kept[-1].get("hosts") == [worker_host]

        wait_until(both_ranks_saved, 60, "a generation with the worker's host signalled")
        state = os.path.join(sandbox.ckpt_dir, f"{job}.1", "state")
        assert sorted(os.listdir(state)) == ["rank-0.json", "rank-1.json"]

        # the attacker knows the ports listening on the worker's host: none of them
        # makes the job's ranks save or exit without the agent's token
        address = socket.gethostbyname(worker_host)
        attempt = (
            "import json, socket, sys\n"
            "for port in map(int, sys.argv[2:]):\n"
            "    for ask in ({'verb': 'migrate'}, {'verb': 'migrate', 'token': 'x' * 32}):\n"
            "        try:\n"
            "            s = socket.create_connection((sys.argv[1], port), timeout=2)\n"
            "            s.sendall(json.dumps(ask).encode() + b'\\n')\n"
            "            s.settimeout(2)\n"
            "            print(port, repr(s.recv(4096)))\n"
            "        except OSError as exc:\n"
            "            print(port, exc)\n"
        )
        ports = [str(p) for p in agent_ports(worker_host)]
        tried = as_user(attacker, "python3", "-c", attempt, address, *ports).stdout
        assert "signalled" not in tried and "error" not in tried.replace("Errno", "")
        counted = len(re.findall(r"^count ", out_text(f"{out}/out"), re.M))
        wait_until(
            lambda: len(re.findall(r"^count ", out_text(f"{out}/out"), re.M)) > counted + 10,
            30,
            "the job counting on with both ranks after the attack",
        )
        assert "migrate" not in events_of(sandbox.ckpt_dir, job)

        undrain(ge, queue, c)
        ge.run(["qmod", "-sj", job], user=sandbox.user)
        wait_until(lambda: "restart" in events_of(sandbox.ckpt_dir, job), 180, "the restart")
        moved = manifest_of(sandbox, job)["restarts"][-1]["hosts"]
        assert len(moved) == 2 and set(moved) != {a, b}  # another pair of hosts

        app = QckptApp(ge=ge, settings=Settings(refresh=60))
        async with app.run_test(size=screen_size) as pilot:  # what an administrator sees
            await settle(app, pilot)
            await app.switch_view("jobs")
            await settle(app, pilot)
            table = app.query_one("#job-table", DataTable)
            assert job in [k.value for k in table.rows]
            assert str(table.get_row(job)[10]) == "1"  # RESTARTS
            await select_row(app, pilot, job)
            details = shown_text(app.query_one("#job-details"))
            assert re.search(rf"hosts\s+{' '.join(moved)}", details), details
            assert f"on {' '.join(moved)} from gen" in details

        wait_finished(ge, sandbox, [job], timeout=180)
    text = out_text(f"{out}/out")
    restarted_at = int(re.search(r"^restarted at (\d+)$", text, re.M).group(1))
    worker = re.search(r"^worker restarted at (\d+) on (\S+)$", text, re.M)
    assert restarted_at > 0 and int(worker.group(1)) > 0  # each rank went on from its state
    assert worker.group(2) == moved[1] and worker.group(2) != worker_host
    counts = [int(n) for n in re.findall(r"^count (\d+) ", text, re.M)]
    assert counts[-1] == 600 and counts.count(1) == 1  # never started again from the start
    records = master_records(sandbox, job, runs=2)
    assert records[-1]["exit_status"] == "3" and records[-1]["hostname"] == moved[0]


def test_a_dmtcp_environment_refuses_a_run_on_two_hosts_with_one_clear_line(
    sandbox, three_hosts, name_for, drain
):
    a, b, c = three_hosts
    ge = sandbox.ge()
    env = name_for("pd")
    out = scratch(sandbox, f"pd-{uuid.uuid4().hex[:6]}")
    program = os.path.join(share_programs(sandbox), "pecount.py")
    pe = f"qpe{uuid.uuid4().hex[:5]}"
    with (
        checkpointing_queue(sandbox, env, "dmtcp", hosts=f"{a} {b}", when="xsmr") as queue,
        parallel_environment(ge, pe, queue),
    ):
        job = submit(
            ge,
            sandbox,
            *f"-pe {pe} 2 -q {queue} -ckpt {env} -b y -o {out}/out -e {out}/err".split(),
            program,
            "50",
        )

        def refused():
            return "Eqw" in ge.qstat("-u", sandbox.user).stdout.split()

        try:
            wait_until(refused, 90, "the job in error state")
            error = out_text(f"{out}/err")
        finally:
            ge.run(["qdel", job], user=sandbox.user, check=False)
    lines = [line for line in error.splitlines() if line.startswith("qckpt-starter:")]
    assert len(lines) == 1 and "2 hosts" in lines[0] and "across hosts" in lines[0]
    assert not os.path.exists(os.path.join(out, "out")) or "count" not in out_text(f"{out}/out")
