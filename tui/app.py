"""SmartpayApp: the full-screen billing desk. It only chooses the first screen, switches between
login and home, and shows the core's refusals in one place; each screen lives in its own module.

Start-up is kept light (the login screen is benchmarked against a bare Textual app): panes,
modals and the command palette provider are imported on first use."""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Callable

from textual import work
from textual.app import App
from textual.binding import Binding

from .terminal_safe import TerminalSafe
from .widgets.feedback import CoreFailed, error_title

if TYPE_CHECKING:  # the core's modules load after the login screen shows (start-up speed)
    from smartpay.core.context import Smartpay

    from .session import Session

# Benchmark aid (bench/tui_startup.py): exit as soon as the login screen is ready.
EXIT_WHEN_READY_ENV = "SMARTPAY_TUI_EXIT_WHEN_READY"


def _commands_provider():
    from .commands import SmartpayCommands
    return SmartpayCommands


_TERMINAL_SAFE = TerminalSafe()


class SmartpayApp(App):
    """`SmartpayApp(core)` opens on the login screen; `login=` pre-fills it; `session=` starts
    logged in on the home of the session's role.

    `core` may also be a function returning the core: the command line passes one, so the
    database layer and plugin host are imported and opened in a worker while the login screen
    is already on screen."""

    CSS_PATH = "app.tcss"
    TITLE = "smartpay"
    COMMANDS = App.COMMANDS | {_commands_provider}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave smartpay", priority=True),
        # Priority, so a focus move happens before the keys typed after it are handed out: over SSH
        # "login<Tab>password" often arrives in one packet, and without this the password would
        # land in the login field.
        # Help where the keys are (STYLE): the focused screen's keys and what they do. Not priority,
        # so a "?" typed into a text box stays a "?".
        Binding("f1", "toggle_help", "Help", id="app.help", tooltip="Show or hide the keys of this screen"),
        Binding("question_mark", "toggle_help", "Help", show=False, id="app.help_question",
                tooltip="Show or hide the keys of this screen"),
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True, id="app.focus_next"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True,
                id="app.focus_previous"),
    ]

    def __init__(self, core: "Smartpay | Callable[[], Smartpay]", *, login: str | None = None,
                 session: "Session | None" = None, demo: object | None = None,
                 end_on_logout: bool = False) -> None:
        super().__init__()
        # `smartpay ssh serve`'s desks: the SSH connection was the login, so logging out ends
        # the session instead of offering a login screen for another account.
        self.end_on_logout = end_on_logout
        # `smartpay demo --open` only (app.demo_app.DemoInfo): the login screen lists the demo logins.
        self.demo = demo
        self._core = None if callable(core) else core
        self._open_core = core if callable(core) else None
        self._core_lock = threading.Lock()
        self.session: Session | None = session
        self._prefill = login

    def get_line_filters(self):
        """Textual's filters (colour modes) and, always, R14's: every drawn line is terminal-safe."""
        return [*super().get_line_filters(), _TERMINAL_SAFE]

    @property
    def core(self) -> "Smartpay":
        """The opened core; opens it on first use when the app was given a function (blocks: call it
        from a worker)."""
        with self._core_lock:
            if self._core is None:
                self._core = self._open_core()
        return self._core

    def on_mount(self) -> None:
        if self.session is not None:
            self._open_home(self.session)
        else:
            self._open_login(self._prefill, first=True)

    def _open_login(self, login: str | None, first: bool = False) -> None:
        from .screens.login import LoginScreen
        screen = LoginScreen(login=login)
        self.push_screen(screen) if first else self.switch_screen(screen)

    def _open_home(self, session: Session, replace: bool = False) -> None:
        from .screens.home import HomeScreen
        home = HomeScreen(session)
        self.switch_screen(home) if replace else self.push_screen(home)

    def action_toggle_help(self) -> None:
        """Textual's HelpPanel: every key the focused widget, its screen and the app answer to,
        with what it does (the bindings' descriptions and tooltips)."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def on_descendant_focus(self, event) -> None:
        # A list that takes the focus has a highlighted option at once (issue 10 #10): the first
        # Space, Enter or ↓ acts on a visible row instead of only highlighting one.
        from textual.widgets import OptionList
        widget = event.widget
        if isinstance(widget, OptionList) and widget.highlighted is None and widget.option_count:
            widget.highlighted = 0

    # -- session changes -----------------------------------------------------------------
    def logged_in(self, session: Session) -> None:
        self.session = session
        self.title = f"smartpay — {session.actor.name}"
        self._open_home(session, replace=True)

    def log_out(self) -> None:
        if self.end_on_logout:
            self.exit()
            return
        login = self.session.actor.login if self.session else None
        self.session = None
        self.title = "smartpay"
        while len(self.screen_stack) > 2:  # close any modal above home first
            self.pop_screen()
        self._open_login(login)

    def login_ready(self) -> None:
        """Called by the login screen once mounted: open the core behind it while the operator
        types (and, for the start-up benchmark, exit here)."""
        if os.environ.get(EXIT_WHEN_READY_ENV) == "1":
            self.call_after_refresh(self.exit)
            return
        self._prepare_core()

    @work(thread=True, exclusive=True, group="open-core")
    def _prepare_core(self) -> None:
        try:
            self.core.auth  # noqa: B018 (imports the password hasher before the first login)
        except Exception as exc:  # e.g. an out-of-date schema or an unreachable database
            self.post_message(CoreFailed(exc, "Cannot open the desk"))

    # -- the one place refusals are shown ------------------------------------------------
    def show_error(self, error: Exception, title: str = "") -> None:
        self.notify(str(getattr(error, "message", error)), title=title or error_title(error),
                    severity="error", timeout=8)

    def on_core_failed(self, event: CoreFailed) -> None:
        event.stop()
        self.show_error(event.error, event.title)

    def on_worker_state_changed(self, event) -> None:
        # A worker that let a core refusal escape: show it rather than crash the desk.
        from textual.worker import WorkerState
        from smartpay.core.errors import SmartpayError
        if event.state == WorkerState.ERROR and isinstance(event.worker.error, SmartpayError):
            self.show_error(event.worker.error)
