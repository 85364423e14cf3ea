"""The one import a payment plugin needs: `from smartpay.core.plugin_api import …`.

Everything here is the plugin contract, version `API_VERSION`; the names keep their meaning
within a major version. A plugin says which version it was written for with a module-level
`SMARTPAY_API_VERSION = "1.0"` in its entry-point module; the host skips (and `smartpay plugins`
reports) a plugin written for a newer major version than this smartpay provides. Anything a
plugin imports from elsewhere in smartpay is internal and may change without notice.

docs/plugins.md describes every name below with its fields and an example.
"""
from __future__ import annotations

from .domain import Grant, ProjectType, Purpose, RenewMode, Role
from .errors import InsufficientCoupon, InsufficientCredit, NotEligible, PluginError
from .money import CREDIT, Money
from .plugin_host.hookspecs import hookimpl
from .plugin_host.method import (API_VERSION, ChargeRequest, ChargeResult, ChargeStatus, Eligibility,
                                 PaymentContext, PaymentFamily, PaymentMethod, ProjectFacts, RefundRequest,
                                 Tender, WebhookEvent, WebhookRejected)
from .views import CouponView, OrderView

__all__ = [
    "API_VERSION", "hookimpl",
    # the method and what it is told / answers
    "PaymentMethod", "Eligibility", "PaymentContext", "ProjectFacts", "Tender",
    "ChargeRequest", "ChargeResult", "ChargeStatus", "RefundRequest",
    "WebhookEvent", "WebhookRejected",
    # values
    "Money", "CREDIT", "CouponView", "OrderView",
    # the domain's words
    "Grant", "PaymentFamily", "ProjectType", "Purpose", "RenewMode", "Role",
    # refusals a Tender raises (and a plugin may raise to refuse)
    "NotEligible", "InsufficientCredit", "InsufficientCoupon", "PluginError",
]
