"""The payment path, one package with a public API (R3, R4, R7, R8; M1–M3, M5).

- `eligibility`  — which method may pay what: `verdict()` (pure), `PaymentMethods`, `MethodOption`
- `contexts`     — `PaymentContexts`: the PaymentContext of an order or a quote
- `attempts`     — attempt rows: `new_attempt`, `settle`, `in_flight`, `IN_FLIGHT`
- `tenders`      — what in-core methods may take (credits, coupons) while charging
- `requests`     — `ChargeRequests`: the request of an attempt, built and rebuilt (M1)
- `completion`   — `OrderCompletion`: a paid order's expiries and ledger move once (R8)
- `service`      — `PaymentService`: pay an order, ask the provider, record its answer
- `settlement`   — `Settlement`: every provider answer recorded under the order lock (M2, M3)
- `status`       — `PaymentStatusService`: the payer's poll, resume and cancel
- `refunds`      — `RefundService`: payments that could not be applied are given back
- `reconcile`    — `Reconciler`: settles what is in flight, times out, retries refunds (M3)
- `webhook_inbox`— `WebhookInboxService`: verified provider events, stored once (M5)
- `renew_runner` — `AutoRenewRunner`: charges due auto-renew cycles (R7)

The services are built and wired in core/wiring.py; callers reach them through `Smartpay`.
"""
from .eligibility import MethodOption, PaymentMethods, verdict
from .outcome import PaymentOutcome

__all__ = ["MethodOption", "PaymentMethods", "PaymentOutcome", "verdict"]
