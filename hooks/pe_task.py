"""A parallel job's `qrsh -inherit` tasks under the signal engine: the checkpoint and
migrate signals reach every rank on every host, not only the master's.

Grid Engine starts each `qrsh -inherit` task through the queue's starter_method too, on
the task's host, with the job's checkpoint environment in the task's spool config (which
names the task: pe_task_id). Such a task is part of its job, never a checkpointing job of
its own. Grid Engine also runs ckpt_command and migr_command for every task, on its host,
with the task's pid, each host on its own min_cpu_interval clock: those calls do nothing
(take.py), as ranks signalled at different moments would not make one generation.

Instead the starter stays as the task's parent, its agent: it listens on a TCP port of its
own and writes host, port and a random token into the job's task directory (tasks/, the
owner's private folder on ckpt_dir, which every execution host shares), and the master's
checkpoint asks each agent, with the token, to signal its task's ranks as the master's own
are signalled. The agent signals only for the environment's verbs, only the processes of
its task (its session, as on the master) that catch the signal; an MPI launcher that puts
its ranks in sessions of their own forwards USR1 and USR2 to them itself (MPICH's mpiexec
does, through its hydra_pmi_proxy on each host; a proxy signalled directly does not).
The task gets QCKPT_DIR, the job's state folder, to write its ranks' state beside the
master's: one generation holds every rank's files.

Under DMTCP a task is exec'd unchanged: Grid Engine's execd starts it, outside the job's
coordinator, so the job's checkpoints cannot hold it, and the job's error says so (a run on
several hosts is refused at its start: engine_dmtcp.refuse_hosts).

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import re
import secrets
import socket
import sys
import threading

from . import engine_signal, errors, generations, jobinfo, layout, safe, taskdir
from .errors import EngineError
from .events import Events
from .launch import exec_job

TASKS = layout.TASKS
POLL = 0.25  # seconds between the agent's looks at its task
TIMEOUT = 10.0  # seconds an agent may take to answer (a busy host's /proc walk included)
LINE = 4096  # bytes of a request or an answer at most
_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")  # pe_task_id: 1.HOST


def verb_signals(config: dict[str, str]) -> dict[str, int]:
    """verb -> signal of the job's signal-engine commands (ckpt_command, migr_command)."""
    found = {}
    for key in ("ckpt_command", "ckpt_migr_command"):
        cmd = jobinfo.parse_command_line(config.get(key))
        if cmd and cmd.options.engine == "signal" and cmd.verb in engine_signal.DEFAULT_SIGNALS:
            name = engine_signal.signal_of(cmd.verb, cmd.options.signal)
            found[cmd.verb] = engine_signal.signal_number(name)
    return found


def start(environ: dict[str, str], config: dict[str, str], filename: str, argv: list[str]) -> int:
    """The starter for a `qrsh -inherit` task of a qckpt job: under the signal engine, its
    agent (serve); under DMTCP the task exec'd as the shepherd would have, and the job's
    error says that its checkpoints do not hold it."""
    try:
        signals = verb_signals(config)
    except EngineError as exc:
        print(f"qckpt-starter: {exc}", file=sys.stderr)
        signals = {}
    job = task_job(environ, config)
    if job is not None and not signals:
        outside_dmtcp(job, config["pe_task_id"])
    if job is None or not signals:
        exec_job(filename, argv, environ)
    env = dict(environ, QCKPT_DIR=job.state_dir)
    launch = (filename, argv, env)
    return serve(job.task_dir, config["pe_task_id"], signals, launch, config.get("host", ""))


def task_job(environ: dict[str, str], config: dict[str, str]) -> jobinfo.Job | None:
    """The task's job with its task directory (the master made it), or None (said why)."""
    # a task's SGE_TASK_ID is "undefined" even in an array job: its spool folder,
    # active_jobs/JOB.TASK/PE_TASK_ID, names the array task
    spool = os.path.basename(os.path.dirname(environ.get("SGE_JOB_SPOOL_DIR", "")))
    task = spool.partition(".")[2]
    try:
        job = jobinfo.job_from_environment(dict(environ, SGE_TASK_ID=task), config)
        found = taskdir.find(job.ckpt_dir, job.label)
    except (errors.UsageError, OSError) as exc:
        print(f"qckpt-starter: {exc}: this task is not checkpointed", file=sys.stderr)
        return None
    if found is None:
        print(
            "qckpt-starter: no task directory of the job: this task is not checkpointed",
            file=sys.stderr,
        )
        return None
    job.task_dir = found
    return job


def outside_dmtcp(job: jobinfo.Job, pe_task_id: str) -> None:
    """A DMTCP job's `qrsh -inherit` task runs outside the job's coordinator (Grid Engine's
    execd starts it, not the job): say so in the job's events and last error."""
    message = (
        f"its qrsh -inherit task {pe_task_id} runs outside DMTCP: the job's checkpoints do"
        " not hold it and a restart does not bring it back (under DMTCP a parallel job must"
        " start its processes itself, on one host)"
    )
    print(f"qckpt-starter: {message}", file=sys.stderr)
    try:
        with generations.TaskLock(job.task_dir, 10):  # the master writes the manifest too
            Events(job, "task").error(message)
    except (OSError, errors.LockTimeout):
        pass  # the task runs all the same: its error file has the line


def record_path(task_dir: str, pe_task_id: str) -> str:
    if not _TASK_ID.match(pe_task_id) or pe_task_id.startswith("."):
        raise EngineError(f"pe_task_id {pe_task_id!r}: expected NUMBER.HOST")
    return os.path.join(taskdir.private_dir(task_dir, TASKS), pe_task_id + ".json")


