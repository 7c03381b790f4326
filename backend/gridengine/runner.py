"""The one place that runs Grid Engine commands (qconf, qstat, qmod, qalter, qacct, daemons).

Argument lists only, never a shell string; a timeout; stderr kept; failures raised as
typed errors carrying Grid Engine's own message.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from qckpt.backend.errors import (
    AlreadyExists,
    GridEngineError,
    NotFound,
    NotManager,
    QmasterUnreachable,
    StillReferenced,
)

CELL_VARIABLES = ("SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "SGE_EXECD_PORT")
DEFAULT_TIMEOUT = 30.0

# Fragments of Grid Engine's own messages (qconf, qstat and qmod print them on stderr or,
# for some refusals, stdout, with exit status 1), most specific first.
_CLASSIFY: tuple[tuple[str, type[GridEngineError]], ...] = (
    ("must be manager", NotManager),
    ("must be operator", NotManager),
    ("is still referenced", StillReferenced),
    ("already exists", AlreadyExists),
    ("does not exist", NotFound),
    ("is not a checkpointing interface definition", NotFound),
    ("no cluster queue or queue instance matches", NotFound),
    ("no ckpt interface definition defined", NotFound),
    ("unable to send message to qmaster", QmasterUnreachable),
    ("unable to contact qmaster", QmasterUnreachable),
    ("commlib error", QmasterUnreachable),
    ("cell directory", QmasterUnreachable),
)


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def message(self) -> str:
        """Grid Engine's answer as one line (qconf answers on stderr, even on success)."""
        lines = [ln.strip() for ln in (self.stderr + "\n" + self.stdout).splitlines()]
        return " ".join(ln for ln in lines if ln)


def classify(message: str, args: list[str]) -> GridEngineError:
    low = message.lower()
    for fragment, kind in _CLASSIFY:
        if fragment in low:
            return kind(message, args)
    return GridEngineError(message or f"{args[0]} failed", args)


@dataclass
class GridEngine:
    """Runs Grid Engine client commands against one cell.

    `env` overrides the cell variables of the process environment (None = inherit).
    """

    env: Mapping[str, str] | None = None
    timeout: float = DEFAULT_TIMEOUT
    user: str | None = None  # run every command as this user (needs root)
    calls: list[list[str]] = field(default_factory=list, repr=False)

    def environment(self) -> dict[str, str]:
        merged = dict(os.environ)
        if self.env:
            merged.update(self.env)
        return merged

    def root_and_cell(self) -> tuple[str, str]:
        """$SGE_ROOT and $SGE_CELL, with Debian's defaults."""
        env = self.environment()
        return env.get("SGE_ROOT", "/var/lib/gridengine"), env.get("SGE_CELL", "default")

    def common(self, name: str) -> str:
        """A file of the cell's common folder ($SGE_ROOT/$SGE_CELL/common/NAME)."""
        return os.path.join(*self.root_and_cell(), "common", name)

    def describe(self) -> str:
        root, cell = self.root_and_cell()
        return f"cell {cell} under {root}"

    def run(
        self,
        args: list[str],
        *,
        input: str | None = None,
        check: bool = True,
        user: str | None = None,
        cwd: str | None = None,
    ) -> Result:
        """Run one command; raise a typed error when it fails and check is true.

        `user` runs it as that user (root only), e.g. the admin user or a job owner.
        """
        self.calls.append(list(args))
        identity = self.identity(user or self.user)
        try:
            proc = subprocess.run(
                args,
                input=input,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",  # a user's job name or environment is any bytes
                timeout=self.timeout,
                env=self.environment(),
                stdin=None if input is not None else subprocess.DEVNULL,
                cwd=cwd,
                **identity,
            )
        except FileNotFoundError as exc:
            raise GridEngineError(
                f"{args[0]} not found: install gridengine-client (or run qckpt sandbox up)", args
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise QmasterUnreachable(
                f"{args[0]} did not answer within {self.timeout:g} s ({self.describe()}):"
                " is sge_qmaster running?",
                args,
            ) from exc
        result = Result(list(args), proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise classify(result.message, args)
        return result

    @staticmethod
    def identity(user: str | None) -> dict:
        """subprocess arguments that run a command as `user` (root only; None: as we are)."""
        if user is None:
            return {}
        entry = pwd.getpwnam(user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def qconf(self, *args: str, check: bool = True) -> Result:
        return self.run(["qconf", *args], check=check)

    def qconf_file(self, option: str, text: str, name: str | None = None) -> Result:
        """qconf OPTION FILE (-Ackpt, -Mckpt, -Aq, -Mc, -Msconf, -Mconf) with text in a
        temporary file, never an editor. `name`: the file's own name, for -Mconf, which takes
        the configuration's name from it."""
        with tempfile.TemporaryDirectory(prefix="qckpt-") as folder:
            os.chmod(folder, 0o755)  # qconf may run as another user (GridEngine.user)
            path = os.path.join(folder, name or "object")
            with open(path, "w") as handle:
                handle.write(text)
            os.chmod(path, 0o644)
            return self.qconf(option, path)

    def qstat(self, *args: str, check: bool = True) -> Result:
        return self.run(["qstat", *args], check=check)

    def start_daemon(self, path: str) -> Result:
        """Start a Grid Engine daemon (it forks into the background itself)."""
        return self.run([path])
