"""Checkpoint environments on the real sandbox cell."""

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qckpt.backend.errors import (
    AlreadyExists,
    ChangedOnCell,
    NotFound,
    NotManager,
    StillReferenced,
    ValidationFailed,
)
from qckpt.backend.gridengine.checkpoint import FIELD_NAMES, INTERFACES, CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.runner import GridEngine
from tests.bad_inputs import BAD, valid_env

pytestmark = pytest.mark.cell


def qconf_file(ge: GridEngine, option: str, text: str) -> None:
    """Change the cell behind the backend's back, as an administrator with qconf would."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as handle:
        handle.write(text)
    try:
        ge.qconf(option, handle.name)
    finally:
        os.unlink(handle.name)


@pytest.mark.parametrize("interface", INTERFACES)
def test_every_interface_round_trips_through_qconf_identically(envs, ge, name_for, interface):
    env = valid_env(name_for()).with_changes(interface=interface, signal="USR2", when="sxr")
    envs.add(env)
    raw = ge.qconf("-sckpt", env.name).stdout
    assert CheckpointEnv.from_text(raw) == env.canonical()


def test_a_command_longer_than_qconf_line_wraps_round_trips(envs, name_for):
    args = " ".join(f"${v}" for v in ("job_id", "ja_task_id", "ckpt_dir", "job_owner", "host"))
    env = valid_env(name_for()).with_changes(ckpt_command=f"/opt/a/very/long/path/hook {args} " * 3)
    stored = envs.add(env)
    assert stored.ckpt_command == env.ckpt_command.strip()


def test_none_of_the_bad_inputs_reaches_qconf(envs, ge, name_for, error_of):
    name = name_for()
    ge.calls.clear()
    for field, value, _words in BAD:
        env = valid_env(name).with_changes(**{FIELD_NAMES[field]: value})
        error = error_of(lambda env=env: envs.add(env))
        assert isinstance(error, ValidationFailed)
        assert error.errors[0].field == field
    assert ge.calls == []
    assert name not in envs.names()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(list(FIELD_NAMES)), junk=st.text(max_size=30))
def test_generated_input_reaches_qconf_only_when_valid(envs, ge, field, junk, error_of):
    env = valid_env("hyp-never-written").with_changes(**{FIELD_NAMES[field]: junk + "\n$x"})
    ge.calls.clear()
    error = error_of(lambda: envs.add(env))
    assert isinstance(error, ValidationFailed)
    assert ge.calls == []


def test_change_made_behind_the_backends_back_is_refused_on_modify(envs, ge, name_for, error_of):
    loaded = envs.add(valid_env(name_for()))
    qconf_file(ge, "-Mckpt", loaded.with_changes(ckpt_dir="/elsewhere").to_text())
    error = error_of(lambda: envs.modify(loaded.with_changes(when="m"), loaded))
    assert isinstance(error, ChangedOnCell)
    assert error.diff == ["ckpt_dir: /var/spool/ckpt -> /elsewhere"]
    current = envs.get(loaded.name)
    assert (current.ckpt_dir, current.when) == ("/elsewhere", "xsr")


def test_modify_writes_and_reads_back(envs, name_for):
    loaded = envs.add(valid_env(name_for()))
    stored = envs.modify(loaded.with_changes(when="m", signal="10"), loaded)
    assert (stored.when, stored.signal) == ("m", "10")


def test_add_of_an_existing_name_carries_qconfs_message(envs, name_for, error_of):
    env = envs.add(valid_env(name_for()))
    error = error_of(lambda: envs.add(env))
    assert isinstance(error, AlreadyExists)
    assert f'"{env.name}" already exists' in str(error)


def test_show_of_a_missing_name_is_not_found(envs, name_for, error_of):
    assert isinstance(error_of(lambda: envs.get(name_for())), NotFound)


def test_clone_copies_every_field_under_the_new_name(envs, name_for):
    source = envs.add(valid_env(name_for()).with_changes(when="m", signal="HUP"))
    clone = envs.clone(source.name, name_for())
    assert clone.with_changes(name=source.name) == source


def test_delete_removes_the_object(envs, name_for):
    env = envs.add(valid_env(name_for()))
    envs.delete(env.name)
    assert env.name not in envs.names()


def test_delete_of_an_object_a_queue_uses_gives_grid_engines_reason(
    envs, queues, name_for, test_queue, error_of
):
    from qckpt.backend.gridengine.queues import Target

    env = envs.add(valid_env(name_for()))
    queues.attach(env.name, Target(test_queue))
    error = error_of(lambda: envs.delete(env.name))
    assert isinstance(error, StillReferenced)
    assert f'referenced in queue "{test_queue}"' in str(error)
    assert env.name in envs.names()


def test_delete_of_an_object_a_job_uses_gives_grid_engines_reason(
    sandbox, envs, ge, name_for, error_of
):
    env = envs.add(valid_env(name_for()))
    out = ge.run(
        ["qsub", "-h", "-b", "y", "-ckpt", env.name, "-o", "/dev/null", "/bin/true"],
        user=sandbox.user,
        cwd="/tmp",
    ).stdout
    job = out.split()[2]
    try:
        error = error_of(lambda: envs.delete(env.name))
        assert isinstance(error, StillReferenced)
        assert f"referenced in job {job}" in str(error)
    finally:
        ge.run(["qdel", job])


def test_a_user_who_is_not_a_manager_gets_a_permission_error(sandbox, name_for, error_of):
    as_user = EnvStore(GridEngine(env=sandbox.env(), user=sandbox.user))
    error = error_of(lambda: as_user.add(valid_env(name_for())))
    assert isinstance(error, NotManager)
    assert f'"{sandbox.user}" must be manager' in str(error)
