"""Validation of checkpoint environments: Grid Engine's own rules and what it misses.

Every error names the field (qconf's name for it) and the rule. Pure functions.
"""

from __future__ import annotations

import re

from qckpt.backend.errors import FieldError
from qckpt.backend.gridengine.checkpoint import COMMAND_FIELDS, INTERFACES, CheckpointEnv

PSEUDO_VARIABLES = (
    "host",
    "ja_task_id",
    "job_owner",
    "job_id",
    "job_name",
    "queue",
    "job_pid",
    "ckpt_dir",
    "ckpt_signal",
    "sge_cell",
    "sge_root",
)
# Signal names Grid Engine 8.1.9 accepts that are also signals on Linux (tried on qconf).
SIGNAL_NAMES = (
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG", "XCPU", "XFSZ", "WINCH", "IO",
)  # fmt: skip
# Linux signals Grid Engine refuses by name: point to the number instead.
SIGNAL_NUMBER_ONLY = {"STKFLT": 16, "VTALRM": 26, "PROF": 27, "POLL": 29, "PWR": 30, "SYS": 31}
SIGRTMAX = 64
NAME_MAX = 512
_NAME_FORBIDDEN = "\n\t\r /:'\"\\[]{}|()@%,"
_NAME_KEYWORDS = ("NONE", "ALL", "TEMPLATE")
_VAR_NAME = re.compile(r"[A-Za-z0-9_]+")
_PSEUDO_LIST = " ".join("$" + v for v in PSEUDO_VARIABLES)


def check_name(value: str, field: str = "ckpt_name") -> FieldError | None:
    """An object_name as sge_types(5) and Grid Engine's verify_str_key define it."""
    if not value:
        return FieldError(field, "required: a name")
    if len(value) > NAME_MAX:
        return FieldError(field, f"at most {NAME_MAX} characters")
    if value[0] in ".#":
        return FieldError(field, f"may not start with '{value[0]}'")
    for ch in value:
        if ch in _NAME_FORBIDDEN:
            shown = {"\n": "a newline", "\t": "a tab", "\r": "a carriage return", " ": "a space"}
            return FieldError(field, f"may not contain {shown.get(ch, repr(ch))}")
        if not (ch.isascii() and ch.isprintable()):
            return FieldError(field, f"printable ASCII only (found {ch!r})")
    if value.upper() in _NAME_KEYWORDS:
        return FieldError(field, f"{value} is a reserved word in Grid Engine")
    return None


def check_interface(value: str) -> FieldError | None:
    if value.strip().lower() not in INTERFACES:
        return FieldError("interface", "one of " + ", ".join(INTERFACES) + " (any case)")
    return None


def check_when(value: str) -> FieldError | None:
    letters = value.strip()
    if not letters:
        return FieldError("when", "required: letters from s, m, x, r, or n alone")
    if letters == "n":
        return None
    if "n" in letters:
        return FieldError("when", "n (never) must stand alone")
    bad = sorted({ch for ch in letters if ch not in "smxr"})
    if bad:
        return FieldError(
            "when", f"letters from s, m, x, r (lower case), or n alone; not {''.join(bad)!r}"
        )
    return None


def check_signal(value: str) -> FieldError | None:
    sig = value.strip()
    if not sig:
        return FieldError("signal", "required: NONE, a signal name such as USR1, or a number")
    if sig.upper() == "NONE":
        return None
    if sig.isdigit():
        if 1 <= int(sig) <= SIGRTMAX:
            return None
        return FieldError("signal", f"a signal number from 1 to {SIGRTMAX}")
    upper = sig.upper()
    if upper.startswith("SIG"):
        return FieldError("signal", f"write the name without SIG: {sig[3:]}")
    if upper in SIGNAL_NAMES:
        return None
    if upper in SIGNAL_NUMBER_ONLY:
        number = SIGNAL_NUMBER_ONLY[upper]
        return FieldError("signal", f"Grid Engine does not know {sig} by name; use {number}")
    return FieldError("signal", f"{sig} is not a Linux signal Grid Engine knows (e.g. USR1, 10)")


def check_command(field: str, value: str) -> FieldError | None:
    command = value.strip()
    if not command:
        return FieldError(field, "required: an absolute command path with arguments, or NONE")
    if command.upper() == "NONE":
        return None
    if not command.startswith("/"):
        return FieldError(field, "the program must be an absolute path (starting with /)")
    pos = 0
    while True:
        pos = command.find("$", pos)
        if pos < 0:
            return None
        match = _VAR_NAME.match(command, pos + 1)
        if match is None:
            shown = command[pos : pos + 3]
            return FieldError(
                field,
                f"{shown!r}: '$' must be followed by a pseudo-variable name; shell variables"
                " cannot be used here (Grid Engine substitutes every $word itself)",
            )
        name = match.group(0)
        if name not in PSEUDO_VARIABLES:
            return FieldError(
                field,
                f"${name} is not a pseudo-variable (Grid Engine would take it as one);"
                f" allowed: {_PSEUDO_LIST}",
            )
        pos = match.end()


def check_ckpt_dir(value: str) -> FieldError | None:
    path = value.strip()
    if not path:
        return FieldError("ckpt_dir", "required: an absolute directory path")
    if any(ch.isspace() for ch in value):
        return FieldError(
            "ckpt_dir", "may not contain spaces or newlines ($ckpt_dir is substituted unquoted)"
        )
    if not path.startswith("/"):
        return FieldError("ckpt_dir", "must be an absolute path (starting with /)")
    return None


def check_field(field: str, value: str) -> FieldError | None:
    """Check one field on its own (what a form does on every keystroke)."""
    if "\n" in value or "\r" in value:
        return FieldError(field, "must be one line (no newline)")
    if field in ("ckpt_name", "name"):
        return check_name(value)
    if field == "interface":
        return check_interface(value)
    if field in COMMAND_FIELDS:
        return check_command(field, value)
    if field == "ckpt_dir":
        return check_ckpt_dir(value)
    if field == "signal":
        return check_signal(value)
    if field == "when":
        return check_when(value)
    return FieldError(field, "not a checkpoint(5) field")


def validate(env: CheckpointEnv) -> list[FieldError]:
    """Every rule broken by env, in field order; empty when it may go to Grid Engine."""
    errors = [
        err
        for qname, value in env.as_dict().items()
        if (err := check_field(qname, value)) is not None
    ]
    for qname in env.extra:
        errors.append(FieldError(qname, "not a checkpoint(5) field; Grid Engine refuses it"))
    interface = env.interface.strip().lower()
    if interface in ("transparent", "userdefined") and env.signal.strip().upper() == "NONE":
        errors.append(
            FieldError(
                "signal",
                f"interface {interface} needs a signal: Grid Engine only sends it"
                " (its commands are ignored)",
            )
        )
    return errors
