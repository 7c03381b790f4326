"""ckpt_dir usage as du counts it, with a cache for unchanged task directories."""

from __future__ import annotations

import os
import subprocess

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.jobs import storage
from qckpt.backend.jobs.storage import StorageScanner, remove_orphans


def make_task(ckpt_dir, name: str, megabytes: int) -> str:
    task = ckpt_dir / name
    (task / "dmtcp" / "images").mkdir(parents=True)
    image = task / "dmtcp" / "images" / "ckpt_a.dmtcp"
    image.write_bytes(os.urandom(megabytes << 20))
    gen = task / "gen-000001"
    gen.mkdir()
    os.link(image, gen / "ckpt_a.dmtcp")  # a generation is a hard link of the images
    (gen / "meta.json").write_text("{}")
    return str(task)


def du_bytes(path) -> int:
    return int(
        subprocess.run(
            ["du", "-s", "-B1", str(path)], capture_output=True, text=True
        ).stdout.split()[0]
    )


def test_hard_links_count_once_as_du_counts_them(tmp_path):
    task = make_task(tmp_path, "7.1", 2)
    usage = StorageScanner().scan(str(tmp_path))
    assert usage.tasks[0].size == du_bytes(task)
    assert 2 << 20 <= usage.used < 3 << 20
    assert usage.tasks[0].generations == 1 and usage.tasks[0].job_id == 7


def test_orphans_are_task_directories_of_unknown_jobs(tmp_path):
    make_task(tmp_path, "7.1", 1)
    make_task(tmp_path, "8.1", 1)
    usage = StorageScanner().scan(str(tmp_path), known_jobs={7})
    assert usage.orphans == ["8.1"]
    assert remove_orphans(str(tmp_path), usage.orphans, known_jobs={7}) == ["8.1"]
    assert sorted(os.listdir(tmp_path)) == ["7.1"]


def test_an_unchanged_rescan_walks_nothing_and_a_new_generation_is_seen(tmp_path, monkeypatch):
    task = make_task(tmp_path, "7.1", 1)
    scanner = StorageScanner()
    first = scanner.scan(str(tmp_path))
    walks = []
    real = storage.measure
    monkeypatch.setattr(
        storage,
        "measure",
        lambda root, paths, whole, **kw: walks.extend(paths) or real(root, paths, whole, **kw),
    )
    assert scanner.scan(str(tmp_path)).used == first.used
    assert walks == []
    gen = os.path.join(task, "gen-000002")
    os.mkdir(gen)
    with open(os.path.join(gen, "meta.json"), "w") as handle:
        handle.write("x" * 100_000)
    second = scanner.scan(str(tmp_path))
    assert walks == [task] and second.used > first.used and second.tasks[0].generations == 2


def test_names_that_are_not_task_directories_are_neither_listed_nor_removed(tmp_path):
    make_task(tmp_path, "8.1", 1)
    for name in ("lost+found", "notes", "9.x", "8.1-zzzz"):
        (tmp_path / name).mkdir()
    usage = StorageScanner().scan(str(tmp_path), known_jobs=set())
    assert usage.orphans == ["8.1"]  # every other name is some user's, not a job's
    with pytest.raises(ValidationFailed, match="not a task directory"):
        remove_orphans(str(tmp_path), ["8.1", "notes"], known_jobs=set())
    assert os.path.isdir(tmp_path / "8.1")  # checked all first: nothing removed half-way


def test_a_directory_removed_during_a_scan_is_left_out(tmp_path, monkeypatch):
    make_task(tmp_path, "7.1", 1)
    gone = make_task(tmp_path, "8.1", 1)
    listing = list(os.scandir(tmp_path))
    subprocess.run(["rm", "-rf", gone], check=True)  # a clean hook, between list and stat
    monkeypatch.setattr(storage.os, "scandir", lambda path: _Listing(listing))
    usage = StorageScanner().scan(str(tmp_path))
    assert [t.name for t in usage.tasks] == ["7.1"]


class _Listing(list):
    """os.scandir's result as it was a moment ago (a context manager, as scandir's is)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_rescan_sees_removed_directories_and_new_orphans_though_nothing_else_changed(
    tmp_path,
):
    make_task(tmp_path, "7.1", 1)
    gone = make_task(tmp_path, "8.1", 2)
    scanner = StorageScanner()
    first = scanner.scan(str(tmp_path), known_jobs={7, 8})
    assert [t.name for t in first.tasks] == ["8.1", "7.1"] and first.orphans == []
    assert scanner.scan(str(tmp_path), known_jobs={7, 8}).tasks == first.tasks
    assert scanner.scan(str(tmp_path), known_jobs={7}).orphans == ["8.1"]  # 8 has ended
    subprocess.run(["rm", "-rf", gone], check=True)
    again = scanner.scan(str(tmp_path), known_jobs={7})
    assert [t.name for t in again.tasks] == ["7.1"] and again.used == first.tasks[1].size
    assert first.orphans == [] and first.tasks[0].orphan is False  # earlier results unchanged
