"""The PayPal method against the real PayPal sandbox — only when sandbox credentials are in the
environment (PAYPAL_SANDBOX_CLIENT_ID / PAYPAL_SANDBOX_CLIENT_SECRET); skipped otherwise, so the
normal suite never reaches the internet. It creates an order, reads it back and lets it lapse:
approving needs a sandbox buyer in a browser, which no test can do."""
from __future__ import annotations

import os
import random

import pytest

from smartpay.core.plugin_host import ChargeStatus
from smartpay.plugins.paypal_pay import PayPalMethod

from paypal_support import charge_request

CLIENT_ID = os.environ.get("PAYPAL_SANDBOX_CLIENT_ID")
CLIENT_SECRET = os.environ.get("PAYPAL_SANDBOX_CLIENT_SECRET")

pytestmark = pytest.mark.skipif(not (CLIENT_ID and CLIENT_SECRET),
                                reason="set PAYPAL_SANDBOX_CLIENT_ID and PAYPAL_SANDBOX_CLIENT_SECRET "
                                       "to run against the PayPal sandbox")


def test_sandbox_order_is_created_read_and_expired():
    method = PayPalMethod.from_config({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                       "environment": "sandbox", "timeout_seconds": 30,
                                       "return_url": "https://example.com/smartpay/return"}, environ={})
    txn = "9" + "".join(random.choice("0123456789") for _ in range(16))
    created = method.charge(charge_request(txn, 100))
    assert created.status == ChargeStatus.PENDING, created.message
    assert created.redirect_url and "paypal.com" in created.redirect_url
    again = method.charge(charge_request(txn, 100))
    assert again.provider_ref == created.provider_ref            # PayPal-Request-Id replay (M1)
    assert method.status(txn, created.provider_ref).status == ChargeStatus.PENDING
    assert method.expire(txn, created.provider_ref).status == ChargeStatus.CANCELED
    assert CLIENT_SECRET not in repr(method) and CLIENT_SECRET not in created.message
