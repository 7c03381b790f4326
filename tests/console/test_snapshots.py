"""Snapshots of the console's screens on a real cell; they double as screenshots/.

They run on a private cell of their own (the sandbox's second cell), holding only the
objects made here, so the screens are the same on every machine and run.
Regenerate after a deliberate change: bash dev/screenshots.sh
"""

from __future__ import annotations

import calendar
import json
import os
from types import SimpleNamespace

import pytest

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.jobs import listing as jobs_module
from qckpt.backend.jobs import storage as storage_module
from qckpt.backend.sandbox.cell import Sandbox
from qckpt.backend.setup.hooks_install import install
from qckpt.backend.setup.steps import Answers
from qckpt.backend.setup.templates import from_template
from qckpt.hooks import layout
from qckpt.tui.app import QckptApp
from qckpt.tui.settings import Settings
from tests.cell.jobs import share_programs, submit, wait_until

pytestmark = pytest.mark.cell
NOW = calendar.timegm((2026, 11, 22, 8, 0, 0))  # the screens' "now"
BIG, SMALL = (140, 40), (80, 24)


@pytest.fixture(scope="module")
def sandbox(sandbox):
    """A second private cell, only for these screens, made afresh (job numbers from 1)."""
    cell = Sandbox(cell="qckptsnap", qmaster_port=18444, execd_port=18445, user=sandbox.user)
    cell.remove(log=lambda message: None)
    cell.up(log=lambda message: None)
    yield cell
    cell.remove(log=lambda message: None)


@pytest.fixture(scope="module")
def objects(sandbox):
    ge = sandbox.ge()
    for name in EnvStore(ge).names():  # nothing but what these screens show
        if name not in ("snap-dmtcp", "snap-signal"):
            ge.qconf("-dckpt", name, check=False)
    envs, queues = EnvStore(ge), QueueStore(ge)
    hooks, ckpt = sandbox.hooks_dir, sandbox.ckpt_dir
    install(hooks)
    os.makedirs(ckpt, exist_ok=True)
    os.chmod(ckpt, 0o1777)
    for name in ("snap-dmtcp", "snap-signal"):
        ge.qconf("-dckpt", name, check=False)
    ge.qconf("-dq", "snapq", check=False)
    envs.add(from_template("snap-dmtcp", "dmtcp", hooks, ckpt))
    envs.add(from_template("snap-signal", "signal", hooks, ckpt, when="xsmr"))
    sandbox.add_queue("snapq")
    queues.attach("snap-dmtcp", Target("snapq"), starter=f"{hooks}/qckpt-starter")
    queues.attach("snap-signal", Target("snapq", sandbox.host))
    queues.set(Target("snapq"), {"min_cpu_interval": "01:00:00"})
    yield
    ge.qconf("-dq", "snapq", check=False)
    for name in ("snap-dmtcp", "snap-signal"):
        ge.qconf("-dckpt", name, check=False)


def make_app(sandbox) -> QckptApp:
    return QckptApp(ge=sandbox.ge(), settings=Settings(refresh=3600), hooks_dir=sandbox.hooks_dir)


