"""Typed errors. Each carries the one line a user should read."""

from __future__ import annotations


class QckptError(Exception):
    """Base of every error qckpt reports to a user as one line."""


class FieldError(QckptError):
    """A value that breaks a rule; names the field and the rule."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class ValidationFailed(QckptError):
    """One or more FieldErrors; nothing was sent to Grid Engine."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        first = errors[0] if errors else FieldError("?", "invalid")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")


class GridEngineError(QckptError):
    """A Grid Engine command failed; the message is Grid Engine's own."""

    def __init__(self, message: str, command: list[str] | None = None) -> None:
        super().__init__(message)
        self.command = command or []


class HookFailed(QckptError):
    """A hook run by the console (Checkpoint now) failed; carries the hook's own message."""


class AlreadyExists(GridEngineError):
    pass


class NotFound(GridEngineError):
    pass


class NotManager(GridEngineError):
    pass


class StillReferenced(GridEngineError):
    pass


class QmasterUnreachable(GridEngineError):
    pass


class ChangedOnCell(QckptError):
    """The object changed on the cell since it was loaded; carries the difference."""

    def __init__(self, name: str, diff: list[str]) -> None:
        self.name = name
        self.diff = diff
        super().__init__(
            f"{name}: changed on the cell since it was loaded; reload and edit again: "
            + "; ".join(diff)
        )


class ReadBackMismatch(QckptError):
    """Grid Engine accepted a write but holds something else afterwards."""

    def __init__(self, name: str, diff: list[str]) -> None:
        self.name = name
        self.diff = diff
        super().__init__(f"{name}: the cell holds something else than written: " + "; ".join(diff))
