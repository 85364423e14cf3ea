"""Pending Order: the order just placed by the subscription wizard (or resumed from Orders), the
payment method step, and **Pay**.

What the guide shows: "Transaction Type: Monthly Fee", the transaction number, the total (money
or credits), "Please complete the payment in 14:57" counting down live, the available credit for
credit orders, the payee notice (R13), and Pay. The methods come from the core
(payments.options): eligible ones selectable, the others greyed with the plugin's reason;
coupons are a checklist with their balances.

Pay runs in a thread worker. Coupons and credits settle at once and end on the result screen;
Stripe and PayPal answer with a hosted page, shown on HostedPaymentScreen (QR code and URL)
until the order ends. A refusal (not eligible, timed out, a coupon that no longer covers) is
shown under the methods and the operator's choice stays as it was.

`PendingOrderScreen(session, txn)` dismisses with the order as it ended (OrderView), or with the
order still processing when the operator leaves it unpaid (Back), or None if it never loaded."""
from __future__ import annotations

from ..terminal_safe import markup_text as escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from smartpay.core.domain import AttemptState, OrderState
from smartpay.core.views import OrderView

from ..session import Session
from ..widgets.countdown import Countdown
from ..widgets.method_choice import MethodChoice


class PendingOrderScreen(Screen[OrderView | None]):
    CSS_PATH = "pending_order.tcss"
    BINDINGS = [
        Binding("ctrl+s", "pay", "Pay", id="pending.pay", tooltip="Pay the order with the chosen method"),
        Binding("escape", "leave", "Back", id="pending.leave",
                tooltip="Leave the order unpaid; resume it from Orders before its window closes"),
    ]

    def __init__(self, session: Session, txn: str, *, poll_interval: float = 2.0) -> None:
        super().__init__(id="pending-order")
        self.session, self.txn = session, txn
        self.poll_interval = poll_interval  # passed on to the hosted-payment screen (tests shorten it)
        self.order: OrderView | None = None
        self.choice: MethodChoice | None = None
        self.busy = False
        self.ended = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="pending-box"):
            yield Label("Pending Order", id="pending-title")
            yield Static("Loading the order…", id="pending-summary")
            yield Vertical(id="pending-countdown-slot")
            yield Vertical(id="pending-methods")
            yield Static("", id="pending-credit")
            yield Static(escape(self.session.core.settings.payee_notice), id="pending-payee")
            yield Static("", id="pending-amount")
            instructions = Static("", id="pending-instructions")
            instructions.display = False  # only while an offline payment waits
            yield instructions
            yield Static("", id="pending-message", classes="form-error")
            with Horizontal(id="pending-buttons"):
                yield Button("Pay", variant="primary", id="pending-pay", disabled=True)
                yield Button("Cancel Order", id="pending-cancel", disabled=True)
                yield Button("Back", id="pending-back")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    # -- loading ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="pending-load")
    def _load(self) -> None:
        from smartpay.core.errors import SmartpayError
        core, actor = self.session.core, self.session.actor
        try:
            order = core.orders.get(actor, self.txn)
            if OrderState(order.state).is_final:
                self.app.call_from_thread(self._ended, order)
                return
            instructions = core.payments.instructions(order)
            if instructions:  # resumed while an offline payment waits for the operator
                self.app.call_from_thread(self._waiting, order, instructions)
                return
            options = core.payments.options(actor, self.txn)
            coupons = [] if order.total.is_credit else core.coupons.mine(actor, usable_only=True)
            balance = core.credits.my_balance(actor)
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._show, order, options, coupons, balance)

    def _show(self, order: OrderView, options, coupons, balance: int) -> None:
        self.order = order
        core = self.session.core
        total_name = "Total Credit" if order.total.is_credit else "Total Price"
        self.query_one("#pending-summary", Static).update(
            f"Transaction Type: {order.purpose.label}\nTransaction Number: {order.txn}\n"
            f"{total_name}: [b]{order.total.format()}[/b]")
        slot = self.query_one("#pending-countdown-slot")
        slot.remove_children()
        slot.mount(Countdown(order.deadline_at, core.clock.now, id="pending-countdown"))
        self.choice = MethodChoice(options, coupons, order.total, core.ptime.local_date, id="method-choice")
        self.query_one("#pending-methods").mount(self.choice)
        credit = order.total.is_credit  # the guide's "Available Credit" and "Amount Credit" lines
        self.query_one("#pending-credit", Static).display = credit
        self.query_one("#pending-amount", Static).display = credit
        if credit:
            self.query_one("#pending-credit", Static).update(f"Available Credit: {balance:,}")
            self.query_one("#pending-amount", Static).update(f"Amount Credit: {order.total.amount:,}")
        self.query_one("#pending-pay", Button).disabled = False
        self.query_one("#pending-cancel", Button).disabled = False
        self.query_one("#pending-pay", Button).focus()
        in_flight = next((a for a in reversed(order.attempts)
                          if a.state in (AttemptState.PROCESSING, AttemptState.UNKNOWN) and a.redirect_url), None)
        if in_flight is not None:  # resumed while the payer is on the hosted page: go back to it
            label = next((o.label for o in options if o.key == in_flight.method), in_flight.method)
            self._open_hosted(order, in_flight.redirect_url, label)

    # -- paying ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#pending-pay")
    def action_pay(self) -> None:
        if self.choice is None or self.busy:
            return
        method, codes = self.choice.method, self.choice.coupon_codes
        self._say("Paying…", busy=True)
        self._pay(method, codes, self.choice.method_label)

    @work(thread=True, exclusive=True, group="pending-pay")
    def _pay(self, method: str | None, codes: tuple[str, ...], label: str) -> None:
        from smartpay.core.errors import SmartpayError
        core, actor = self.session.core, self.session.actor
        try:
            outcome = core.payments.pay(actor, self.txn, method, codes)
        except SmartpayError as exc:
            order = None
            try:  # a refusal may have ended the order (timed out): show how it stands now
                order = core.orders.get(actor, self.txn)
            except SmartpayError:
                pass
            self.app.call_from_thread(self._refused, exc, order)
            return
        if outcome.instructions and not OrderState(outcome.order.state).is_final:
            self.app.call_from_thread(self._waiting, outcome.order, outcome.instructions)
        elif outcome.redirect_url and not OrderState(outcome.order.state).is_final:
            self.app.call_from_thread(self._open_hosted, outcome.order, outcome.redirect_url, label)
        else:
            self.app.call_from_thread(self._ended, outcome.order)

    # -- offline methods: the payer reads the instructions until the operator settles it ----------
    def _waiting(self, order: OrderView, instructions: str) -> None:
        self.order = order
        self.query_one("#pending-summary", Static).update(
            f"Transaction Type: {order.purpose.label}\nTransaction Number: {order.txn}\n"
            f"Total Price: [b]{order.total.format()}[/b]")
        self.query_one("#pending-methods").display = False
        self.query_one("#pending-pay", Button).disabled = True
        self.query_one("#pending-instructions", Static).display = True
        self.query_one("#pending-instructions", Static).update(
            escape(f"Waiting for your payment until {self.session.core.ptime.format(order.deadline_at)}.\n"
                   f"{instructions}"))
        self._say("")
        if not getattr(self, "_watching", False):
            self._watching = True
            self.set_interval(max(self.poll_interval, 0.05), self._refresh_waiting)

    @work(thread=True, exclusive=True, group="pending-load")
    def _refresh_waiting(self) -> None:
        from smartpay.core.errors import SmartpayError
        try:
            order = self.session.core.orders.get(self.session.actor, self.txn)
        except SmartpayError:
            return
        if OrderState(order.state).is_final:  # the operator confirmed or rejected it, or it timed out
            self.app.call_from_thread(self._ended, order)

    def _open_hosted(self, order: OrderView, url: str, label: str) -> None:
        from .hosted_payment import HostedPaymentScreen
        self.order = order
        self._say("")
        self.app.push_screen(HostedPaymentScreen(self.session, order, url, label, poll_interval=self.poll_interval),
                             self._hosted_closed)

    def _hosted_closed(self, order: OrderView | None) -> None:
        if order is not None and OrderState(order.state).is_final:
            self._ended(order)
        else:
            self._say("The payment page is still open: pay there, or press Pay again after it settles. "
                      "Resume this order from Orders until its window closes.")

    def _ended(self, order: OrderView) -> None:
        from .payment_result import PaymentResultScreen
        if self.order is not None and self.order.state == order.state and self.ended:
            return  # shown already
        self.ended = True
        self.order = order
        self.busy = False
        self.app.push_screen(PaymentResultScreen(self.session, order), self._result_closed)

    def _result_closed(self, order: OrderView | None) -> None:
        self.dismiss(order or self.order)

    def _refused(self, error: Exception, order: OrderView | None = None) -> None:
        text = str(getattr(error, "message", error))
        self._say(text)
        if order is not None:
            self.order = order
            if OrderState(order.state).is_final:  # e.g. timed out: nothing left to pay
                self.query_one("#pending-pay", Button).disabled = True
                self.query_one("#pending-cancel", Button).disabled = True
                self._say(f"{text}\nThis order is now {OrderState(order.state).label}.")

    def _say(self, text: str, busy: bool = False) -> None:
        self.busy = busy
        message = self.query_one("#pending-message", Static)
        message.display = bool(text)
        message.update(escape(text))
        message.set_class(busy, "busy")

    # -- cancelling and leaving ------------------------------------------------------------------
    @on(Button.Pressed, "#pending-cancel")
    def _cancel_pressed(self) -> None:
        self._say("Cancelling…", busy=True)
        self._cancel()

    @work(thread=True, exclusive=True, group="pending-pay")
    def _cancel(self) -> None:
        from smartpay.core.errors import SmartpayError
        try:
            order = self.session.core.payment_status.cancel(self.session.actor, self.txn)
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._ended, order)

    @on(Countdown.Expired)
    def _window_closed(self) -> None:
        # Pay stays enabled: the core has the last word (it times the order out and says so).
        self._say("The payment window has closed; this order can no longer be paid.")

    @on(Button.Pressed, "#pending-back")
    def action_leave(self) -> None:
        self.dismiss(self.order)
