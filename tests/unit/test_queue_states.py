"""Queue instance states parsed from captured `qstat -f -explain E -xml` output."""

from __future__ import annotations

from pathlib import Path

from qckpt.backend.gridengine.queue_states import InstanceState, parse_queue_states, with_states

DATA = Path(__file__).parent.parent / "data"


def test_an_instance_in_error_state_carries_grid_engines_reason():
    states = parse_queue_states((DATA / "qstat_f_explain_E.xml").read_text())
    assert states["all.q@vm"].states == "" and states["all.q@vm"].messages == []
    failed = states["errq@vm"]
    assert (failed.queue, failed.host, failed.states) == ("errq", "vm", "E")
    assert failed.messages == [
        "queue errq marked QERROR as result of job 16463's failure at host vm"
    ]
    assert failed.described() == "E (error)"
    assert with_states(states, "errq") == [failed] and with_states(states, "all.q") == []


def test_several_states_are_described_and_broken_xml_is_no_state():
    assert InstanceState("q@h", "adu").described() == (
        "adu (load alarm, disabled, unknown (execd not reporting))"
    )
    assert parse_queue_states("<job_info><queue_info>") == {}
