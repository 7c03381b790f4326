"""Parallel environments (sge_pe(5)): what the doctor reads of them."""

from __future__ import annotations

from qckpt.backend.gridengine.runner import GridEngine


def parse_pe(text: str) -> dict[str, str]:
    """`qconf -sp NAME` as attribute -> value (pure)."""
    attrs = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key and not key.startswith("#"):
            attrs[key] = value.strip()
    return attrs


def list_pes(ge: GridEngine) -> dict[str, dict[str, str]]:
    """Every parallel environment by name; none when Grid Engine cannot say."""
    listing = ge.qconf("-spl", check=False)
    if listing.returncode != 0:
        return {}
    found = {}
    for name in listing.stdout.split():
        shown = ge.qconf("-sp", name, check=False)
        if shown.returncode == 0:
            found[name] = parse_pe(shown.stdout)
    return found
