"""Step 4, Confirmation: the Billing Information printed on the order (Company/Family, ATTN,
Address, TEL, Fax, as the seed guide shows it above the items), the items (Site, Company,
Service Type, Name, Email, Credit or Price, Expiration Time, Next Expiration Time), each item
left out and why, the summary, and the Terms and Conditions to accept (R9) before Pay."""
from __future__ import annotations

from ...terminal_safe import markup_text as escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from ...widgets.ticks import TickBox as Checkbox  # [x]/[ ]: the Terms box must not look accepted when it is not

from smartpay.core.domain import PayIn
from smartpay.core.views import BillingInfoView, Quote

from .state import WizardChoices
from .summary import left_out_note, summary_markup

TERMS = "By clicking the 'Pay' button, you are agreeing to our Terms and Conditions"


SEED_ORDER = ("Site", "Company", "Service Type", "Name", "Email", "Price", "Expiration Time", "Next Expiration Time")
# Under 120 columns the seed's order shows Site … Email and cuts what the operator pays: each item's
# price and the date it is paid to. There the row leads with what identifies the item and what it
# costs; Site, Company and Email follow (issue 10 #12). From 120 columns, the seed's order.
NARROW_ORDER = ("Name", "Service Type", "Price", "Next Expiration Time", "Expiration Time", "Site", "Company",
                "Email")
WIDE_ENOUGH = 120


def item_columns(pay_in: PayIn, width: int = WIDE_ENOUGH) -> tuple[str, ...]:
    order = SEED_ORDER if width >= WIDE_ENOUGH else NARROW_ORDER
    return tuple("Credit" if c == "Price" and pay_in == PayIn.CREDIT else c for c in order)


class ConfirmationStep(Vertical):
    def __init__(self, choices: WizardChoices, *, id: str = "page-confirm") -> None:
        super().__init__(id=id, classes="wiz-page")
        self.choices = choices

    def compose(self) -> ComposeResult:
        # What is ordered scrolls; the terms box stays in view under it (at 80×24 a long item list
        # would push it off screen, and Space would tick a box the operator cannot see).
        with VerticalScroll(id="wiz-confirm-body"):
            yield Label("Billing Information", classes="wiz-heading")
            yield Static("", id="wiz-confirm-billing")
            yield Label("", id="wiz-items-heading", classes="wiz-heading")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="wiz-items")
            yield Static("", id="wiz-left-out", classes="muted")
            yield Static("", id="wiz-confirm-summary")
        yield Checkbox(TERMS, value=self.choices.accept_terms, compact=True, id="wiz-terms")

    def show_billing(self, info: BillingInfoView) -> None:
        """Two lines, so the items and the terms still fit 80×24."""
        pair = lambda name, value: f"[dim]{name}:[/dim] {escape(value or '--')}"  # noqa: E731
        self.query_one("#wiz-confirm-billing", Static).update(
            f"{pair('Company/Family', info.company)}   {pair('ATTN', info.attn)}\n"
            f"{pair('Address', info.address)}   {pair('TEL', info.tel)}   {pair('Fax', info.fax)}")

    def show_quote(self, ptime, quote: Quote, pay_in: PayIn) -> None:
        self.query_one("#wiz-items-heading", Label).update(f"{len(quote.lines)} Item(s)")
        table = self.query_one("#wiz-items", DataTable)
        table.display = True
        table.clear(columns=True)
        columns = item_columns(pay_in, self.app.size.width)
        table.add_columns(*columns)
        fmt = lambda t: ptime.format(t, with_offset=False)  # noqa: E731 (the heading's offset applies)
        for line in quote.lines:
            cells = {"Site": line.site, "Company": line.company or "--", "Service Type": line.service_label,
                     "Name": line.subject_name, "Email": line.subject_email or "--",
                     "Price": line.price.plain(), "Credit": str(line.credits),
                     "Expiration Time": fmt(line.expires_at), "Next Expiration Time": fmt(line.next_expires_at)}
            table.add_row(*(cells[c] for c in columns))
        note = left_out_note(quote)
        # One line per reason; escaped line by line (the escape shows a newline as "\\x0a").
        self.query_one("#wiz-left-out", Static).update("\n".join(escape(line) for line in note.splitlines()))
        self.query_one("#wiz-left-out", Static).display = bool(note)
        self.query_one("#wiz-confirm-summary", Static).update(summary_markup(ptime, quote, pay_in))

    def show_credit_purchase(self, quantity: int, price_markup: str, for_whom: str) -> None:
        """`for_whom`: whose balance the credits land in (R15), said in words."""
        self.query_one("#wiz-items-heading", Label).update("Purchase Credits")
        self.query_one("#wiz-items", DataTable).display = False
        self.query_one("#wiz-left-out", Static).display = False
        self.query_one("#wiz-confirm-summary", Static).update(
            f"[dim]Transaction Type:[/dim] [b]Credit Purchase[/b]\n[dim]Credits:[/dim] [b]{quantity:,}[/b] "
            f"for [b]{escape(for_whom)}[/b]\n{price_markup}")

    @on(Checkbox.Changed, "#wiz-terms")
    def _terms(self, event: Checkbox.Changed) -> None:
        self.choices.accept_terms = event.value
