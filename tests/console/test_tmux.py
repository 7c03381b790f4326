"""The real `qckpt` in a terminal (tmux): it shows a checkpoint object, `:queues` typed at
once shows the queues, `/` filters them, ctrl+q quits."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.bad_inputs import valid_env

pytestmark = pytest.mark.cell
QCKPT = str(Path(sys.executable).parent / "qckpt")


def start_session(session: str, command: str) -> None:
    """A detached tmux session of 120x30 running `command`."""
    argv = ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command]
    subprocess.run(argv, check=True)


def screen(session: str) -> str:
    out = subprocess.run(
        ["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True
    )
    return out.stdout


def wait_for(session: str, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen(session)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared:\n{screen(session)}")


def test_qckpt_in_a_terminal(sandbox, envs, name_for, test_queue):
    env = envs.add(valid_env(name_for()))
    session = f"qckpt-{uuid.uuid4().hex[:6]}"
    exports = " ".join(f"{k}={v}" for k, v in sandbox.env().items())
    start_session(session, f"env {exports} TERM=xterm-256color {QCKPT}")
    try:
        wait_for(session, env.name)
        # typed at once, as a fast typist or a paste does: no key may reach the view instead
        subprocess.run(["tmux", "send-keys", "-t", session, ":queues", "Enter"], check=True)
        wait_for(session, "CKPT_LIST")
        shown = wait_for(session, "all.q")
        subprocess.run(["tmux", "send-keys", "-t", session, "/" + test_queue], check=True)
        deadline = time.monotonic() + 20
        while "all.q" in shown and time.monotonic() < deadline:
            time.sleep(0.2)
            shown = screen(session)
        assert "all.q" not in shown, shown  # the filter got every character
        assert "QUEUE" in shown and "CKPT_LIST" in shown and test_queue in shown
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(
                ["tmux", "has-session", "-t", session], capture_output=True
            ).returncode:
                break  # the session ended with qckpt: it quit
            time.sleep(0.2)
        else:
            raise AssertionError("qckpt did not quit on ctrl+q")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@pytest.mark.parametrize("crash, code", [(False, "0"), (True, "1")])
def test_qckpt_exits_non_zero_when_the_console_ends_on_an_error(sandbox, tmp_path, crash, code):
    """The console's exit status is the app's: an error that ends it (here one raised when
    it starts) is exit 1, ctrl+q is exit 0."""
    session = f"qckpt-{uuid.uuid4().hex[:6]}"
    exports = " ".join(f"{k}={v}" for k, v in sandbox.env().items())
    status = tmp_path / "status"
    breaks = "app.QckptApp.on_mount = lambda self: 1 / 0; " if crash else ""
    program = (
        f"from qckpt.tui import app; {breaks}"
        "from qckpt.tui.cli.main import main; import sys; sys.exit(main([]))"
    )
    command = f"env {exports} TERM=xterm-256color {sys.executable} -c '{program}'"
    start_session(session, f"{command}; echo $? > {status}")
    try:
        if not crash:
            wait_for(session, "cell ")
            subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 30
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status.read_text().strip() == code
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
