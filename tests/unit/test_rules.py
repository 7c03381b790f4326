"""Validation: Grid Engine's own rules and what it misses; each error names its field."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qckpt.backend.gridengine.checkpoint import FIELD_NAMES, INTERFACES
from qckpt.backend.gridengine.rules import PSEUDO_VARIABLES, SIGNAL_NAMES, check_field, validate
from tests.bad_inputs import BAD, valid_env


def with_field(qname: str, value: str):
    return valid_env().with_changes(**{FIELD_NAMES[qname]: value})


def test_the_base_environment_is_valid():
    assert validate(valid_env()) == []


def test_there_are_at_least_fifty_bad_inputs():
    assert len(BAD) >= 50


@pytest.mark.parametrize(("field", "value", "words"), BAD)
def test_bad_input_gets_one_message_naming_its_field_and_rule(field, value, words):
    errors = validate(with_field(field, value))
    assert [e.field for e in errors] == [field], errors
    assert words in errors[0].rule


@pytest.mark.parametrize("interface", INTERFACES + ("APPLICATION-LEVEL", "Transparent"))
def test_every_interface_in_any_case_is_accepted(interface):
    assert validate(valid_env().with_changes(interface=interface)) == []


@pytest.mark.parametrize("interface", ["transparent", "userdefined"])
def test_interfaces_that_only_send_a_signal_need_one(interface):
    errors = validate(valid_env().with_changes(interface=interface, signal="NONE"))
    assert [e.field for e in errors] == ["signal"]
    assert "needs a signal" in errors[0].rule


def test_unknown_fields_are_reported_by_name():
    env = valid_env()
    env.extra["future_field"] = "x"
    assert [e.field for e in validate(env)] == ["future_field"]


@given(st.lists(st.sampled_from(PSEUDO_VARIABLES), max_size=6))
def test_commands_with_only_pseudo_variables_pass(names):
    command = "/opt/hook " + " ".join("$" + n for n in names)
    assert check_field("ckpt_command", command) is None


@given(
    st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=12).filter(
        lambda n: n not in PSEUDO_VARIABLES
    ),
    st.sampled_from(["", "/", " ", "-x", "}"]),
)
def test_any_other_dollar_word_is_refused_in_every_command(name, tail):
    for field in ("ckpt_command", "migr_command", "restart_command", "clean_command"):
        error = check_field(field, f"/opt/hook ${name}{tail}")
        assert error is not None and error.field == field
        assert f"${name}" in error.rule


@given(st.text(max_size=20), st.sampled_from(["\n", "\r", "\r\n"]), st.text(max_size=20))
def test_no_newline_enters_any_field(head, newline, tail):
    value = head + newline + tail
    for qname in FIELD_NAMES:
        error = check_field(qname, value)
        assert error is not None and error.field in (qname, "name")


@given(st.text(alphabet=st.characters(blacklist_characters="smxrn"), min_size=1, max_size=5))
def test_when_refuses_any_other_letter(value):
    error = check_field("when", value)
    if value.strip():
        assert error is not None and error.field == "when"


@given(st.sets(st.sampled_from("smxr"), min_size=1))
def test_when_accepts_any_set_of_its_letters(letters):
    assert check_field("when", "".join(letters)) is None


@given(st.sampled_from(SIGNAL_NAMES), st.booleans())
def test_signal_names_grid_engine_knows_pass_in_any_case(name, lower):
    assert check_field("signal", name.lower() if lower else name) is None


@given(st.integers())
def test_signal_numbers_pass_only_from_1_to_64(number):
    error = check_field("signal", str(number))
    assert (error is None) == (1 <= number <= 64)
