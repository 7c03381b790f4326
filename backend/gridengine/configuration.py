"""Values of the cell's global configuration (qconf -sconf global), changed in place."""

from __future__ import annotations

from qckpt.backend.gridengine.formats import format_fields, parse_fields
from qckpt.backend.gridengine.runner import GridEngine


def set_global(ge: GridEngine, wanted: dict[str, str]) -> bool:
    """Set these fields of the global configuration (others kept); False: already so."""
    pairs = parse_fields(ge.qconf("-sconf", "global").stdout)
    if all(dict(pairs).get(k) == v for k, v in wanted.items()):
        return False
    present = {k for k, _ in pairs}
    pairs = [(k, wanted.get(k, v)) for k, v in pairs]
    pairs += [(k, v) for k, v in wanted.items() if k not in present]
    ge.qconf_file("-Mconf", format_fields(pairs, 29), name="global")  # the name: the file's
    return True
