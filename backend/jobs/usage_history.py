"""ckpt_dir usage over time, for the growth chart: one JSON line per sample, in the XDG
state directory (~/.local/state/qckpt/usage.jsonl), at most one sample a minute per dir."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

MIN_INTERVAL = 60.0
KEEP = 2000


def history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "qckpt" / "usage.jsonl"


def load(path: Path | None = None) -> list[dict]:
    path = path or history_path()
    samples = []
    try:
        with open(path) as handle:
            for line in handle:
                try:
                    samples.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        return []
    return samples


def update(
    used_by_dir: dict[str, int], path: Path | None = None, now: float | None = None
) -> dict[str, list[float]]:
    """Record each dir's usage (unless its last sample is younger than a minute) and return
    every dir's series, oldest first: the file is read once per refresh."""
    path = path or history_path()
    now = time.time() if now is None else now
    samples = load(path)
    last: dict[str, float] = {}
    for sample in samples:
        last[str(sample.get("dir"))] = float(sample.get("time", 0))
    added = [
        {"dir": d, "time": now, "used": used}
        for d, used in used_by_dir.items()
        if d not in last or now - last[d] >= MIN_INTERVAL
    ]
    if added:
        write(path, samples, added)
        samples += added
    series: dict[str, list[float]] = {d: [] for d in used_by_dir}
    for sample in samples[-KEEP:]:
        if sample.get("dir") in series:
            series[sample["dir"]].append(float(sample["used"]))
    return series


def write(path: Path, samples: list[dict], added: list[dict]) -> None:
    """Append the new samples; rewrite (atomically) only when the file outgrows KEEP."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(samples) + len(added) > KEEP:
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(s) + "\n" for s in (samples + added)[-KEEP:]))
        os.replace(tmp, path)
    else:
        with open(path, "a") as handle:
            handle.write("".join(json.dumps(s) + "\n" for s in added))
