"""The checkpoint interval to use, from what one checkpoint costs and how often jobs are
interrupted (pure arithmetic; tested against worked numbers).

C is the time a job is stopped for one checkpoint, M the mean time between
interruptions that lose work (a host that fails, a job rescheduled without a checkpoint),
both in seconds of job run time, R the time a restart takes.

- Young (1974): the first-order optimum interval sqrt(2 C M).
- Daly (2006, "A higher order estimate of the optimum checkpoint interval for restart
  dumps", eq. 37): sqrt(2 C M) (1 + sqrt(C / 2M) / 3 + (C / 2M) / 9) - C while C < 2M,
  else M; the better estimate when C is not small against M.
- The expected overhead of an interval t under exponentially distributed interruptions
  (Daly's eq. 13, run time T, wall time M e^(R/M) (e^((t + C)/M) - 1) T / t): the share of
  wall time above T, checkpoints and work redone together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FAR = 2.0  # an interval this many times longer or shorter than the best: worth saying


def clock_time(seconds: float) -> str:
    """Seconds as Grid Engine writes a time: HH:MM:SS."""
    whole = int(round(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def in_hours(seconds: float) -> str:
    return f"{seconds / 3600:.3g} h"


def set_command(where: str, seconds: float) -> str:
    """The command that gives a queue (or queue@host) that min_cpu_interval."""
    return f"qckpt queue set {where} --min-cpu-interval {clock_time(seconds)}"


def young(cost: float, mtbi: float) -> float:
    return math.sqrt(2 * cost * mtbi)


def daly(cost: float, mtbi: float) -> float:
    if cost >= 2 * mtbi:
        return mtbi
    ratio = cost / (2 * mtbi)
    return young(cost, mtbi) * (1 + math.sqrt(ratio) / 3 + ratio / 9) - cost


def overhead(interval: float, cost: float, mtbi: float, restart: float = 0.0) -> float:
    """Expected wall time over run time, less one: 0.05 is 5 % more wall time."""
    if interval <= 0:
        raise ValueError("the interval must be positive")
    exponent = (interval + cost) / mtbi
    if exponent > 700:  # e^700 is near the float's limit: no checkpoint ever completes
        return math.inf
    return mtbi * math.exp(restart / mtbi) * math.expm1(exponent) / interval - 1


@dataclass
class Advice:
    """The interval to use for a checkpoint cost and interruption rate, and what the one in
    use costs beside it."""

    cost: float
    mtbi: float
    current: float | None  # the interval in use (seconds), None where there is none
    young: float
    best: float  # Daly's
    overhead_best: float
    overhead_current: float | None

    @property
    def factor(self) -> float | None:
        """How far the interval in use is from the best one (2.0: twice or half)."""
        if not self.current:
            return None
        return max(self.current / self.best, self.best / self.current)


def advise(cost: float, mtbi: float, current: float | None, restart: float = 0.0) -> Advice:
    if cost <= 0 or mtbi <= 0:
        raise ValueError("the checkpoint cost and the time between interruptions must be positive")
    best = daly(cost, mtbi)
    return Advice(
        cost=cost,
        mtbi=mtbi,
        current=current,
        young=young(cost, mtbi),
        best=best,
        overhead_best=overhead(best, cost, mtbi, restart),
        overhead_current=overhead(current, cost, mtbi, restart) if current else None,
    )
