"""One order in full: what it is (type, number, state, payer, total, times), the billing
information copied into it, its lines (site, service type, name, days, price, expiry before and
after) and its payment attempts. Read only; loaded in a thread worker."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

from smartpay.core.views import OrderView

from ..session import Session
from ..terminal_safe import markup_text as escape
from ..workers import CoreAnswers, core_work

LINE_COLUMNS = ("Site", "Service Type", "Name", "Days", "Price", "Expiry Before", "Expiry After")
ATTEMPT_COLUMNS = ("#", "Method", "Amount", "State", "Created")


def _pairs(rows: list[tuple[str, object]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"[dim]{k:<{width}}[/dim]  {escape(str(v))}" for k, v in rows)


class OrderDetailsModal(CoreAnswers, ModalScreen[str | None]):
    """Dismisses with "pay" when the operator asks to pay or resume the order (Orders does it)."""

    CSS_PATH = "order_details.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="order_details.close", tooltip="Back to the orders"),
        Binding("p", "pay", "Pay / Resume", id="order_details.pay", show=False,
                tooltip="Pay this processing order, or go back to its payment page"),
    ]

    def __init__(self, session: Session, txn: str) -> None:
        super().__init__(id="order-details")
        self.session, self.txn = session, txn
        self.order: OrderView | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="details-box"):
            yield Label(f"Order {self.txn}", id="details-title")
            with VerticalScroll(id="details-body"):
                yield Static("", id="details-summary")
                yield Label("Items", classes="details-heading", id="details-items-heading")
                lines = DataTable(id="details-lines", cursor_type="row", show_cursor=False)
                lines.add_columns(*LINE_COLUMNS)
                yield lines
                yield Label("Payment attempts", classes="details-heading", id="details-attempts-heading")
                attempts = DataTable(id="details-attempts", cursor_type="row", show_cursor=False)
                attempts.add_columns(*ATTEMPT_COLUMNS)
                yield attempts
                yield Label("Billing Information", classes="details-heading")
                yield Static("", id="details-billing")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#details-box").loading = True
        self._load()

    @core_work(group="order-details", done="_show", refused="_failed")
    def _load(self) -> OrderView:
        return self.session.core.orders.get(self.session.actor, self.txn)

    def _failed(self, error: Exception) -> None:
        self.query_one("#details-box").loading = False
        self.query_one("#details-summary", Static).update(f"[b red]{getattr(error, 'message', error)}[/]")

    def _show(self, order: OrderView) -> None:
        self.order = order
        core = self.session.core
        fmt = core.ptime.format
        credit = order.total.is_credit
        rows: list[tuple[str, object]] = [
            ("Transaction Type", order.purpose.label), ("Transaction Number", order.txn),
            ("State", order.state.label), ("Payer", order.payer_login),
            ("Total Credit" if credit else "Total Price", order.total.format()),
            ("Created", fmt(order.created_at)),
        ]
        if order.project_type is not None:
            rows.insert(1, ("Project Type", order.project_type.label))
        if order.credit_quantity:
            rows.append(("Credits", order.credit_quantity))
        if order.renew_to:
            rows.append(("Renew To", f"{order.renew_to.isoformat()} {core.ptime.offset_label(order.created_at)}"))
        if order.auto_cycles or order.auto_until:
            lasts = f"{order.auto_cycles} cycle(s)" if order.auto_cycles else f"until {order.auto_until.isoformat()}"
            rows.append(("Auto Renew", f"every 30 days, {lasts}"))
        if order.state == "processing":
            rows.append(("Pay before", fmt(order.deadline_at)))
        if order.paid_at:
            rows.append(("Paid", fmt(order.paid_at)))
        if order.failure_reason:
            rows.append(("Reason", order.failure_reason))
        self.query_one("#details-summary", Static).update(_pairs(rows))
        b = order.billing
        self.query_one("#details-billing", Static).update(_pairs(
            [("Company/Family", b.company), ("ATTN", b.attn), ("Address", b.address), ("TEL", b.tel),
             ("Fax", b.fax or "--")]))

        lines = self.query_one("#details-lines", DataTable)
        lines.clear()
        lines.add_rows([(line.site, line.service_label, line.subject_name, str(line.days),
                         line.price.format(), fmt(line.expires_before), fmt(line.expires_after))
                        for line in order.lines if line.item_id is not None])
        has_lines = lines.row_count > 0
        lines.display = has_lines
        self.query_one("#details-items-heading", Label).update(
            f"{lines.row_count} Item(s)" if has_lines else "Items: none (a credit purchase)")

        attempts = self.query_one("#details-attempts", DataTable)
        attempts.clear()
        attempts.add_rows([(str(n), a.method, a.amount.format(), a.state, fmt(a.created_at))
                           for n, a in enumerate(order.attempts, 1)])
        attempts.display = attempts.row_count > 0
        self.query_one("#details-attempts-heading", Label).update(
            f"Payment attempts: {attempts.row_count}" if order.attempts else "Payment attempts: none yet")
        self.query_one("#details-box").loading = False
        self.query_one("#details-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_pay(self) -> None:
        self.dismiss("pay")
