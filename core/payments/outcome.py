"""What a payment step answers: the order as it now stands, where to pay if a page is hosted, and
what the provider said."""
from __future__ import annotations

from dataclasses import dataclass

from ..views import OrderView


@dataclass(frozen=True)
class PaymentOutcome:
    order: OrderView
    redirect_url: str | None = None
    message: str = ""
    instructions: str = ""      # an operator-settled method's: what the payer must do now
