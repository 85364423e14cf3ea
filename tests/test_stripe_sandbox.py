"""Against Stripe's real test mode — only when STRIPE_TEST_SECRET_KEY holds a test-mode secret key
(sk_test_…). Never in CI without one: every test here skips and says why. No money moves in test
mode; the sessions it opens are expired at the end."""
from __future__ import annotations

import os
import secrets

import pytest

from smartpay.core.plugin_host import ChargeStatus
from smartpay.plugins.stripe_pay import StripeMethod, StripeSettings

from stripe_support import charge_request

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
pytestmark = pytest.mark.skipif(not KEY.startswith(("sk_test_", "rk_test_")),
                                reason="STRIPE_TEST_SECRET_KEY is not set to a Stripe test-mode key (sk_test_…)")


@pytest.fixture
def sandbox():
    return StripeMethod(StripeSettings(api_key=KEY, success_url="https://example.com/smartpay/paid",
                                       timeout_seconds=30, max_network_retries=2))


def test_sandbox_hosted_checkout_opens_polls_and_expires(sandbox):
    txn = "9" + "".join(secrets.choice("0123456789") for _ in range(16))
    started = sandbox.charge(charge_request(txn, amount=1234))
    assert started.status == ChargeStatus.PENDING, started.message
    assert started.redirect_url.startswith("https://checkout.stripe.com/")
    assert sandbox.charge(charge_request(txn, amount=1234)).provider_ref == started.provider_ref   # M1 replay
    assert sandbox.status(txn, started.provider_ref).status == ChargeStatus.PENDING
    assert sandbox.expire(txn, started.provider_ref).status == ChargeStatus.CANCELED
    assert sandbox.status(txn, started.provider_ref).status == ChargeStatus.CANCELED
