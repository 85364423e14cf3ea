"""Orders: the operator's orders, newest first — transaction number, type ("Monthly Fee" for
renewals), items, total in money or credits, state with SmartPlus's labels, created time.
Enter opens the details; c cancels a processing order after a confirmation (the core decides
whether it may be cancelled and says why not); p pays a processing order or resumes its payment
(the pending-order screen), which the core refuses once the order has timed out."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from smartpay.core.domain import OrderState
from smartpay.core.views import OrderListRow, OrderView

from ..widgets.confirm_dialog import ConfirmDialog
from ..widgets.pane import SectionPane
from ..widgets.tcss_file import beside
from ..workers import core_work

# What identifies an order and where it stands first; the zone in the header (issue 10 #12).
COLUMNS = ("Transaction Number", "State", "Type", "Total", "Items", "Created ({zone})")


def total_text(order: OrderView) -> str:
    return order.total.format()  # "12.00 USD" or "30 credits"


class OrdersLoaded(Message):
    def __init__(self, rows: list[OrderListRow]) -> None:
        super().__init__()
        self.rows = rows


class OrdersPane(SectionPane):
    DEFAULT_CSS = beside(__file__)
    PALETTE = (
        ("Order details", "Show the highlighted order with its items and payment attempts", "details"),
        ("Cancel order", "Cancel the highlighted order while it is still processing", "cancel_order"),
        ("Pay / Resume order", "Pay the highlighted processing order, or go back to its payment page", "pay_order"),
        ("Refresh orders", "Read the orders again", "refresh"),
    )
    BINDINGS = [
        Binding("d", "details", "Details", id="orders.details",
                tooltip="Items, expiries and payment attempts of the highlighted order (or Enter)"),
        Binding("c", "cancel_order", "Cancel", id="orders.cancel",
                tooltip="Cancel the highlighted order (processing orders only)"),
        Binding("r", "refresh", "Reload", id="orders.refresh", tooltip="Read the orders again"),
        Binding("p", "pay_order", "Pay", id="orders.pay",
                tooltip="Pay the highlighted processing order, or go back to its payment page"),
    ]

    def __init__(self, session, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.rows: list[OrderListRow] = []
        self._said = ""

    def compose(self) -> ComposeResult:
        yield Static("Orders", classes="pane-title")
        table = DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*[c.format(zone=self.core.ptime.zone_label()) for c in COLUMNS])
        yield table
        yield Static("", id="orders-status", classes="muted")

    def on_mount(self) -> None:
        self.action_refresh()

    # -- loading ---------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.loading = True
        self._load()

    @core_work(group="orders-load", refused="_load_refused")
    def _load(self) -> None:
        from smartpay.core.services.order_queries import list_with_counts
        self.post_message(OrdersLoaded(list_with_counts(self.core, self.actor)))

    def _load_refused(self, error) -> None:
        self.report(error, "Orders")
        self.loading = False

    def on_orders_loaded(self, event: OrdersLoaded) -> None:
        event.stop()
        keep = self.current.txn if self.current else None
        self.rows = event.rows
        fmt = self.core.ptime.short
        table = self.query_one("#orders-table", DataTable)
        table.clear()
        for row in self.rows:
            o = row.order
            table.add_row(o.txn, o.state.label, o.purpose.label, total_text(o), str(row.items) if row.items else "--",
                          fmt(o.created_at), key=o.txn)
        if keep is not None and keep in {r.order.txn for r in self.rows}:
            table.move_cursor(row=table.get_row_index(keep))
        processing = sum(1 for r in self.rows if r.order.state == OrderState.PROCESSING)
        status = f"{len(self.rows)} order(s)" + (f" · {processing} processing" if processing else "")
        if self._said:
            status, self._said = f"{self._said} {status}", ""
        self._say(status if self.rows else "No orders yet.")
        self.loading = False

    # -- the highlighted order -----------------------------------------------------------------
    @property
    def current(self) -> OrderView | None:
        table = self.query_one("#orders-table", DataTable)
        if not self.rows or table.cursor_row is None or not (0 <= table.cursor_row < len(self.rows)):
            return None
        return self.rows[table.cursor_row].order

    @on(DataTable.RowSelected, "#orders-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        order = self.current
        if order is None:
            self.notify("No order to show.", severity="warning")
            return
        from .order_details import OrderDetailsModal
        self.app.push_screen(OrderDetailsModal(self.session, order.txn),
                             lambda choice: self._resume(order.txn) if choice == "pay" else None)

    # -- cancelling --------------------------------------------------------------------------
    def action_cancel_order(self) -> None:
        order = self.current
        if order is None:
            self.notify("No order to cancel.", severity="warning")
            return
        detail = f"{order.purpose.label}, {total_text(order)}, {order.state.label}. Coupons it took are given back."
        self.app.push_screen(ConfirmDialog(f"Cancel order {order.txn}?", detail, yes="Cancel order", no="Keep it",
                                           title="Cancel order"),
                             lambda yes: self._cancel(order.txn) if yes else None)

    @core_work(group="orders-write", done="_cancelled", refused="_cancel_refused")
    def _cancel(self, txn: str) -> OrderView:
        return self.core.orders.cancel(self.actor, txn)

    def _cancel_refused(self, error) -> None:
        self.report(error, "Order not cancelled")
        self._say(f"Not cancelled: {error.message}", True)

    def _cancelled(self, order: OrderView) -> None:
        self.notify(f"Order {order.txn}: {order.state.label}", title="Order cancelled")
        self._said = f"Order {order.txn} cancelled."
        self.action_refresh()

    # -- paying / resuming (W2: the pending-order screen) ---------------------------------------
    def action_pay_order(self) -> None:
        order = self.current
        if order is None:
            self.notify("No order to pay.", severity="warning")
            return
        self._resume(order.txn)

    @core_work(group="orders-write", done="_open_pending", refused="_resume_refused")
    def _resume(self, txn: str) -> str:
        # The core says whether it can still be paid (a timed-out order cannot).
        self.core.payment_status.resumable(self.actor, txn)
        return txn

    def _resume_refused(self, error) -> None:
        self.report(error, "Order cannot be paid")
        self._said = f"Not payable: {error.message}"
        self.action_refresh()  # the list shows the order as it now stands

    def _open_pending(self, txn: str) -> None:
        from .pending_order import PendingOrderScreen
        self.app.push_screen(PendingOrderScreen(self.session, txn), lambda _order: self.action_refresh())

    def _say(self, text: str, error: bool = False) -> None:
        """The status line under the table: counts, or the outcome of the last action."""
        status = self.query_one("#orders-status", Static)
        status.update(text)
        status.set_class(error, "form-error")
        status.set_class(not error, "muted")
