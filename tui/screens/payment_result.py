"""How a payment ended, on a screen of its own: successful (with each item's new expiry),
failed (with the provider's reason), timed out, or cancelled. Nothing to decide here; any key
that closes it returns to where the payment started, whose lists then show the result."""
from __future__ import annotations

from ..terminal_safe import markup_text as escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from smartpay.core.domain import AttemptState, OrderState, Purpose
from smartpay.core.views import OrderView

from ..session import Session

HEADLINES = {
    OrderState.SUCCEEDED: "Payment Successful",
    OrderState.FAILED: "Payment Failed",
    OrderState.TIMED_OUT: "Payment Timed Out",
    OrderState.CANCELLED: "Order Cancelled",
}
EXPLANATIONS = {
    OrderState.SUCCEEDED: "The order is paid; the new expiries are in effect.",
    OrderState.FAILED: "Nothing was charged for this order. Place a new order to try again.",
    OrderState.TIMED_OUT: "The payment window closed before the payment was completed; this order can no "
                          "longer be paid. Place a new order.",
    OrderState.CANCELLED: "The order was cancelled; nothing was charged.",
}


class PaymentResultScreen(Screen[OrderView]):
    CSS_PATH = "payment_result.tcss"
    BINDINGS = [Binding("escape,enter", "close", "Done", id="payment_result.close", tooltip="Back to the desk")]

    def __init__(self, session: Session, order: OrderView) -> None:
        super().__init__(id="payment-result")
        self.session, self.order = session, order

    def compose(self) -> ComposeResult:
        order = self.order
        state = OrderState(order.state)
        with Center():
            with Vertical(id="result-box", classes=f"result-{state.value}"):
                yield Label(HEADLINES.get(state, state.label), id="result-headline")
                yield Static(self._summary(), id="result-summary")
                yield Static(EXPLANATIONS.get(state, ""), id="result-explanation")
                if state == OrderState.SUCCEEDED and any(line.item_id for line in order.lines):
                    yield Static(self._expiries(), id="result-expiries")
                yield Button("Done", variant="primary", id="result-done")
        yield Footer()

    def _summary(self) -> str:
        order, fmt = self.order, self.session.core.ptime.format
        total_name = "Total Credit" if order.total.is_credit else "Total Price"
        rows = [("Transaction Type", order.purpose.label), ("Transaction Number", order.txn),
                (total_name, order.total.format()), ("Status", OrderState(order.state).label)]
        if order.purpose == Purpose.CREDIT_PURCHASE and order.credit_quantity:
            # R15: whose balance the credits land in (the installer chosen in step 1, else the buyer's)
            whose = order.credit_for_login or order.payer_login
            rows.append(("Credits bought", f"{order.credit_quantity:,} credits for {whose}"))
        paid_with = self._paid_with()
        if paid_with:
            rows.append(("Paid with", paid_with))
        if order.paid_at:
            rows.append(("Paid", fmt(order.paid_at)))
        if order.failure_reason and order.state != OrderState.SUCCEEDED:
            rows.append(("Reason", order.failure_reason))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"[dim]{k + ':':<{width + 2}}[/dim]{escape(str(v))}" for k, v in rows)

    def _paid_with(self) -> str:
        """Each part of the payment: "Coupons 30.00 USD + Stripe 19.44 USD"."""
        labels = {m.key: m.label for m in self.session.core.plugins.methods()}
        return " + ".join(f"{labels.get(a.method, a.method)} {a.amount.format()}" for a in self.order.attempts
                          if a.state in (AttemptState.SUCCEEDED, AttemptState.REFUNDED))

    def _expiries(self) -> str:
        fmt = self.session.core.ptime.format
        lines = [f"{escape(line.subject_name)} ({escape(line.service_label)}, {escape(line.site)}): "
                 f"[b]{fmt(line.expires_after)}[/b]" for line in self.order.lines if line.item_id]
        return "New expiry:\n" + "\n".join(lines)

    def on_mount(self) -> None:
        self.query_one("#result-done", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "result-done":
            self.action_close()

    def action_close(self) -> None:
        self.dismiss(self.order)
