"""`qckpt hooks install DIR`: the hooks as one executable zipapp, plus qckpt-starter.

The zipapp runs under an execution host's system python3 in isolated mode without site
(-IS): none of qckpt's dependencies are needed there. qckpt-starter is a perl script
(hooks/starter.pl: every job of the queue starts through it, and perl starts in a fraction
of Python's time); it hands checkpointing jobs to the zipapp. Every file is replaced
atomically.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

import qckpt.hooks
from qckpt.backend.errors import FieldError, ValidationFailed

HOOK = "qckpt-hook"
STARTER = "qckpt-starter"
LOADSENSOR = "qckpt-loadsensor"
DEFAULT_PYTHON = "/usr/bin/python3"
STARTER_SOURCE = Path(qckpt.hooks.__file__).parent / "starter.pl"
_MAIN = "import sys\nfrom qckpt.hooks.__main__ import main\nsys.exit(main())\n"


# Run by the hooks' own interpreter: each module compiled beside its source (NAME.pyc, where
# zipimport looks), hash-based and unchecked (the zip's fixed timestamps are not the
# sources'), so a hook compiles nothing when it starts: ~30 ms of its ~65 ms of imports.
_COMPILE = """
import os, py_compile, sys
for name in sorted(os.listdir(sys.argv[1])):
    if name.endswith(".py"):
        path = os.path.join(sys.argv[1], name)
        mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
        shown = "qckpt/hooks/" + name  # not the temporary folder: the same bytes every time
        py_compile.compile(path, path + "c", shown, doraise=True, invalidation_mode=mode)
"""


def build_zipapp(python: str = DEFAULT_PYTHON) -> bytes:
    """The zipapp's bytes: a shebang line, then a zip of qckpt/hooks/*.py and, where
    `python` runs here, their bytecode for it."""
    source = Path(qckpt.hooks.__file__).parent
    modules = {path.name: path.read_text() for path in sorted(source.glob("*.py"))}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for info_name, text in (("__main__.py", _MAIN), ("qckpt/__init__.py", "")):
            archive.writestr(_fixed(info_name), text)
        for name, code in sorted({**modules, **bytecode(python, modules)}.items()):
            archive.writestr(_fixed(f"qckpt/hooks/{name}"), code)
    return f"#!{python} -IS\n".encode() + buffer.getvalue()


def bytecode(python: str, modules: dict[str, str]) -> dict[str, bytes]:
    """NAME.pyc for each module, compiled by `python` (another version's pyc is passed over
    by zipimport, which then compiles the source): none where it cannot run here (the
    execution hosts' interpreter need not exist on the head node). The same bytes every
    time, so the doctor can tell installed hooks by their digest: one hash seed (a set's
    order in a constant follows it)."""
    with tempfile.TemporaryDirectory(prefix="qckpt-hooks-") as folder:
        for name, text in modules.items():
            Path(folder, name).write_text(text)
        try:
            subprocess.run(
                [python, "-S", "-c", _COMPILE, folder],
                env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
                capture_output=True,
                timeout=120,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return {}
        return {f"{name}c": Path(folder, f"{name}c").read_bytes() for name in modules}


def _fixed(name: str) -> zipfile.ZipInfo:
    """Fixed timestamps: the same source always gives the same bytes (and digest)."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED  # no inflating on every job start
    info.external_attr = 0o644 << 16
    return info


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def entry_script(hook_path: str, purpose: str, call: str, python: str = DEFAULT_PYTHON) -> bytes:
    """A plain script (no runpy, unlike a zipapp) importing from the zipapp: Grid Engine
    runs starter_method and load_sensor by path, without arguments."""
    module, _, function = call.rpartition(".")
    return (
        f"#!{python} -IS\n"
        f"# {purpose}; written by `qckpt hooks install`.\n"
        "import sys\n"
        f"sys.path.insert(0, {hook_path!r})\n"
        f"from {module} import {function}\n"
        f"sys.exit({function}(sys.argv))\n"
    ).encode()


def perl_string(text: str) -> str:
    """The body of a single-quoted perl string that is `text`."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def starter_script(hook_path: str, python: str = DEFAULT_PYTHON) -> bytes:
    """qckpt-starter: hooks/starter.pl with the paths of python and the zipapp filled in."""
    text = STARTER_SOURCE.read_text()
    for name, value in (("@PYTHON@", python), ("@HOOK@", hook_path)):
        text = text.replace(f"'{name}'", f"'{perl_string(value)}'", 1)
    return text.encode()


def install(directory: str, python: str = DEFAULT_PYTHON) -> dict[str, str]:
    """Write DIR/qckpt-hook (the zipapp), DIR/qckpt-starter and DIR/qckpt-loadsensor."""
    if not os.path.isabs(directory):
        raise ValidationFailed([FieldError("DIR", "must be an absolute path all hosts see")])
    if not os.path.isabs(python):
        raise ValidationFailed([FieldError("--python", "must be an absolute path")])
    os.makedirs(directory, mode=0o755, exist_ok=True)
    data = build_zipapp(python)
    hook_path = os.path.join(directory, HOOK)
    contents = {
        HOOK: data,
        # runs for every job of the queue: every millisecond of start-up counts
        STARTER: starter_script(hook_path, python),
        LOADSENSOR: entry_script(
            hook_path,
            "Grid Engine load sensor (CPU complexes)",
            "qckpt.hooks.cpu.sensor_main",
            python,
        ),
    }
    written = {}
    for name in contents:  # the zipapp first: the others import from it
        target = os.path.join(directory, name)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(contents[name])
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
