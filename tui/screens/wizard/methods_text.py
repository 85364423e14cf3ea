"""The installed payment methods in a sentence ("PayPal, Stripe or coupons"), from the labels their
plugins give: whole methods by name in the host's order (the order the payment step lists them),
then partial-tender ones (coupons) as a plural common noun, since several are combined on one
order and another method pays the rest (R4)."""
from __future__ import annotations

from typing import Sequence

from smartpay.core.services.payment_preview import MethodBrief


def method_word(method: MethodBrief) -> str:
    return f"{method.label.lower()}s" if method.partial_tender else method.label


def methods_phrase(methods: Sequence[MethodBrief]) -> str:
    ordered = [m for m in methods if not m.partial_tender] + [m for m in methods if m.partial_tender]
    words = [method_word(m) for m in ordered]
    if not words:
        return "no payment method is installed"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
