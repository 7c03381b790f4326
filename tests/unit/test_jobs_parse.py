"""`qstat -u '*' -r` parsed (output captured from Grid Engine 8.1.9)."""

from __future__ import annotations

import calendar
import getpass
import os
from pathlib import Path

from qckpt.backend.jobs.listing import (
    JobRow,
    join_manifest,
    not_back,
    parse_job_xml,
    parse_qstat_r,
    task_dir_name,
    when_from_attr,
)
from qckpt.hooks import layout

DATA = Path(__file__).parent.parent / "data"


def test_rows_tasks_queues_and_checkpoint_objects():
    jobs = parse_qstat_r((DATA / "qstat_r.txt").read_text())
    assert [j.key for j in jobs] == ["85.1", "85.2", "85.3", "87", "3", "86"]
    running = jobs[0]
    assert (running.state, running.queue, running.env, running.owner) == (
        "r",
        "all.q@vm",
        "demo",
        "qckptjob",
    )
    held = jobs[4]
    assert (held.state, held.queue, held.name, held.env) == ("hqw", "", "demo-held", "demo")
    assert jobs[5].env == ""  # no -ckpt


def test_a_pending_array_range_has_no_task_directory_yet():
    assert task_dir_name("85", "1-3:1") is None
    assert task_dir_name("85", "2") == "85.2"
    assert task_dir_name("87", "") == "87.1"


def test_a_jobs_own_when_and_interval_come_from_qstat_j():
    found = parse_job_xml((DATA / "qstat_j.xml").read_text())
    assert found == {"115": ("xsr", 0), "116": ("xsr", 300), "117": ("", 0)}


def test_a_control_character_in_one_jobs_environment_hides_no_job():
    text = (DATA / "qstat_j.xml").read_text()
    home = "<VA_value>/home/qckptjob</VA_value>"
    assert home in text
    poisoned = text.replace(home, "<VA_value>/home/\x1b[31m\x01</VA_value>", 1)  # copied as is
    assert parse_job_xml(poisoned) == parse_job_xml(text) != {}


def test_when_bits():
    assert when_from_attr(1 | 4) == "xm"
    assert when_from_attr(8) == "n"


def test_the_same_listing_is_known_as_the_same_and_a_new_one_is_not():
    from qckpt.backend.jobs.listing import ListingCache

    text = (DATA / "qstat_r.txt").read_text()
    cache = ListingCache()
    assert cache.same(text) is False  # nothing said before
    assert cache.same(str(text)) is True
    assert cache.same(text.replace("demo-held", "other-held")) is False


def test_a_dmtcp_run_that_did_not_come_back_is_the_rows_error():
    now = calendar.timegm((2026, 12, 2, 10, 0, 0, 0, 0, 0))
    coordinator = {"host": "node7", "gen": "gen-000004", "dmtcp": "4.2.0"}

    def said(state: str, started: str = "2026-12-02T09:59:00Z") -> str | None:
        return not_back({"coordinator": dict(coordinator, state=state), "started": started}, now)

    assert said("RUNNING") is None
    assert said("STARTING") is None  # a minute: restoring is allowed to take a while
    assert said("STARTING", "2026-12-02T09:50:00Z") == (
        "the restart from gen-000004 on node7 is not running after 600 s: DMTCP has not reported it"
    )
    assert (
        said("FAILED") == "the restart from gen-000004 on node7 did not come back:"
        " DMTCP reports it FAILED"
    )
    assert not_back({}, now) is None  # the signal engine has no coordinator


def test_a_row_counts_the_checkpoints_taken_and_the_generations_kept(tmp_path):
    """Generations are numbered 1, 2, ... per task: the newest one's number is how many
    checkpoints the job has had; the environment's --keep decides how many are kept."""
    task_dir = tmp_path / "8.1"
    task_dir.mkdir()
    kept = [{"gen": 6, "size": 100}, {"gen": 7, "size": 120}]
    layout.write_json_atomic(str(task_dir / layout.MANIFEST), {"generations": kept})
    row = JobRow("8", "", "count", getpass.getuser(), "r", "all.q@vm", "signal", "xsmr")
    row = join_manifest(row, str(tmp_path), now=0.0)
    assert row.task_dir == os.path.join(str(tmp_path), "8.1") and row.problem is None, row.problem
    assert (row.checkpoints, row.generations, row.size) == (7, 2, 220)
    assert row.as_dict()["checkpoints"] == 7
    # a number no generation of the hooks can have is none: the owner may write anything
    for written in (10**13, -3, True, 10**300):
        forged = [{"gen": written, "size": 1}]
        layout.write_json_atomic(str(task_dir / layout.MANIFEST), {"generations": forged})
        row = JobRow("8", "", "count", getpass.getuser(), "r", "all.q@vm", "signal", "xsmr")
        assert join_manifest(row, str(tmp_path), now=0.0).checkpoints == 0, written


def test_a_job_whose_lines_are_unchanged_keeps_its_row_and_a_changed_one_is_read_again():
    from qckpt.backend.jobs.listing import job_row, kept, listed_blocks

    text = (DATA / "qstat_r.txt").read_text()
    first = listed_blocks(text, {}, all_jobs=False)
    listed = [b for b in first.values() if b is not None]
    assert [j.key for j in listed] == ["85.1", "85.2", "85.3", "87", "3"]  # 86 has no env
    rows = {n: job_row(j, None, {}, 0.0, {}) if j else None for n, j in first.items()}
    again = listed_blocks(text.replace("demo-held", "demo-hold"), rows, all_jobs=False)
    made = [b for b in again.values() if b is not None]
    assert [r.key for r in made] == ["85.1", "85.2", "85.3", "87", "3"]
    assert all(a is b for a, b in zip(made[:4], rows.values()))  # the same row objects
    assert made[4].name == "demo-hold" and not kept(made[4], {}, {}, set())
    assert kept(made[0], {}, {}, set()) and not kept(made[0], {}, {}, {"85"})  # when learned
    env = type("Env", (), {"ckpt_dir": "/ckpt/"})()
    assert not kept(made[3], {"demo": env}, {"/ckpt": {"87.1": ["87.1"]}}, set())  # a task dir
