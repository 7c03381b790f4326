"""The figures of a job that runs in runs: Grid Engine times, the margin before h_rt, the
hook's options for it, and what the console shows (pure; the cell tests run real jobs)."""

import calendar
import time

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.jobs.listing import run_figures
from qckpt.backend.setup.templates import from_template
from qckpt.hooks.errors import UsageError
from qckpt.hooks.jobinfo import Options, parse_hook_args
from qckpt.hooks.runs import Limit, margin_of, seconds, smaller, soft_moment


def test_grid_engine_times_in_seconds():
    assert seconds("3600") == 3600
    assert seconds("1:30") == 90
    assert seconds("24:00:00") == 86400
    assert seconds("0:0:30") == 30
    assert seconds("INFINITY") is None and seconds("infinity") is None
    assert seconds("") is None and seconds("1h") is None and seconds(None) is None
    assert smaller(None, 60.0, 30.0) == 30.0 and smaller(None, None) is None


def test_a_run_with_s_rt_is_checkpointed_before_grid_engines_signal_comes():
    """At s_rt Grid Engine's SIGUSR1 kills a wrapper shell that traps nothing: the run is
    already saving by then (5 s before, at most half of s_rt)."""
    assert soft_moment(3600.0) == 3595.0 and soft_moment(15.0) == 10.0
    assert soft_moment(6.0) == 3.0
    soft = Limit(h_rt=30.0, s_rt=15.0, margin=7.5, at=soft_moment(15.0))
    assert soft.why == "s_rt 15 s (less 5 s)"
    hard = Limit(h_rt=30.0, s_rt=None, margin=7.5, at=22.5)
    assert hard.why == "h_rt 30 s less a margin of 7.5 s"


def test_the_margin_comes_from_the_last_checkpoint_and_stays_within_bounds():
    day = 86400.0
    manifest = {"generations": [{"seconds": 2.0}, {"seconds": 40.0}]}
    assert margin_of(Options(), manifest, day) == 125.0  # 3 x 40 s + 5 s
    assert margin_of(Options(), {"generations": [{"seconds": 0.1}]}, day) == 10.0  # at least
    assert margin_of(Options(), {}, 600.0) == 60.0  # no checkpoint yet: a tenth of h_rt...
    assert margin_of(Options(), {}, day) == 900.0  # ...at most 15 minutes
    assert margin_of(Options(), manifest, 100.0) == 25.0  # ...never more than a quarter
    assert margin_of(Options(margin=300.0), manifest, day) == 300.0  # the environment's


def test_the_hook_options_for_runs():
    cmd = parse_hook_args(["checkpoint", "--margin", "120", "--max-runs", "7", "1", "0", "/c"])
    assert (cmd.options.margin, cmd.options.max_runs) == (120.0, 7)
    assert parse_hook_args(["checkpoint", "1"]).options.max_runs == 0  # no cap
    for bad in (["--margin", "0"], ["--margin", "1.5"], ["--max-runs", "0"], ["--max-runs", "x"]):
        with pytest.raises(UsageError, match=bad[0]):
            parse_hook_args(["checkpoint", *bad])


def test_templates_carry_the_margin_and_the_cap():
    env = from_template("e", "signal", "/opt/qckpt", "/ckpt", margin=90, max_runs=10)
    assert "--margin 90 --max-runs 10" in env.ckpt_command
    assert "--margin 90 --max-runs 10" in env.migr_command
    with pytest.raises(ValidationFailed, match="--margin"):
        from_template("e", "dmtcp", "/opt/qckpt", "/ckpt", margin=0)
    with pytest.raises(ValidationFailed, match="--max-runs"):
        from_template("e", "dmtcp", "/opt/qckpt", "/ckpt", max_runs=0)


def stamp(text: str) -> float:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def test_run_figures_count_every_run_and_the_time_left_in_this_one():
    now = stamp("2026-12-02T12:00:00Z")
    runs = [
        {"run": 1, "started": "2026-12-02T10:00:00Z", "ended": "2026-12-02T10:59:00Z",
         "seconds": 3540, "end": "limit"},
        {"run": 2, "started": "2026-12-02T11:00:00Z", "checkpoint_at": "2026-12-02T11:59:30Z"},
    ]  # fmt: skip
    assert run_figures({"runs": runs}, now) == (2, 3540 + 3600, 0)  # its checkpoint is due
    assert run_figures({"runs": runs}, stamp("2026-12-02T11:30:00Z")) == (2, 3540 + 1800, 1770)
    ended = [runs[0], dict(runs[1], ended="2026-12-02T11:50:00Z", seconds=3000, end="exit")]
    assert run_figures({"runs": ended}, now) == (2, 6540, None)
    assert run_figures({}, now) == (0, None, None)


def test_the_doctor_finds_limits_an_environment_cannot_work_with(tmp_path):
    from qckpt.backend.doctor.time_limits import checkpoint_seconds, limit_findings
    from qckpt.hooks import layout

    env = from_template("e", "signal", "/opt/qckpt", str(tmp_path), when="xsmr")
    said = {f.message for f in limit_findings("e on q", env, "00:10:00", 3600.0, None, 2000.0)}
    assert any("leaves runs of 1600 s" in m for m in said)
    said = {f.message for f in limit_findings("e on q", env, "02:00:00", 3600.0, 7200.0, None)}
    assert any("s_rt (7200 s) is not before h_rt" in m for m in said)
    assert any("no periodic checkpoint within a run" in m for m in said)
    assert limit_findings("e on q", env, "00:10:00", 86400.0, None, 600.0) == []
    # the environment's jobs' checkpoint times, from their manifests (others' envs left out)
    for name, env_name, took in (("1.1", "e", 12.5), ("2.1", "e", 40.0), ("3.1", "other", 99.0)):
        (tmp_path / name).mkdir()
        manifest = {"env": env_name, "generations": [{"gen": 1, "seconds": took}]}
        layout.write_json_atomic(str(tmp_path / name / layout.MANIFEST), manifest)
    (tmp_path / "4.1").mkdir()
    (tmp_path / "4.1" / layout.MANIFEST).write_text('{"generations": "not a list"}')
    assert checkpoint_seconds(env) == 40.0


def test_a_manifests_time_reads_back_as_the_moment_it_was_written():
    import random

    from qckpt.hooks import layout

    moments = [1, 951868799, 951868800, 4107542399, 1796743950]  # 2000-02-29, 2100-02-28
    moments += random.Random(7).sample(range(1, 4 * 10**9), 2000)
    for moment in moments:
        assert layout.epoch(layout.now_iso(moment)) == moment
    for bad in ("2026-13-01T00:00:00Z", "2026-12-06 10:00:00", None, 12, "2026-12-06T10:00:00Z\n"):
        assert layout.epoch(bad) is None
