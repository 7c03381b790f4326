"""The job's $TMPDIR kept with a generation (files, folders, links; a FIFO left out), the
size limit, and the restore into a new run's $TMPDIR under another name."""

from __future__ import annotations

import os

import pytest

from qckpt.hooks import errors, jobinfo, layout, tmpdir


def job_tmpdir(task_dir: str, path) -> None:
    """A $TMPDIR with a scratch file, a folder with a file, a link and a FIFO, recorded in
    the manifest as the starter records it."""
    path.mkdir()
    (path / "scratch.dat").write_text("line 1\nline 2\n")
    (path / "sub").mkdir()
    (path / "sub" / "input").write_text("42\n")
    (path / "sub" / "input").chmod(0o640)
    os.symlink("scratch.dat", path / "latest")
    os.mkfifo(path / "pipe")
    layout.write_json_atomic(
        os.path.join(task_dir, layout.MANIFEST), {"tmpdir": {"path": str(path)}}
    )


def test_a_checkpoint_keeps_tmpdir_and_a_restart_puts_it_back(
    hooks_dir, task, counter, tmp_path, checkpoint_args, restart_through_starter, run_hook
):
    ckpt_dir, task_dir = task
    job_tmpdir(task_dir, tmp_path / "50.1.first.q")
    program = counter(delay=0.01)
    assert run_hook(hooks_dir, *checkpoint_args(ckpt_dir, program.pid)).returncode == 0
    program.kill()
    generation = layout.newest_complete(task_dir)
    kept = layout.read_json(os.path.join(generation, layout.META))["tmpdir"]
    assert kept == {
        "path": str(tmp_path / "50.1.first.q"),
        "size": 17,
        "files": 2,
        "kept": True,
        "left_out": 1,
    }
    copy = os.path.join(generation, layout.TMPDIR)
    assert sorted(os.listdir(copy)) == ["latest", "scratch.dat", "sub"]  # no FIFO
    assert os.readlink(os.path.join(copy, "latest")) == "scratch.dat"

    new = tmp_path / "50.1.other.q"  # the next run's, under another name
    new.mkdir()
    out = restart_through_starter(hooks_dir, ckpt_dir, tmp_path, 5, tmpdir=str(new))
    assert out.returncode == 3, out.stderr
    assert (new / "scratch.dat").read_text() == "line 1\nline 2\n"
    assert (new / "sub" / "input").read_text() == "42\n"
    assert (new / "sub" / "input").stat().st_mode & 0o777 == 0o640
    assert os.readlink(new / "latest") == "scratch.dat"
    state = os.listdir(os.path.join(task_dir, layout.STATE))
    assert layout.TMPDIR not in state  # $TMPDIR goes to $TMPDIR, not into QCKPT_DIR
    manifest = layout.read_json(os.path.join(task_dir, layout.MANIFEST))
    assert manifest["restarts"][-1]["tmpdir_files"] == 2
    assert manifest["tmpdir"]["path"] == str(new)


def test_a_tmpdir_over_the_limit_is_not_kept_and_said(
    hooks_dir, task, counter, tmp_path, checkpoint_args, event_names, run_hook
):
    ckpt_dir, task_dir = task
    job_tmpdir(task_dir, tmp_path / "50.1.q")
    program = counter(delay=0.01)
    args = checkpoint_args(ckpt_dir, program.pid, "--tmpdir-limit", "10")
    assert run_hook(hooks_dir, *args).returncode == 0  # the generation is still taken
    program.kill()
    generation = layout.newest_complete(task_dir)
    kept = layout.read_json(os.path.join(generation, layout.META))["tmpdir"]
    assert not kept["kept"] and kept["size"] == 17
    assert "over the limit of 10B (--tmpdir-limit)" in kept["reason"]
    assert not os.path.exists(os.path.join(generation, layout.TMPDIR))
    assert "tmpdir-over-limit" in event_names(ckpt_dir)
    manifest = layout.check_manifest(layout.read_json(os.path.join(task_dir, layout.MANIFEST)))
    assert "finds $TMPDIR empty" in manifest["last_error"]["message"]
    assert manifest["generations"][-1]["tmpdir"]["kept"] is False


def test_a_limit_of_0_keeps_no_tmpdir_and_says_nothing(
    hooks_dir, task, counter, tmp_path, checkpoint_args, event_names, run_hook
):
    ckpt_dir, task_dir = task
    job_tmpdir(task_dir, tmp_path / "50.1.q")
    program = counter(delay=0.01)
    args = checkpoint_args(ckpt_dir, program.pid, "--tmpdir-limit", "0")
    assert run_hook(hooks_dir, *args).returncode == 0
    program.kill()
    generation = layout.newest_complete(task_dir)
    assert "tmpdir" not in layout.read_json(os.path.join(generation, layout.META))
    assert "tmpdir-over-limit" not in event_names(ckpt_dir)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10G", 10 << 30),
        ("500M", 500 << 20),
        ("1GiB", 1 << 30),
        ("64k", 64 << 10),
        ("2048", 2048),
        ("0", 0),
    ],
)
def test_tmpdir_limit_sizes(text, size):
    assert jobinfo.parse_size(text) == size


@pytest.mark.parametrize("text", ["ten", "10X", "-1", "", "1.5G"])
def test_a_bad_tmpdir_limit_names_the_flag(text):
    with pytest.raises(errors.UsageError, match="--tmpdir-limit must be a size"):
        jobinfo.parse_hook_args(["checkpoint", "--tmpdir-limit", text])


def test_a_link_leads_from_the_old_tmpdir_to_the_new_and_nowhere_taken(tmp_path):
    old, new = tmp_path / "1.1.a.q", tmp_path / "1.1.b.q"
    new.mkdir()
    assert tmpdir.reach_old_path(str(old), str(new)) == str(old)
    assert os.readlink(old) == str(new)
    assert tmpdir.reach_old_path(str(new), str(new)) is None  # the same name: nothing to do
    tmpdir.remove_link({"link": str(old), "path": str(new)})
    assert not os.path.lexists(old)
    old.mkdir()  # someone's folder by that name: never replaced
    with pytest.raises(OSError, match="exists"):
        tmpdir.reach_old_path(str(old), str(new))
    assert old.is_dir() and not old.is_symlink()
