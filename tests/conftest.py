"""Shared fixtures. Cell tests run against the private sandbox cell (qckpt sandbox up)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
import warnings

import pytest
from textual.geometry import Region
from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerFailed

from qckpt.backend.errors import QckptError
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.queues import QueueStore, Target
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.sandbox.cell import Sandbox

HOSTS = 2  # execution hosts: this machine and one in a network namespace (as dev/test.sh)


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    box = Sandbox.from_environment()
    if os.geteuid() != 0 and not box.answers():
        pytest.skip("the sandbox cell is down and only root can start it (qckpt sandbox up)")
    box.up(log=lambda message: None, hosts=HOSTS)
    clear_cell(box.ge())
    return box


def job_ids(ge: GridEngine) -> set[str]:
    """Every job in the cell; none while the qmaster is down (test_qmaster_down)."""
    try:
        out = ge.qstat("-u", "*", check=False).stdout
    except QckptError:
        return set()
    return {line.split()[0] for line in out.splitlines()[2:] if line.strip()}


def clear_cell(ge: GridEngine) -> None:
    """The tests expect a cell without jobs of others: jobs left in it before the suite (a
    benchmark's 50,000 held jobs kept with --keep, a run cut off) would slow every listing
    down and run into the tests. Deleted, and said."""
    left = job_ids(ge)
    if not left:
        return
    warnings.warn(f"{len(left)} jobs were in the sandbox cell: deleted with qdel -f", stacklevel=1)
    ge.run(["qdel", "-f", "-u", "*"], check=False)
    deadline = time.monotonic() + 300
    while job_ids(ge) and time.monotonic() < deadline:
        time.sleep(1)


@pytest.fixture
def ge(sandbox: Sandbox) -> GridEngine:
    return sandbox.ge()


@pytest.fixture
def envs(ge: GridEngine) -> EnvStore:
    return EnvStore(ge)


@pytest.fixture
def queues(ge: GridEngine) -> QueueStore:
    return QueueStore(ge)


@pytest.fixture
def name_for(ge: GridEngine):
    """Unique object names for this test; whatever they name is removed afterwards."""
    made: list[str] = []

    def make(prefix: str = "t") -> str:
        name = f"{prefix}{uuid.uuid4().hex[:8]}"
        made.append(name)
        return name

    yield make
    store = QueueStore(ge)
    for queue in store.list():
        for host in [None, *queue.attrs["ckpt_list"].overrides]:
            attached = split_list(queue.value("ckpt_list", host))
            for name in set(made) & set(attached):
                store.detach(name, Target(queue.name, host))
    for name in made:
        # a job deleted a moment ago may still hold the object for a few seconds
        for _ in range(60):
            result = ge.qconf("-dckpt", name, check=False)
            if result.returncode == 0 or "referenced in job" not in result.message:
                break
            time.sleep(0.5)


@pytest.fixture
def test_queue(sandbox: Sandbox, ge: GridEngine):
    """A queue of this test's own on this host, so all.q's state never matters."""
    name = f"q{uuid.uuid4().hex[:8]}"
    sandbox.add_queue(name)
    yield name
    from tests.cell.jobs import delete_queue

    delete_queue(ge, name)


def error_of(call) -> QckptError:
    with pytest.raises(QckptError) as info:
        call()
    return info.value


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that stop the cell's daemons run after all others (a test running meanwhile
    would find no qmaster); the rest keep their order."""
    items.sort(key=lambda item: item.get_closest_marker("stops_cell") is not None)


def pytest_terminal_summary(terminalreporter) -> None:
    """Say at the end whether the suite left the sandbox as it should: every execution
    host's sge_execd running (the next user of the sandbox needs them all)."""
    box = Sandbox.from_environment()
    hosts = box.execd_hosts()
    if not hosts:
        return
    stopped = [host for host, pid in hosts.items() if pid is None]
    if stopped:
        terminalreporter.write_line(
            f"sandbox: sge_execd stopped on {', '.join(stopped)}: qckpt sandbox up"
            f" --hosts {len(hosts)} starts it",
            red=True,
        )
    else:
        terminalreporter.write_line(
            f"sandbox: left as found, sge_execd running on every host ({', '.join(hosts)})"
        )


async def settle(app, pilot) -> None:
    """Wait until no worker runs (a write starts a reload when it is done)."""
    for _ in range(100):
        # a failed worker: the app's handler shows it; the test looks at what the user sees.
        # A cancelled one was replaced by a newer load of the same view.
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return
    raise AssertionError("workers kept running")


async def select_row(app, pilot, key: str) -> None:
    table = app.current_view().query_one(DataTable)
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


def shown_text(widget) -> str:
    """What a widget shows, as plain text (its lines as rendered, joined)."""
    width = widget.content_region.width or 120
    lines = widget.render_lines(Region(0, 0, width, max(widget.content_region.height, 30)))
    return "\n".join("".join(seg.text for seg in line).rstrip() for line in lines)


def damage(path: str, how: str) -> None:
    """Spoil a file as a disk or a crash would: cut to half its size, or 16 bytes in its
    middle inverted (the same size)."""
    if how == "truncated":
        os.truncate(path, os.path.getsize(path) // 2)
    else:  # the same size, other bytes in its middle
        size = os.path.getsize(path)
        with open(path, "r+b") as handle:
            handle.seek(size // 2)
            middle = handle.read(16)
            handle.seek(size // 2)
            handle.write(bytes(b ^ 0xFF for b in middle))


SIZE = (140, 40)  # the console's screen in Pilot tests


@pytest.fixture
def screen_size() -> tuple[int, int]:
    return SIZE


# -- the helpers above, as fixtures --------------------------------------------------


@pytest.fixture(name="settle")
def settle_fixture():
    return settle


@pytest.fixture(name="select_row")
def select_row_fixture():
    return select_row


@pytest.fixture(name="shown_text")
def shown_text_fixture():
    return shown_text


@pytest.fixture(name="damage")
def damage_fixture():
    return damage


@pytest.fixture(name="error_of")
def error_of_fixture():
    return error_of
