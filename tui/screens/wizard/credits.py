"""Step 2 for Credit (distributors): how many credits to buy, with the price. Paid afterwards on
the Pending Order screen with Stripe, PayPal or coupons."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from ...widgets.form_field import FormField
from .state import WizardChoices


class CreditsStep(Vertical):
    def __init__(self, choices: WizardChoices, *, id: str = "page-credits") -> None:
        super().__init__(id=id, classes="wiz-page")
        self.choices = choices

    def compose(self) -> ComposeResult:
        yield Label("Purchase Credits", classes="wiz-heading")
        yield FormField("Credits", input_id="wiz-credits", label_width=15, id="field-credits",
                        control=Input(self.choices.credits, placeholder="number of credits", type="integer",
                                      compact=True, id="wiz-credits"))
        yield Static("", id="wiz-credit-price")
        yield Static("", id="wiz-credit-balance", classes="muted")
        yield Static("Credit payment is ONLY for commercial projects created after June 1, 2025. Credits you buy "
                     "can be assigned to your installers and property managers in Credit Logs.", classes="muted wiz-note")

    def show_price(self, markup: str) -> None:
        self.query_one("#wiz-credit-price", Static).update(markup)

    def show_balance(self, balance: int) -> None:
        self.query_one("#wiz-credit-balance", Static).update(f"Available Credit: {balance:,}")

    def mark(self, problem: str | None) -> None:
        """The core's problem with the credits typed, under the box (or none)."""
        self.query_one("#field-credits", FormField).set_error(problem)

    @on(Input.Changed, "#wiz-credits")
    def _typed(self, event: Input.Changed) -> None:
        self.choices.credits = event.value.strip()
