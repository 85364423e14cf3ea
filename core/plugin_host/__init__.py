"""pluggy-based payment-method plugins: hook specs, the method contract and the host."""
from .hookspecs import hookimpl, hookspec
from .manager import PluginHost, PluginInfo, SkippedPlugin
from .contained import ContainedMethod
from .method import (API_VERSION, ChargeRequest, ChargeResult, ChargeStatus, Eligibility, PaymentContext,
                     PaymentMethod, ProjectFacts, RefundRequest, Tender, WebhookEvent, WebhookRejected)

__all__ = ["API_VERSION", "ContainedMethod", "hookimpl", "hookspec", "PluginHost", "PluginInfo", "SkippedPlugin", "ChargeRequest",
           "ChargeResult", "ChargeStatus", "Eligibility", "PaymentContext", "PaymentMethod",
           "ProjectFacts", "RefundRequest", "Tender", "WebhookEvent", "WebhookRejected"]
