"""Login ("Log in with your account"). The password check (argon2, deliberately slow) runs in a
thread worker; a refusal shows the core's own message — wrong password or lock-out — and keeps
what was typed so the operator only fixes the wrong part."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from ..widgets.form_field import FormField, mark_form
from ..workers import CoreAnswers, core_work


class LoginScreen(CoreAnswers, Screen):
    CSS_PATH = "login.tcss"
    BINDINGS = [
        Binding("enter", "log_in", "Log in", id="login.submit", tooltip="Check the login and password",
                show=True),
    ]

    def __init__(self, login: str | None = None) -> None:
        super().__init__(id="login-screen")
        self.prefill = login or ""

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="login-box"):
                yield Static("smartpay", id="login-brand")
                yield Label("Log in with your account", id="login-title")
                yield FormField("Login", self.prefill, input_id="login-name", placeholder="Login", stacked=True,
                                compact=False, id="field-login")
                yield FormField("Password", input_id="login-password", placeholder="Password", password=True,
                                stacked=True, compact=False, id="field-password")
                yield Static("", id="login-message")
                yield Button("Log in", variant="primary", id="login-button")
            demo = getattr(self.app, "demo", None)
            if demo is not None:  # `smartpay demo --open` only: demo accounts, printed on purpose
                from .demo_panel import DemoPanel
                yield DemoPanel(demo)
        yield Footer()

    def on_mount(self) -> None:
        target = "#login-password" if self.prefill else "#login-name"
        self.query_one(target, Input).focus()
        self.app.login_ready()

    @on(Input.Submitted, "#login-name")
    def _next_field(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-button")
    def action_log_in(self) -> None:
        login = self.query_one("#login-name", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        message = self.query_one("#login-message", Static)
        message.update("Checking…")
        message.set_classes("busy")
        self.query_one("#login-button", Button).disabled = True
        self._check(login, password)

    @core_work(group="login", done="_checked", refused="_login_refused")
    def _check(self, login: str, password: str):
        """The session, or why the desk cannot open (a text); a wrong password is a refusal."""
        from ..session import Session
        try:
            core = self.app.core  # opened by the app behind this screen; waits if not yet ready
        except Exception as exc:  # the database cannot be opened: say so, keep the form
            return f"Cannot open the desk: {getattr(exc, 'message', exc)}"
        return Session(core, core.auth.login(login, password))

    def _checked(self, answer) -> None:
        if isinstance(answer, str):
            self._refuse(answer)
        else:
            self.app.logged_in(answer)

    def _login_refused(self, error) -> None:
        """A field left empty is marked under it (both at once); a wrong password or a lock-out
        is the form's message. What was typed stays."""
        rest = mark_form(self, error)
        if rest is None:
            self._show("", "")
            self.query_one("#login-button", Button).disabled = False
        else:
            self._refuse(rest)

    def _show(self, text: str, kind: str) -> None:
        message = self.query_one("#login-message", Static)
        message.update(text)
        message.set_classes(kind)

    def _refuse(self, text: str) -> None:
        self._show(text, "error")
        self.query_one("#login-button", Button).disabled = False
        self.query_one("#login-password", Input).focus()
