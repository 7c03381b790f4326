"""The job's spool config ($SGE_JOB_SPOOL_DIR/config). No imports beyond os: the starter's
passthrough path (every job of the queue) loads only this."""

from __future__ import annotations

import os


def read_config(spool_dir: str | None) -> dict[str, str]:
    """name=value lines written by the execution daemon."""
    config: dict[str, str] = {}
    if not spool_dir:
        return config
    try:
        with open(os.path.join(spool_dir, "config")) as handle:
            for line in handle:
                name, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    config[name] = value
    except OSError:
        pass
    return config
