"""Which payment method may pay what (R2, R3, R4, R7): one pure decision, shared by the payment
step, order placement, the auto-renew runner and the plugin conformance kit.

`verdict(method, context, vetoes)` decides in a fixed order — the method's configuration, the
payer's grant (R2), the order's unit, the method's own check, auto-renew support (R7), then
other plugins' vetoes — so the reason a payer reads is the first thing that rules the method out.
`PaymentMethods` applies it to the installed plugins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ..domain import RenewMode
from ..errors import NotEligible
from ..money import CREDIT
from ..plugin_host import Eligibility, PaymentContext, PaymentMethod, PluginHost

Vetoes = Callable[[PaymentMethod, PaymentContext], Sequence[str]]


def no_vetoes(method: PaymentMethod, context: PaymentContext) -> Sequence[str]:
    return ()


def verdict(method: PaymentMethod, context: PaymentContext, vetoes: Vetoes = no_vetoes) -> Eligibility:
    """May `method` pay in `context`? Eligible, or not with the reason the payer is shown."""
    configured = method.configured()
    if not configured.eligible:
        return configured
    if context.grant is not None and method.family != context.grant:
        # Not naming the method: require() prefixes it, and the payment step says this reason
        # once for every method it rules out.
        return Eligibility.no(f"Your payment permission is \"{context.grant.label}\"")
    unit = context.amount.currency
    if method.currencies is not None and unit not in method.currencies:
        if unit == CREDIT:
            return Eligibility.no("This order is priced in credits")
        if CREDIT in method.currencies:
            # A credit method's own reason (R3, credit purchase) says more than the unit does.
            own = method.check_eligibility(context)
            return own if not own.eligible else Eligibility.no(
                f"This order is priced in {unit}; place it as a credit order to pay with credits")
        return Eligibility.no(f"{method.label} does not accept {unit}")
    if method.currencies is None and unit == CREDIT:
        return Eligibility.no("This order is priced in credits")
    own = method.check_eligibility(context)
    if not own.eligible:
        return own
    if context.renew_mode == RenewMode.AUTO and not method.supports_auto_renew:
        return Eligibility.no(f"{method.label} does not support auto-renewal")
    vetoed = [reason for reason in vetoes(method, context) if reason]
    if vetoed:
        return Eligibility.no(vetoed[0])
    return Eligibility.ok()


@dataclass(frozen=True)
class MethodOption:
    """One row of the payment-method step: every installed method, eligible or greyed with why."""

    key: str
    label: str
    family: str
    plugin: str
    eligible: bool
    reason: str
    partial_tender: bool
    supports_auto_renew: bool
    pays_in_credits: bool
    redeems_coupons: bool = False
    settled_by_operator: bool = False


def pays_in_credits(method: PaymentMethod) -> bool:
    return bool(method.currencies and CREDIT in method.currencies)


def labelled(label: str, reason: str) -> str:
    """`Label: reason`, the label said once: a reason that already names the method ("Bank
    transfer is for …") is not prefixed again."""
    if reason.casefold().startswith(label.casefold()):
        return reason
    return f"{label}: {reason}"


class PaymentMethods:
    """The installed payment methods, judged: the plugin host plus the eligibility decision."""

    def __init__(self, plugins: PluginHost):
        self.plugins = plugins

    def get(self, key: str) -> PaymentMethod:
        return self.plugins.method(key)

    def all(self) -> list[PaymentMethod]:
        return self.plugins.methods()

    def verdict(self, method: PaymentMethod, context: PaymentContext) -> Eligibility:
        return verdict(method, context, self.plugins.vetoes)

    def evaluate(self, method: PaymentMethod, context: PaymentContext) -> MethodOption:
        judged = self.verdict(method, context)
        return MethodOption(method.key, method.label, method.family.value, self.plugins.plugin_of(method.key),
                            judged.eligible, judged.reason, method.partial_tender, method.supports_auto_renew,
                            pays_in_credits(method), method.redeems_coupons, method.settled_by_operator)

    def options(self, context: PaymentContext) -> list[MethodOption]:
        return [self.evaluate(m, context) for m in self.all()]

    def require(self, method: PaymentMethod, context: PaymentContext) -> None:
        judged = self.verdict(method, context)
        if not judged.eligible:
            raise NotEligible(labelled(method.label, judged.reason))

    def credit(self) -> PaymentMethod:
        for method in self.all():
            if pays_in_credits(method):
                return method
        raise NotEligible("Credit payment is not available: no credit payment plugin is installed")

    def coupons(self) -> PaymentMethod:
        for method in self.all():
            if method.redeems_coupons:
                return method
        raise NotEligible("coupons: no coupon payment plugin is installed")
