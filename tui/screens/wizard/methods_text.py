"""The installed payment methods in a sentence ("Stripe, PayPal or coupons"), from the labels their
plugins give: whole methods by name, partial-tender ones (coupons) as a plural common noun, since
several are combined on one order (R4)."""
from __future__ import annotations

from typing import Sequence

from smartpay.core.services.payment_preview import MethodBrief


def method_word(method: MethodBrief) -> str:
    return f"{method.label.lower()}s" if method.partial_tender else method.label


def methods_phrase(methods: Sequence[MethodBrief]) -> str:
    words = [method_word(m) for m in methods]
    if not words:
        return "no payment method is installed"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
