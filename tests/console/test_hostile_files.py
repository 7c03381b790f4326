"""Root's console and command line reading what job owners left in ckpt_dir: hostile
manifests, FIFOs and links as logs, markup and escape sequences in every field.

Each job owner writes their own task directory, so each of these is what any user can do
to the administrator's console with their own held jobs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.setup.templates import from_template
from qckpt.hooks import layout
from qckpt.tui.app import QckptApp
from qckpt.tui.settings import Settings
from tests.cell.jobs import submit

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")
RUNUSER = "/usr/sbin/runuser"
HOSTILE = "[/] [bold red]boom\x1b]0;pwned\x07\x1b[2J\nFORGED ROW 1 2 3\u202e"
NESTED = "[" * 100_000 + "]" * 100_000


def as_owner(sandbox, script: str, stdin: str | None = None) -> None:
    subprocess.run(
        [RUNUSER, "-u", sandbox.user, "--", "sh", "-c", script],
        input=stdin,
        text=True,
        check=True,
    )


@pytest.fixture(scope="module")
def hostile(sandbox):
    """Four held jobs of the job user, each with a task directory it made hostile."""
    ge = sandbox.ge()
    name = "hostile-env"
    ge.qconf("-dckpt", name, check=False)
    os.makedirs(sandbox.ckpt_dir, exist_ok=True)
    os.chmod(sandbox.ckpt_dir, 0o1777)
    EnvStore(ge).add(from_template(name, "signal", sandbox.hooks_dir, sandbox.ckpt_dir))
    common = ("-h", "-ckpt", name, "-b", "y", "-o", "/dev/null", "-N", "hostile")
    jobs = {
        what: submit(ge, sandbox, *common, "/bin/true")
        for what in ("markup", "fifo", "schema", "nested")
    }
    ckpt = sandbox.ckpt_dir
    try:
        stage(sandbox, ckpt, jobs)
        yield jobs
    finally:
        ge.run(["qdel", *jobs.values()], check=False)
        for job in jobs.values():
            subprocess.run(["rm", "-rf", os.path.join(ckpt, f"{job}.1")], check=True)
        ge.qconf("-dckpt", name, check=False)


def stage(sandbox, ckpt: str, jobs: dict[str, str]) -> None:
    """As the jobs' owner: a manifest full of markup and escapes with hook.log a link to
    /etc/shadow; FIFOs as manifest and log; a manifest of the wrong types; one nested too
    deep; an events line full of markup."""
    markup = {
        "job": jobs["markup"],
        "state": HOSTILE,
        "host": HOSTILE,
        "last_error": {"time": "2026-11-22T07:00:00Z", "message": HOSTILE},
        "generations": [{"gen": 1, "time": "2026-11-22T07:00:00Z", "size": 5}],
        "hosts": [HOSTILE] * 2000,  # a parallel job's hosts, as its owner may write them
    }
    staged = {
        "markup": (json.dumps(markup), "ln -s /etc/shadow hook.log"),
        "fifo": (None, "mkfifo manifest.json hook.log"),
        "schema": (json.dumps({"generations": 5, "last_error": {"message": 7}}), ""),
        "nested": (NESTED, ""),
    }
    for what, (manifest, extra) in staged.items():
        folder = os.path.join(ckpt, f"{jobs[what]}.1")
        write = "cat > manifest.json && " if manifest else ""
        as_owner(
            sandbox,
            f"mkdir -m 0711 {folder} && cd {folder} && {write}{extra or ':'}",
            stdin=manifest,
        )
    events = os.path.join(ckpt, layout.events_name(sandbox.user))
    line = (
        f"2026-11-22T07:00:00Z job={jobs['markup']}.1 host=x user={sandbox.user}"
        f" event=error message={HOSTILE.replace(chr(10), '')}"
    )
    as_owner(sandbox, f"cat >> {events}", stdin=line + "\n")


def cells(table: DataTable, key: str) -> list[str]:
    return [str(cell) for cell in table.get_row(key)]


async def test_the_console_shows_every_job_plainly_whatever_its_files(
    sandbox, hostile, select_row, settle, shown_text
):
    app = QckptApp(ge=sandbox.ge(), settings=Settings(refresh=60))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await app.switch_view("jobs")
        await settle(app, pilot)
        table = app.current_view().query_one(DataTable)
        keys = [k.value for k in table.rows]
        assert all(job in keys for job in hostile.values())  # no bad file hides a job
        assert cells(table, hostile["schema"])[-1].startswith("bad manifest.json")
        error = cells(table, hostile["markup"])[-1]
        assert error.startswith("[/] [bold red]boom")  # shown as text, not markup
        assert "\x1b" not in error and "\x07" not in error and "\n" not in error
        await select_row(app, pilot, hostile["markup"])
        await settle(app, pilot)
        details = shown_text(app.query_one("#job-details", Static))
        assert "[bold red]boom" in details and "FORGED ROW" in details
        assert "(+1992 more)" in details and details.count("FORGED ROW") < 20  # hosts cut
        assert "root:" not in details  # hook.log -> /etc/shadow is not read
        await select_row(app, pilot, hostile["schema"])
        await settle(app, pilot)
        details = shown_text(app.query_one("#job-details", Static))
        assert "bad manifest.json: manifest.generations must be a list" in details
        await select_row(app, pilot, hostile["fifo"])  # a FIFO as hook.log: no hang
        await settle(app, pilot)
        assert f"{hostile['fifo']}" in shown_text(app.query_one("#job-details", Static))
        assert app.is_running


@pytest.mark.parametrize("args", [["jobs"], ["jobs", "--json"], ["storage"]])
def test_the_command_line_prints_hostile_fields_plainly_and_never_hangs(sandbox, hostile, args):
    env = {"PATH": "/usr/bin:/bin", **sandbox.env()}
    out = subprocess.run([QCKPT, *args], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    if args == ["jobs", "--json"]:
        rows = {r["job_id"]: r for r in json.loads(out.stdout)}
        assert rows[hostile["schema"]]["problem"].startswith("bad manifest.json")
        assert "\n" not in rows[hostile["markup"]]["last_error"]
    elif args == ["jobs"]:
        rows = out.stdout.splitlines()[1:]
        assert all(ln.split()[0].isdigit() for ln in rows)  # a newline forged no row
        assert any(ln.startswith(hostile["markup"]) and "[/] [bold red]boom" in ln for ln in rows)
