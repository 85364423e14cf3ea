"""Paying on the provider's hosted page (Stripe Checkout, PayPal approval): the page's address
as text and as a QR code for the payer's phone, the payment window counting down, and the
status updating by itself while the payer pays elsewhere.

A thread worker asks the core every `poll_interval` seconds (core.payment_status.check, which
asks the provider and records its answer the same way reconciliation does); the UI thread
never waits on the network. When the order ends — paid, failed, timed out, cancelled — the
screen dismisses with the order. **Back** leaves the page open (the order stays processing and
can be resumed from Orders until its window closes); **Cancel payment** closes the page at the
provider and cancels the order, unless the payer has already paid."""
from __future__ import annotations

import threading

from rich.markup import escape
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from smartpay.core.domain import OrderState
from smartpay.core.views import OrderView

from ..session import Session
from ..widgets.countdown import Countdown
from ..widgets.qr_code import QRCode
from ..workers import CoreAnswers, core_work

WAITING = "Waiting for the payment on the hosted page…"


def offline_pay_command(url: str) -> str | None:
    """The command that pays a local emulator's hosted page from a second terminal (the demo),
    or None for a page that is not an emulator's."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        return None
    if "/c/pay/" in url:  # the Stripe emulator's checkout page: its Pay form posts to …/pay
        return f'curl -X POST "{url}/pay"'
    if "/checkoutnow?token=" in url:  # the PayPal emulator's approval page: its Approve form
        return f'curl -X POST "{url.replace("/checkoutnow?", "/checkoutnow/approve?")}"'
    return None


def one_line(text: str, link: str | None = None) -> Text:
    """`text` as one line that never wraps (the CSS cuts it with an ellipsis), a hyperlink to `link`."""
    return Text(text, style=Style(link=link) if link else "", no_wrap=True, overflow="ellipsis", end="")


class HostedPaymentScreen(CoreAnswers, Screen[OrderView | None]):
    CSS_PATH = "hosted_payment.tcss"
    BINDINGS = [
        Binding("ctrl+r", "check", "Check now", id="hosted.check", tooltip="Ask the provider about the payment now"),
        Binding("c", "copy_url", "Copy URL", id="hosted.copy_url",
                tooltip="Copy the page's whole address to the clipboard (OSC 52, works over SSH)"),
        Binding("y", "copy_command", "Copy curl", id="hosted.copy_command",
                tooltip="Copy the demo's pay-from-a-second-terminal command"),
        Binding("escape", "back", "Back", id="hosted.back",
                tooltip="Leave this page; the order stays open and can be resumed from Orders"),
    ]

    def __init__(self, session: Session, order: OrderView, url: str, method_label: str, *,
                 poll_interval: float = 2.0) -> None:
        super().__init__(id="hosted-payment")
        self.session, self.order, self.url = session, order, url
        self.method_label = method_label
        self.poll_interval = poll_interval
        self.checks = 0  # answers received (tests wait on it)
        self.closed = False
        self.cancelling = False
        self._provider_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        order = self.order
        core = self.session.core
        with VerticalScroll(id="hosted-box"):
            yield Label(f"Pay with {escape(self.method_label)}", id="hosted-title")
            yield Static(f"Transaction Number: {order.txn}\n"
                         f"{'Total Credit' if order.total.is_credit else 'Total Price'}: {order.total.format()}",
                         id="hosted-summary")
            yield Countdown(order.deadline_at, core.clock.now, id="hosted-countdown")
            with Horizontal(id="hosted-main"):
                yield QRCode(self.url, id="hosted-qr")
                with Vertical(id="hosted-side"):
                    yield Static("Scan the code with a phone, or open this page in a browser:", classes="muted")
                    # One unwrapped line (cut with … on a narrow terminal) carrying an OSC 8 link: a
                    # wrapped address copied over SSH breaks; `c` copies the whole of it.
                    yield Static(one_line(self.url, link=self.url), id="hosted-url")
                    command = offline_pay_command(self.url)
                    if command:
                        yield Static("Demo: pay from a second terminal with (y copies it)", classes="muted")
                        yield Static(one_line(command), id="hosted-offline")
                    yield Static(WAITING, id="hosted-status")
        # Outside the scrolling page: the first focus is on Check now, and a button inside the page
        # scrolled it down to itself at 80×24, taking the title and the address off the top.
        with Horizontal(id="hosted-buttons"):
            yield Button("Check now", id="hosted-check")
            yield Button("Cancel payment", variant="error", id="hosted-cancel")
            yield Button("Back", id="hosted-back")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(self.poll_interval, self.action_check)
        self.query_one("#hosted-check", Button).focus()

    # -- copying (OSC 52: the terminal puts it on the operator's clipboard, also over SSH) ------------
    def action_copy_url(self) -> None:
        self.app.copy_to_clipboard(self.url)
        self.notify("The page's address is on your clipboard.", title="Copied")

    def action_copy_command(self) -> None:
        command = offline_pay_command(self.url)
        if command:
            self.app.copy_to_clipboard(command)
            self.notify("The pay command is on your clipboard.", title="Copied")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_command":
            return offline_pay_command(self.url) is not None
        return True

    # -- polling (never on the UI thread) --------------------------------------------------------
    def action_check(self) -> None:
        self._check()

    @on(Countdown.Expired)
    def _window_closed(self) -> None:
        self._check()  # the core expires the page at the provider and times the order out

    @core_work(group="hosted-check", done="_checked", refused="_refused")
    def _check(self):
        with self._provider_lock:  # one question to the provider at a time (see _cancel)
            if self.cancelling or self.closed:
                return None
            return self.session.core.payment_status.check(self.session.actor, self.order.txn)

    def _checked(self, outcome) -> None:
        if outcome is not None:
            self._answered(outcome.order, outcome.message)

    def _refused(self, error) -> None:
        self._status(f"[b red]{escape(error.message)}[/]")

    def _answered(self, order: OrderView, message: str) -> None:
        if self.closed:  # a check that was already on its way when the order ended
            return
        self.checks += 1
        self.order = order
        if OrderState(order.state).is_final:
            self._close(order)
            return
        self._status(WAITING + (f"\n[dim]{escape(message)}[/dim]" if message else ""))

    def _status(self, text: str) -> None:
        self.query_one("#hosted-status", Static).update(text)

    # -- leaving ---------------------------------------------------------------------------------
    @on(Button.Pressed, "#hosted-check")
    def _check_pressed(self) -> None:
        self.action_check()

    @on(Button.Pressed, "#hosted-back")
    def action_back(self) -> None:
        self._close(None)

    def _close(self, order: OrderView | None) -> None:
        """Dismiss once: polls still in flight may answer after the screen has closed."""
        if not self.closed:
            self.closed = True
            self.dismiss(order)

    @on(Button.Pressed, "#hosted-cancel")
    def _cancel_pressed(self) -> None:
        if self.cancelling:
            return
        self.cancelling = True
        self._status("Cancelling…")
        self._cancel()

    @core_work(group="hosted-cancel", done="_cancelled", refused="_cancel_refused")  # a poll must not cancel it
    def _cancel(self) -> OrderView:
        # Under the same lock as the polls: a poll reading the page just closed here would
        # record "expired" as a failed payment before the cancel is recorded.
        with self._provider_lock:
            return self.session.core.payment_status.cancel(self.session.actor, self.order.txn)

    def _cancelled(self, order: OrderView) -> None:
        self._answered(order, "")

    def _cancel_refused(self, error) -> None:
        self.cancelling = False
        self._refused(error)
