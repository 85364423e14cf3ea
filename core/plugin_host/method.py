"""What a payment method is, what it is told, and what it answers (plugin API `API_VERSION`).

Authors import all of it from `smartpay.core.plugin_api`. A plugin subclasses PaymentMethod. The core asks `check_eligibility(context)` for every method
when an operator reaches the payment step, and calls `charge(request)` when one is chosen.
Results follow Kill Bill's plugin contract: PROCESSED, PENDING, ERROR, CANCELED, UNDEFINED; the
core maps them to its own attempt and order states.
"""
from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping, Protocol

from ..domain import Grant, ProjectType, Purpose, RenewMode, Role
from ..money import Money
from ..views import CouponView, OrderView

API_VERSION = "1.0"
"""The plugin contract's version. A plugin written for a newer major version is not loaded."""

PaymentFamily = Grant
"""Which grant family a method belongs to (R2): REGULAR ("Stripe/PayPal Coupon") or CREDIT."""


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str = ""

    @classmethod
    def ok(cls) -> "Eligibility":
        return cls(True, "")

    @classmethod
    def no(cls, reason: str) -> "Eligibility":
        if not reason:
            raise ValueError("a refusal needs a reason the operator can read")
        return cls(False, reason)


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    name: str
    type: ProjectType
    created_at: dt.datetime


@dataclass(frozen=True)
class PaymentContext:
    """Everything a method may base its eligibility on (DESIGN.md: payer, role, grant, project
    type and creation date, purpose, renew mode, amount)."""

    payer_id: int
    payer_login: str
    role: Role
    grant: Grant | None            # None for distributors: they need no grant (R1)
    purpose: Purpose
    project_type: ProjectType | None
    projects: tuple[ProjectFacts, ...]
    renew_mode: RenewMode | None
    amount: Money                  # the order total, money or CREDIT
    credit_balance: int
    coupons: tuple[CouponView, ...] = ()
    now: dt.datetime | None = None


class Tender(Protocol):
    """The core's hands inside the payment transaction, for methods that settle in the core."""

    def consume_credits(self, amount: int) -> int:
        """Debit the payer's credits (R11); returns the balance after. Raises InsufficientCredit."""

    def redeem_coupon(self, code: str, up_to: Money) -> Money:
        """Take at most `up_to` from the payer's coupon `code`; returns what was taken."""


@dataclass(frozen=True)
class ChargeRequest:
    txn: str
    amount: Money                  # what this method is asked to cover
    idempotency_key: str           # M1: derived from the transaction number
    context: PaymentContext
    tender: Tender
    coupon_codes: tuple[str, ...] = ()
    description: str = ""
    # Auto-renew orders (R7): keep the payer's card / PayPal for later cycles. The result's
    # `saved_method` carries the provider's token (customer + payment method, or vault id).
    save_method: bool = False
    # Off-session charges (`charge_saved`): the token an earlier result returned.
    saved_method: str | None = None
    # Where a hosted page sends the payer back (Stripe success_url, PayPal return_url).
    return_url: str | None = None
    # The end of the order's payment window (R8), and when this attempt was made (its row's
    # created_at). Both come from the database, so a request rebuilt to replay the create call
    # carries the same values: a hosted page can be told to close at `pay_by` identically on
    # every replay (Stripe refuses a replay whose body differs). None: not known (e.g. a request
    # built by hand); the plugin then leaves the provider's default lifetime.
    pay_by: dt.datetime | None = None
    attempted_at: dt.datetime | None = None


class ChargeStatus(StrEnum):
    PROCESSED = "processed"   # paid: the core completes the order
    PENDING = "pending"       # the payer must act (hosted page); poll or webhook settles it
    ERROR = "error"           # declined or refused: nothing was charged
    CANCELED = "canceled"     # stopped before charging
    UNDEFINED = "undefined"   # outcome unknown (timeout, 5xx): reconcile asks later (M3)


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    amount: Money | None = None    # what was actually covered (partial tenders may cover less)
    provider_ref: str | None = None
    redirect_url: str | None = None
    message: str = ""
    detail: dict = field(default_factory=dict)
    saved_method: str | None = None   # a provider token for off-session charges; not a secret


@dataclass(frozen=True)
class RefundRequest:
    txn: str
    provider_ref: str              # what `charge`/`status` returned: session, order or capture id
    amount: Money
    idempotency_key: str           # M1: derived from the transaction number ("<txn>-refund-nn")
    reason: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A provider notification whose sender was verified (M5), reduced to what the core needs."""

    event_id: str                  # the provider's event id: the inbox stores each once
    type: str                      # the provider's event type, e.g. checkout.session.completed
    txn: str | None                # the order it is about, from metadata / custom_id; None: not ours
    provider_ref: str | None       # the session / order id the attempt recorded
    result: ChargeResult | None    # the outcome it announces; None: informational only


class WebhookRejected(Exception):
    """The notification's signature did not verify (or it is malformed); nothing is applied."""


