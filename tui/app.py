"""The qckpt console: a frame around the views, k9s-style navigation."""

from __future__ import annotations

from functools import partial
from importlib import import_module

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.widgets import ContentSwitcher, Footer, Input, Static
from textual.worker import Worker, WorkerState

from qckpt.backend.errors import ChangedOnCell, HookFailed, QckptError, QmasterUnreachable
from qckpt.backend.gridengine.cell_info import CellInfo, cell_info
from qckpt.backend.gridengine.runner import GridEngine

from .components.dialogs import ErrorScreen, GotoScreen, HelpScreen
from .components.environments import EnvironmentsView
from .components.view import View
from .settings import Settings

# The first view is composed at start; the others are imported and mounted on first visit,
# so the first paint waits for none of their widgets (P5).
VIEWS = {
    "environments": "environments:EnvironmentsView",
    "queues": "queues:QueuesView",
    "jobs": "jobs:JobsView",
    "storage": "storage:StorageView",
}
ALIASES = {
    "environments": "environments",
    "envs": "environments",
    "ckpt": "environments",
    "queues": "queues",
    "q": "queues",
    "jobs": "jobs",
    "j": "jobs",
    "storage": "storage",
    "disk": "storage",
    "du": "storage",
    "setup": "setup",
    "wizard": "setup",
}


def view_class(name: str) -> type:
    module, _, cls = VIEWS[name].partition(":")
    return getattr(import_module(f"qckpt.tui.components.{module}"), cls)


class ViewCommands(Provider):
    """The command palette offers the current view's actions (and the views)."""

    async def search(self, query: str) -> Hits:
        app = self.app
        matcher = self.matcher(query)
        view = app.current_view()
        commands = [(f"Go to {name}", partial(app.switch_view, name)) for name in VIEWS]
        commands.append(("Set up checkpointing (wizard)", app.action_setup))
        for binding in view.BINDINGS:
            action = binding.action
            if view.check_action(action.split("(")[0], ()):
                commands.append((binding.description, partial(view.run_action, action)))
        for text, callback in commands:
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback)


