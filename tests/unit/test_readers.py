"""The readers of ckpt_dir files on anything a user can put there (property tests)."""

from __future__ import annotations

import json
import os
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qckpt.backend.jobs import events
from qckpt.hooks import errors, layout, safe

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
manifest_like = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        | st.lists(st.dictionaries(st.sampled_from(list(layout.GENERATION)), json_values))
        for key in layout.MANIFEST_SCHEMA
    },
)


def no_control(text: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_manifest_give_an_object_or_none(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("m") / "manifest.json"
    path.write_bytes(data)
    value = safe.read_json(str(path))
    assert value is None or isinstance(value, dict)


@settings(max_examples=100, deadline=None)
@given(st.one_of(json_values, manifest_like))
def test_any_json_is_a_checked_manifest_of_plain_text_or_bad(value):
    try:
        checked = layout.check_manifest(value) if isinstance(value, dict) else None
    except errors.BadManifest as exc:
        assert str(exc).startswith("manifest")
        return
    if checked is not None:
        assert all(no_control(s) for s in strings_in(checked))
        for generation in checked.get("generations") or []:
            assert generation is None or set(generation) <= set(layout.GENERATION)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_line_of_an_events_file_parses_to_plain_fields_or_nothing(line):
    event = events.parse_line(line)
    if event is not None:
        assert all(no_control(s) and " " not in s for s in (event.job, event.user, event.event))
        assert no_control(event.line)


def test_a_manifest_nested_too_deep_or_too_big_is_none(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    assert safe.read_json(str(deep)) is None
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.write(b'{"a": "' + b"x" * (safe.JSON_CAP + 10) + b'"}')
    assert safe.read_json(str(big)) is None


def test_links_fifos_and_devices_are_never_opened(tmp_path):
    target = tmp_path / "target.json"
    target.write_text('{"secret": 1}')
    os.symlink(target, tmp_path / "link.json")
    os.mkfifo(tmp_path / "fifo.json")
    for path in (tmp_path / "link.json", tmp_path / "fifo.json", "/dev/zero"):
        assert safe.read_json(str(path)) is None  # a FIFO with no writer: no hang either
        assert safe.read_tail(str(path)) == b""


def test_a_huge_log_is_read_from_its_end_only(tmp_path):
    log = tmp_path / "hook.log"
    with open(log, "wb") as handle:
        handle.truncate(1 << 30)  # 1 GiB, sparse
        handle.seek(0, os.SEEK_END)
        handle.write(b"\nthe last line\n")
    tail = safe.read_tail(str(log))
    assert len(tail) <= safe.TAIL_CAP and tail.endswith(b"the last line\n")


def test_appending_refuses_links_and_hard_links(tmp_path):
    own = tmp_path / "own.txt"
    own.write_text("mine\n")
    os.symlink(own, tmp_path / "link.log")
    os.link(own, tmp_path / "hard.log")
    for name in ("link.log", "hard.log"):
        with pytest.raises(OSError):
            safe.append_line(str(tmp_path / name), "x")
    assert own.read_text() == "mine\n"


def test_an_events_line_claiming_another_user_is_counted_not_shown(tmp_path):
    me = safe.user_name(os.geteuid())
    (tmp_path / layout.events_name(me)).write_text(
        f"2026-01-01T00:00:01Z job=5.1 host=h user={me} event=start\n"
        "2026-01-01T00:00:02Z job=5.1 host=h user=someone-else event=checkpoint\n"
        + json.dumps({"not": "an event"})
        + "\n"
    )
    found = events.read(str(tmp_path), "5.1")
    assert [e.event for e in found.events] == ["start"] and found.forged == 1
