"""Parallel jobs across execution hosts (a PE with control_slaves TRUE, tasks started with
`qrsh -inherit`), on three sandbox hosts (qckpt sandbox up --hosts 3): a two-host job
migrates to another pair of hosts and every rank goes on; a hostile user cannot make its
ranks save or exit; a DMTCP environment refuses a run on several hosts with one clear line.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import uuid
from contextlib import contextmanager

import pytest
from textual.widgets import DataTable

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.gridengine.pes import list_pes
from qckpt.backend.setup.steps import Answers, StepFailed, steps
from qckpt.tui.app import QckptApp
from qckpt.tui.rows import JOB_COLUMNS
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


def agent_ports(sandbox, host: str) -> set[int]:
    """Every port listening on `host` (this machine, or a sandbox host's namespace), as any
    user there can read them in /proc/net/tcp."""
    where = [] if host == sandbox.host else ["ip", "netns", "exec", host]
    listing = subprocess.run([*where, "ss", "-tlnH"], capture_output=True, text=True, check=True)
    lines = listing.stdout.splitlines()
    return {int(line.split()[3].rsplit(":", 1)[1]) for line in lines if line.strip()}


def out_text(path: str) -> str:
    with open(path) as handle:
        return handle.read()


@contextmanager
def two_host_job(sandbox, three_hosts, env: str, *command: str, step="00:00:03"):
    """A signal-engine parallel job of two slots started on A and B (C drained), once a
    generation holds its other host's task: yields (job, queue, output file, its hosts)."""
    a, b, c = three_hosts
    ge = sandbox.ge()
    out = os.path.join(scratch(sandbox, f"pe-{uuid.uuid4().hex[:6]}"), "out")
    pe = f"qpe{uuid.uuid4().hex[:5]}"
    with (
        checkpointing_queue(sandbox, env, "signal", hosts=f"{a} {b} {c}", when="xsmr") as queue,
        parallel_environment(ge, pe, queue),
    ):
        # the first run gets A (its master: the sandbox's extra hosts reach the main host,
        # not each other, so the next pair must hold A too) and B
        ge.run(["qmod", "-d", f"{queue}@{c}"])
        options = f"-pe {pe} 2 -q {queue} -masterq {queue}@{a} -ckpt {env} -c {step}"
        job = submit(ge, sandbox, *options.split(), *f"-b y -j y -o {out}".split(), *command)
        try:
            first = wait_until(lambda: manifest_of(sandbox, job).get("hosts"), 60, "the start")
            assert first == [a, b]
            wait_until(lambda: saved_on(sandbox, job, [b]), 60, "a generation of both hosts")
            yield job, queue, out, first
        finally:  # before the PE and the queue go
            ge.run(["qdel", "-f", job], check=False)
            wait_finished(ge, sandbox, [job], timeout=60)


def migrate_to_another_pair(sandbox, queue: str, job: str, third: str) -> list[str]:
    """Let C take jobs, migrate (qmod -sj): Grid Engine restarts the job on another pair
    (never on the host of its `qrsh -inherit` task while that one is being cleaned up)."""
    ge = sandbox.ge()
    ge.run(["qmod", "-e", f"{queue}@{third}"])
    ge.run(["qmod", "-sj", job], user=sandbox.user)
    wait_until(lambda: "restart" in events_of(sandbox.ckpt_dir, job), 180, "the restart")
    moved = manifest_of(sandbox, job)["restarts"][-1]["hosts"]
    wait_until(lambda: saved_on(sandbox, job, moved[1:]), 60, "a generation of the new run")
    return moved


def saved_on(sandbox, job: str, others: list[str]) -> bool:
    """The newest generation had the job's tasks on `others` signalled."""
    kept = manifest_of(sandbox, job).get("generations") or []
    return bool(kept) and kept[-1].get("hosts") == others


async def test_a_two_host_job_migrates_to_other_hosts_and_every_rank_goes_on(
    sandbox,
    three_hosts,
    name_for,
    screen_size,
    select_row,
    settle,
    shown_text,
    attacker,  # noqa: F811
):
    ge = sandbox.ge()
    program = os.path.join(share_programs(sandbox), "pecount.py")
    with two_host_job(sandbox, three_hosts, name_for("pe"), program, "450", "0.1") as started:
        job, queue, out, first = started
        worker_host = first[1]
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
        ports = [str(p) for p in agent_ports(sandbox, worker_host)]
        tried = as_user(attacker, "python3", "-c", attempt, address, *ports).stdout
        assert "signalled" not in tried and "error" not in tried.replace("Errno", "")
        counted = len(re.findall(r"^count ", out_text(out), re.M))
        wait_until(
            lambda: len(re.findall(r"^count ", out_text(out), re.M)) > counted + 10,
            30,
            "the job counting on with both ranks after the attack",
        )
        assert "migrate" not in events_of(sandbox.ckpt_dir, job)

        moved = migrate_to_another_pair(sandbox, queue, job, three_hosts[2])
        assert len(moved) == 2 and set(moved) != set(first)

        app = QckptApp(ge=ge, settings=Settings(refresh=60))
        async with app.run_test(size=screen_size) as pilot:  # what an administrator sees
            await settle(app, pilot)
            await app.switch_view("jobs")
            await settle(app, pilot)
            table = app.query_one("#job-table", DataTable)
            assert job in [k.value for k in table.rows]
            assert str(table.get_row(job)[JOB_COLUMNS.index("RESTARTS")]) == "1"
            await select_row(app, pilot, job)
            details = shown_text(app.query_one("#job-details"))
            assert re.search(rf"hosts\s+{' '.join(moved)}", details), details
            assert f"on {' '.join(moved)} from gen" in details

        wait_finished(ge, sandbox, [job], timeout=180)
    text = out_text(out)
    restarted_at = int(re.search(r"^restarted at (\d+)$", text, re.M).group(1))
    worker = re.search(r"^worker restarted at (\d+) on (\S+)$", text, re.M)
    assert restarted_at > 0 and int(worker.group(1)) > 0  # each rank went on from its state
    assert worker.group(2) == moved[1] and worker.group(2) != worker_host
    counts = [int(n) for n in re.findall(r"^count (\d+) ", text, re.M)]
    assert counts[-1] == 450 and counts.count(1) == 1  # never started again from the start
    records = master_records(sandbox, job, runs=2)
    assert records[-1]["exit_status"] == "3" and records[-1]["hostname"] == moved[0]


@pytest.mark.skipif(
    not (shutil.which("mpiexec") and shutil.which("mpicc")), reason="MPICH is not installed"
)
def test_an_mpich_job_migrates_to_other_hosts_and_every_rank_goes_on(
    sandbox, three_hosts, name_for
):
    """Debian's MPICH: mpiexec (hydra) finds the hosts in $PE_HOSTFILE and starts its proxy
    on the other host with `qrsh -inherit`, as it does under any Grid Engine PE."""
    ge = sandbox.ge()
    folder = share_programs(sandbox)
    program = os.path.join(folder, "mpicount")
    subprocess.run(["mpicc", "-O2", "-o", program, f"{program}.c"], check=True)
    command = ("mpiexec", "-n", "2", program, "200", "0.1")
    with two_host_job(sandbox, three_hosts, name_for("pm"), *command) as started:
        job, queue, out, first = started
        state = os.path.join(sandbox.ckpt_dir, f"{job}.1", "state")
        assert sorted(os.listdir(state)) == ["rank-0.txt", "rank-1.txt"]
        moved = migrate_to_another_pair(sandbox, queue, job, three_hosts[2])
        assert len(moved) == 2 and set(moved) != set(first)
        wait_finished(ge, sandbox, [job], timeout=180)
    text = out_text(out)
    restarted_at = int(re.search(r"^restarted at (\d+)$", text, re.M).group(1))
    assert restarted_at > 0
    steps = re.findall(r"^step (\d+) ranks 2 sum \d+ hosts (\S+) (\S+)$", text, re.M)
    assert steps[-1][0] == "200" and [s[0] for s in steps].count("1") == 1
    assert set(steps[0][1:]) == set(first) and set(steps[-1][1:]) == set(moved)
    records = master_records(sandbox, job, runs=2)
    # mpiexec's own exit status is not asserted: hydra 4.0.2 exits 255 ("unable to send
    # signal downstream") or 0 when a checkpoint's USR1 reaches it as its ranks end
    assert records[-1]["failed"] == "0" and records[-1]["hostname"] == moved[0]


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
    assert not os.path.exists(os.path.join(sandbox.ckpt_dir, f"{job}.1"))  # nothing left
    assert not os.path.exists(os.path.join(out, "out")) or "count" not in out_text(f"{out}/out")


def test_setup_makes_a_parallel_environment_or_checks_the_one_there(sandbox, test_queue, name_for):
    ge = sandbox.ge()
    pe = name_for("pe")
    answers = Answers(
        hooks_dir=sandbox.hooks_dir,
        ckpt_dir=sandbox.ckpt_dir,
        templates=["signal", "dmtcp"],
        queues=[test_queue],
        job_user=sandbox.user,
        parallel_env=pe,
    )
    step = next(s for s in steps(ge, answers) if s.key == "parallel")
    assert any(line.split() == ["allocation_rule", "$pe_slots"] for line in step.shows)
    said: list[str] = []
    try:
        assert step.run(said.append).startswith(f"added {pe} (allocation_rule $pe_slots)")
        made = list_pes(ge)[pe]
        assert made["control_slaves"] == "TRUE" and made["job_is_first_task"] == "TRUE"
        assert pe in ge.qconf("-sq", test_queue).stdout.split("pe_list", 1)[1].split("\n")[0]
        assert step.run(said.append).startswith(f"{pe} already fit")
        ge.qconf("-mattr", "pe", "control_slaves", "FALSE", pe)
        with pytest.raises(StepFailed) as failed:
            step.run(said.append)
        assert "control_slaves FALSE" in failed.value.why
        assert failed.value.fix == f"qconf -mp {pe}: control_slaves TRUE (tasks by qrsh -inherit)"
        assert list_pes(ge)[pe]["control_slaves"] == "FALSE"  # never changed behind its back
        with pytest.raises(ValidationFailed, match="parallel_env"):
            Answers(**{**answers.__dict__, "parallel_env": "two words"}).check()
    finally:
        ge.qconf("-rattr", "queue", "pe_list", "NONE", test_queue, check=False)
        ge.qconf("-dp", pe, check=False)
