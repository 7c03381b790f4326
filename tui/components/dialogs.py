"""Small modal dialogs: confirm, error, a single validated value, go to a view."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """A question, what will happen (a diff, qconf's words), Yes / No."""

    BINDINGS = [
        Binding("escape", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str, details: str = "", yes: str = "Yes") -> None:
        super().__init__()
        self.question, self.details, self.yes = question, details, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.details:
                yield Static(self.details, classes="dialog-details", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ErrorScreen(ModalScreen[None]):
    """Every error of a change is shown the same way: what failed, Grid Engine's words."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="error.close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text, self.message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-details", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", variant="primary", id="close")

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ValueScreen(ModalScreen["str | None"]):
    """One value, checked on every keystroke by `check` (returns an error or None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="value.cancel")]

    def __init__(self, title: str, value: str, check: Callable[[str], str | None], hint: str = ""):
        super().__init__()
        self.title_text, self.value, self.check, self.hint = title, value, check, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.hint:
                yield Static(self.hint, classes="hint", markup=False)
            yield Input(self.value, id="value")
            yield Label("", id="value-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def on_input_changed(self, event: Input.Changed) -> None:
        error = self.check(event.value)
        self.query_one("#value-error", Label).update(error or "")
        self.query_one("#apply", Button).disabled = error is not None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.check(event.value) is None:
            self.dismiss(event.value.strip())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.dismiss(self.query_one("#value", Input).value.strip())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class GotoScreen(ModalScreen["str | None"]):
    """`:` then a view's name and Enter, as in k9s."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="goto.cancel")]

    def __init__(self, views: dict[str, str]) -> None:
        super().__init__()
        self.views = views  # alias -> view id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog goto"):
            yield Label(":" + " | ".join(sorted(set(self.views.values()))), classes="hint")
            yield Input(placeholder="view name", id="goto")
            yield Label("", id="goto-error", classes="field-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip().lstrip(":").lower()
        matches = (
            {v for alias, v in self.views.items() if alias.startswith(name)} if name else set()
        )
        if len(matches) == 1:
            self.dismiss(matches.pop())
        else:
            self.query_one("#goto-error", Label).update(f"no view {name!r}")

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """`?`: the keys of the current view and of the console."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.rows), default=4)
        text = "\n".join(f"{key.ljust(width)}  {what}" for key, what in self.rows)
        with Vertical(classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            yield Static(text, classes="dialog-details", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
