"""The console's settings: ~/.config/qckpt/config.yaml (XDG_CONFIG_HOME), env overrides.

refresh: 10          # seconds between refreshes of the current view
read_only: false     # true disables every change (also `qckpt --read-only`)
mtbi: 24             # hours of job run time between interruptions that lose work (the
                     # Environments view's best intervals; default: from accounting)
keymap:              # binding id -> keys, as Textual's App.set_keymap takes them
  env.delete: ctrl+d
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from qckpt.backend.errors import FieldError, ValidationFailed

from .output import yaml_problem


@dataclass
class Settings:
    refresh: float = 10.0
    read_only: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    hooks_dir: str = ""  # where `qckpt hooks install` put the hooks (templates, starter)
    mtbi: float | None = None  # hours between interruptions, when not measured


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "qckpt" / "config.yaml"


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the file (missing file: defaults); a bad value names its key."""
    path = path or config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ValidationFailed([FieldError(str(path), f"cannot be read: {exc}")]) from exc
    import yaml  # only with a file: the console's first paint does not wait for it

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError(str(path), yaml_problem(exc))]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError(str(path), "must be a mapping of settings")])
    settings = Settings()
    refresh = data.get("refresh", settings.refresh)
    if not isinstance(refresh, (int, float)) or isinstance(refresh, bool) or refresh < 1:
        raise ValidationFailed([FieldError("refresh", "a number of seconds, at least 1")])
    settings.refresh = float(refresh)
    read_only = data.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ValidationFailed([FieldError("read_only", "true or false")])
    settings.read_only = read_only or os.environ.get("QCKPT_READ_ONLY") == "1"
    keymap = data.get("keymap") or {}
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keymap.items()
    ):
        raise ValidationFailed([FieldError("keymap", "binding id: keys (strings)")])
    settings.keymap = dict(keymap)
    hooks_dir = data.get("hooks_dir", "")
    if not isinstance(hooks_dir, str) or (hooks_dir and not hooks_dir.startswith("/")):
        raise ValidationFailed([FieldError("hooks_dir", "an absolute path")])
    settings.hooks_dir = hooks_dir
    mtbi = data.get("mtbi")
    if mtbi is not None and (
        not isinstance(mtbi, (int, float)) or isinstance(mtbi, bool) or not 0 < mtbi < math.inf
    ):
        raise ValidationFailed([FieldError("mtbi", "a number of hours above 0")])
    settings.mtbi = float(mtbi) if mtbi is not None else None
    return settings
