"""Add or edit a checkpoint environment: every checkpoint(5) field, checked as you type."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from qckpt.backend.gridengine.checkpoint import COMMAND_FIELDS, INTERFACES, CheckpointEnv
from qckpt.backend.gridengine.rules import PSEUDO_VARIABLES, SIGNAL_NAMES, check_field, validate
from qckpt.backend.setup.templates import SUPPORTS, TEMPLATES, from_template

HELP = {
    "ckpt_name": "The object's name (sge_types(5) object_name).",
    "interface": "transparent/userdefined: Grid Engine only sends the signal; application-level:"
    " it runs the commands (qckpt's hooks use this).",
    "ckpt_command": "Run to checkpoint the job. Pseudo-variables: "
    + " ".join("$" + v for v in PSEUDO_VARIABLES),
    "migr_command": "Run to migrate: it must make the job exit; Grid Engine requeues it.",
    "restart_command": "Run on restart (NONE: qckpt's starter restarts the job itself).",
    "clean_command": "Run when the job ends other than by migration.",
    "ckpt_dir": "Where checkpoints go; shared by every host, 1777.",
    "signal": "Sent to the job (transparent/userdefined) or given as $ckpt_signal.",
    "hooks_dir": "Where `qckpt hooks install` put qckpt-hook; a template's commands call it.",
}
WHEN = (
    ("s", "execd shutdown"),
    ("m", "periodic"),
    ("x", "suspend: migrate"),
    ("r", "host failure"),
)
WHEN_HELP = (
    "when: s checkpoint when execd shuts down; m periodically, every max(min_cpu_interval,"
    " qsub -c); x migrate when the job is suspended (qmod -sj); r reschedule when its host"
    " fails. None ticked = n (never)."
)
FORM_HELP = "Tab moves between fields · ctrl+s applies (shows the difference first) · Esc cancels"
SIGNALS = ["NONE", *SIGNAL_NAMES]


class EnvFormScreen(ModalScreen["CheckpointEnv | None"]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="form.apply"),
    ]

    def __init__(self, env: CheckpointEnv | None, hooks_dir: str = "", ckpt_dir: str = "") -> None:
        super().__init__()
        self.editing = env is not None
        self.env = env or CheckpointEnv(
            interface="application-level",
            ckpt_command="NONE",
            migr_command="NONE",
            restart_command="NONE",
            clean_command="NONE",
            ckpt_dir=ckpt_dir,
            signal="NONE",
            when="xsr",
        )
        self.hooks_dir = hooks_dir

    def compose(self) -> ComposeResult:
        title = f"Edit {self.env.name}" if self.editing else "Add a checkpoint environment"
        with Vertical(classes="dialog form"):
            yield Label(title, classes="dialog-title")
            with VerticalScroll():
                if not self.editing:
                    with Horizontal(classes="row"):
                        yield Label("template", classes="field-label")
                        for name in TEMPLATES:
                            button = Button(
                                name, id=f"tpl-{name}", compact=True, classes="template"
                            )
                            button.tooltip = SUPPORTS[name]  # what it can checkpoint
                            yield button
                    with Horizontal(classes="row"):
                        yield Label("hooks dir", classes="field-label")
                        yield Input(
                            self.hooks_dir,
                            placeholder="/shared/qckpt",
                            id="hooks_dir",
                            compact=True,
                        )
                yield from self._text("ckpt_name", self.env.name, disabled=self.editing)
                with Horizontal(classes="row"):
                    yield Label("interface", classes="field-label")
                    yield Select(
                        [(i, i) for i in INTERFACES],
                        value=self.env.interface.lower() if self.env.interface else INTERFACES[3],
                        allow_blank=False,
                        id="interface",
                        compact=True,
                    )
                for field in COMMAND_FIELDS:
                    yield from self._text(field, getattr(self.env, field))
                yield from self._text("ckpt_dir", self.env.ckpt_dir)
                with Horizontal(classes="row"):
                    yield Label("signal", classes="field-label")
                    signal = self.env.signal.strip() or "NONE"
                    options = SIGNALS if signal in SIGNALS else [signal, *SIGNALS]  # keep e.g. "10"
                    yield Select(
                        [(s, s) for s in options],
                        value=signal,
                        allow_blank=False,
                        id="signal",
                        compact=True,
                    )
                yield Label("", id="err-signal", classes="field-error")
                with Horizontal(classes="row when"):
                    yield Label("when", classes="field-label")
                    for letter, what in WHEN:
                        yield Checkbox(
                            f"{letter} {what}",
                            letter in self.env.when,
                            id=f"when-{letter}",
                            compact=True,
                        )
                yield Label("", id="err-when", classes="field-error")
            yield Static(FORM_HELP, id="help", classes="hint help")
            yield Label("", id="summary", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _text(self, field: str, value: str, disabled: bool = False) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(field, classes="field-label")
            yield Input(value, id=field, disabled=disabled, compact=True)
        yield Label("", id=f"err-{field}", classes="field-error")

    def on_descendant_focus(self, event) -> None:
        """The help line explains the field being edited (as qmon's help does)."""
        widget_id = getattr(event.widget, "id", "") or ""
        key = "interface" if widget_id == "interface" else widget_id
        if key.startswith("when-"):
            text = (
                "when: "
                + ", ".join(f"{letter} = {what}" for letter, what in WHEN)
                + "; none = n (never)"
            )
        else:
            text = HELP.get(key, "")
        self.query_one("#help", Static).update(text)

    def on_mount(self) -> None:
        self.check_all()

    def current(self) -> CheckpointEnv:
        when = "".join(
            letter for letter, _ in WHEN if self.query_one(f"#when-{letter}", Checkbox).value
        )
        values = {f: self.query_one(f"#{f}", Input).value for f in (*COMMAND_FIELDS, "ckpt_dir")}
        return self.env.with_changes(
            name=self.query_one("#ckpt_name", Input).value.strip(),
            interface=str(self.query_one("#interface", Select).value),
            signal=str(self.query_one("#signal", Select).value),
            when=when or "n",
            **values,
        )

    def check_all(self) -> bool:
        env = self.current()
        for field in ("ckpt_name", *COMMAND_FIELDS, "ckpt_dir", "when", "signal"):
            value = env.name if field == "ckpt_name" else env.as_dict()[field]
            error = check_field(field, value)
            label = self.query_one(f"#err-{field}", Label)
            label.update(f"↑ {error.rule}" if error else "")
            label.set_class(error is not None, "shown")
        errors = validate(env)
        summary = f"{len(errors)} problem(s): {errors[0]}" if errors else ""
        self.query_one("#summary", Label).update(summary)
        self.query_one("#apply", Button).disabled = bool(errors)
        return not errors

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.check_all()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.check_all()

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        self.check_all()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("tpl-"):
            self.fill_template(button[4:])
        elif button == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def fill_template(self, template: str) -> None:
        hooks = self.query_one("#hooks_dir", Input).value.strip()
        env = self.current()
        try:
            filled = from_template(env.name or "new", template, hooks, env.ckpt_dir or "/")
        except Exception as exc:  # a FieldError: say it where the user looks
            self.query_one("#summary", Label).update(str(exc))
            return
        for field in COMMAND_FIELDS:
            self.query_one(f"#{field}", Input).value = getattr(filled, field)
        self.query_one("#interface", Select).value = "application-level"
        self.query_one("#signal", Select).value = "NONE"
        self.check_all()

    def action_apply(self) -> None:
        if self.check_all():
            self.dismiss(self.current())

    def action_cancel(self) -> None:
        self.dismiss(None)
