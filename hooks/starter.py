"""The Python half of qckpt-starter, the queue's starter_method (`qckpt-hook starter ARGS`).

qckpt-starter itself is a perl script (starter.pl) that execs every job not using a qckpt
checkpoint environment as the shepherd would have (launch.py's rules) and hands the others
here. This module decides again, on the same rules (a job whose checkpoint command it
cannot read is exec'd the same way), and only a checkpointing job loads the rest of the
hooks (start_checkpointing.py).
"""

from __future__ import annotations

import sys

from .errors import StartError
from .launch import FAILED, exec_job, job_environ, passthrough
from .spool import read_config

HOOK_NAME = "qckpt-hook"


def maybe_ours(config: dict[str, str]) -> bool:
    """Cheap test (no imports): an application-level object whose commands call qckpt-hook."""
    if config.get("ckpt_job", "0") in ("0", "") or not config.get("ckpt_dir"):
        return False
    if config.get("ckpt_interface", "").lower() != "application-level":
        return False
    commands = (config.get("ckpt_command", ""), config.get("ckpt_migr_command", ""))
    return any(HOOK_NAME in command for command in commands)


def qckpt_hook(config: dict[str, str]):
    """The job's checkpoint object as a HookCommand, if it is a qckpt one."""
    if not maybe_ours(config):
        return None
    from .jobinfo import parse_command_line

    return parse_command_line(config.get("ckpt_command")) or parse_command_line(
        config.get("ckpt_migr_command")
    )


def name_process() -> None:
    """The kernel names this process python3; the hooks tell the starter, which stays the
    job's parent, by the name qckpt-starter (engine_signal.STARTER)."""
    try:
        with open("/proc/self/comm", "w") as handle:
            handle.write("qckpt-starter")
    except OSError:
        pass


def run_plain(filename: str, job_argv: list[str], environ: dict[str, str]) -> int:
    """Exec the job as the shepherd would have; an exec that fails is one line and the
    job's error state (as starter.pl does)."""
    try:
        exec_job(filename, job_argv, environ)
    except OSError as exc:
        print(f"qckpt-starter: cannot run {filename}: {exc.strerror}", file=sys.stderr)
    return FAILED


def main(argv: list[str]) -> int:
    """argv: [qckpt-starter, script or -s, job arguments...], as the shepherd passes them."""
    environ = job_environ()
    config = read_config(environ.get("SGE_JOB_SPOOL_DIR"))
    try:
        filename, job_argv = passthrough(environ, config, argv[1:])
    except StartError as exc:
        print(f"qckpt-starter: {exc}", file=sys.stderr)
        return FAILED
    ours = bool(environ.get("SGE_CKPT_ENV"))
    if ours and config.get("pe_task_id"):
        # a `qrsh -inherit` task of a parallel job: part of its job, never a checkpointing
        # job of its own (pe_task.py)
        if not maybe_ours(config):
            return run_plain(filename, job_argv, environ)
        name_process()
        from .pe_task import start as start_task

        return start_task(environ, config, filename, job_argv)
    hook = qckpt_hook(config) if ours else None
    if hook is None:
        return run_plain(filename, job_argv, environ)
    name_process()
    from .start_checkpointing import start  # only checkpointing jobs pay for this import

    return start(environ, config, hook, filename, job_argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
