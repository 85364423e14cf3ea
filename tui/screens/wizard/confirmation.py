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


def item_columns(pay_in: PayIn) -> tuple[str, ...]:
    return ("Site", "Company", "Service Type", "Name", "Email", "Credit" if pay_in == PayIn.CREDIT else "Price",
            "Expiration Time", "Next Expiration Time")


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
        table.add_columns(*item_columns(pay_in))
        fmt = lambda t: ptime.format(t, with_offset=False)  # noqa: E731 (the heading's offset applies)
        table.add_rows([(line.site, line.company or "--", line.service_label, line.subject_name,
                         line.subject_email or "--",
                         str(line.credits) if pay_in == PayIn.CREDIT else line.price.plain(),
                         fmt(line.expires_at), fmt(line.next_expires_at)) for line in quote.lines])
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
