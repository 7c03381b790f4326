"""How the shepherd starts a job, done the same way: the file and argv it would exec
(daemons/shepherd/builtin_starter.c, start_command), the same with the restart option
appended, and the exec itself. Imported by every job of a starter queue: nothing here may
import more than the builtin modules.

With a starter, the shepherd passes [script, args...] (or [-s, args...] for
script_from_stdin), turns unix_behavior into posix_compliant and tells the real mode in
the environment (SGE_STARTER_SHELL_START_MODE, SGE_STARTER_SHELL_PATH,
SGE_STARTER_USE_LOGIN_SHELL).
"""

from __future__ import annotations

import os

try:  # the builtin module: `signal` would import enum, and every job of the queue pays
    import _signal as signal
except ImportError:  # pragma: no cover - not CPython
    import signal  # type: ignore[no-redef]

from .errors import StartError


def job_environ() -> dict[str, str]:
    """The environment the shepherd gave, as it gave it. Python itself adds LC_CTYPE=C.UTF-8
    to os.environ when the locale is C or POSIX (PEP 538 locale coercion, not turned off by
    -I), and a Grid Engine job's environment has no LANG: a job started with os.environ
    would see a variable the shepherd never set. /proc/self/environ is the block the process
    was exec'd with, in its order."""
    try:
        with open("/proc/self/environ", "rb") as handle:
            block = handle.read()
    except OSError:
        return dict(os.environ)
    environ = {}
    for entry in block.split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if sep and name not in environ:
            environ[name] = value  # the first of two equal names, as getenv(3) reads
    return {os.fsdecode(name): os.fsdecode(value) for name, value in environ.items()}


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


# Grid Engine: exit 100 puts the job in error state, so an administrator sees it;
# exit 99 requeues it (for another host).
FAILED = 100
REQUEUE = 99
