"""Queue attributes on the real sandbox cell, on a queue of each test's own."""

import pytest

from qckpt.backend.errors import NotFound, NotManager, ValidationFailed
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.gridengine.runner import GridEngine
from tests.bad_inputs import valid_env

pytestmark = pytest.mark.cell


def ckpt_list_line(ge: GridEngine, queue: str) -> str:
    for line in ge.qconf("-sq", queue).stdout.splitlines():
        if line.startswith("ckpt_list"):
            return line.split(None, 1)[1]
    raise AssertionError("no ckpt_list line")


@pytest.fixture
def two_envs(envs, name_for):
    return [envs.add(valid_env(name_for())).name for _ in range(2)]


def test_attach_and_detach_on_the_whole_queue(queues, ge, test_queue, two_envs):
    a, b = two_envs
    queues.attach(a, Target(test_queue))
    queues.attach(b, Target(test_queue))
    assert ckpt_list_line(ge, test_queue) == f"{a} {b}"
    queues.detach(a, Target(test_queue))
    assert ckpt_list_line(ge, test_queue) == b
    queues.detach(b, Target(test_queue))
    assert ckpt_list_line(ge, test_queue) == "NONE"


def test_attach_to_queue_at_host_with_starter_sets_an_override(
    sandbox, queues, ge, test_queue, two_envs
):
    a, b = two_envs
    host = sandbox.host
    queues.attach(a, Target(test_queue))
    queue = queues.attach(b, Target(test_queue, host), starter="/opt/qckpt/qckpt-starter")
    assert ckpt_list_line(ge, test_queue) == f"{a},[{host}={a} {b}]"
    assert queue.value("starter_method", host) == "/opt/qckpt/qckpt-starter"
    assert queue.value("starter_method") == "NONE"
    queue = queues.detach(a, Target(test_queue, host))
    assert split_list(queue.value("ckpt_list", host)) == [b]
    assert split_list(queue.value("ckpt_list")) == [a]


def test_attach_is_idempotent(queues, ge, test_queue, two_envs):
    queues.attach(two_envs[0], Target(test_queue))
    queues.attach(two_envs[0], Target(test_queue))
    assert ckpt_list_line(ge, test_queue) == two_envs[0]


def test_attach_of_a_missing_environment_changes_nothing(
    queues, ge, test_queue, name_for, error_of
):
    before = ge.qconf("-sq", test_queue).stdout
    assert isinstance(error_of(lambda: queues.attach(name_for(), Target(test_queue))), NotFound)
    assert ge.qconf("-sq", test_queue).stdout == before


def test_a_host_outside_the_hostlist_is_refused(queues, ge, test_queue, two_envs, error_of):
    before = ge.qconf("-sq", test_queue).stdout
    error = error_of(lambda: queues.attach(two_envs[0], Target(test_queue, "nohost")))
    assert isinstance(error, ValidationFailed)
    assert "not in the hostlist" in str(error)
    assert ge.qconf("-sq", test_queue).stdout == before


@pytest.mark.parametrize("starter", ["relative/starter", "/path with/space", ""])
def test_a_bad_starter_changes_nothing(queues, ge, test_queue, two_envs, starter, error_of):
    before = ge.qconf("-sq", test_queue).stdout
    error = error_of(lambda: queues.attach(two_envs[0], Target(test_queue), starter=starter))
    assert isinstance(error, ValidationFailed) and error.errors[0].field == "starter_method"
    assert ge.qconf("-sq", test_queue).stdout == before


def test_detach_of_an_environment_not_attached_is_an_error(queues, test_queue, two_envs, error_of):
    error = error_of(lambda: queues.detach(two_envs[0], Target(test_queue)))
    assert isinstance(error, ValidationFailed) and "is not attached" in str(error)


def test_set_interval_and_thresholds_on_queue_and_host(sandbox, queues, test_queue):
    queue = queues.set(Target(test_queue), {"min_cpu_interval": "00:02:00"})
    assert queue.value("min_cpu_interval") == "00:02:00"
    host = Target(test_queue, sandbox.host)
    queue = queues.set(host, {"suspend_thresholds": "np_load_avg=1.5,mem_free=1G"})
    assert queue.value("suspend_thresholds", sandbox.host) == "np_load_avg=1.5,mem_free=1G"
    assert queue.value("suspend_thresholds") == "NONE"
    queue = queues.set(host, {"suspend_thresholds": "NONE", "starter_method": "NONE"})
    assert queue.value("suspend_thresholds", sandbox.host) == "NONE"


@pytest.mark.parametrize(
    ("attr", "value", "words"),
    [
        ("min_cpu_interval", "five minutes", "a time"),
        ("min_cpu_interval", "00:99:00", "a time"),
        ("suspend_thresholds", "no_such_complex=1", "not a complex"),
        ("suspend_thresholds", "np_load_avg", "complex=value"),
        ("shell", "/bin/bash", "sets only"),
    ],
)
def test_bad_settings_name_the_attribute_and_change_nothing(
    queues, ge, test_queue, attr, value, words, error_of
):
    before = ge.qconf("-sq", test_queue).stdout
    changes = {"min_cpu_interval": "00:03:00", attr: value}
    error = error_of(lambda: queues.set(Target(test_queue), changes))
    assert isinstance(error, ValidationFailed)
    assert error.errors[0].field == attr and words in error.errors[0].rule
    assert ge.qconf("-sq", test_queue).stdout == before


def test_queue_list_shows_overrides(sandbox, queues, test_queue, two_envs):
    queues.attach(two_envs[0], Target(test_queue, sandbox.host))
    queue = next(q for q in queues.list() if q.name == test_queue)
    assert queue.hosts == [sandbox.host]
    assert queue.override_hosts() == [sandbox.host]
    assert queue.as_dict()["ckpt_list"] == {
        "default": "NONE",
        "overrides": {sandbox.host: two_envs[0]},
    }


def test_a_user_who_is_not_a_manager_cannot_attach(sandbox, test_queue, two_envs, error_of):
    as_user = QueueStore(GridEngine(env=sandbox.env(), user=sandbox.user))
    error = error_of(lambda: as_user.attach(two_envs[0], Target(test_queue)))
    assert isinstance(error, NotManager)