def stage_task(
    task_dir: str,
    gens: list[tuple[str, int]],
    restarts: int,
    error: str = "",
    earlier_run: bool = False,
) -> None:
    """What the hooks leave after checkpoints (fixed times and sizes, so screens repeat):
    generation directories, the manifest, hook.log; owned by the job's user. earlier_run:
    the job ran a day before, up to its h_rt of 24 h, and runs for the second time."""
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    owner = os.stat(task_dir).st_uid
    summaries, log, taken = [], [], []
    started = "2026-11-22T06:12:08Z"
    before = 85500.0 if earlier_run else 0.0  # run time of the runs before this one
    for number, (stamp, megabytes) in enumerate(gens, start=len(gens) + 1):
        gen = os.path.join(task_dir, layout.gen_name(number))
        os.makedirs(gen)
        with open(os.path.join(gen, "state.json"), "wb") as handle:
            handle.write(b"\0" * (megabytes << 20))
        meta = {
            "gen": number,
            "time": stamp,
            "host": manifest["host"],
            "size": megabytes << 20,
            "engine": "signal",
            "seconds": 0.4,
            "trigger": "checkpoint",
            "stopped": 0.3,
            "run_seconds": before + layout.epoch(stamp) - layout.epoch(started),
        }
        layout.write_json_atomic(os.path.join(gen, layout.META), meta)
        summaries.append(meta)
        taken.append({k: meta[k] for k in ("gen", "time", "size", "stopped", "run_seconds")})
        log.append(
            f"{stamp} {manifest['host']} pid=4242 checkpoint: event checkpoint gen={number}"
            f" size={megabytes << 20} secs=0.4 stopped=0.3 pruned=1"
        )
    restart = {"time": started, "host": manifest["host"], "gen": "gen-000001"}
    if earlier_run:  # restarted at its run's limit, from the checkpoint just before it
        restart.update(saved=85500.0, lost=0.0, lost_from="run end")
    else:  # its host failed unseen, half an hour in
        restart.update(saved=1800.0, lost=240.0, lost_from="last record")
    manifest.update(
        started=started,
        pid=4242,
        generations=summaries,
        last_error=None,
        restarts=[restart] * restarts,
        runs=[{"run": 1, "host": manifest["host"], "started": started}],
        taken=taken,
        cost={"checkpoints": taken[-1]["gen"], "stopped": round(0.3 * taken[-1]["gen"], 1)},
    )
    if earlier_run:
        day = {"host": manifest["host"], "h_rt": 86400.0, "margin": 900.0, "limit": 85500.0}
        manifest["runs"] = [
            dict(day, run=1, started="2026-11-21T06:10:00Z", ended="2026-11-22T05:55:00Z",
                 seconds=85500.0, end="limit"),
            dict(day, run=2, started=started, checkpoint_at="2026-11-23T05:57:08Z"),
        ]  # fmt: skip
    if error:
        manifest["last_error"] = {"time": gens[-1][0], "message": error}
        log.append(f"{gens[-1][0]} {manifest['host']} pid=4243 checkpoint: ERROR {error}")
    layout.write_json_atomic(os.path.join(task_dir, layout.MANIFEST), manifest)
    with open(os.path.join(task_dir, layout.HOOK_LOG), "w") as handle:
        handle.write("".join(line + "\n" for line in log))
    for root, dirs, files in os.walk(task_dir):
        for name in dirs + files:
            os.chown(os.path.join(root, name), owner, owner)


@pytest.fixture(scope="module")
def jobs(objects, sandbox):
    """Two running jobs with checkpoints, one held; the directory of a job long gone."""
    ge = sandbox.ge()
    counter = os.path.join(share_programs(sandbox), "counter.py")
    common = ("-q", "snapq", "-b", "y", "-o", "/dev/null", "-j", "y")
    sim = submit(
        ge, sandbox, *common, "-ckpt", "snap-signal", "-N", "snap-sim", counter, "1000000000", "1"
    )
    fit = submit(
        ge, sandbox, *common, "-ckpt", "snap-signal", "-N", "snap-fit", counter, "1000000000", "1"
    )
    submit(ge, sandbox, *common, "-h", "-ckpt", "snap-dmtcp", "-N", "snap-later", "/bin/true")
    ckpt = sandbox.ckpt_dir
    for job in (sim, fit):
        manifest = os.path.join(ckpt, f"{job}.1", layout.MANIFEST)
        wait_until(lambda m=manifest: (layout.read_json(m) or {}).get("pid"), 60, "the start")
    stage_task(
        os.path.join(ckpt, f"{sim}.1"),
        [("2026-11-22T07:41:10Z", 6), ("2026-11-22T07:56:10Z", 7)],
        1,
        earlier_run=True,
    )
    stage_task(
        os.path.join(ckpt, f"{fit}.1"),
        [("2026-11-22T07:12:00Z", 3)],
        0,
        error="the program wrote nothing to $QCKPT_DIR within 600 s",
    )
    gone = os.path.join(ckpt, "17.1", "gen-000002")
    os.makedirs(gone)
    with open(os.path.join(gone, "state.json"), "wb") as handle:
        handle.write(b"\0" * (12 << 20))
    events_file = os.path.join(ckpt, layout.events_name(sandbox.user))
    at = f"host={sandbox.host} user={sandbox.user}"
    with open(events_file, "w") as handle:  # the real start events carry real times
        for line in (
            f"2026-11-22T07:12:00Z job={fit}.1 {at} event=checkpoint gen=3 size=3145728 secs=0.4",
            f"2026-11-22T07:22:00Z job={fit}.1 {at} event=error verb=checkpoint"
            " message=the_program_wrote_nothing_to_$QCKPT_DIR_within_600_s",
            f"2026-11-22T07:41:10Z job={sim}.1 {at} event=checkpoint gen=3 size=6291456 secs=0.4",
            f"2026-11-22T07:56:10Z job={sim}.1 {at} event=checkpoint gen=4 size=7340032 secs=0.4"
            " pruned=1",
        ):
            handle.write(line + "\n")
    owner = os.stat(os.path.join(ckpt, f"{sim}.1")).st_uid
    os.chown(events_file, owner, owner)  # an events file counts for the user who owns it
    yield
    ge.run(["qdel", "-f", "-u", "*"], check=False)


