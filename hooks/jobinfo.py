"""What a hook knows about its job: the job's spool config, environment and hook options.

Pure parsing, no side effects.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from . import layout, safe
from .errors import UsageError
from .safe import user_name
from .spool import read_config  # noqa: F401  (re-exported for the verbs)

HOOK_NAME = "qckpt-hook"
ENGINES = ("dmtcp", "signal")
DEFAULT_KEEP = 2
DEFAULT_TIMEOUT = 600.0
DEFAULT_TMPDIR_LIMIT = 10 << 30  # generous: scratch files of gigabytes are common


@dataclass
class Options:
    engine: str = "dmtcp"
    keep: int = DEFAULT_KEEP
    signal: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    restart_option: str = "--restart"
    same_cpu: bool = False
    fsync: bool = False  # also fsync image data (metadata and renames always are)
    save: bool = False  # clean: keep the directory (as SGE_LEAVE_CKPT_DIR does)
    tmpdir_limit: int = DEFAULT_TMPDIR_LIMIT  # bytes of $TMPDIR kept per generation
    margin: float | None = None  # seconds before h_rt to checkpoint (None: from the job's)
    max_runs: int = 0  # runs a job may have at its time limit (0: no cap)
    compress: str = "gzip"  # DMTCP images: gzip (DMTCP's own) or none


@dataclass
class HookCommand:
    verb: str
    options: Options
    positionals: list[str] = field(default_factory=list)


def parse_hook_args(args: list[str]) -> HookCommand:
    """`VERB [--option value]... POSITIONAL...` (the tail of a checkpoint object's command)."""
    if not args:
        raise UsageError("no verb given")
    verb, rest = args[0], list(args[1:])
    opts = Options()
    positionals: list[str] = []
    while rest:
        arg = rest.pop(0)
        if arg == "--same-cpu":
            opts.same_cpu = True
        elif arg == "--fsync":
            opts.fsync = True
        elif arg in VALUED:
            if not rest:
                raise UsageError(f"{arg} needs a value")
            value = rest.pop(0)
            _set_option(opts, arg, value)
        elif arg.startswith("--"):
            raise UsageError(f"unknown option {arg}")
        elif arg == "save":
            opts.save = True
        else:
            positionals.append(arg)
    return HookCommand(verb, opts, positionals)


VALUED = (
    "--engine",
    "--keep",
    "--signal",
    "--timeout",
    "--restart-option",
    "--tmpdir-limit",
    "--margin",
    "--max-runs",
    "--compress",
)
COMPRESSORS = ("gzip", "none")
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """'10G', '500M', '2048', '0' -> bytes (K, M, G, T are powers of 1024)."""
    raw = text.strip().upper()
    for suffix in ("IB", "B"):
        if raw.endswith(suffix) and raw[: -len(suffix)][-1:] in _UNITS:
            raw = raw[: -len(suffix)]
    scale = _UNITS.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in _UNITS else raw
    if not number.isdigit():
        raise UsageError("--tmpdir-limit must be a size such as 10G, 500M or 0")
    return int(number) * scale


def _set_option(opts: Options, flag: str, value: str) -> None:
    if flag == "--engine":
        if value not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
        opts.engine = value
    elif flag == "--keep":
        if not value.isdigit() or int(value) < 1:
            raise UsageError("--keep must be a whole number >= 1")
        opts.keep = int(value)
    elif flag == "--timeout":
        try:
            opts.timeout = float(value)
        except ValueError:
            raise UsageError("--timeout must be a number of seconds") from None
        if opts.timeout <= 0:
            raise UsageError("--timeout must be positive")
    elif flag == "--signal":
        opts.signal = value
    elif flag == "--tmpdir-limit":
        opts.tmpdir_limit = parse_size(value)
    elif flag == "--margin":
        if not value.isdigit() or int(value) < 1:
            raise UsageError("--margin must be a whole number of seconds >= 1")
        opts.margin = float(value)
    elif flag == "--compress":
        if value not in COMPRESSORS:
            raise UsageError(f"--compress must be one of {', '.join(COMPRESSORS)}")
        opts.compress = value
    elif flag == "--max-runs":
        if not value.isdigit() or int(value) < 1:
            raise UsageError("--max-runs must be a whole number >= 1")
        opts.max_runs = int(value)
    else:
        opts.restart_option = value


def parse_command_line(command: str | None) -> HookCommand | None:
    """A checkpoint object's command if it calls qckpt-hook, else None."""
    if not command or command.strip().upper() == "NONE":
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or os.path.basename(words[0]) != HOOK_NAME:
        return None
    try:
        return parse_hook_args(words[1:])
    except UsageError:
        return None


@dataclass
class Job:
    job_id: str
    task: str
    ckpt_dir: str
    owner: str
    host: str
    env_name: str
    restarted: int
    config: dict[str, str]
    # ckpt_dir/JOB.TASK until a verb has found (taskdir.find) or claimed the real one
    task_dir: str = ""

    def __post_init__(self) -> None:
        self.task_dir = self.task_dir or os.path.join(self.ckpt_dir, self.label)

    @property
    def label(self) -> str:
        return f"{self.job_id}.{self.task}"

    @property
    def state_dir(self) -> str:
        """QCKPT_DIR: where the program saves its state."""
        return os.path.join(self.task_dir, layout.STATE)


def is_pe_task(config: dict[str, str]) -> bool:
    """A `qrsh -inherit` task of a parallel job (its spool config names the task: the hooks
    leave it to its job's master, pe_task.py)."""
    return bool(config.get("pe_task_id"))


def job_from_environment(
    environ: dict[str, str], config: dict[str, str], positionals: list[str] | None = None
) -> Job:
    """The job a hook runs for: positionals ($job_id $ja_task_id $ckpt_dir) win over env."""
    pos = list(positionals or [])
    job_id = pos[0] if pos else environ.get("JOB_ID") or config.get("job_id", "")
    raw_task = pos[1] if len(pos) > 1 else environ.get("SGE_TASK_ID") or config.get("ja_task_id")
    ckpt_dir = pos[2] if len(pos) > 2 else environ.get("SGE_CKPT_DIR") or config.get("ckpt_dir")
    if not job_id or not job_id.isdigit():
        raise UsageError("no job id (expected $job_id as the first argument)")
    if not ckpt_dir or not os.path.isabs(ckpt_dir):
        raise UsageError("no absolute ckpt_dir (expected $ckpt_dir as the third argument)")
    restarted = environ.get("RESTARTED") or config.get("ckpt_restarted") or "0"
    return Job(
        job_id=job_id,
        task=layout.task_number(raw_task),
        ckpt_dir=ckpt_dir,
        owner=user_name(os.geteuid()),  # hooks run as the job's owner: its uid says who
        host=config.get("host") or os.uname().nodename,
        env_name=environ.get("SGE_CKPT_ENV", ""),
        restarted=int(restarted) if restarted.isdigit() else 0,
        config=config,
    )


def pe_hosts(config: dict[str, str]) -> list[str]:
    """The hosts of a parallel job's run, the master's first: $PE_HOSTFILE (the spool
    config's pe_hostfile; lines `HOST SLOTS QUEUE PROCESSORS`), each host once. [] for a
    serial job."""
    path = config.get("pe_hostfile")
    raw = safe.read_head(path, 1 << 20) if path else None
    hosts: list[str] = []
    for line in (raw or b"").decode(errors="replace").splitlines():
        fields = line.split()
        if fields and fields[0] not in hosts:
            hosts.append(fields[0])
    return hosts
