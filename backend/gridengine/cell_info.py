"""Who and where: the cell, its qmaster host, the user, and whether the user is a manager."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from qckpt.backend.gridengine.runner import GridEngine


@dataclass
class CellInfo:
    cell: str
    root: str
    qmaster: str
    user: str
    manager: bool

    def title(self) -> str:
        role = "manager" if self.manager else "not a manager: read only"
        return f"cell {self.cell} @ {self.qmaster}  ·  {self.user} ({role})"


def act_qmaster(root: str, cell: str) -> str:
    try:
        with open(os.path.join(root, cell, "common", "act_qmaster")) as handle:
            return handle.read().strip() or "?"
    except OSError:
        return "?"


def cell_info(ge: GridEngine) -> CellInfo:
    """Reads act_qmaster from the cell directory and the manager list (qconf -sm)."""
    env = ge.environment()
    root = env.get("SGE_ROOT", "/var/lib/gridengine")
    cell = env.get("SGE_CELL", "default")
    user = ge.user or getpass.getuser()
    managers = ge.qconf("-sm").stdout.split()
    return CellInfo(cell, root, act_qmaster(root, cell), user, user in managers)
