"""`qckpt hooks install DIR`: the hooks as one executable zipapp, plus qckpt-starter.

The zipapp runs under an execution host's system python3 in isolated mode without site
(-IS): none of qckpt's dependencies are needed there. Both files are replaced atomically.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import qckpt.hooks

from .errors import FieldError, ValidationFailed

HOOK = "qckpt-hook"
STARTER = "qckpt-starter"
DEFAULT_PYTHON = "/usr/bin/python3"
_MAIN = "import sys\nfrom qckpt.hooks.__main__ import main\nsys.exit(main())\n"


def build_zipapp(python: str = DEFAULT_PYTHON) -> bytes:
    """The zipapp's bytes: a shebang line, then a zip of qckpt/hooks/*.py."""
    source = Path(qckpt.hooks.__file__).parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info_name, text in (("__main__.py", _MAIN), ("qckpt/__init__.py", "")):
            archive.writestr(_fixed(info_name), text)
        for path in sorted(source.glob("*.py")):
            archive.writestr(_fixed(f"qckpt/hooks/{path.name}"), path.read_text())
    return f"#!{python} -IS\n".encode() + buffer.getvalue()


def _fixed(name: str) -> zipfile.ZipInfo:
    """Fixed timestamps: the same source always gives the same bytes (and digest)."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def install(directory: str, python: str = DEFAULT_PYTHON) -> dict[str, str]:
    """Write DIR/qckpt-hook and DIR/qckpt-starter (the same zipapp under two names)."""
    if not os.path.isabs(directory):
        raise ValidationFailed([FieldError("DIR", "must be an absolute path all hosts see")])
    if not os.path.isabs(python):
        raise ValidationFailed([FieldError("--python", "must be an absolute path")])
    os.makedirs(directory, mode=0o755, exist_ok=True)
    data = build_zipapp(python)
    written = {}
    for name in (HOOK, STARTER):
        target = os.path.join(directory, name)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o755)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        written[name] = target
    written["digest"] = digest(data)
    return written


def installed_digest(directory: str) -> str | None:
    try:
        with open(os.path.join(directory, HOOK), "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None
