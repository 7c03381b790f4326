"""The job's spool config ($SGE_JOB_SPOOL_DIR/config). No imports beyond os: the starter's
Python half reads it before it knows whether the job checkpoints."""

from __future__ import annotations

import os


def read_config(spool_dir: str | None) -> dict[str, str]:
    """name=value lines written by the execution daemon, split on "\\n" alone (a value may
    hold a carriage return), the later of two equal names kept (as starter.pl reads it)."""
    config: dict[str, str] = {}
    if not spool_dir:
        return config
    try:
        with open(
            os.path.join(spool_dir, "config"), newline="\n", errors="surrogateescape"
        ) as handle:
            for line in handle:
                name, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    config[name] = value
    except OSError:
        pass
    return config
