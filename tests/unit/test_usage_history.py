"""The growth chart's samples: one a minute per ckpt_dir at most, bounded, one read."""

from __future__ import annotations

from qckpt.backend.jobs import usage_history


def test_a_sample_a_minute_per_dir_and_every_dirs_series(tmp_path):
    path = tmp_path / "usage.jsonl"
    assert usage_history.update({"/a": 10, "/b": 5}, path, now=1000) == {"/a": [10], "/b": [5]}
    assert usage_history.update({"/a": 11, "/b": 6}, path, now=1030) == {"/a": [10], "/b": [5]}
    assert usage_history.update({"/a": 12}, path, now=1060) == {"/a": [10, 12]}
    assert len(path.read_text().splitlines()) == 3


def test_the_file_keeps_the_newest_samples_and_skips_broken_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(usage_history, "KEEP", 5)
    path = tmp_path / "usage.jsonl"
    path.write_text("not json\n")
    for minute in range(8):
        series = usage_history.update({"/a": minute}, path, now=60.0 * minute)
    assert series == {"/a": [3, 4, 5, 6, 7]}
    assert len(path.read_text().splitlines()) == 5


def test_the_xdg_state_directory_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    usage_history.update({"/a": 1})
    assert (tmp_path / "qckpt" / "usage.jsonl").exists()
