"""One job's checkpoint figures from its manifest (as layout.check_manifest gave it): what
its checkpoints cost it, how its images grew, and what each restart kept and lost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from qckpt.hooks import layout

HOUR = 3600.0


class Taken(NamedTuple):
    """One checkpoint as the manifest lists it (its last 500)."""

    gen: int
    time: str
    size: int
    stopped: float | None
    run_seconds: float | None


@dataclass
class Figures:
    checkpoints: int = 0  # taken over the job's life (the manifest's totals)
    stopped: float = 0.0  # seconds the job was stopped for them
    run_seconds: float | None = None  # over all runs, until now
    taken: list[Taken] = field(default_factory=list)
    restarts: list[dict] = field(default_factory=list)  # time, gen, saved, lost, lost_from

    @property
    def overhead(self) -> float | None:
        """Time stopped for checkpoints as a share of the run time (0.02 is 2 %)."""
        if not self.run_seconds or not self.checkpoints:
            return None  # none taken, or taken by hooks that did not record their cost
        return self.stopped / self.run_seconds

    @property
    def lost(self) -> float:
        return sum(r.get("lost") or 0.0 for r in self.restarts)

    @property
    def saved(self) -> float:
        return sum(r.get("saved") or 0.0 for r in self.restarts)

    @property
    def growth(self) -> float | None:
        """Bytes the images grow per hour of run time, first to last checkpoint listed."""
        timed = [t for t in self.taken if t.run_seconds is not None]
        if len(timed) < 2 or timed[-1].run_seconds <= timed[0].run_seconds:
            return None
        hours = (timed[-1].run_seconds - timed[0].run_seconds) / HOUR
        return (timed[-1].size - timed[0].size) / hours


def figures(manifest: dict, now: float) -> Figures:
    cost = manifest.get("cost") or {}
    return Figures(
        checkpoints=cost.get("checkpoints") or 0,
        stopped=float(cost.get("stopped") or 0.0),
        run_seconds=layout.run_seconds(manifest, now),
        taken=[
            Taken(
                t.get("gen") or 0,
                t.get("time") or "",
                t["size"],
                t.get("stopped"),
                t.get("run_seconds"),
            )
            for t in manifest.get("taken") or []
            if t and isinstance(t.get("size"), int)
        ],
        restarts=[r for r in manifest.get("restarts") or [] if r],
    )
