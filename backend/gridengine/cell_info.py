"""Who and where: the cell, its qmaster host, the user, and whether the user is a manager."""

from __future__ import annotations

import getpass
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


def act_qmaster(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip() or "?"
    except OSError:
        return "?"


def cell_info(ge: GridEngine) -> CellInfo:
    """Reads act_qmaster from the cell directory and the manager list (qconf -sm)."""
    root, cell = ge.root_and_cell()
    user = ge.user or getpass.getuser()
    managers = ge.qconf("-sm").stdout.split()
    qmaster = act_qmaster(ge.common("act_qmaster"))
    return CellInfo(cell, root, qmaster, user, user in managers)
