"""The report's pieces on files and manifests made here: one job's figures, the history
files a ckpt_dir holds (believed by their owners only), and the sums."""

from __future__ import annotations

import json
import os

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.report import history
from qckpt.backend.report.figures import figures
from qckpt.backend.report.summary import Report, ended_task, mtbi_of, since_of
from qckpt.hooks import layout

ALICE, MALLORY = 41001, 41002  # owners by uid: safe.user_name gives the number as the name


def test_a_jobs_figures_from_its_manifest():
    manifest = {
        "runs": [
            {"started": "2026-12-06T10:00:00Z", "ended": "2026-12-06T11:00:00Z", "seconds": 3600}
        ],
        "cost": {"checkpoints": 12, "stopped": 36.0},
        "taken": [
            {"gen": 11, "time": "t", "size": 100 << 20, "stopped": 3.0, "run_seconds": 1800.0},
            {"gen": 12, "time": "t", "size": 150 << 20, "stopped": 3.0, "run_seconds": 3600.0},
        ],
        "restarts": [{"gen": "gen-000011", "saved": 1800.0, "lost": 120.0}],
    }
    found = figures(manifest, now=0.0)
    assert found.checkpoints == 12 and found.overhead == pytest.approx(0.01)
    assert found.growth == pytest.approx(100 << 20)  # 50 MiB in half an hour of run time
    assert found.saved == 1800.0 and found.lost == 120.0
    assert figures({}, now=0.0).overhead is None and figures({}, now=0.0).growth is None


def write(path, lines: list, uid: int) -> None:
    with open(path, "w") as handle:
        handle.writelines(
            line if isinstance(line, str) else json.dumps(line) + "\n" for line in lines
        )
    os.chown(path, uid, uid)


def record(owner: str, job: str, ended: str = "2026-12-06T12:00:00Z", **extra) -> dict:
    return {
        "job": job,
        "task": "1",
        "owner": owner,
        "env": "dmtcp",
        "ended": ended,
        "run_seconds": 3600.0,
        "checkpoints": 10,
        "stopped": 20.0,
        **extra,
    }


def test_history_lines_are_believed_only_in_their_owners_files(tmp_path):
    alice, mallory = str(ALICE), str(MALLORY)
    write(
        tmp_path / layout.history_name(alice),
        [
            record(alice, "7"),
            "not json\n",
            {"job": 8, "owner": alice},
            record(alice, "9", ended="2026-11-01T00:00:00Z"),
        ],
        ALICE,
    )
    # mallory's own file claiming alice's jobs, and a rotated file of "alice's" she made
    write(
        tmp_path / layout.history_name(mallory),
        [record(alice, "66"), record(mallory, "5")],
        MALLORY,
    )
    write(tmp_path / (layout.history_name(alice) + ".1"), [record(alice, "67")], MALLORY)
    os.symlink("/etc/passwd", tmp_path / layout.history_name("root"))
    found = history.read(str(tmp_path))
    assert sorted(r["job"] for r in found.records) == ["5", "7", "9"]
    assert found.forged == 2 and found.bad == 2
    impossible = record(mallory, "6", stopped=1e9)  # stopped longer than its hour of run
    write(tmp_path / layout.history_name(mallory), [record(mallory, "5"), impossible], MALLORY)
    again = history.read(str(tmp_path))
    assert sorted(r["job"] for r in again.records) == ["5", "7", "9"] and again.bad == 3
    since = history.read(str(tmp_path), since="2026-12-01T00:00:00Z").records
    assert sorted(r["job"] for r in since) == ["5", "7"]  # 9 ended in November


