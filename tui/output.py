"""Printing for the command line: aligned tables and JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

from qckpt.backend.text import plain, read_text

__all__ = ["read_text"]  # for the commands that read a file the user names


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell; the last column is never padded. Cells are
    made plain: a job name or a file's text cannot move the cursor or forge a row."""
    if not rows:
        return
    rows = [[plain(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        print("  ".join(cells).rstrip())


UNITS = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
SPANS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def human(size: int) -> str:
    """Bytes as du -h shows them (1.5M)."""
    value = float(size)
    for unit in ("B", "K", "M", "G"):
        if value < 1024:
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}T"


def age(seconds: int | None) -> str:
    """The largest whole unit: 45s, 12m, 3h, 2d; - when unknown."""
    if seconds is None:
        return "-"
    for unit in ("d", "h", "m"):
        if seconds >= SPANS[unit]:
            return f"{seconds // SPANS[unit]}{unit}"
    return f"{seconds}s"


def parse_size(text: str) -> float | None:
    """The inverse of human(): "1.5M" -> bytes; None when it is not a size."""
    try:
        return float(text[:-1]) * UNITS[text[-1]]
    except (ValueError, KeyError, IndexError):
        return None


def yaml_problem(exc: Exception) -> str:
    """A YAML error in one line: where, and what (PyYAML's own text spans several)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"is not YAML ({where}{problem})"
