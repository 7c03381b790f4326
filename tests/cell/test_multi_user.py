"""Two ordinary users share ckpt_dir (1777) and one of them attacks the other, on the real
cell, as an attacker would: guess the next job id, plant names in ckpt_dir before the
victim's job starts, read what the victim's job saves, snoop on the hook from the job.

The victim is the sandbox's job user; the attacker a second ordinary user made here.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import uuid

import pytest

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.jobs import checkpoint_now
from qckpt.backend.jobs import events as cell_events
from qckpt.backend.jobs.listing import list_jobs
from qckpt.hooks import layout
from tests.cell.jobs import (
    accounting,
    checkpointing_queue,
    events_of,
    scratch,
    share_programs,
    submit,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.cell
ATTACKER = "qckptmallory"
RUNUSER = "/usr/sbin/runuser"


@pytest.fixture(scope="module")
def attacker() -> str:
    if subprocess.run(["id", ATTACKER], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/bash", "-K", "UID_MIN=1000", ATTACKER],
            check=True,
        )
    return ATTACKER


def as_user(user: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RUNUSER, "-u", user, "--", *args], capture_output=True, text=True, check=check
    )


def uid_of(user: str) -> int:
    return pwd.getpwnam(user).pw_uid


def next_job_id(ge, user: str) -> str:
    """How anyone learns the next job id: submit a held job, read its id, delete it."""
    out = ge.run(["qsub", "-h", "-b", "y", "/bin/true"], user=user, cwd="/tmp").stdout
    job = int(re.search(r"Your job (\d+)", out).group(1))
    ge.run(["qdel", str(job)], user=user)
    return str(job + 1)


@pytest.fixture
def victim_file(sandbox):
    """A private file in the victim's home, which the attacker wants to read or change."""
    home = os.path.expanduser(f"~{sandbox.user}")
    path = os.path.join(home, f"notes-{uuid.uuid4().hex[:6]}")
    as_user(sandbox.user, "sh", "-c", f"umask 077; echo secret > {path}")
    yield path
    os.unlink(path)


@pytest.fixture
def signal_queue(sandbox, name_for):
    env = name_for("mu")
    with checkpointing_queue(sandbox, env, "signal", when="xsmr") as queue:
        yield env, queue


def plant_task_dir(attacker: str, ckpt: str, name: str, how: str, victim_file: str) -> str:
    """What the attacker leaves at ckpt/name before the victim's job starts: a directory
    anyone may write (or a link to one of theirs, or a full one) holding a link where the
    hook log goes, a generation of their own state, and a state/ linked to the victim's
    home (a restore through it would write there)."""
    target = os.path.join(ckpt, name)
    folder = target if how != "symlink" else os.path.join(ckpt, f"mallory-{uuid.uuid4().hex[:6]}")
    script = f"""
        set -e
        mkdir -m 0777 {folder}
        chmod 0777 {folder}
        ln -s {victim_file} {folder}/hook.log
        mkdir -m 0777 {folder}/gen-999999
        echo '{{"gen": 999999}}' > {folder}/gen-999999/meta.json
        echo '{{"count": 999, "pad": "ATTACKER-SUPPLIED-STATE"}}' > {folder}/gen-999999/state.json
        ln -s {os.path.dirname(victim_file)} {folder}/state
    """
    if how == "symlink":
        script += f"ln -s {folder} {target}\n"
    as_user(attacker, "sh", "-c", script)
    return folder


