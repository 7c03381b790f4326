"""qckpt doctor on the real cell: each condition it names, broken on purpose, is found with
its fix; put right, it passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qckpt.backend.doctor.diagnose import diagnose
from qckpt.backend.doctor.findings import Finding
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.setup.cpu_complexes import ensure_complexes, set_host_values
from qckpt.backend.setup.hooks_install import install
from qckpt.backend.setup.templates import from_template
from qckpt.hooks import cpu, engine_dmtcp
from tests.cell.jobs import parallel_environment, submit, wait_until

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")


def about(ge, subject: str, check: str | None = None) -> list[Finding]:
    return [f for f in diagnose(ge) if subject in f.subject and (check is None or f.check == check)]


def status(ge, subject: str, check: str) -> str:
    found = about(ge, subject, check)
    assert found, f"no {check} finding about {subject}"
    return max((f.status for f in found), key=["pass", "warn", "fail"].index)


@pytest.fixture
def hooks(sandbox, tmp_path) -> str:
    folder = str(tmp_path / "hooks")
    install(folder)
    os.chmod(tmp_path, 0o755)
    return folder


@pytest.fixture
def ckpt(tmp_path) -> str:
    path = tmp_path / "ckpt"
    path.mkdir()
    path.chmod(0o1777)
    return str(path)


def test_hooks_missing_or_stale_are_found(sandbox, envs, name_for, hooks, ckpt):
    ge = sandbox.ge()
    gone = envs.add(from_template(name_for("dh"), "signal", "/nonexistent/qckpt", ckpt))
    assert status(ge, gone.name, "hooks") == "fail"
    assert "qckpt hooks install /nonexistent/qckpt" in about(ge, gone.name, "hooks")[0].fix
    env = envs.add(from_template(name_for("dh"), "signal", hooks, ckpt))
    assert status(ge, env.name, "hooks") == "pass"
    with open(os.path.join(hooks, "qckpt-hook"), "ab") as handle:
        handle.write(b"\n")  # an older or changed build
    assert status(ge, env.name, "hooks") == "warn"


def test_ckpt_dir_missing_or_not_1777(sandbox, envs, name_for, hooks, ckpt, tmp_path):
    ge = sandbox.ge()
    missing = str(tmp_path / "nowhere")
    envs.add(from_template(name_for("dc"), "signal", hooks, missing))
    assert status(ge, missing, "ckpt_dir") == "fail"
    envs.add(from_template(name_for("dc"), "signal", hooks, ckpt))
    assert status(ge, ckpt, "ckpt_dir") == "pass"
    os.chmod(ckpt, 0o755)
    finding = about(ge, ckpt, "ckpt_dir")[0]
    assert finding.status == "fail" and finding.fix == f"chmod 1777 {ckpt}"


def test_queue_with_an_environment_but_no_starter_and_the_reverse(
    sandbox, envs, queues, name_for, hooks, ckpt, test_queue
):
    ge = sandbox.ge()
    env = envs.add(from_template(name_for("ds"), "signal", hooks, ckpt))
    queues.attach(env.name, Target(test_queue))
    assert status(ge, test_queue, "starter") == "fail"
    queues.set(Target(test_queue), {"starter_method": f"{hooks}/qckpt-starter"})
    assert status(ge, test_queue, "starter") == "pass"
    queues.detach(env.name, Target(test_queue))
    assert status(ge, test_queue, "starter") == "warn"


def test_when_letters_that_cannot_trigger(sandbox, envs, queues, name_for, hooks, ckpt, test_queue):
    ge = sandbox.ge()
    env = envs.add(from_template(name_for("dw"), "signal", hooks, ckpt, when="xm"))
    assert "no queue offers it" in about(ge, env.name, "when")[0].message
    queues.attach(env.name, Target(test_queue), starter=f"{hooks}/qckpt-starter")
    queues.set(Target(test_queue), {"min_cpu_interval": "00:00:00"})
    messages = [f.message for f in about(ge, env.name, "when")]
    assert any("m (periodic) never triggers" in m for m in messages)
    queues.set(Target(test_queue), {"min_cpu_interval": "00:10:00"})
    envs.edit(env.name, migr_command="NONE")
    messages = [f.message for f in about(ge, env.name, "when")]
    assert messages == ["x (migrate on suspend) without a migr_command"]
    envs.edit(env.name, when="m")
    assert status(ge, env.name, "when") == "pass"


def test_cpu_complexes_defined_otherwise_or_a_host_without_values(sandbox):
    ge = sandbox.ge()
    ensure_complexes(ge)
    second = sandbox.extra_hosts(2)[0].name
    text = ge.qconf("-sc").stdout
    older = "\n".join(
        ln.replace("<=", ">=") if ln.startswith("x86_64_level ") else ln for ln in text.splitlines()
    )
    try:
        ge.qconf_file("-Mc", older + "\n")
        assert status(ge, "x86_64_level", "complexes") == "fail"
        ensure_complexes(ge)
        ge.qconf("-dattr", "exechost", "complex_values", "x86_64_level", second)
        finding = about(ge, second, "complexes")[0]
        assert finding.status == "warn" and "no x86_64_level value" in finding.message
    finally:
        set_host_values(ge, second, cpu.read_flags())
    assert not [f for f in about(ge, second, "complexes") if f.status != "pass"]


def test_same_cpu_hosts_must_be_submit_or_admin_hosts(sandbox, envs, queues, name_for, hooks, ckpt):
    ge = sandbox.ge()
    second = sandbox.extra_hosts(2)[0].name
    env = envs.add(from_template(name_for("dp"), "dmtcp-cpu", hooks, ckpt))
    queue = f"q{env.name}"
    QueueStore(ge).create(queue, f"{sandbox.host} {second}")
    try:
        queues.attach(env.name, Target(queue), starter=f"{hooks}/qckpt-starter")
        assert status(ge, env.name, "same-cpu") == "pass"
        ge.qconf("-ds", second)
        ge.qconf("-dh", second)
        finding = about(ge, env.name, "same-cpu")[0]
        assert finding.status == "fail" and second in finding.message
        assert finding.fix == f"qconf -as {second}"
    finally:
        ge.qconf("-as", second, check=False)
        ge.qconf("-ah", second, check=False)
        queues.detach(env.name, Target(queue))
        ge.qconf("-dq", queue, check=False)


def test_a_queue_in_error_state_fails_with_grid_engines_reason(sandbox, test_queue, run_cli):
    ge = sandbox.ge()
    ge.qconf("-mattr", "queue", "starter_method", "/nonexistent/qckpt-starter", test_queue)
    job = submit(ge, sandbox, "-q", test_queue, "-b", "y", "-o", "/dev/null", "/bin/true")
    try:
        name = f"{test_queue}@{sandbox.host}"
        wait_until(lambda: about(ge, name, "queue-state"), 60, "the E state")
        result = run_cli("doctor", "--json", "--problems")
        assert result.returncode == 1  # a failure: exit 1
        found = [f for f in json.loads(result.stdout) if f["subject"] == name]
        assert found[0]["fix"].endswith(f"qckpt queue clear {name}")
        text = run_cli("doctor").stdout
        assert f"fix queue-state {name}:" in text and "failures" in text.splitlines()[-1]
    finally:
        ge.run(["qdel", job], check=False)
        ge.qconf("-mattr", "queue", "starter_method", "NONE", test_queue)
        ge.run(["qmod", "-c", f"{test_queue}@{sandbox.host}"], check=False)


@pytest.fixture
def run_cli(sandbox):
    def run(*args: str) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", **sandbox.env()}
        return subprocess.run([QCKPT, *args], capture_output=True, text=True, env=env, timeout=60)

    return run


def test_an_unreachable_qmaster_is_one_failure(sandbox):
    from qckpt.backend.gridengine.runner import GridEngine

    ge = GridEngine(env={**sandbox.env(), "SGE_QMASTER_PORT": "1"}, timeout=10)  # no one there
    findings = diagnose(ge)
    assert [f.check for f in findings] == ["qmaster"] and findings[0].status == "fail"


def test_dmtcp_is_looked_for_where_the_hooks_will_look(
    sandbox, envs, name_for, hooks, ckpt, monkeypatch
):
    ge = sandbox.ge()
    env = envs.add(from_template(name_for("dd"), "dmtcp", hooks, ckpt))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(engine_dmtcp, "SEARCH", (str(hooks),))  # nowhere with DMTCP in it
    finding = about(ge, env.name, "dmtcp")[0]
    assert finding.status == "fail" and "every execution host" in finding.fix


def test_time_limits_an_environment_cannot_work_with_are_found(
    sandbox, envs, queues, name_for, hooks, ckpt, test_queue
):
    ge = sandbox.ge()
    wide = envs.add(from_template(name_for("dt"), "signal", hooks, ckpt, margin=20))
    queues.attach(wide.name, Target(test_queue), starter=f"{hooks}/qckpt-starter")
    assert not about(ge, wide.name, "runs")  # no h_rt, no s_rt: nothing to check
    ge.run(["qconf", "-mattr", "queue", "h_rt", "0:0:30", test_queue])
    finding = about(ge, f"{wide.name} on {test_queue}", "runs")[0]
    assert (
        finding.status == "fail" and "leaves runs of 10 s under an h_rt of 30 s" in finding.message
    )
    ge.run(["qconf", "-mattr", "queue", "h_rt", "1:0:0", test_queue])
    ge.run(["qconf", "-mattr", "queue", "s_rt", "2:0:0", test_queue])
    assert status(ge, wide.name, "runs") == "warn"
    assert "s_rt (7200 s) is not before h_rt (3600 s)" in about(ge, wide.name, "runs")[0].message
    ge.run(["qconf", "-mattr", "queue", "s_rt", "0:50:0", test_queue])
    assert status(ge, wide.name, "runs") == "pass"
    assert "at s_rt (3000 s)" in about(ge, wide.name, "runs")[0].message


def test_a_parallel_environment_that_stops_checkpoints_is_found(
    sandbox, envs, queues, name_for, hooks, ckpt, test_queue
):
    ge = sandbox.ge()
    env = envs.add(from_template(name_for("dp"), "dmtcp", hooks, ckpt))
    queues.attach(env.name, Target(test_queue), starter=f"{hooks}/qckpt-starter")
    pe = name_for("pe")
    with parallel_environment(ge, pe, test_queue, control_slaves="FALSE"):
        messages = [f.message for f in about(ge, pe, "parallel")]
        assert any(m.startswith("control_slaves FALSE") for m in messages), messages
        assert any("allocation_rule 1: a run on several hosts is refused" in m for m in messages)
        ge.qconf("-mattr", "pe", "control_slaves", "TRUE", pe)
        ge.qconf("-mattr", "pe", "allocation_rule", "$pe_slots", pe)
        assert status(ge, pe, "parallel") == "pass"
