"""The payment method step ("Choose the payment method. If coupons are available, you can check
them."): every installed method, the eligible ones selectable and the others greyed with the
plugin's own reason, and the operator's coupons as a checklist with their balances; what the
checked coupons do not cover is paid by the chosen whole method.

The widget only holds the operator's choice; what the coupons cover is the core's own allocation
(payment_preview.coupon_cover, the coupon plugin's arithmetic), the core decides (payments.pay),
and its refusal is shown by the screen, which keeps this widget — and so the choice — as it was."""
from __future__ import annotations

import dataclasses

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, RadioSet, Static

from .ticks import RadioChoice as RadioButton, TickList as SelectionList  # glyphs that differ without colour
from textual.widgets.selection_list import Selection

from smartpay.core.money import Money
from smartpay.core.payments import MethodOption
from smartpay.core.services.payment_preview import coupon_cover, usable_coupons
from smartpay.core.views import CouponView

from .tcss_file import beside


def coupon_line(coupon: CouponView, local_date) -> str:
    """"CP-…  20.00 USD left of 50.00 USD · expires 2026-03-09" (fits 80 columns)."""
    expires = f" · expires {local_date(coupon.expires_at).isoformat()}" if coupon.expires_at else ""
    return f"{coupon.code}  {coupon.remaining.format()} left of {coupon.face_value.format()}{expires}"


def not_for_this_order(options: list[MethodOption]) -> str:
    """The methods that cannot pay, said once: one line per reason, naming the methods it
    applies to ("Not for this order: Stripe, PayPal, Coupons — your permission is Credit"),
    so a list of refusals never pushes Pay off an 80×24 screen."""
    by_reason: dict[str, list[str]] = {}
    for option in options:
        by_reason.setdefault(option.reason, []).append(option.label)
    return "\n".join(f"Not for this order: {escape(', '.join(labels))} — {escape(reason)}"
                     for reason, labels in by_reason.items())


class MethodChoice(Vertical):
    DEFAULT_CSS = beside(__file__)

    class Changed(Message):
        """The operator changed the method or the coupons: what Pay will do has changed."""

        def __init__(self, choice: "MethodChoice") -> None:
            super().__init__()
            self.choice = choice

    def __init__(self, options: list[MethodOption], coupons: list[CouponView], total: Money, local_date, *,
                 id: str | None = None) -> None:
        """`local_date`: datetime → the platform's calendar date (core.ptime.local_date)."""
        super().__init__(id=id)
        self.options = options
        self.total = total
        self._fmt = local_date
        # Coupons that cannot pay this order (another currency) are not offered.
        self.coupons = usable_coupons(coupons, total)
        self.coupon_option = next((o for o in options if o.redeems_coupons), None)

    def compose(self) -> ComposeResult:
        yield Label("Payment Method", classes="method-heading")
        whole = self._whole_methods()
        eligible = [o for o in whole if o.eligible]
        refused = [o for o in whole if not o.eligible]
        with RadioSet(id="method-radios") as radios:
            radios.display = bool(eligible)
            for n, option in enumerate(eligible):
                yield RadioButton(escape(option.label), value=n == 0, name=option.key, id=f"method-{option.key}")
        coupons = self.coupon_option
        if coupons is not None and coupons.eligible and self.coupons:
            yield Label("Coupons (check the ones to use)", classes="method-heading")
            yield SelectionList[str](*(Selection(coupon_line(c, self._fmt), c.code) for c in self.coupons),
                                     id="coupon-list")
        elif coupons is not None:
            refused.append(coupons if not coupons.eligible else
                           dataclasses.replace(coupons, reason="you have no coupon that can pay this order"))
        # The methods that cannot pay, said once (grouped by reason) after the ones that can.
        greyed = Static(not_for_this_order(refused), id="methods-greyed", classes="method-greyed")
        greyed.display = bool(refused)
        yield greyed
        yield Static("", id="method-remainder")

    def _whole_methods(self) -> list[MethodOption]:
        return [o for o in self.options if not o.redeems_coupons]

    def on_mount(self) -> None:
        self._show_remainder()

    # -- the choice ------------------------------------------------------------------------------
    @property
    def method(self) -> str | None:
        """The chosen method's key (None when no whole method is eligible)."""
        radios = self.query_one("#method-radios", RadioSet)
        # Before the RadioSet has mounted, the button composed pressed is the choice.
        pressed = radios.pressed_button or next((b for b in radios.query(RadioButton) if b.value), None)
        return pressed.name if pressed is not None else None

    @property
    def coupon_codes(self) -> tuple[str, ...]:
        found = self.query("#coupon-list")
        if not found:
            return ()
        checked = set(found.first(SelectionList).selected)
        return tuple(c.code for c in self.coupons if c.code in checked)  # in list order, as shown

    def choose(self, key: str) -> None:
        self.query_one(f"#method-{key}", RadioButton).value = True

    def check_coupons(self, *codes: str) -> None:
        listing = self.query_one("#coupon-list", SelectionList)
        for code in codes:
            listing.select(code)

    @property
    def method_label(self) -> str:
        key = self.method
        return next((o.label for o in self.options if o.key == key), "")

    @property
    def pay_label(self) -> str:
        """What Pay will do, named: "Pay 49.44 USD with Stripe", "Pay 10.00 USD with Stripe +
        coupons" (the rest after the coupons' own allocation), "Pay 49.44 USD with coupons"."""
        codes, by = self.coupon_codes, self.method_label
        if not codes:
            return f"Pay {self.total.format()} with {by}" if by else "Pay"
        rest = coupon_cover(self.coupons, codes, self.total).remainder
        if rest.amount == 0:
            return f"Pay {self.total.format()} with coupons"
        return f"Pay {rest.format()} with {by} + coupons" if by else "Pay"

    @property
    def first_focus(self):
        """Where the operator's first key should go: the method list (else the coupons)."""
        radios = self.query_one("#method-radios", RadioSet)
        if radios.display:
            return radios
        found = self.query("#coupon-list")
        return found.first() if found else None

    # -- what the coupons leave to pay -------------------------------------------------------------
    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def _show_remainder(self) -> None:
        self.post_message(self.Changed(self))
        remainder = self.query_one("#method-remainder", Static)
        codes = self.coupon_codes
        remainder.display = bool(codes)
        if not codes:
            remainder.update("")
            return
        cover = coupon_cover(self.coupons, codes, self.total)
        covered, rest = cover.covered, cover.remainder
        if rest.amount == 0:
            remainder.update(f"Coupons cover the whole order ({self.total.format()})")
        else:
            by = self.method_label or "the method you choose above"
            remainder.update(f"Coupons cover {covered.format()}; the remaining [b]{rest.format()} is paid by "
                             f"{escape(by)}[/b]")
