"""When a Checkout Session closes (`expires_at`): at the order's payment-window end, clamped to
what Stripe accepts — and the same number on every replay of the create call.

Stripe takes `expires_at` 30 minutes to 24 hours after it creates the session, and refuses an
idempotent replay whose body differs from the first request. So the value must not depend on
when a request is sent: it is computed from the request's `pay_by` (the order's deadline) and
`attempted_at` (the attempt row's created_at), both read from the database whether the request
is sent now or rebuilt by reconcile in another process hours later.

"Creation" is the attempt's created_at, not Stripe's `created`: Stripe's is known only after the
answer that may be lost, and the clock at send time differs per replay. The attempt row is
written just before the first send, so Stripe creates the session a little after it — which is
why the bounds keep a margin: the shortest lifetime is 35 minutes from the attempt (Stripe checks
30 minutes from its own now, which is later: the commit, the network, the SDK's retries, and
its clock may run ahead of ours), the longest 23 h 55 min (our clock may run ahead of Stripe's)."""
from __future__ import annotations

import math

from smartpay.core.plugin_host import ChargeRequest

MARGIN_SECONDS = 5 * 60
SHORTEST_SECONDS = 30 * 60 + MARGIN_SECONDS    # Stripe's minimum is 30 minutes after creation
LONGEST_SECONDS = 24 * 3600 - MARGIN_SECONDS   # Stripe's maximum (and default) is 24 hours


def session_expires_at(request: ChargeRequest) -> int | None:
    """Unix seconds at which the session for `request` closes, or None when the request does
    not say when its attempt was made (a request built by hand): Stripe's default then applies."""
    if request.attempted_at is None:
        return None
    created = math.floor(request.attempted_at.timestamp())
    shortest, longest = created + SHORTEST_SECONDS, created + LONGEST_SECONDS
    if request.pay_by is None:
        return longest
    return min(max(math.ceil(request.pay_by.timestamp()), shortest), longest)