class PaymentMethod(abc.ABC):
    """Base class for payment methods. Class attributes are the declared capabilities; `charge`
    is the one method every plugin must write, the others have documented defaults.

    Kinds of method, by their flags:
    - provider (default): charged outside the order's transaction; PENDING/UNDEFINED answers are
      settled later by `status()` (the desk's poll, webhooks, reconcile) and `expire()`.
    - `settles_in_core`: charged inside the order's transaction through `request.tender`
      (credits, coupons, on-account invoices); answers PROCESSED or ERROR, never PENDING.
    - `settled_by_operator`: offline (bank transfer, cash at the office). `charge()` answers
      PENDING; the order waits `payment_window` (days, not the desk's 15 minutes) while the
      payer reads `instructions(order)`; a platform operator confirms receipt
      (`smartpay order confirm TXN --reference …`) or rejects it. The core keeps that state;
      `status()` is never polled for it; when the window closes, `expire()` is asked (default
      CANCELED) and the order times out.
    """

    key: str = ""
    label: str = ""
    family: Grant = Grant.REGULAR       # which grant lets installers/PMs use it (R2)
    supports_auto_renew: bool = False
    partial_tender: bool = False        # may cover part of an order, the rest paid by another
    redeems_coupons: bool = False       # pays with the payer's coupons (`request.coupon_codes`, R4)
    currencies: frozenset[str] | None = None   # None: any money currency; {"CREDIT"} for credits
    settles_in_core: bool = False       # True: charged inside the order's transaction via the Tender
    settled_by_operator: bool = False   # True: offline; an operator confirms receipt (see above)
    payment_window: dt.timedelta | None = None  # how long the payer has once chosen; None: the desk's
    version: str = "0"

    def configured(self) -> Eligibility:
        """Whether the method has what it needs (keys, endpoints). Default: yes."""
        return Eligibility.ok()

    def check_eligibility(self, context: PaymentContext) -> Eligibility:
        """Method-specific rules; the core has already applied the common ones."""
        return Eligibility.ok()

    @abc.abstractmethod
    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge `request.amount` for order `request.txn`. PROCESSED: paid (in-core methods:
        through `request.tender`); PENDING: the payer must act (hosted page, or offline);
        ERROR/CANCELED: nothing charged, `message` says why; UNDEFINED: unknown (reconcile asks
        `status()` later). Send `request.idempotency_key` to the provider (M1)."""

    def instructions(self, order: OrderView) -> str:
        """For `settled_by_operator` methods: what the payer must do to pay `order` (account,
        reference to quote, where to bring cash), shown on the Pending Order screen and by
        `smartpay order pay/show` while the order waits. Default: nothing."""
        return ""

    def status(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        """Ask the provider how an earlier PENDING/UNDEFINED charge ended. With no provider_ref
        (the create call's answer was lost), look the charge up by the transaction number.
        Providers that need a capture after approval (PayPal) capture here, idempotently.
        `request`: the original charge as the core rebuilt it from the attempt row — txn, amount, idempotency key, saved_method for
        an off-session charge — so any process can replay the create call under the same key."""
        return ChargeResult(ChargeStatus.UNDEFINED, message="this method cannot be polled")

    def expire(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        """The order's window closed: make the hosted page unpayable. CANCELED when stopped —
        only with evidence that nothing was or can be charged; PROCESSED when it turns out the
        payer paid first (the core then settles, never loses it); UNDEFINED when the provider
        could not be reached or cannot tell yet (reconcile tries again). `request`: as for status()."""
        return ChargeResult(ChargeStatus.CANCELED, message="nothing to expire")

    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        """Charge `request.saved_method` off-session (an auto-renew cycle, R7). Declines and
        "authentication required" end in ERROR with a message, never an exception."""
        return ChargeResult(ChargeStatus.ERROR, message=f"{self.label} cannot charge a saved method")

    def refund(self, request: RefundRequest) -> ChargeResult:
        """Give back a settled charge. PROCESSED: refunded; ERROR: refused; UNDEFINED: unknown."""
        return ChargeResult(ChargeStatus.ERROR, message=f"{self.label} cannot refund")

    def refund_status(self, request: RefundRequest, refund_ref: str) -> ChargeResult:
        """How refund `refund_ref` (the provider_ref an earlier refund() answered) stands now;
        same statuses as refund(). Default, for methods without a lookup: ask refund() again
        with the same idempotency key."""
        return self.refund(request)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Verify a notification's sender (M5) and reduce it to a WebhookEvent; raise
        WebhookRejected when it does not verify. Header names arrive lower-cased."""
        raise WebhookRejected(f"{self.label} does not accept webhooks")

    def describe(self) -> dict:
        return {
            "key": self.key, "label": self.label, "family": self.family.value,
            "supports_auto_renew": self.supports_auto_renew, "partial_tender": self.partial_tender,
            "redeems_coupons": self.redeems_coupons,
            "currencies": sorted(self.currencies) if self.currencies else None,
            "settles_in_core": self.settles_in_core, "settled_by_operator": self.settled_by_operator,
            "payment_window_seconds": int(self.payment_window.total_seconds()) if self.payment_window else None,
        }
