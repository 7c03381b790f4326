"""qckpt export / apply on fresh cells: a cell set up through qckpt, exported, and applied to
a second fresh cell reproduces it; a dry run changes nothing; a second apply changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.backend.setup.cpu_complexes import ensure_complexes, set_host_values
from qckpt.backend.setup.export import export, plan
from qckpt.backend.setup.templates import from_template
from qckpt.hooks import cpu
from qckpt.tui.cli.export import dump
from tests.bad_inputs import valid_env

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")
HOOKS, CKPT = "/shared/qckpt", "/shared/ckpt"


@pytest.fixture(scope="module")
def cells(sandbox):
    """Two fresh private cells of one host each (made for this module, removed after)."""
    made = []
    for name, port in (("qckptcfa", 20444), ("qckptcfb", 20544)):
        cell = Sandbox(cell=name, qmaster_port=port, execd_port=port + 1, user=sandbox.user)
        cell.remove(log=lambda message: None)
        cell.up(log=lambda message: None)
        made.append(cell)
    yield made
    for cell in made:
        cell.remove(log=lambda message: None)


def qckpt(cell: Sandbox, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", **cell.env()}
    return subprocess.run([QCKPT, *args], capture_output=True, text=True, env=env, timeout=120)


def set_up_through_qckpt(cell: Sandbox) -> None:
    """What an administrator would do: environments, a queue offering them with the starter,
    an override for one host, the CPU complexes and this host's values."""
    ge = cell.ge()
    envs, queues = EnvStore(ge), QueueStore(ge)
    envs.add(from_template("dmtcp-cpu", "dmtcp-cpu", HOOKS, CKPT))
    envs.add(from_template("app", "signal", HOOKS, CKPT, when="xsmr", keep=3))
    queues.create("long.q", cell.host)
    starter = f"{HOOKS}/qckpt-starter"
    queues.attach("dmtcp-cpu", Target("long.q"), starter=starter)
    queues.attach("app", Target("long.q", cell.host))
    queues.set(Target("long.q"), {"min_cpu_interval": "01:00:00"})
    queues.set(Target("long.q", cell.host), {"suspend_thresholds": "np_load_avg=1.75"})
    ensure_complexes(ge)
    set_host_values(ge, cell.host, cpu.read_flags())


def test_export_applied_to_a_fresh_cell_reproduces_it(cells, tmp_path):
    first, second = cells
    set_up_through_qckpt(first)
    wanted = export(first.ge())
    assert {e["name"] for e in wanted["environments"]} == {"dmtcp-cpu", "app"}
    path = tmp_path / "cell.yaml"
    path.write_text(dump(wanted))

    before = export(second.ge())
    dry = qckpt(second, "apply", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "environment app:" in dry.stdout and "(dry run:" in dry.stdout
    assert "~ suspend_thresholds@" in dry.stdout and "+ hostlist:" in dry.stdout
    assert export(second.ge()) == before  # a dry run changes nothing

    done = qckpt(second, "apply", str(path))
    assert done.returncode == 0, done.stderr
    assert export(second.ge()) == wanted
    assert plan(second.ge(), wanted) == []
    again = qckpt(second, "apply", str(path))
    assert again.stdout.startswith("nothing to change")


def test_a_bad_file_names_the_field_and_changes_nothing(cells, tmp_path):
    cell = cells[1]
    before = export(cell.ge())
    path = tmp_path / "bad.yaml"
    fields = {k: v for k, v in valid_env("x").as_dict().items() if k != "ckpt_name"}
    bad_when = yaml.safe_dump({"environments": [{"name": "x", **fields, "when": "q"}]})
    for text, message in (
        (bad_when, "x.when: "),
        ("queues: [{name: all.q, min_cpu_interval: soon}]", "all.q.min_cpu_interval"),
        ("queues: [{name: all.q, ckpt_list: nosuchenv}]", "all.q.ckpt_list: no environment"),
        ("host_values: {vm: {mem_free: 1G}}", "host_values.vm: cpuflag_* and x86_64_level only"),
        ("colour: blue", "colour: not a key of a qckpt set-up file"),
        ("[1, 2]", "file: a mapping"),
        ("a: [", "is not YAML"),
    ):
        path.write_text(text)
        result = qckpt(cell, "apply", str(path))
        assert result.returncode == 1 and message in result.stderr, (text, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert export(cell.ge()) == before
