"""Pending Order: the order just placed by the subscription wizard (or resumed from Orders), the
payment method step, and **Pay**.

What the guide shows: "Transaction Type: Monthly Fee", the transaction number, the total (money
or credits), "Please complete the payment in 14:57" counting down live, the available credit for
credit orders, the payee notice (R13), and Pay. The methods come from the core
(payments.options): eligible ones selectable, the others greyed with the plugin's reason;
coupons are a checklist with their balances.

At 80×24 the method list is on screen and has the first key (↑/↓ move in it); Pay, named by
what it will do ("Pay 49.44 USD with Stripe", following every change of method or coupons), and
the message line are docked at the bottom, so neither scrolls away.

Pay runs in a thread worker. Coupons and credits settle at once and end on the result screen;
Stripe and PayPal answer with a hosted page, shown on HostedPaymentScreen (QR code and URL)
until the order ends. A method that answers "pending" without a page (an offline method: its
instructions are its message) leaves the operator here, with the message shown, while the screen
asks the core every `poll_interval` seconds until the order settles. A refusal (not eligible,
timed out, a coupon that no longer covers) is shown above Pay and the operator's choice stays as
it was.

`PendingOrderScreen(session, txn)` dismisses with the order as it ended (OrderView), or with the
order still processing when the operator leaves it unpaid (Back), or None if it never loaded."""
from __future__ import annotations

from ..terminal_safe import markup_text as escape
from textual import on
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
from ..workers import CoreAnswers, core_work


CLOSED = "The payment window has closed; this order can no longer be paid."


