"""pe_task: a parallel job's hosts, its signal-engine verbs, the task records a master
trusts, and an agent answering only the token it wrote."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from qckpt.hooks import engine_dmtcp, jobinfo, layout, pe_task
from qckpt.hooks.errors import EngineError


def test_hosts_of_lists_each_host_of_the_pe_hostfile_once_the_masters_first(tmp_path):
    hostfile = tmp_path / "pe_hostfile"
    hostfile.write_text("vm 1 all.q@vm UNDEFINED\nh2 2 all.q@h2 UNDEFINED\nvm 1 q2@vm UNDEFINED\n")
    assert jobinfo.pe_hosts({"pe_hostfile": str(hostfile)}) == ["vm", "h2"]
    assert jobinfo.pe_hosts({"pe_hostfile": str(tmp_path / "gone")}) == []
    assert jobinfo.pe_hosts({}) == []


def test_verb_signals_are_the_signal_engine_commands_own():
    config = {
        "ckpt_command": "/h/qckpt-hook checkpoint --engine signal --signal TERM $job_id",
        "ckpt_migr_command": "/h/qckpt-hook migrate --engine signal $job_id",
    }
    assert pe_task.verb_signals(config) == {"checkpoint": signal.SIGTERM, "migrate": signal.SIGUSR2}
    dmtcp = {"ckpt_command": "/h/qckpt-hook checkpoint --engine dmtcp $job_id"}
    assert pe_task.verb_signals(dmtcp) == {}


@pytest.mark.parametrize("task_id", ["../1.h", ".1.h", "1/h", ""])
def test_a_task_id_that_is_not_a_plain_name_is_refused(tmp_path, task_id):
    with pytest.raises(EngineError, match="pe_task_id"):
        pe_task.record_path(str(tmp_path), task_id)


def test_records_are_only_well_formed_regular_files_of_ours(tmp_path):
    folder = tmp_path / pe_task.TASKS
    folder.mkdir(mode=0o700)
    good = {"host": "h2", "port": 4000, "token": "t" * 32}
    (folder / "1.h2.json").write_text(json.dumps(good))
    (folder / "1.h3.json").write_text("{not json")
    (folder / "1.h4.json").write_text(json.dumps(dict(good, port="4000")))
    (folder / "1.h5.json").symlink_to(folder / "1.h2.json")
    if os.geteuid() == 0:
        (folder / "1.h6.json").write_text(json.dumps(good))
        os.chown(folder / "1.h6.json", 4321, 4321)  # another user's file
    assert pe_task.records(str(tmp_path)) == [dict(good, task="1.h2")]


def test_records_in_a_folder_others_may_write_are_not_read(tmp_path):
    folder = tmp_path / pe_task.TASKS
    folder.mkdir()
    folder.chmod(0o777)
    (folder / "1.h2.json").write_text(json.dumps({"host": "h2", "port": 1, "token": "t"}))
    assert pe_task.records(str(tmp_path)) == []


def test_a_run_on_several_hosts_is_refused_under_dmtcp_with_the_hosts_named():
    engine_dmtcp.refuse_hosts([])
    engine_dmtcp.refuse_hosts(["vm"])
    with pytest.raises(EngineError, match=r"2 hosts \(vm h2\).*across hosts"):
        engine_dmtcp.refuse_hosts(["vm", "h2"])


AGENT = """
import signal, sys
from qckpt.hooks import pe_task
task = ["/bin/sh", "-c", "trap 'echo saved >> {out}' USR1; while :; do sleep 0.05; done"]
verbs = {{"checkpoint": signal.SIGUSR1}}
sys.exit(pe_task.serve({task_dir!r}, "1.h2", verbs, (task[0], task, {{}})))
"""


@pytest.fixture
def agent(tmp_path):
    """A real agent (pe_task.serve) over a shell task that saves on USR1, in its own session."""
    out = tmp_path / "saved"
    code = AGENT.format(out=out, task_dir=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    path = tmp_path / pe_task.TASKS / "1.h2.json"
    for _ in range(100):
        if path.exists():
            break
        time.sleep(0.05)
    record = dict(json.loads(path.read_text()), host="127.0.0.1")
    time.sleep(0.2)  # the shell has set its trap
    yield record, out, path
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_the_agent_signals_its_task_for_the_master_and_for_nobody_else(agent):
    record, out, path = agent
    assert stat_mode(path) == 0o600
    answer = pe_task.ask(record, "checkpoint")
    assert answer["signalled"] and "error" not in answer
    wait_for(lambda: out.exists() and out.read_text() == "saved\n")
    assert "expected one of checkpoint" in pe_task.ask(record, "migrate")["error"]
    forged = pe_task.ask(dict(record, token="0" * 32), "checkpoint")
    assert "signalled" not in forged and "no answer" in forged["error"]
    time.sleep(0.3)
    assert out.read_text() == "saved\n"  # the forged request signalled nothing


def test_a_task_that_ended_is_left_out_and_its_record_removed(tmp_path):
    folder = tmp_path / pe_task.TASKS
    folder.mkdir(mode=0o700)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again: nobody listens there
    record = {"host": "127.0.0.1", "port": port, "token": "t" * 32}
    layout.write_json_atomic(str(folder / "1.h2.json"), record, 0o600)
    assert pe_task.signal_tasks(str(tmp_path), "checkpoint") == []
    assert not (folder / "1.h2.json").exists()


def stat_mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def wait_for(check, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
