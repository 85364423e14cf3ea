"""pluggy-based payment-method plugins: hook specs, the method contract and the host."""
from .hookspecs import hookimpl, hookspec
from .manager import PluginHost, PluginInfo, SkippedPlugin
from .method import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility, PaymentContext,
                     PaymentMethod, ProjectFacts, RefundRequest, Tender, WebhookEvent, WebhookRejected)

__all__ = ["hookimpl", "hookspec", "PluginHost", "PluginInfo", "SkippedPlugin", "ChargeRequest",
           "ChargeResult", "ChargeStatus", "Eligibility", "PaymentContext", "PaymentMethod",
           "ProjectFacts", "RefundRequest", "Tender", "WebhookEvent", "WebhookRejected"]
