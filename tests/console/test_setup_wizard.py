"""The setup wizard driven with Pilot, end to end, on a fresh cell of two execution hosts;
then `qckpt setup --yes --config FILE` on the same cell (every step again: nothing breaks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from textual.widgets import DataTable, RichLog

from qckpt.backend.doctor.diagnose import diagnose
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.backend.setup.steps import Answers
from qckpt.tui.app import QckptApp
from qckpt.tui.components.dialogs import ValueScreen
from qckpt.tui.components.setup import SetupScreen
from qckpt.tui.settings import Settings
from tests.cell.jobs import wait_until

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")


@pytest.fixture(scope="module")
def cell(sandbox):
    """A fresh cell with two execution hosts, nothing set up."""
    fresh = Sandbox(cell="qckptwiz", qmaster_port=20644, execd_port=20645, user=sandbox.user)
    fresh.remove(log=lambda message: None)
    fresh.up(log=lambda message: None, hosts=2)
    yield fresh
    fresh.remove(log=lambda message: None)


def answers_for(cell: Sandbox) -> Answers:
    return Answers(
        hooks_dir=os.path.join(cell.spool, "qckpt"),
        ckpt_dir=cell.ckpt_dir,
        templates=["signal", "dmtcp-cpu"],
        queues=["all.q"],
        job_user=cell.user,
        load_threshold="np_load_avg=1.75",
    )


def log_text(screen: SetupScreen) -> str:
    shown = "".join(strip.text for strip in screen.query_one("#setup-log", RichLog).lines)
    assert "".join(screen.lines).replace(" ", "") == shown.replace(" ", "")  # all on screen
    return "\n".join(screen.lines)


@pytest.fixture(name="wait_steps")
def wait_steps_fixture(settle):
    async def wait_steps(app, pilot, screen: SetupScreen) -> None:
        for _ in range(600):
            await settle(app, pilot)
            if not screen.busy and "running" not in screen.states.values():
                return
            await pilot.pause(0.2)
        raise AssertionError("the wizard's steps kept running")

    return wait_steps


async def test_the_wizard_sets_up_a_fresh_cell_end_to_end(
    cell, screen_size, settle, shown_text, wait_steps
):
    ge = cell.ge()
    app = QckptApp(ge=ge, settings=Settings(refresh=3600), setup=answers_for(cell))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        keys = [s.key for s in screen.steps]
        assert keys == ["hooks", "ckpt_dir", "environments", "cpu", "queues", "hosts", "smoke"]
        assert "qckpt hooks install" in shown_text(app.screen.query_one("#setup-shows"))
        await pilot.press("s")  # skip the first step ...
        assert screen.states["hooks"] == "skipped"
        table = app.screen.query_one("#setup-steps", DataTable)
        table.move_cursor(row=0)
        await pilot.press("enter")  # ... and run it after all
        await wait_steps(app, pilot, screen)
        assert screen.states["hooks"] == "done"
        await pilot.press("a")  # every step not done yet
        await wait_steps(app, pilot, screen)
        log = log_text(app.screen)
        assert set(screen.states.values()) == {"done"}, log
        assert f"{cell.host}: ok" in log and f"{cell.extra_hosts(2)[0].name}: ok" in log
        assert "checkpointed, migrated and restarted on" in log
    problems = [f for f in diagnose(ge) if f.status == "fail"]
    assert problems == []


async def test_a_failed_step_says_why_and_how_to_fix_it(
    cell, tmp_path, screen_size, settle, wait_steps
):
    """ckpt_dir where the job user cannot reach it: the probe jobs cannot write there."""
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    answers = answers_for(cell)
    answers.ckpt_dir = str(hidden / "ckpt")
    app = QckptApp(ge=cell.ge(), settings=Settings(refresh=3600), setup=answers)
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        screen = app.screen
        app.screen.query_one("#setup-steps", DataTable).move_cursor(row=1)
        await pilot.press("enter")
        await wait_steps(app, pilot, screen)
        assert screen.states["ckpt_dir"] == "failed"
        log = log_text(app.screen)
        assert "FAILED:" in log and "cannot use" in log
        assert f"fix: mount {answers.ckpt_dir} on every execution host" in log


async def test_answers_are_checked_as_they_are_changed(cell, screen_size, settle):
    app = QckptApp(ge=cell.ge(), settings=Settings(refresh=3600), setup=answers_for(cell))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("e")
        assert isinstance(app.screen, ValueScreen)
        assert app.screen.check("templates=dmtcp nonsense").startswith("templates: one or more")
        assert app.screen.check("job_user=root").startswith("job_user: an ordinary user")
        assert app.screen.check("queues=all.q") is None
        app.screen.dismiss("templates=signal")
        await settle(app, pilot)
        assert [s.key for s in screen.steps][-1] == "smoke" and "cpu" not in screen.states
        await pilot.press("t")
        assert "smoke" not in [s.key for s in screen.steps]
        await pilot.press("escape")
        assert not isinstance(app.screen, SetupScreen)


def test_setup_yes_with_a_config_file_runs_every_step(cell, tmp_path):
    path = tmp_path / "answers.yaml"
    answers = answers_for(cell)
    keys = ("hooks_dir", "ckpt_dir", "templates", "queues", "job_user", "load_threshold")
    path.write_text(yaml.safe_dump({k: getattr(answers, k) for k in keys}))
    env = {"PATH": "/usr/bin:/bin", **cell.env()}
    done = subprocess.run(
        [QCKPT, "setup", "--yes", "--config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("   done: ") == 7
    assert "checkpointed, migrated and restarted on" in done.stdout
    path.write_text("templates: [dmtcp, tea]\n")
    bad = subprocess.run(
        [QCKPT, "setup", "--yes", "--config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1 and bad.stderr.startswith("qckpt: templates: one or more of")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_cpu_values_by_the_load_sensor_reach_the_scheduler_after_an_execd_restart(cell):
    """cpu_values: sensor sets the global load_sensor; each execd, restarted, reports its own
    x86_64_level (hl:, a load value) instead of a fixed host value."""
    from qckpt.backend.setup.steps import steps

    ge = cell.ge()
    answers = answers_for(cell)
    answers.cpu_values = "sensor"
    chosen = {s.key: s for s in steps(ge, answers)}
    chosen["hooks"].run(lambda line: None)
    assert "restart sge_execd" in chosen["cpu"].run(lambda line: None)
    assert f"{answers.hooks_dir}/qckpt-loadsensor" in ge.qconf("-sconf", "global").stdout
    hosts = [cell.host, cell.extra_hosts(2)[0].name]
    for host in hosts:  # what the wizard's other mode set: gone, so only the sensor can say
        ge.qconf("-dattr", "exechost", "complex_values", "x86_64_level", host, check=False)
    cell.down(log=lambda message: None)
    cell.up(log=lambda message: None, hosts=2)

    def reported() -> dict[str, str]:  # host -> level, where it is a load value (hl:)
        found, host = {}, None
        for line in ge.run(["qhost", "-F", "x86_64_level"]).stdout.splitlines():
            if line and not line[0].isspace():
                host = line.split()[0]
            elif "hl:x86_64_level=" in line:
                found[host] = line.rsplit("=", 1)[1]
        return found

    levels = wait_until(lambda: len(reported()) == 2 and reported(), 90, "load sensor values")
    assert set(levels) == set(hosts)


def test_doctor_hosts_asks_every_execution_host(cell):
    """On the set-up cell: each host, by its own probe job, reaches ckpt_dir and runs the
    current hooks; a ckpt_dir the job user cannot write fails on every host."""
    env = {"PATH": "/usr/bin:/bin", **cell.env()}
    argv = [QCKPT, "doctor", "--hosts", "--user", cell.user, "--json"]

    def host_findings() -> list[dict]:
        out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
        return [f for f in json.loads(out.stdout) if f["check"] == "host"]

    hosts = {cell.host, cell.extra_hosts(2)[0].name}
    found = host_findings()
    assert {f["subject"].split()[0] for f in found} == hosts
    assert {f["status"] for f in found} == {"pass"}, found
    os.chmod(cell.ckpt_dir, 0o700)
    try:
        assert {f["status"] for f in host_findings()} == {"fail"}
    finally:
        os.chmod(cell.ckpt_dir, 0o1777)
    bad = subprocess.run(
        [QCKPT, "doctor", "--hosts", "--user", "root"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1 and bad.stderr.startswith("qckpt: --user: an ordinary user")
