"""Hook command lines as the checkpoint object carries them."""

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.setup.templates import from_template
from qckpt.hooks.jobinfo import (
    UsageError,
    job_from_environment,
    parse_command_line,
    parse_hook_args,
)
from qckpt.hooks.layout import task_dir_name


def test_options_and_positionals():
    cmd = parse_hook_args(
        [
            "checkpoint",
            "--engine",
            "signal",
            "--keep",
            "3",
            "--signal",
            "USR1",
            "7",
            "0",
            "/c",
            "99",
        ]
    )
    assert (cmd.verb, cmd.options.engine, cmd.options.keep, cmd.options.signal) == (
        "checkpoint",
        "signal",
        3,
        "USR1",
    )
    assert cmd.positionals == ["7", "0", "/c", "99"]


@pytest.mark.parametrize(
    "args",
    [
        ["checkpoint", "--engine", "criu"],
        ["checkpoint", "--keep", "0"],
        ["checkpoint", "--compress", "xz"],
        ["x", "--bogus"],
        [],
    ],
)
def test_bad_options_are_usage_errors(args):
    with pytest.raises(UsageError):
        parse_hook_args(args)


def test_a_non_array_job_is_task_1_as_grid_engine_numbers_it():
    assert task_dir_name("12", "0") == "12.1"
    assert task_dir_name("12", "undefined") == "12.1"
    assert task_dir_name("12", "5") == "12.5"


def test_positionals_win_over_the_environment():
    job = job_from_environment({"JOB_ID": "1", "SGE_TASK_ID": "2"}, {}, ["8", "3", "/ck"])
    assert (job.job_id, job.task, job.task_dir) == ("8", "3", "/ck/8.3")


def test_a_relative_ckpt_dir_is_refused():
    with pytest.raises(UsageError):
        job_from_environment({}, {}, ["8", "3", "ck"])


def test_a_template_with_a_tmpdir_limit_gives_the_hooks_that_flag():
    env = from_template("t", "dmtcp", "/h", "/ckpt", tmpdir_limit="2G")
    parsed = parse_command_line(env.ckpt_command)
    assert parsed.options.tmpdir_limit == 2 << 30
    assert parse_command_line(env.migr_command).options.tmpdir_limit == 2 << 30
    default = parse_command_line(from_template("t", "signal", "/h", "/ckpt").ckpt_command)
    assert default.options.tmpdir_limit == 10 << 30  # generous when not said


def test_a_bad_tmpdir_limit_in_a_template_names_the_flag():
    with pytest.raises(ValidationFailed) as caught:
        from_template("t", "dmtcp", "/h", "/ckpt", tmpdir_limit="lots")
    assert caught.value.errors[0].field == "--tmpdir-limit"


def test_a_template_without_compression_gives_the_hooks_that_flag():
    env = from_template("t", "dmtcp", "/h", "/ckpt", compress="none")
    for command in (env.ckpt_command, env.migr_command):
        assert parse_command_line(command).options.compress == "none"
    default = from_template("t", "dmtcp", "/h", "/ckpt")
    assert "--compress" not in default.ckpt_command  # DMTCP's own gzip when not said
    assert parse_command_line(default.ckpt_command).options.compress == "gzip"


def test_compression_is_named_and_only_for_dmtcp_images():
    with pytest.raises(ValidationFailed) as caught:
        from_template("t", "signal", "/h", "/ckpt", compress="none")
    assert caught.value.errors[0].field == "--compress"
    assert "signal engine" in caught.value.errors[0].rule
    with pytest.raises(ValidationFailed) as caught:
        from_template("t", "dmtcp", "/h", "/ckpt", compress="xz")
    assert caught.value.errors[0].rule == "one of gzip, none"