@pytest.fixture(name="showing")
def showing_fixture(settle):
    def showing(view: str, *keys: str, filtered: str = "snap"):
        async def run_before(pilot) -> None:
            app = pilot.app
            await settle(app, pilot)
            if view != "environments":
                await app.switch_view(view)
                await settle(app, pilot)
            app.current_view().query_one(".filter").value = filtered
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            await settle(app, pilot)

        return run_before

    return showing


def test_environments(objects, sandbox, snap_compare, showing):
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=showing("environments"))


def test_environments_80x24(objects, sandbox, snap_compare, showing):
    assert snap_compare(make_app(sandbox), terminal_size=SMALL, run_before=showing("environments"))


def test_queues(objects, sandbox, snap_compare, showing):
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=showing("queues"))


def test_queues_80x24(objects, sandbox, snap_compare, showing):
    assert snap_compare(make_app(sandbox), terminal_size=SMALL, run_before=showing("queues"))


def test_env_form(objects, sandbox, snap_compare, showing):
    assert snap_compare(
        make_app(sandbox), terminal_size=BIG, run_before=showing("environments", "e")
    )


def test_help(objects, sandbox, snap_compare, showing):
    before = showing("environments", "question_mark")
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=before)


@pytest.fixture
def fixed_now(monkeypatch, tmp_path):
    """The screens' clock, file system figures and usage history are fixed."""
    monkeypatch.setattr(jobs_module, "clock", lambda: NOW)
    disk = SimpleNamespace(total=250 << 30, used=170 << 30, free=80 << 30, percent=68.0)
    monkeypatch.setattr(storage_module.psutil, "disk_usage", lambda path: disk)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    history = tmp_path / "qckpt" / "usage.jsonl"
    history.parent.mkdir()
    with open(history, "w") as handle:
        for minute, megabytes in enumerate((2, 3, 3, 6, 9, 10, 13, 16, 20, 22, 24)):
            sample = {"dir": "", "time": NOW - 3600 + 60 * minute, "used": megabytes << 20}
            handle.write(json.dumps(sample) + "\n")
    return history


def test_jobs(jobs, fixed_now, sandbox, snap_compare, showing):
    fixed_now.write_text(fixed_now.read_text().replace('"dir": ""', f'"dir": "{sandbox.ckpt_dir}"'))
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=showing("jobs"))


def test_storage(jobs, fixed_now, sandbox, snap_compare, showing):
    fixed_now.write_text(fixed_now.read_text().replace('"dir": ""', f'"dir": "{sandbox.ckpt_dir}"'))
    before = showing("storage", filtered="")
    assert snap_compare(make_app(sandbox), terminal_size=BIG, run_before=before)


def test_setup(objects, sandbox, snap_compare, settle):
    """The wizard before it runs: the answers, the steps, what the selected one will do."""
    answers = Answers(
        hooks_dir=sandbox.hooks_dir,
        ckpt_dir=sandbox.ckpt_dir,
        templates=["dmtcp-cpu", "signal"],
        queues=["snapq"],
        job_user=sandbox.user,
        load_threshold="np_load_avg=1.75",
    )
    app = QckptApp(ge=sandbox.ge(), settings=Settings(refresh=3600), setup=answers)

    async def run_before(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("down")  # the ckpt_dir step: its probe jobs
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run_before)
