"""Checkpoint environments on the cell: list, show, add, modify, delete, clone.

Always through files (-Ackpt, -Mckpt) and -dckpt, never an editor; every write is
validated first and read back after.
"""

from __future__ import annotations

from qckpt.backend.errors import (
    ChangedOnCell,
    FieldError,
    NotFound,
    ReadBackMismatch,
    ValidationFailed,
)
from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.rules import check_name, validate
from qckpt.backend.gridengine.runner import GridEngine


class EnvStore:
    def __init__(self, ge: GridEngine | None = None) -> None:
        self.ge = ge or GridEngine()

    def names(self) -> list[str]:
        result = self.ge.qconf("-sckptl", check=False)
        if result.returncode != 0:
            if "no ckpt interface definition defined" in result.message:
                return []
            self.ge.qconf("-sckptl")  # raises the typed error
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]

    def get(self, name: str) -> CheckpointEnv:
        _require_name(name)
        return CheckpointEnv.from_text(self.ge.qconf("-sckpt", name).stdout)

    def list(self) -> list[CheckpointEnv]:
        envs = []
        for name in self.names():
            try:
                envs.append(self.get(name))
            except NotFound:
                continue  # deleted between the two calls
        return envs

    def add(self, env: CheckpointEnv) -> CheckpointEnv:
        env = _checked(env)
        self.ge.qconf_file("-Ackpt", env.to_text())
        return self._read_back(env)

    def modify(self, env: CheckpointEnv, loaded: CheckpointEnv) -> CheckpointEnv:
        """Write env over the object `loaded` was read from; refuse if the cell changed."""
        env = _checked(env)
        if env.name != loaded.name:
            raise ValidationFailed(
                [FieldError("ckpt_name", "cannot be changed by modify; clone it instead")]
            )
        current = self.get(env.name)
        changed = loaded.diff(current)
        if changed:
            raise ChangedOnCell(env.name, changed)
        self.ge.qconf_file("-Mckpt", env.to_text())
        return self._read_back(env)

    def edit(self, name: str, **changes: str) -> CheckpointEnv:
        """Load, change some fields, modify (the load is the `loaded` version)."""
        loaded = self.get(name)
        return self.modify(loaded.with_changes(**changes), loaded)

    def delete(self, name: str) -> None:
        _require_name(name)
        self.ge.qconf("-dckpt", name)
        if name in self.names():
            raise ReadBackMismatch(name, ["still listed after delete"])

    def clone(self, source: str, target: str) -> CheckpointEnv:
        original = self.get(source)
        return self.add(original.with_changes(name=target))

    def _read_back(self, written: CheckpointEnv) -> CheckpointEnv:
        stored = self.get(written.name)
        mismatch = written.diff(stored)
        if mismatch:
            raise ReadBackMismatch(written.name, mismatch)
        return stored


def _checked(env: CheckpointEnv) -> CheckpointEnv:
    errors = validate(env)
    if errors:
        raise ValidationFailed(errors)
    return env.canonical()


def _require_name(name: str) -> None:
    err = check_name(name)
    if err is not None:
        raise ValidationFailed([err])