def serve(
    task_dir: str,
    pe_task_id: str,
    signals: dict[str, int],
    launch: tuple[str, list[str], dict[str, str]],
    host: str = "",
) -> int:
    """Run the task as our child and answer the master's requests until it ends; end as it
    ended. `signals`: verb -> signal number (the environment's); `host`: this host's name
    as Grid Engine knows it (every host resolves those)."""
    from .watch import exit_like, pass_signals_on  # the agent's alone: not every hook's

    host = host or socket.gethostname()
    path = record_path(task_dir, pe_task_id)
    listener = socket.create_server(("", 0), backlog=16)  # every interface: the master calls
    listener.settimeout(POLL)
    token = secrets.token_hex(16)
    record = {"host": host, "port": listener.getsockname()[1], "token": token}
    # written before the task starts: a checkpoint from now on reaches it
    layout.write_json_atomic(path, dict(record, started=layout.now_iso()), 0o600)
    child = os.fork()
    if child == 0:
        listener.close()
        try:
            exec_job(*launch)
        finally:
            os._exit(127)
    pass_signals_on()  # the shepherd signals the task's group: the task gets them, we live on
    try:
        while True:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                return exit_like(status)
            try:
                conn, _peer = listener.accept()
            except (socket.timeout, InterruptedError):
                continue
            worker = threading.Thread(target=answer, args=(conn, token, child, signals, host))
            worker.daemon = True
            worker.start()
    finally:
        listener.close()
        with_record = safe.read_head(path, LINE, owner=os.geteuid())
        with contextlib.suppress(ValueError, AttributeError):  # never mask the task's end
            if with_record and json.loads(with_record).get("token") == token:
                os.unlink(path)  # ours (a later task of the same id writes its own)


def answer(conn: socket.socket, token: str, child: int, signals: dict[str, int], host: str) -> None:
    """One request: {"token", "verb"} -> {"host", "signalled": [pids]} or {"error"}."""
    with conn:
        conn.settimeout(TIMEOUT)
        try:
            request = json.loads(read_line(conn))
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except (OSError, ValueError):
            return  # not the master: nothing said, nothing done
        given = request.get("token")
        if not isinstance(given, str) or not hmac.compare_digest(given, token):
            return
        verb = request.get("verb")
        reply: dict
        if verb not in signals:
            reply = {"error": f"verb {verb!r}: expected one of {', '.join(sorted(signals))}"}
        else:
            try:
                reply = {"signalled": engine_signal.deliver(child, signals[verb])}
            except EngineError as exc:
                reply = {"error": str(exc)}
        reply["host"] = host
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply).encode() + b"\n")


def read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(LINE)
        if not chunk:
            break
        data += chunk
        if len(data) > LINE:
            raise ValueError("request too long")
    return data.split(b"\n", 1)[0]


def records(task_dir: str) -> list[dict]:
    """The running tasks' records: only regular files of ours in our private tasks/."""
    folder = os.path.join(task_dir, TASKS)
    if safe.trusted_dir(folder, os.geteuid()) is None:
        return []
    found = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json") or name.startswith("."):
            continue
        raw = safe.read_head(os.path.join(folder, name), LINE, owner=os.geteuid())
        try:
            record = json.loads(raw) if raw else None
        except ValueError:
            record = None
        if (
            isinstance(record, dict)
            and isinstance(record.get("host"), str)
            and type(record.get("port")) is int
            and isinstance(record.get("token"), str)
        ):
            found.append(dict(record, task=name[: -len(".json")]))
    return found


def ask(record: dict, verb: str) -> dict:
    """One agent's answer; {"error"} if it cannot be reached (its task just ended)."""
    try:
        with socket.create_connection((record["host"], record["port"]), timeout=TIMEOUT) as conn:
            conn.sendall(json.dumps({"token": record["token"], "verb": verb}).encode() + b"\n")
            line = read_line(conn)
            reply = json.loads(line) if line else None
    except ConnectionRefusedError:
        return {"host": record["host"], "gone": True}  # nobody listens: its task has ended
    except (OSError, ValueError) as exc:
        return {"host": record["host"], "error": f"its agent did not answer: {exc}"}
    if not isinstance(reply, dict):  # an agent says nothing to a request without its token
        return {"host": record["host"], "error": "its agent gave no answer (not its token?)"}
    return {"host": record["host"], **{k: reply[k] for k in ("signalled", "error") if k in reply}}


def forget(task_dir: str) -> None:
    """A new run's master: the records of the last run's tasks (killed, never removed) go."""
    folder = os.path.join(task_dir, TASKS)
    if safe.trusted_dir(folder, os.geteuid()) is not None:
        for name in os.listdir(folder):
            with contextlib.suppress(OSError):  # a folder there (the owner's doing) stays
                os.unlink(os.path.join(folder, name))


def signal_tasks(task_dir: str, verb: str) -> list[dict]:
    """Every running task signalled for `verb`, all at once: one answer per task (a task
    that has ended meanwhile is left out, and its record removed)."""
    found = records(task_dir)
    answers: list[dict] = [{}] * len(found)

    def one(index: int) -> None:
        answers[index] = dict(ask(found[index], verb), task=found[index]["task"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(found))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer_ in answers:
        if answer_.get("gone"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(task_dir, TASKS, answer_["task"] + ".json"))
    return [a for a in answers if not a.get("gone")]