class QckptApp(App):
    CSS_PATH = "qckpt.tcss"
    TITLE = "qckpt"
    COMMANDS = App.COMMANDS | {ViewCommands}
    BINDINGS = [
        # priority: handled as the key arrives, so the keys typed right after it reach the
        # prompt (not the view, whose bindings they would trigger); off while typing in a field
        Binding("colon", "goto", "Go to", show=False, id="app.goto", priority=True),
        Binding("slash", "filter", "Filter", show=False, id="app.filter", priority=True),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("r", "refresh", "Refresh", show=False, id="app.refresh"),
        Binding("p", "pause", "Pause refresh", show=False, id="app.pause"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        ge: GridEngine | None = None,
        settings: Settings | None = None,
        read_only: bool = False,
        hooks_dir: str = "",
        setup: object = None,
    ) -> None:
        super().__init__()
        self.setup_answers = setup  # qckpt setup: open the wizard (Answers, or True: defaults)
        self.ge = ge or GridEngine(timeout=15)
        self.settings = settings or Settings()
        self.read_only = read_only or self.settings.read_only
        self.hooks_dir = hooks_dir or self.settings.hooks_dir
        self.info: CellInfo | None = None
        self.paused = False
        self.qmaster_down = False

    def compose(self) -> ComposeResult:
        yield Static("qckpt", id="cellbar")
        yield Static("", id="banner")
        with ContentSwitcher(initial="environments", id="views"):
            yield EnvironmentsView(self.ge, self.hooks_dir, id="environments")
        yield Footer()

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.current_view().query_one("DataTable").focus()
        self.call_after_refresh(self.start_loading)  # the frame first, then Grid Engine
        if self.setup_answers:
            self.action_setup()

    def start_loading(self) -> None:
        self.load_info()
        self.refresh_view()

    # -- reading, on a timer that never overlaps itself -------------------------------
    def current_view(self):
        return self.query_one("#views", ContentSwitcher).visible_content

    def refresh_view(self) -> None:
        self.current_view().refresh_data()

    def on_view_loaded(self, _message: View.Loaded) -> None:
        """A view loaded: the qmaster answers; schedule the next refresh from now."""
        if self.qmaster_down:
            self.qmaster_down = False
            self.query_one("#banner", Static).update("")
            self.query_one("#banner").remove_class("shown")
            self.load_info()
        self.schedule_refresh()

    def schedule_refresh(self) -> None:
        if getattr(self, "_refresh_timer", None) is not None:
            self._refresh_timer.stop()
        self._refresh_timer = self.set_timer(self.settings.refresh, self.timed_refresh)

    def timed_refresh(self) -> None:
        base = self.screen_stack[0] if self.screen_stack else None
        if base is None or not base.query("#views"):  # the console is closing
            return
        if self.paused or len(self.screen_stack) > 1:  # a dialog is open: wait for it
            self.schedule_refresh()
        else:
            self.refresh_view()

    @work(thread=True, exclusive=True, group="info", exit_on_error=False)
    def load_info(self) -> None:
        info = cell_info(self.ge)
        self.call_from_thread(self.show_info, info)

    def show_info(self, info: CellInfo) -> None:
        self.info = info
        if not info.manager:
            self.read_only = True
        mode = "  ·  READ ONLY" if self.read_only else ""
        paused = "  ·  refresh paused" if self.paused else ""
        self.query_one("#cellbar", Static).update(f"qckpt  ·  {info.title()}{mode}{paused}")
        self.refresh_bindings()

    # -- every error meets here ------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_changed(event)  # the app's own workers

    def on_view_failed(self, message: View.Failed) -> None:
        self.worker_changed(message.event)  # a view's workers

    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, QmasterUnreachable):
            self.qmaster_down = True
            banner = self.query_one("#banner", Static)
            banner.update(
                Text(f"qmaster unreachable: {error}  (retrying every {self.settings.refresh:g} s)")
            )
            banner.add_class("shown")
            self.schedule_refresh()
        elif isinstance(error, ChangedOnCell):
            self.push_screen(ErrorScreen("Changed on the cell meanwhile: not applied", str(error)))
        elif isinstance(error, HookFailed):
            self.push_screen(ErrorScreen("The hook failed", str(error)))
        elif isinstance(error, QckptError):
            self.push_screen(ErrorScreen("Grid Engine refused", str(error)))
        else:
            self.push_screen(ErrorScreen(type(error).__name__, str(error)))

    # -- navigation ------------------------------------------------------------------
    async def switch_view(self, name: str) -> None:
        switcher = self.query_one("#views", ContentSwitcher)
        if not switcher.query_children(f"#{name}"):
            await switcher.mount(view_class(name)(self.ge, self.hooks_dir, id=name))
        switcher.current = name
        self.current_view().query_one("DataTable").focus()
        self.current_view().refresh_data(force=True)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("goto", "filter"):
            return len(self.screen_stack) == 1 and not isinstance(self.focused, Input)
        return True

    async def action_goto(self) -> None:
        prompt = GotoScreen(ALIASES)
        await self.push_screen(prompt, self.go)
        prompt.set_focus(prompt.query_one(Input))  # before the next key is dispatched

    async def go(self, name: str | None) -> None:
        if name == "setup":
            self.action_setup()
        elif name:
            await self.switch_view(name)

    def action_setup(self) -> None:
        """The guided set-up wizard (`:setup`, the palette, or `qckpt setup`)."""
        from qckpt.backend.setup.steps import Answers

        from .components.setup import SetupScreen

        given = self.setup_answers
        answers = given if isinstance(given, Answers) else Answers.defaults(self.ge)
        self.push_screen(
            SetupScreen(self.ge, answers),
            lambda _closed: self.current_view().refresh_data(force=True),  # what it changed
        )

    def action_filter(self) -> None:
        box = self.current_view().query_one(".filter", Input)
        box.add_class("shown")
        self.screen.set_focus(box)  # at once: the next key is the filter's first character

    def action_back(self) -> None:
        box = self.current_view().query_one(".filter", Input)
        if box.has_class("shown"):
            box.value = ""
            box.remove_class("shown")
            self.current_view().query_one("DataTable").focus()

    def action_help(self) -> None:
        rows = []
        for binding in [*self.current_view().BINDINGS, *self.BINDINGS]:
            keys = self.get_key_display(binding)
            rows.append((keys, binding.description or binding.action))
        self.push_screen(HelpScreen(rows))

    def action_refresh(self) -> None:
        self.current_view().refresh_data(force=True)  # a manual refresh reads everything again

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.notify("refresh paused" if self.paused else "refresh resumed")
        if self.info:
            self.show_info(self.info)