class PendingOrderScreen(CoreAnswers, Screen[OrderView | None]):
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
        self.window_closed = False
        self.instructions = ""   # what a pending method without a page asked the payer to do
        self._poller = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="pending-box"):
            yield Label("Pending Order", id="pending-title")
            yield Static("Loading the order…", id="pending-summary")
            yield Vertical(id="pending-countdown-slot")
            yield Vertical(id="pending-methods")
            yield Static("", id="pending-credit")
            yield Static("", id="pending-amount")
            instructions = Static("", id="pending-instructions")
            instructions.display = False  # only while an offline payment waits
            yield instructions
            yield Static(escape(self.session.core.settings.payee_notice), id="pending-payee")
        with Vertical(id="pending-bottom"):  # under the scroll: Pay and what the core said stay in view
            yield Static("", id="pending-message", classes="form-error")
            with Horizontal(id="pending-buttons"):
                yield Button("Pay", variant="primary", compact=True, id="pending-pay", disabled=True)
                yield Button("Cancel Order", compact=True, id="pending-cancel", disabled=True)
                yield Button("Back", compact=True, id="pending-back")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    # -- loading ---------------------------------------------------------------------------------
    @core_work(group="pending-load", done="_loaded", refused="_refused")
    def _load(self) -> OrderView | tuple:
        """The order as it ended, or the order with its payment methods, coupons and balance."""
        core, actor = self.session.core, self.session.actor
        order = core.orders.get(actor, self.txn)
        if OrderState(order.state).is_final:
            return order
        instructions = core.payments.instructions(order)
        if instructions:  # resumed while an offline payment waits for the operator
            return order, instructions
        options = core.payments.options(actor, self.txn)
        coupons = core.coupons.mine(actor, usable_only=True)  # which can pay this order: the core's preview
        return order, options, coupons, core.credits.my_balance(actor)

    def _loaded(self, loaded: OrderView | tuple) -> None:
        if isinstance(loaded, OrderView):
            self._ended(loaded)
        elif len(loaded) == 2:  # an offline payment waits for the operator: its instructions
            self._waiting(*loaded)
        else:
            self._show(*loaded)

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
        self.call_after_refresh(self._focus_methods)
        in_flight = next((a for a in reversed(order.attempts)
                          if a.state in (AttemptState.PROCESSING, AttemptState.UNKNOWN)), None)
        if in_flight is not None and in_flight.redirect_url:  # resumed while the payer is on the hosted page
            label = next((o.label for o in options if o.key == in_flight.method), in_flight.method)
            self._open_hosted(order, in_flight.redirect_url, label)
        elif in_flight is not None:  # resumed while an offline payment is pending: follow it
            self._follow(in_flight.detail or f"A payment with {in_flight.method} is in progress.")

    def _focus_methods(self) -> None:
        self._choice_changed()
        target = self.choice.first_focus if self.choice is not None else None
        (target or self.query_one("#pending-pay", Button)).focus()

    @on(MethodChoice.Changed)
    def _choice_changed(self) -> None:
        """Pay names what it will do, as the method and the coupons change."""
        if self.choice is not None:
            pay = self.query_one("#pending-pay", Button)
            pay.label = self.choice.pay_label
            pay.refresh(layout=True)  # Button's label is not a layout reactive: the width must follow it

    # -- paying ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#pending-pay")
    def action_pay(self) -> None:
        if self.choice is None or self.busy:
            return
        method, codes = self.choice.method, self.choice.coupon_codes
        self._say("Paying…", busy=True)
        self._pay(method, codes, self.choice.method_label)

    @core_work(group="pending-pay", done="_paid", refused="_pay_refused", echo_args=True)
    def _pay(self, method: str | None, codes: tuple[str, ...], label: str):
        return self.session.core.payments.pay(self.session.actor, self.txn, method, codes)

    def _paid(self, outcome, method: str | None, codes: tuple[str, ...], label: str) -> None:
        if OrderState(outcome.order.state).is_final:
            self._ended(outcome.order)
        elif outcome.instructions:  # an operator settles it: what the payer must do, until it does
            self._waiting(outcome.order, outcome.instructions)
        elif outcome.redirect_url:
            self._open_hosted(outcome.order, outcome.redirect_url, label)
        else:  # pending without a page: the method's message is what the payer must do
            self.order = outcome.order
            self._follow(outcome.message or f"The payment with {label} is pending.")

    # -- following a payment that settles later (no hosted page) ------------------------------------
    def _follow(self, message: str) -> None:
        self.instructions = message
        self._say(f"{message}\nStatus: {OrderState(self.order.state).label} — this screen updates when the "
                  f"order settles.", busy=True)
        self.query_one("#pending-pay", Button).disabled = True
        if self._poller is None:
            self._poller = self.set_interval(self.poll_interval, self._check_settled)

    def _check_settled(self) -> None:
        if not self.ended:
            self._settled_check()

    @core_work(group="pending-check", done="_settle_answer", refused="_settle_refused")
    def _settled_check(self):
        return self.session.core.payment_status.check(self.session.actor, self.txn)

    def _settle_answer(self, outcome) -> None:
        if OrderState(outcome.order.state).is_final:
            self._poller.stop()
            self._ended(outcome.order)
            return
        self.order = outcome.order
        self._follow(outcome.message or self.instructions)

    def _settle_refused(self, error) -> None:
        self._say(f"{self.instructions}\n{error.message}")

    def _pay_refused(self, error, *_call) -> None:
        self._refused(error)
        self._order_after(error)  # a refusal may have ended the order (timed out): show how it stands now

    @core_work(group="pending-reread", done="_refused_with_order", refused="_still_refused", echo_args=True)
    def _order_after(self, error) -> OrderView:
        return self.session.core.orders.get(self.session.actor, self.txn)

    def _refused_with_order(self, order: OrderView, error) -> None:
        self._refused(error, order)

    def _still_refused(self, _reread_error, error) -> None:
        """The order could not be read again: the payment's own refusal is already shown."""

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

    @core_work(group="pending-load", done="_waited", refused="_still_waiting")
    def _refresh_waiting(self) -> OrderView:
        return self.session.core.orders.get(self.session.actor, self.txn)

    def _waited(self, order: OrderView) -> None:
        if OrderState(order.state).is_final:  # the operator confirmed or rejected it, or it timed out
            self._ended(order)

    def _still_waiting(self, error) -> None:
        """A refused re-read leaves the instructions on screen; the next tick asks again."""

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
        if self.window_closed and getattr(error, "field", None) == "method":
            # The window has closed: that is what matters, not which method is ticked. (The core
            # says so first, too: it checks the order before the method.)
            text = CLOSED
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
        message.update("\n".join(escape(line) for line in text.splitlines()))  # escape() would show "\n" as text
        message.set_class(busy, "busy")

    # -- cancelling and leaving ------------------------------------------------------------------
    @on(Button.Pressed, "#pending-cancel")
    def _cancel_pressed(self) -> None:
        self._say("Cancelling…", busy=True)
        self._cancel()

    @core_work(group="pending-pay", done="_ended", refused="_refused")
    def _cancel(self) -> OrderView:
        return self.session.core.payment_status.cancel(self.session.actor, self.txn)

    @on(Countdown.Expired)
    def _window_closed(self) -> None:
        # Pay stays enabled: the core has the last word (it times the order out and says so). Once
        # it has said so, its message stays: this general one would hide what happened.
        self.window_closed = True
        if self.order is not None and OrderState(self.order.state).is_final:
            return
        self._say(CLOSED)

    @on(Button.Pressed, "#pending-back")
    def action_leave(self) -> None:
        self.dismiss(self.order)
