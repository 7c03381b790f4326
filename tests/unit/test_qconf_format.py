"""qconf's text format, on output captured from a real Grid Engine 8.1.9."""

from pathlib import Path

from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.formats import parse_fields, split_host_values, split_list
from qckpt.backend.gridengine.queues import parse_queue

DATA = Path(__file__).parent.parent / "data"


def test_continuation_lines_join_into_one_value():
    env = CheckpointEnv.from_text((DATA / "sckpt_longcmd.txt").read_text())
    assert env.ckpt_command == (
        "/opt/qckpt/qckpt-hook checkpoint $job_id $ja_task_id $ckpt_dir $job_owner $host"
        " $queue $job_pid $ckpt_signal $sge_cell $sge_root $job_name"
    )
    assert env.when == "xsr"
    assert env.restart_command == "none"
    assert env.extra == {}


def test_fields_in_any_order_and_unknown_fields_are_kept():
    text = "when sx\nckpt_name a\n# comment\n\nfuture_field  some value\ninterface cpr\n"
    env = CheckpointEnv.from_text(text)
    assert (env.name, env.when, env.interface) == ("a", "sx", "cpr")
    assert env.extra == {"future_field": "some value"}
    assert "future_field" in env.to_text()


def test_written_text_parses_back_to_the_same_model():
    env = CheckpointEnv.from_text((DATA / "sckpt_longcmd.txt").read_text())
    assert CheckpointEnv.from_text(env.to_text()) == env


def test_none_in_any_case_is_canonical_none():
    env = CheckpointEnv.from_text((DATA / "sckpt_longcmd.txt").read_text()).canonical()
    assert env.restart_command == "NONE" and env.signal == "NONE"


def test_when_letters_are_ordered_as_grid_engine_stores_them():
    assert CheckpointEnv(when="sxr").canonical().when == "xsr"
    assert CheckpointEnv(when="rmsx").canonical().when == "xsmr"
    assert CheckpointEnv(when="n").canonical().when == "n"


def test_queue_overrides_are_split_by_host():
    queue = parse_queue((DATA / "sq_all_q_overrides.txt").read_text())
    assert queue.name == "all.q"
    assert queue.value("ckpt_list") == "demo"
    assert queue.value("ckpt_list", "vm") == "demo t3"
    assert queue.value("starter_method", "vm") == "/opt/qckpt/qckpt-starter"
    assert queue.value("suspend_thresholds", "vm") == "np_load_avg=1.5,mem_free=1G"
    assert queue.value("min_cpu_interval", "other") == "00:01:00"
    assert queue.override_hosts() == ["vm"]


def test_commas_outside_brackets_stay_in_the_default_value():
    assert split_host_values("a=1,b=2,[h=c=3,d=4]") == ("a=1,b=2", {"h": "c=3,d=4"})


def test_name_lists():
    assert split_list("NONE") == []
    assert split_list("a b,c") == ["a", "b", "c"]


def test_tab_separated_fields():
    assert parse_fields("ckpt_name\tx\n") == [("ckpt_name", "x")]
