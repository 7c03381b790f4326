"""Text from files and from Grid Engine, made safe to print or show (no escape sequences,
no newlines that forge a row, no markup), and files read as text with a size cap."""

from __future__ import annotations

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.hooks.safe import plain

__all__ = ["plain", "read_text"]
TEXT_CAP = 4 << 20


def read_text(path: str, field: str | None = None) -> str:
    """A UTF-8 text file of at most TEXT_CAP bytes, or ValidationFailed naming the field
    (default: the path) and what is wrong with the file."""
    field = field or path
    try:
        with open(path, "rb") as handle:
            data = handle.read(TEXT_CAP + 1)
    except OSError as exc:
        raise ValidationFailed([FieldError(field, f"cannot be read: {exc.strerror}")]) from None
    if len(data) > TEXT_CAP:
        raise ValidationFailed([FieldError(field, f"larger than {TEXT_CAP >> 20} MiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed([FieldError(field, "not a text file (UTF-8)")]) from None
    if "\0" in text:
        raise ValidationFailed([FieldError(field, "not a text file (it holds NUL bytes)")])
    return text
