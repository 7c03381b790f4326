"""The interruptions in Grid Engine's accounting file: lines captured from a real 8.1.9 cell
(a host whose processes were all killed and its execd started again, a `qmod -rj`, a job that
exited 99, a migration, a `qdel -f`, a parallel job's qrsh -inherit task), read from a file
as the console reads the cell's."""

from __future__ import annotations

import os

from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.report import interruptions

PARALLEL_TASK = (
    "cqb18e08:qckpt-host3:qckptjob:qckptjob:mpiexec:150421:sge:0:1796574935:179657493"
    "5:1796574953:0:0:18:0.139555:0.064615:18236.000000:0:0:0:0:8034:0:0:0.000000:144"
    ":0:0:0:356:70:NONE:defaultdepartment:qpe91bdc:2:0:0.204170:0.001920:0.006310:-q "
    "cqb18e08 -masterq cqb18e08@vm -pe qpe91bdc 2 -ckpt pm75c2ca28:0.000000:1.qckpt-h"
    "ost3:46702592.000000:0:0"
)
HOST_FAILED = (
    "all.q:qckpt-host3:qckptjob:qckptjob:crash:150482:sge:0:1796575801:0:0:19:0:0:0.0"
    "00000:0.000000:0.000000:0:0:0:0:0:0:0:0.000000:0:0:0:0:0:0:NONE:defaultdepartmen"
    "t:NONE:1:0:0.000000:0.000000:0.000000:-q all.q@qckpt-host3 -l h_rt=600:0.000000:"
    "NONE:0.000000:0:0"
)
REQUEUED = (
    "cqa12505:vm:qckptjob:qckptjob:counter.py:2:sge:0:1796565867:1796565867:179656587"
    "8:25:99:11:0.223257:0.062331:19452.000000:0:0:0:0:20446:0:0:0.000000:200:0:0:0:4"
    "27:150:NONE:defaultdepartment:NONE:1:0:0.285588:0.000828:0.003175:-q cqa12505 -l"
    " s_rt=15 -ckpt rse64a40dc:0.000000:NONE:31543296.000000:0:0"
)
MIGRATED = (
    "all.q:qckpt-host2:qckptjob:qckptjob:demo-count:150461:sge:0:1796575437:179657543"
    "7:1796575459:24:0:22:0.032760:0.030456:18060.000000:0:0:0:0:2654:0:0:0.000000:56"
    ":0:0:0:33:7:NONE:defaultdepartment:NONE:1:0:0.080000:0.000376:0.005108:-q all.q@"
    "qckpt-host3 -ckpt signal:0.000000:NONE:27148288.000000:0:0"
)
RESCHEDULED = (
    "all.q:qckpt-host2:qckptjob:qckptjob:resched:150483:sge:0:0:0:0:25:0:0:0.000000:0"
    ".000000:0.000000:0:0:0:0:0:0:0:0.000000:0:0:0:0:0:0:NONE:defaultdepartment:NONE:"
    "1:0:0.000000:0.000000:0.000000:-q all.q@qckpt-host2:0.000000:NONE:0.000000:0:0"
)
DELETED = (
    "all.q:qckpt-host2:qckptjob:qckptjob:resched:150483:sge:0:1796575810:1796575817:1"
    "796575882:0:0:0:0.000000:0.000000:0.000000:0:0:0:0:0:0:0:0.000000:0:0:0:0:0:0:NO"
    "NE:defaultdepartment:NONE:1:0:0.000000:0.000000:0.000000:-q all.q@qckpt-host2:0."
    "000000:NONE:0.000000:0:0"
)
ALL = [PARALLEL_TASK, HOST_FAILED, REQUEUED, MIGRATED, RESCHEDULED, DELETED]


def accounting(tmp_path, *lines: str, mode: int = 0o644) -> str:
    folder = tmp_path / "common"
    folder.mkdir(exist_ok=True)
    path = folder / "accounting"
    path.write_text("# Version: 8.1.9\n" + "".join(line + "\n" for line in lines))
    path.chmod(mode)
    return str(path)


def test_each_kind_of_run_is_counted_where_it_belongs(tmp_path):
    found = interruptions.read(accounting(tmp_path, *ALL))
    assert found.problem == "" and found.bad == 0
    assert found.runs == 5  # the parallel job's qrsh -inherit task is not a run
    assert (found.failures, found.reschedules) == (1, 1)
    assert (found.requeues, found.migrations, found.limits) == (1, 1, 0)
    assert found.run_seconds == 11 + 22  # the requeued and the migrated run; the rest have 0
    assert found.by_host == {"qckpt-host3": 1, "qckpt-host2": 1}
    assert found.lost == 2 and found.mtbi == 33 / 2


def test_a_record_without_a_time_is_dated_by_the_next_one_that_has_one(tmp_path):
    path = accounting(tmp_path, MIGRATED, RESCHEDULED, DELETED, HOST_FAILED)
    migrated_end, deleted_end = (float(r.split(":")[10]) for r in (MIGRATED, DELETED))
    found = interruptions.read(path, since=migrated_end)
    assert (found.runs, found.reschedules, found.since) == (4, 1, migrated_end)
    later = interruptions.read(path, since=deleted_end)  # the reschedule came before it
    assert (later.runs, later.reschedules, later.failures) == (3, 1, 1)
    newest = interruptions.read(path, since=deleted_end + 1)  # the failure: just now
    assert (newest.runs, newest.reschedules, newest.failures) == (1, 0, 1)


def test_no_interruption_that_loses_work_gives_no_rate(tmp_path):
    found = interruptions.read(accounting(tmp_path, REQUEUED, MIGRATED))
    assert found.lost == 0 and found.mtbi is None and found.run_seconds == 33


def test_lines_that_are_not_records_are_counted_not_summed(tmp_path):
    cut = HOST_FAILED[:60]
    wrong = REQUEUED.replace(":25:99:11:", ":25:99:eleven:")
    found = interruptions.read(accounting(tmp_path, cut, wrong, MIGRATED))
    assert (found.bad, found.runs, found.run_seconds) == (2, 1, 22)


def test_a_file_others_may_write_or_a_link_is_not_believed(tmp_path):
    path = accounting(tmp_path, HOST_FAILED, RESCHEDULED, mode=0o666)
    found = interruptions.read(path)
    assert "may be written by others" in found.problem and found.runs == 0
    os.chmod(path, 0o644)
    os.rename(path, path + ".real")
    os.symlink(path + ".real", path)
    found = interruptions.read(path)
    assert "not a regular file" in found.problem and found.runs == 0
    assert interruptions.read(str(tmp_path / "none" / "accounting")).problem


def test_only_the_files_last_bytes_are_read(tmp_path):
    path = accounting(tmp_path, *([MIGRATED] * 100), HOST_FAILED)
    found = interruptions.read(path, cap=len(HOST_FAILED) + len(MIGRATED) + 10)
    assert (found.runs, found.failures, found.migrations) == (2, 1, 1)


def test_the_path_is_the_cells(monkeypatch):
    for name in ("SGE_ROOT", "SGE_CELL"):
        monkeypatch.delenv(name, raising=False)
    ge = GridEngine(env={"SGE_ROOT": "/opt/sge", "SGE_CELL": "prod"})
    assert ge.common("accounting") == "/opt/sge/prod/common/accounting"
    assert GridEngine().common("accounting") == "/var/lib/gridengine/default/common/accounting"
