"""Values that once reached qconf, and files that once gave tracebacks: each is one clear
refusal naming the field and the rule."""

from __future__ import annotations

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.gridengine.queues import check_setting
from qckpt.backend.setup import export_file
from qckpt.backend.text import read_text


@pytest.mark.parametrize(
    "attr, value, words",
    [
        ("starter_method", "/bin/true,[vm=/bin/false]", "absolute path of letters"),
        ("starter_method", "/opt/q/starter --x", "absolute path of letters"),
        ("suspend_thresholds", "np_load_avg=abc", "must be a number"),
        ("suspend_thresholds", "np_load_avg=1.5,mem_free=x", "must be a number"),
    ],
)
def test_a_queue_value_that_would_smuggle_more_into_qconf_is_refused(attr, value, words):
    error = check_setting(attr, value)
    assert error is not None and error.field == attr and words in error.rule


@pytest.mark.parametrize("value", ["/opt/qckpt/qckpt-starter", "NONE"])
def test_a_plain_starter_path_is_accepted(value):
    assert check_setting("starter_method", value) is None
    assert check_setting("suspend_thresholds", "np_load_avg=1.75,mem_free=2G") is None


@pytest.mark.parametrize(
    "values, field",
    [
        ({"x86_64_level": "9,slots=999"}, "host_values.h1.x86_64_level"),
        ({"x86_64_level": 5}, "host_values.h1.x86_64_level"),
        ({"cpuflag_avx2": "yes,slots=9"}, "host_values.h1.cpuflag_avx2"),
    ],
)
def test_a_host_value_in_an_apply_file_is_checked_before_qconf(values, field):
    with pytest.raises(ValidationFailed) as info:
        export_file.check({"host_values": {"h1": values}})
    assert [e.field for e in info.value.errors] == [field]


def test_an_apply_file_with_keys_of_mixed_types_is_one_refusal():
    with pytest.raises(ValidationFailed) as info:
        export_file.check({1: "x", "zz": 2, None: 3})
    assert "not a key of a qckpt set-up file" in str(info.value)


@pytest.mark.parametrize("data", [b"\x7fELF\x02\x01\x01\x00\xff\xfe", b"text\x00more"])
def test_a_binary_file_is_not_text(tmp_path, data):
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(ValidationFailed) as info:
        read_text(str(path), "--from")
    assert info.value.errors[0].field == "--from" and "not a text file" in str(info.value)