def files_of(uid: int, folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.lstat(path).st_uid == uid:
                found.append(path)
    return found


@pytest.mark.parametrize("how", ["open directory", "symlink"])
def test_a_planted_task_directory_is_never_used_and_the_job_restarts_from_its_own_state(
    sandbox, signal_queue, attacker, victim_file, how
):
    ge = sandbox.ge()
    env, queue = signal_queue
    ckpt = sandbox.ckpt_dir
    counter = os.path.join(share_programs(sandbox), "counter.py")
    out = scratch(sandbox, f"mu-{uuid.uuid4().hex[:6]}")
    job = next_job_id(ge, attacker)
    planted = plant_task_dir(attacker, ckpt, f"{job}.1", how, victim_file)
    try:
        # a first run that is requeued (exit 99) after its periodic checkpoints
        common = ["-q", queue, "-ckpt", env, "-c", "00:00:03", "-j", "y", "-b", "y"]
        submitted = submit(
            ge,
            sandbox,
            *common,
            "-v",
            "COUNTER_REQUEUE_AT=70",
            "-o",
            f"{out}/out",
            counter,
            "110",
            "0.1",
        )
        assert submitted == job, "another job took the guessed id: the attack needs it"
        wait_until(lambda: "checkpoint" in events_of(ckpt, job), 60, "a periodic checkpoint")

        # The job runs in a directory of its own, found again by its owner.
        rows = [r for r in list_jobs(ge) if r.job_id == job]
        own = rows[0].task_dir
        assert own and os.path.basename(own).startswith(f"{job}.1-")
        assert os.lstat(own).st_uid == uid_of(sandbox.user)
        assert stat.S_IMODE(os.lstat(own).st_mode) == layout.TASK_MODE
        assert rows[0].manifest["name_taken"]["name"] == f"{job}.1"
        assert attacker in rows[0].manifest["name_taken"]["found"]
        # What the program saves is the owner's alone, whatever its umask.
        state = os.path.join(own, layout.STATE)
        assert stat.S_IMODE(os.lstat(state).st_mode) == 0o700
        assert as_user(attacker, "cat", f"{state}/state.json", check=False).returncode != 0
        assert as_user(attacker, "ls", own, check=False).returncode != 0

        wait_until(lambda: "restart" in events_of(ckpt, job), 120, "the restart")
        wait_finished(ge, sandbox, [job], timeout=120)
        with open(f"{out}/out") as handle:
            lines = handle.read().splitlines()
        restarted = [int(ln.split()[-1]) for ln in lines if ln.startswith("restarted at")]
        assert restarted and 0 < restarted[0] < 70  # its own checkpoint, never the 999
        assert lines[-1] == "done at 110"
        assert accounting(ge, job, records=2)[-1]["exit_status"] == "3"
        assert "name-taken" in events_of(ckpt, job)
        # Nothing was written through the attacker's names.
        with open(victim_file) as handle:
            assert handle.read() == "secret\n"
        assert stat.S_IMODE(os.stat(victim_file).st_mode) == 0o600
        assert files_of(uid_of(sandbox.user), planted) == []
        assert not os.path.exists(os.path.join(os.path.dirname(victim_file), "state.json"))
        assert not os.path.exists(own)  # cleaned after the job, the attacker's left alone
    finally:
        ge.run(["qdel", job], check=False)
        for path in (os.path.join(ckpt, f"{job}.1"), planted):
            if os.path.islink(path):
                os.unlink(path)
            elif os.path.isdir(path):
                shutil.rmtree(path)


def test_a_full_planted_directory_does_not_stop_the_job(sandbox, signal_queue, attacker):
    """Before: the rename of someone else's entry is refused in a sticky ckpt_dir (Eqw)."""
    ge = sandbox.ge()
    env, queue = signal_queue
    ckpt = sandbox.ckpt_dir
    counter = os.path.join(share_programs(sandbox), "counter.py")
    job = next_job_id(ge, attacker)
    planted = os.path.join(ckpt, f"{job}.1")
    as_user(attacker, "sh", "-c", f"mkdir {planted} && echo x > {planted}/junk")
    try:
        common = ["-q", queue, "-ckpt", env, "-j", "y", "-b", "y", "-o", "/dev/null"]
        assert submit(ge, sandbox, *common, counter, "10", "0.1") == job
        wait_finished(ge, sandbox, [job], timeout=90)
        assert accounting(ge, job)[-1]["exit_status"] == "3"
        assert events_of(ckpt, job)[:2] == ["name-taken", "start"]
        assert os.listdir(planted) == ["junk"]
    finally:
        ge.run(["qdel", job], check=False)
        shutil.rmtree(planted)


@pytest.mark.parametrize("how", ["symlink", "fifo", "file"])
def test_a_planted_events_file_neither_blocks_nor_redirects_nor_hides_events(
    sandbox, signal_queue, attacker, victim_file, how
):
    ge = sandbox.ge()
    env, queue = signal_queue
    ckpt = sandbox.ckpt_dir
    counter = os.path.join(share_programs(sandbox), "counter.py")
    events_file = os.path.join(ckpt, layout.events_name(sandbox.user))
    aside = None
    if os.path.lexists(events_file):  # the victim's own, from earlier tests: the attacker
        aside = events_file + ".test-aside"  # plants before the victim's first job
        os.rename(events_file, aside)
    plant = {
        "symlink": f"ln -s {victim_file} {events_file}",
        "fifo": f"mkfifo -m 0666 {events_file}",
        "file": f"touch {events_file} && chmod 0644 {events_file}",
    }[how]
    as_user(attacker, "sh", "-c", plant)
    job = next_job_id(ge, attacker)
    # the attacker forges an event of the victim's job in a file of their own
    forged = (
        f"2026-01-01T00:00:00Z job={job}.1 host={sandbox.host} user={sandbox.user}"
        " event=checkpoint gen=1"
    )
    mine = os.path.join(ckpt, layout.events_name(attacker))
    as_user(attacker, "sh", "-c", f"echo '{forged}' >> {mine}")
    try:
        common = ["-q", queue, "-ckpt", env, "-j", "y", "-b", "y", "-o", "/dev/null"]
        assert submit(ge, sandbox, *common, counter, "10", "0.1") == job
        wait_finished(ge, sandbox, [job], timeout=90)  # a FIFO once hung every starter here
        assert accounting(ge, job)[-1]["exit_status"] == "3"
        # not the forged checkpoint, which is counted as forged, never shown
        assert events_of(ckpt, job) == ["start", "clean"]
        assert cell_events.read(ckpt, f"{job}.1").forged >= 1
        with open(victim_file) as handle:
            assert handle.read() == "secret\n"
        # the victim's events file is theirs and nobody else can truncate it
        own = [p for p, owner in cell_events.events_files(ckpt) if owner == sandbox.user]
        assert own and all(os.stat(p).st_mode & 0o022 == 0 for p in own)
        assert as_user(attacker, "truncate", "-s", "0", own[0], check=False).returncode != 0
    finally:
        ge.run(["qdel", job], check=False)
        for path, _owner in cell_events.events_files(ckpt):  # the test's own files
            if os.path.basename(path).startswith(layout.events_name(sandbox.user)[:-4] + "-"):
                os.unlink(path)
        for path in (events_file, mine):
            if os.path.lexists(path):
                os.unlink(path)
        if aside:
            os.rename(aside, events_file)


def test_checkpoint_now_gives_the_hook_none_of_roots_environment(
    sandbox, signal_queue, monkeypatch
):
    ge = sandbox.ge()
    env, queue = signal_queue
    snoop = os.path.join(share_programs(sandbox), "snoop.py")
    monkeypatch.setenv("QCKPT_ROOT_SECRET", "s3cr3t-of-root")
    job = submit(
        ge, sandbox, "-q", queue, "-ckpt", env, "-j", "y", "-b", "y", "-o", "/dev/null", snoop
    )
    try:
        envs = EnvStore(ge).list()
        row = wait_until(
            lambda: next(
                (
                    r
                    for r in list_jobs(ge, envs=envs)
                    if r.job_id == job and "r" in r.state and (r.manifest or {}).get("pid")
                ),
                None,
            ),
            60,
            "the job running",
        )
        chosen = checkpoint_now.plan(ge, row, next(e for e in envs if e.name == env))
        newest = checkpoint_now.take(ge, row, chosen)
        generation = os.path.join(row.task_dir, layout.gen_name(newest["gen"]))
        with open(os.path.join(generation, "state.json")) as handle:
            seen = json.load(handle)["hook_environments"]
        assert seen, "the job saw no hook process"
        for environment in seen:
            names = {item.partition("=")[0] for item in environment if item}
            assert "QCKPT_ROOT_SECRET" not in names
            assert names <= {
                "PATH",
                "HOME",
                "USER",
                "LOGNAME",
                "SHELL",
                "SGE_ROOT",
                "SGE_CELL",
                "SGE_QMASTER_PORT",
                "SGE_EXECD_PORT",
            }
    finally:
        ge.run(["qdel", job], check=False)


def test_a_job_with_control_characters_does_not_blind_the_listing_to_other_jobs(
    sandbox, signal_queue, attacker
):
    """Before: one job whose environment held an ESC made `qstat -j LIST -xml` ill-formed
    XML, so every job in the list lost its own `when`; a byte that is not UTF-8 stopped
    the console with a UnicodeDecodeError."""
    ge = sandbox.ge()
    env, _queue = signal_queue
    # \udcff is the byte 0xff on the command line (surrogateescape)
    poison = "Y=\x1b[31m\x01\udcffred"
    held = ["-h", "-ckpt", env, "-b", "y", "-o", "/dev/null", "/bin/true"]
    victim = submit(ge, sandbox, "-c", "sx", *held)
    bad = ""
    try:
        out = ge.run(["qsub", "-v", poison, *held], user=attacker, cwd="/tmp")
        bad = re.search(r"Your job (\d+)", out.stdout).group(1)
        rows = {r.job_id: r for r in list_jobs(ge, envs=EnvStore(ge).list())}
        assert rows[victim].when == "xs"  # Grid Engine's order of the letters
        assert bad in rows and rows[bad].owner == attacker
    finally:
        ge.run(["qdel", victim, *filter(None, [bad])], check=False)
