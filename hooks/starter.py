"""qckpt-starter: the queue's starter_method; it runs for every batch job of the queue.

A job that does not use a qckpt checkpoint environment is exec'd exactly as the shepherd
would have started it itself (daemons/shepherd/builtin_starter.c, start_command). With a
starter, the shepherd passes [script, args...] (or [-s, args...] for script_from_stdin),
turns unix_behavior into posix_compliant and tells the real mode in the environment.
"""

from __future__ import annotations

import os
import sys

try:  # the builtin module: `signal` would import enum, and every job of the queue pays
    import _signal as signal
except ImportError:  # pragma: no cover - not CPython
    import signal  # type: ignore[no-redef]

from .spool import read_config

HOOK_NAME = "qckpt-hook"


class StartError(Exception):
    pass


def shell_argv0(shell: str, login: bool) -> str:
    base = os.path.basename(shell)
    return "-" + base if login else base


def passthrough(
    environ: dict[str, str], config: dict[str, str], args: list[str]
) -> tuple[str, list[str]]:
    """(file to exec, argv) the shepherd would have used without a starter. Pure."""
    shell = environ.get("SGE_STARTER_SHELL_PATH") or config.get("shell_path") or "/bin/sh"
    mode = (environ.get("SGE_STARTER_SHELL_START_MODE") or "posix_compliant").lower()
    login = environ.get("SGE_STARTER_USE_LOGIN_SHELL", "false").lower() == "true"
    binary = config.get("handle_as_binary", "0") == "1"
    no_shell = config.get("no_shell", "0") == "1"
    argv0 = shell_argv0(shell, login)
    if not args:
        raise StartError("the starter got no job script (it is run by Grid Engine)")
    script, rest = args[0], list(args[1:])
    if binary and not no_shell:
        # Case 1: a binary job runs as `shell -c "command arg arg "` (as Grid Engine joins it).
        return shell, [argv0, "-c", script + " " + "".join(a + " " for a in rest)]
    if mode == "script_from_stdin":
        return shell, [argv0, "-s", *rest]  # stdin is already the script
    if mode == "posix_compliant" and not binary:
        return shell, [argv0, script, *rest]
    if mode == "start_as_command":
        return shell, [argv0, "-c", script]
    return script, [script, *rest]  # unix_behavior, raw_exec, binary without a shell


def with_option(filename: str, argv: list[str], option: str) -> tuple[str, list[str]]:
    """The same start with `option` appended to the job's arguments."""
    if len(argv) == 3 and argv[1] == "-c":
        return filename, [argv[0], "-c", argv[2].rstrip() + " " + option]
    return filename, [*argv, option]


def exec_job(filename: str, argv: list[str], environ: dict[str, str]) -> None:
    # Python ignores SIGPIPE and SIGXFSZ; a job must start with them at their defaults.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    os.execvpe(filename, argv, environ)


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


def main(argv: list[str]) -> int:
    environ = dict(os.environ)
    config = read_config(environ.get("SGE_JOB_SPOOL_DIR"))
    try:
        filename, job_argv = passthrough(environ, config, argv[1:])
    except StartError as exc:
        print(f"qckpt-starter: {exc}", file=sys.stderr)
        return 100
    hook = qckpt_hook(config) if environ.get("SGE_CKPT_ENV") else None
    if hook is None:
        exec_job(filename, job_argv, environ)
    from .start_checkpointing import start  # only checkpointing jobs pay for this import

    return start(environ, config, hook, filename, job_argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