def test_the_report_sums_per_environment_user_host_and_cell():
    found = Report(since=None)
    for owner, env, host, lost in (
        ("ann", "dmtcp", "n1", 60.0),
        ("ann", "sig", "n2", 0.0),
        ("bob", "dmtcp", "n1", 30.0),
    ):
        found.add(
            ended_task(record(owner, "1", env=env, host=host, restarts=1, lost=lost, size=1 << 20))
        )
    assert found.cell.tasks == 3 and found.cell.checkpoints == 30
    assert found.cell.overhead == pytest.approx(60.0 / 10800.0)
    assert found.by_env["dmtcp"].lost == 90.0 and found.by_user["ann"].tasks == 2
    assert found.by_host["n1"].size == 2 << 20
    data = found.as_dict()
    assert list(data["by_env"]) == ["dmtcp", "sig"] and data["cell"]["restarts"] == 3


def test_since_takes_a_date_or_a_utc_time_and_names_the_rule_otherwise():
    assert since_of("2026-12-01") == "2026-12-01T00:00:00Z"
    assert since_of("2026-12-01T08:30:00Z") == "2026-12-01T08:30:00Z"
    with pytest.raises(ValidationFailed, match="--since"):
        since_of("last week")


def test_the_time_between_interruptions_is_hours_above_zero():
    assert mtbi_of(24) == 86400.0 and mtbi_of(None) is None
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValidationFailed, match="--mtbi"):
            mtbi_of(bad)


def test_an_environment_gets_advice_only_with_a_measured_cost_and_an_interruption_rate():
    found = Report(since=None, mtbi=86400.0, in_use={"dmtcp": (600.0, "long.q")})
    found.add(ended_task(record("ann", "1", env="dmtcp")))  # 10 checkpoints, 20 s stopped
    found.add(ended_task(record("ann", "2", env="none", checkpoints=0, stopped=0.0)))
    advice = found.advice("dmtcp")
    assert advice.cost == 2.0 and advice.current == 600.0
    assert found.advice("none") is None and Report(since=None).advice("dmtcp") is None
    data = found.as_dict()["by_env"]
    assert data["dmtcp"]["interval"]["queue"] == "long.q" and "interval" not in data["none"]


def test_one_users_forged_figures_cannot_set_an_environments_cost():
    found = Report(since=None, mtbi=86400.0)
    for owner, job in (("ann", "1"), ("bob", "2"), ("bob", "3")):
        found.add(ended_task(record(owner, job)))  # 10 checkpoints, 20 s stopped: 2 s each
    found.add(ended_task(record("cy", "4", checkpoints=10, stopped=30.0)))  # 3 s each
    assert found.cost("dmtcp") == 2.0  # the median of 2, 2 and 3
    for job in range(5, 105):  # mallory's own history: many tasks, huge stops
        found.add(ended_task(record("mallory", str(job), checkpoints=1, stopped=1e9)))
    assert found.cost("dmtcp") == 2.5  # one user more: the median of 2, 2, 3 and 1e9
    assert found.advice("dmtcp").cost == 2.5
    assert found.cost("none") is None


def test_the_environments_view_shows_the_interval_beside_the_best():
    from qckpt.tui.intervals import interval_cells, interval_details

    found = Report(since="2026-11-06T00:00:00Z", mtbi=86400.0, mtbi_from="accounting")
    found.in_use = {"dmtcp": (3600.0, "long.q")}
    found.add(ended_task(record("ann", "1", env="dmtcp")))  # 2 s a checkpoint
    # Daly's interval for C = 2 s, M = 24 h: 586.54 s
    assert interval_cells(found, "dmtcp") == ["2.0s", "01:00:00", "00:09:47 (6x)"]
    assert interval_cells(found, "other") == ["-", "-", "-"]
    assert interval_cells(None, "dmtcp") == ["...", "...", "..."]  # not measured yet
    lines = dict(interval_details(found, "dmtcp"))
    assert lines["set it"] == "qckpt queue set long.q --min-cpu-interval 00:09:47"
    assert "every 24 h of run time (as measured)" in lines["best interval"]
    found.in_use = {"dmtcp": (600.0, "long.q")}  # near the best: nothing to set
    assert "set it" not in dict(interval_details(found, "dmtcp"))
    unknown = Report(since=None)
    unknown.add(ended_task(record("ann", "1", env="dmtcp")))
    assert "not known" in dict(interval_details(unknown, "dmtcp"))["best interval"]
