"""What every view shares: read-only refusal and forwarding worker errors to the app."""

from __future__ import annotations

from textual.containers import Vertical
from textual.worker import Worker


class View(Vertical):
    CHANGES: tuple[str, ...] = ()  # actions that change the cell

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return not (action in self.CHANGES and self.app.read_only)  # read-only: hidden, refused

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: every error meets in the app's one handler.
        self.app.worker_changed(event)

    def refresh_data(self, force: bool = False) -> None:
        """Load the view's data again (force: also what is cached for a while)."""
        raise NotImplementedError
