"""Credit Logs: available credit, a sparkline of the balance, and the ledger (R11) — filterable by
type and free text, exportable to CSV; distributors assign credits down their downline from here.

The whole ledger is read in one query in a thread worker and kept as dataclasses; filtering runs
in memory (core.services.credits.filter_ledger) after a short debounce and refills the table in
one go, a page of PAGE_SIZE rows at a time: a DataTable holding 10,000 rows takes seconds to
refill and lay out, a page of them a few milliseconds, so a 10,000-entry log filters without lag."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static

from smartpay.core.services.credits import (KIND_LABELS, balance_series, filter_ledger, kind_label,
                                            ledger_haystacks)
from smartpay.core.views import LedgerEntryView

from ..widgets.balance_sparkline import BalanceSparkline
from ..widgets.debounce import Debouncer
from ..widgets.pane import SectionPane
from ..widgets.tcss_file import beside
from ..workers import core_work

# Fixed widths: with auto-width the DataTable measures every cell of a refilled page on the next
# idle, which was most of the key-to-paint time of a filter keystroke. What identifies an entry
# first: when, what, how much and with whom ("Assigned Out -30 inst_credit") fit at 80 columns;
# the running balance follows (the current one is above the table), then order and reference
# (issue 10 #12).
COLUMNS = (("Time ({zone})", 16), ("Type", 12), ("Amount", 9), ("Counterparty", 14), ("Balance After", 13),
           ("Order", 17), ("Reference", 28))
PAGE_SIZE = 100


class LedgerLoaded(Message):
    def __init__(self, entries: list[LedgerEntryView], balance: int, haystacks: list[str]) -> None:
        super().__init__()
        self.entries, self.balance, self.haystacks = entries, balance, haystacks


class CreditLogsPane(SectionPane):
    DEFAULT_CSS = beside(__file__)
    PALETTE = (
        ("Assign credits", "Assign credits to a user in your downline", "assign"),
        ("Export credit log to CSV", "Write the credit log, filtered as shown, to a CSV file", "export_csv"),
        ("Refresh credit log", "Read the balance and the credit log again", "refresh"),
    )
    BINDINGS = [
        Binding("a", "assign", "Assign", id="credit_logs.assign",
                tooltip="Assign credits to a user in your downline"),
        # Short footer labels: with two page keys every key and f1 Help still fit at 80 columns.
        Binding("x", "export_csv", "CSV", id="credit_logs.export",
                tooltip="Write the filtered credit log to a CSV file"),
        Binding("slash", "focus_filter", "Filter", id="credit_logs.filter", show=False,  # the box says "(/)"
                tooltip="Type to filter by login, order number, reference or type"),
        Binding("t", "focus_type", "Type", show=False, id="credit_logs.type", tooltip="Show one type of entry only"),
        Binding("r", "refresh", "Reload", id="credit_logs.refresh", tooltip="Read the credit log again"),
        Binding("n", "page(1)", "Older", id="credit_logs.next_page",
                tooltip=f"The next {PAGE_SIZE} entries (older)"),
        Binding("p", "page(-1)", "Newer", id="credit_logs.prev_page",
                tooltip=f"The previous {PAGE_SIZE} entries (newer)"),
    ]

    def __init__(self, session, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.entries: list[LedgerEntryView] = []
        self.shown: list[LedgerEntryView] = []
        self.balance: int | None = None
        self.page = 0
        self._haystacks: list[str] = []
        self._filter_later = Debouncer(self, self.apply_filter)

    @property
    def can_assign(self) -> bool:
        return self.offers(self.actor, "assign")

    @classmethod
    def offers(cls, actor, action: str) -> bool:
        # Only hides the key and the palette entry: the core refuses anyone else
        # (credits.assign → PermissionDenied).
        return action != "assign" or actor.role.is_distributor

    def compose(self) -> ComposeResult:
        yield Static("Credit Logs", classes="pane-title")
        yield BalanceSparkline(id="credit-balance")
        with Horizontal(id="ledger-filters", classes="toolbar"):
            yield Select([("All types", "")] + [(label, kind.value) for kind, label in KIND_LABELS.items()],
                         value="", allow_blank=False, compact=True, id="ledger-kind",
                         tooltip="Show one type of entry only")
            yield Input(placeholder="Filter: login, order, reference… (/)", compact=True, id="ledger-filter")
        table = DataTable(id="ledger-table", cursor_type="row", zebra_stripes=True)
        for label, width in COLUMNS:
            table.add_column(label.format(zone=self.core.ptime.zone_label()), width=width, key=label)
        yield table
        yield Static("", id="ledger-status", classes="muted")

    def on_mount(self) -> None:
        self.action_refresh()

    # -- loading ---------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.loading = True
        self._load()

    @core_work(group="credit-logs-load", refused="_load_refused")
    def _load(self) -> None:
        entries = self.core.credits.log(self.actor)
        balance = self.core.credits.my_balance(self.actor)
        # The searched text is built here, off the UI thread, once per load.
        self.post_message(LedgerLoaded(entries, balance, ledger_haystacks(entries)))

    def _load_refused(self, error) -> None:
        self.report(error, "Credit Logs")
        self.loading = False

    def on_ledger_loaded(self, event: LedgerLoaded) -> None:
        event.stop()
        self.entries, self.balance = event.entries, event.balance
        self._haystacks = event.haystacks
        self.query_one(BalanceSparkline).show(event.balance, balance_series(event.entries))
        self.apply_filter()
        self.loading = False

    # -- filtering -------------------------------------------------------------------------
    @property
    def kind_filter(self) -> str | None:
        value = self.query_one("#ledger-kind", Select).value
        return value if isinstance(value, str) and value else None

    @property
    def text_filter(self) -> str:
        return self.query_one("#ledger-filter", Input).value

    @on(Input.Changed, "#ledger-filter")
    def _typed(self) -> None:
        self._filter_later()

    @on(Input.Submitted, "#ledger-filter")
    def _filter_now(self) -> None:
        self._filter_later.flush()
        self.query_one("#ledger-table", DataTable).focus()

    @on(Select.Changed, "#ledger-kind")
    def _kind_changed(self) -> None:
        self.apply_filter()

    def apply_filter(self) -> None:
        self.shown = filter_ledger(self.entries, kind=self.kind_filter, text=self.text_filter,
                                   haystacks=self._haystacks)
        self.show_page(0)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.shown) // PAGE_SIZE))

    def show_page(self, page: int) -> None:
        self.page = max(0, min(page, self.pages - 1))
        start = self.page * PAGE_SIZE
        rows = self.shown[start:start + PAGE_SIZE]
        fmt = self.core.ptime.short
        table = self.query_one("#ledger-table", DataTable)
        table.clear()
        table.add_rows([(fmt(e.at), kind_label(e.kind), f"{e.amount:+,}", e.counterparty_login or "--",
                         f"{e.balance_after:,}", e.order_txn or "--", e.reference or "")
                        for e in rows])
        self.query_one("#ledger-status", Static).update(self._status(start, len(rows)))
        self.refresh_bindings()

    def _status(self, start: int, count: int) -> str:
        total, matching = len(self.entries), len(self.shown)
        if not total:
            return "No credit entries yet."
        if not matching:
            return f"No entries match (of {total:,}). Clear the filter to see them all."
        noun = "entry" if total == 1 else "entries"
        text = f"{matching:,} of {total:,} {noun}" if matching != total else f"{total:,} {noun}"
        if self.pages > 1:
            text += f" · showing {start + 1:,}–{start + count:,} (n older, p newer)"
        return text

    def action_page(self, step: int) -> None:
        self.show_page(self.page + step)

    def action_focus_filter(self) -> None:
        self.query_one("#ledger-filter", Input).focus()

    def action_focus_type(self) -> None:
        select = self.query_one("#ledger-kind", Select)
        select.focus()
        select.action_show_overlay()

    # -- assigning -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "assign" and not self.can_assign:
            return False
        if action == "page":
            return self.pages > 1
        return True

    def action_assign(self) -> None:
        if not self.can_assign:
            self.notify("Only distributors and sub-distributors assign credits.", severity="warning")
            return
        from .assign_credits import AssignCreditsModal
        self.app.push_screen(AssignCreditsModal(self.session, self.balance), self._assigned)

    def _assigned(self, result) -> None:
        if result is None:
            return
        login, amount, after = result
        self.notify(f"Assigned {amount:,} credits to {login}. Available Credit: {after:,}", title="Credits assigned")
        self.action_refresh()

    # -- exporting -------------------------------------------------------------------------
    def action_export_csv(self) -> None:
        from .export_csv import ExportCsvModal
        self.app.push_screen(ExportCsvModal(self.session, kind=self.kind_filter, text=self.text_filter,
                                            rows=len(self.shown)), self._exported)

    def _exported(self, result) -> None:
        if result is not None:
            self.notify(f"Wrote {result.rows:,} entries to {result.path}", title="Credit log exported", timeout=10)

