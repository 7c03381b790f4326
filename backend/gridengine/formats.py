"""qconf's text format for objects: `name value` lines, backslash-newline continuation.

Pure functions; tested on captured real output.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree


def parse_fields(text: str) -> list[tuple[str, str]]:
    """Split qconf object text into (name, value) pairs, in file order.

    Joins backslash-newline continuations (qconf wraps long values at spaces and indents
    the next line), skips blank lines and `#` comments. Values keep inner spacing.
    """
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if pending:
            line = pending + line.lstrip()
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        logical.append(line)
    if pending:
        logical.append(pending)

    pairs: list[tuple[str, str]] = []
    for line in logical:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, _, value = stripped.partition(" ")
        if "\t" in name:
            name, _, rest = name.partition("\t")
            value = rest + (" " + value if value else "")
        pairs.append((name, value.strip()))
    return pairs


def format_fields(pairs: list[tuple[str, str]], width: int = 19) -> str:
    """Write (name, value) pairs as qconf reads them from a file (-Ackpt, -Mckpt, -Aq)."""
    return "".join(f"{name.ljust(width - 1)} {value}\n" for name, value in pairs)


def split_host_values(value: str) -> tuple[str, dict[str, str]]:
    """Split a queue attribute `default,[host=value],[@group=value]` into its parts.

    Commas inside brackets belong to the override; commas outside brackets that do not
    start an override belong to the default value (e.g. `np_load_avg=1.5,mem_free=1G`).
    """
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in value:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)

    default: list[str] = []
    overrides: dict[str, str] = {}
    for part in parts:
        part = part.strip()
        if part.startswith("[") and part.endswith("]") and "=" in part:
            host, _, val = part[1:-1].partition("=")
            overrides[host.strip()] = val.strip()
        else:
            default.append(part)
    return ",".join(default), overrides


def split_list(value: str) -> list[str]:
    """A Grid Engine name list (`a b`, `a,b`) as names; NONE is the empty list."""
    names = [n for n in value.replace(",", " ").split() if n]
    if len(names) == 1 and names[0].upper() == "NONE":
        return []
    return names


def complex_words(line: str) -> list[str]:
    """The words of one qconf -sc line: name shortcut type relop requestable consumable
    default urgency (complex(5)); [] for its comment lines and blank ones."""
    return [] if line.startswith("#") else line.split()


def parse_complexes(text: str) -> dict[str, list[str]]:
    """qconf -sc: each complex's name -> the words of its line."""
    return {words[0]: words for words in map(complex_words, text.splitlines()) if words}


def seconds_of(value: str) -> int:
    """Seconds in a Grid Engine time (SS, MM:SS or HH:MM:SS)."""
    total = 0
    for part in value.split(":"):
        total = total * 60 + int(part)
    return total


def interval_seconds(value: str) -> float | None:
    """A queue's time such as min_cpu_interval in seconds; None for none at all (0, or
    INFINITY and anything else that is not a time)."""
    try:
        found = seconds_of(value)
    except ValueError:
        return None
    return float(found) if found else None


# Grid Engine's -xml output escapes <, > and & in what users wrote, but copies control
# characters as they are: one job submitted with `-V` from an environment holding an ESC
# (\x1b) makes the whole `qstat -j LIST -xml` answer ill-formed XML, for every job in it.
# Characters XML 1.0 does not allow are replaced before parsing.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_xml(text: str) -> ElementTree.Element | None:
    """Grid Engine's -xml output as an element tree; None when it is not XML at all."""
    try:
        return ElementTree.fromstring(NOT_XML.sub("?", text))
    except ElementTree.ParseError:
        return None
