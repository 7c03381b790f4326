"""A restart's check of a generation: every byte read again only where a file may have
changed since its checks were taken (its inode, size, mtime or ctime differ)."""

from __future__ import annotations

import os

import pytest

from qckpt.hooks import generations, layout


@pytest.fixture
def generation(tmp_path):
    """A committed generation with one image, as a checkpoint leaves it."""
    task_dir = str(tmp_path)
    number, partial = generations.begin(task_dir)
    with open(os.path.join(partial, "ckpt_a.dmtcp"), "wb") as handle:
        handle.write(os.urandom(1 << 20))
    return generations.commit(task_dir, number, partial, {})


@pytest.fixture
def reads(monkeypatch):
    """The files whose bytes a check reads (by descriptor's path)."""
    read = []
    real = generations._crc

    def counting(fd: int):
        read.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        return real(fd)

    monkeypatch.setattr(generations, "_crc", counting)
    return read


def test_an_untouched_generation_passes_without_its_images_read_again(generation, reads):
    assert generations.fault(generation) is None
    assert reads == []


def test_the_same_size_with_other_bytes_is_read_and_found(generation, reads, damage):
    damage(os.path.join(generation, "ckpt_a.dmtcp"), "corrupted")
    assert "checksum differs" in generations.fault(generation)
    assert reads == ["ckpt_a.dmtcp"]


def test_an_mtime_set_back_after_a_write_is_still_found(generation, reads, damage):
    image = os.path.join(generation, "ckpt_a.dmtcp")
    before = os.stat(image)
    damage(image, "corrupted")
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))  # only ctime tells now
    assert "checksum differs" in generations.fault(generation)


def test_a_file_rewritten_with_its_own_bytes_is_read_and_passes(generation, reads):
    image = os.path.join(generation, "ckpt_a.dmtcp")
    with open(image, "rb") as handle:
        data = handle.read()
    with open(image, "r+b") as handle:
        handle.write(data)
    assert generations.fault(generation) is None
    assert reads == ["ckpt_a.dmtcp"]


def test_checks_recorded_before_the_file_identity_was_are_read_in_full(generation, reads):
    meta_path = os.path.join(generation, layout.META)
    meta = layout.read_json(meta_path)
    meta["checks"] = {rel: want[:2] for rel, want in meta["checks"].items()}  # [size, crc]
    layout.write_json_atomic(meta_path, meta)
    assert generations.fault(generation) is None
    assert reads == ["ckpt_a.dmtcp"]


def test_the_next_checkpoint_leaves_a_generation_as_it_was_taken(tmp_path):
    """DMTCP writes each image as .dmtcp.temp renamed over the last, but rewrites the
    files it saves beside it (_files/fd-info.txt) in place: a generation holds its own
    copy of those, so the checkpoint after it never changes it."""
    from qckpt.hooks import engine_dmtcp

    task_dir = str(tmp_path / "60.1")
    images = tmp_path / "images"
    (images / "ckpt_bash_1_files").mkdir(parents=True)
    fd_info = images / "ckpt_bash_1_files" / "fd-info.txt"
    fd_info.write_text("gconv-modules.cache_99004:/usr/lib/gconv/gconv-modules.cache\n")
    image = images / "ckpt_bash_1.dmtcp"
    image.write_bytes(os.urandom(1 << 16))
    script = images / "dmtcp_restart_script.sh"
    script.write_text(f'given_ckpt_files="{image}"\n')
    os.mkdir(task_dir)
    number, partial = generations.begin(task_dir)
    engine_dmtcp.add_images([str(image)], str(script), partial)
    taken = generations.commit(task_dir, number, partial, {})

    with open(fd_info, "r+") as handle:  # the next checkpoint, as DMTCP 5.0 writes it
        handle.write("gconv-modules.cache_99005")
    image.with_suffix(".dmtcp.temp").write_bytes(os.urandom(1 << 16))
    os.rename(image.with_suffix(".dmtcp.temp"), image)

    assert generations.fault(taken) is None
