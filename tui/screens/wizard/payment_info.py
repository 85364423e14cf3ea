"""Step 3, Payment Information: the billing information printed on the order (R10), with Edit
(the desk's Billing Information form), and how the order will be paid."""
from __future__ import annotations

from ...terminal_safe import markup_text as escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from smartpay.core.views import BillingInfoView

from .state import WizardChoices

FIELDS = ("Company/Family", "ATTN", "Address", "TEL", "Fax")


class PaymentInfoStep(Vertical):
    def __init__(self, choices: WizardChoices, *, id: str = "page-billing") -> None:
        super().__init__(id=id, classes="wiz-page")
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Horizontal(classes="wiz-toolbar"):
            yield Label("Billing Information", classes="wiz-heading")
            yield Button("Edit", compact=True, id="wiz-billing-edit", tooltip="Change the billing information (ctrl+e)")
        yield Static("", id="wiz-billing")
        yield Static("", id="wiz-pay-how", classes="muted wiz-note")

    def show_billing(self, info: BillingInfoView | None) -> None:
        if info is None:
            text = "[b]No billing information yet.[/b] It is required before paying: press Edit to fill it in."
        else:
            values = (info.company, info.attn, info.address, info.tel, info.fax or "--")
            text = "\n".join(f"[dim]{name + ':':<16}[/dim]{escape(value)}" for name, value in zip(FIELDS, values))
        self.query_one("#wiz-billing", Static).update(text)

    def show_how(self, text: str) -> None:
        self.query_one("#wiz-pay-how", Static).update(text)
