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


def series(ckpt_dir: str, path: Path | None = None) -> list[float]:
    return [float(s["used"]) for s in load(path) if s.get("dir") == ckpt_dir]


def record(ckpt_dir: str, used: int, path: Path | None = None, now: float | None = None) -> bool:
    """Append a sample unless the last one for this dir is younger than a minute."""
    path = path or history_path()
    now = time.time() if now is None else now
    samples = load(path)
    last = [s for s in samples if s.get("dir") == ckpt_dir]
    if last and now - float(last[-1].get("time", 0)) < MIN_INTERVAL:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    samples.append({"dir": ckpt_dir, "time": now, "used": used})
    if len(samples) > KEEP:
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(s) + "\n" for s in samples[-KEEP:]))
        os.replace(tmp, path)
    else:
        with open(path, "a") as handle:
            handle.write(json.dumps(samples[-1]) + "\n")
    return True
