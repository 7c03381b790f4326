"""Complexes for same-CPU migration: the 2012 cpuflag_* BOOLs and x86_64_level (INT, <=).

Grid Engine schedules where `requested RELOP offered` holds, so x86_64_level is `<=`: a job
asking for level 4 runs only where the host offers 4 or more (seen on two hosts: with `>=`,
which qckpt once used, a level-3 host took it).

qconf -Mc replaces the whole complex list (a complex missing from the file is deleted), so
it is read, extended and written back. Host values come from the hooks' load sensor or
are set here per host.
"""

from __future__ import annotations

from qckpt.backend.gridengine.formats import complex_words
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.hooks import cpu


def complex_lines() -> dict[str, str]:
    """name shortcut type relop requestable consumable default urgency (complex(5))."""
    lines = {cpu.LEVEL_COMPLEX: f"{cpu.LEVEL_COMPLEX} x86lvl INT <= YES NO 0 0"}
    for flag in cpu.FLAGS:
        name = cpu.FLAG_PREFIX + flag
        lines[name] = f"{name} cf_{flag} BOOL == YES NO 0 0"  # BOOL: relop ==, default 0
    return lines


def ensure_complexes(ge: GridEngine) -> list[str]:
    """Add whichever of the complexes are missing, and correct any defined otherwise
    (an older qckpt's `>=`); returns the names added or corrected."""
    current = ge.qconf("-sc").stdout
    wanted = complex_lines()
    changed, kept = [], []
    for line in current.splitlines():
        words = complex_words(line)
        if words and words[0] in wanted:
            if words != wanted[words[0]].split():
                changed.append(words[0])
                line = wanted[words[0]]
            del wanted[words[0]]
        kept.append(line)
    if not wanted and not changed:
        return []
    text = "\n".join(kept + list(wanted.values())) + "\n"
    ge.qconf_file("-Mc", text)
    return sorted(changed + list(wanted))


host_values = cpu.complex_values


def set_host_values(ge: GridEngine, host: str, flags: set[str]) -> dict[str, str]:
    """Set a host's CPU complexes (instead of the load sensor) from its CPU flags."""
    values = host_values(flags)
    ge.qconf(
        "-mattr",
        "exechost",
        "complex_values",
        ",".join(f"{k}={v}" for k, v in values.items()),
        host,
    )
    return values
