"""Every fault the PayPal emulator can inject, on every endpoint each plugin call uses: the call
answers ERROR or UNDEFINED (never raises, never claims a false outcome), a following call finds
the truth, and no transaction is ever captured twice (M1, M3)."""
from __future__ import annotations

import pytest

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, RefundRequest

from paypal_support import approve_on_page, charge_request
from paypal_support import paypal, paypal_method  # noqa: F401  (fixtures)

P, E, U, N, X = (ChargeStatus.PENDING, ChargeStatus.ERROR, ChargeStatus.UNDEFINED, ChargeStatus.PROCESSED,
                 ChargeStatus.CANCELED)
TXN = "20250910140000077"
RENEWAL = "20251010140000078"


# charge(): create the order (and fetch a token first).
@pytest.mark.parametrize("endpoint, fault, answer", [
    ("create_order", "api_error", E), ("create_order", "http_500", U), ("create_order", "timeout", U),
    ("create_order", "reset", U), ("create_order", "slow", P), ("create_order", "pending", P),
    ("token", "api_error", E), ("token", "http_500", E), ("token", "timeout", U), ("token", "reset", U),
])
def test_m3_charge_faults(paypal, paypal_method, endpoint, fault, answer):
    paypal.arm(fault, endpoint)
    result = paypal_method.charge(charge_request(TXN))
    assert result.status == answer and result.message
    if answer == E:
        assert paypal.orders_for(TXN) == [] and "PayPal" in result.message
        return
    truth = paypal_method.status(TXN, result.provider_ref)
    assert truth.status == P and truth.redirect_url
    assert paypal.orders_for(TXN) == [truth.provider_ref]          # one order, whatever was lost
    approve_on_page(truth.redirect_url)
    assert paypal_method.status(TXN, truth.provider_ref).status == N
    assert paypal.captures_for(TXN) == 1


# status(): read the order, capture it once approved.
@pytest.mark.parametrize("endpoint, fault, answer", [
    ("get_order", "api_error", U), ("get_order", "http_500", U), ("get_order", "timeout", U),
    ("get_order", "reset", U), ("get_order", "slow", N), ("get_order", "pending", N),
    ("capture_order", "api_error", U), ("capture_order", "http_500", U), ("capture_order", "timeout", U),
    ("capture_order", "reset", U), ("capture_order", "slow", N), ("capture_order", "pending", P),
])
def test_m3_status_faults_never_capture_twice(paypal, paypal_method, endpoint, fault, answer):
    order = paypal_method.charge(charge_request(TXN))
    approve_on_page(order.redirect_url)
    paypal.arm(fault, endpoint)
    result = paypal_method.status(TXN, order.provider_ref)
    assert result.status == answer and result.message
    assert paypal.captures_for(TXN) <= 1
    truth = paypal_method.status(TXN, order.provider_ref)
    if fault == "pending" and endpoint == "capture_order":
        assert truth.status == P
        paypal.settle_capture(truth.detail["capture_id"])
        truth = paypal_method.status(TXN, order.provider_ref)
    assert truth.status == N and truth.amount == Money(1500, "USD")
    assert paypal.captures_for(TXN) == 1


# expire(): read the order; the window closes either way.
@pytest.mark.parametrize("fault, answer", [("api_error", U), ("http_500", U), ("timeout", U), ("reset", U),
                                           ("slow", X)])
def test_m3_expire_faults(paypal, paypal_method, fault, answer):
    order = paypal_method.charge(charge_request(TXN))
    paypal.arm(fault, "get_order")
    assert paypal_method.expire(TXN, order.provider_ref).status == answer
    assert paypal_method.expire(TXN, order.provider_ref).status == X
    approve_on_page(order.redirect_url)
    assert paypal_method.status(TXN, order.provider_ref).status == X
    assert paypal.captures_for(TXN) == 0


def _saved_account(paypal, method) -> str:
    first = method.charge(charge_request(TXN, save_method=True))
    approve_on_page(first.redirect_url)
    return method.status(TXN, first.provider_ref).saved_method


# charge_saved(): the vaulted charge completes in the create call.
@pytest.mark.parametrize("fault, answer", [("api_error", E), ("http_500", U), ("timeout", U), ("reset", U),
                                           ("slow", N), ("pending", P), ("rate_limited", E)])
def test_m3_charge_saved_faults_never_charge_twice(paypal, paypal_method, fault, answer):
    vault_id = _saved_account(paypal, paypal_method)
    paypal.arm(fault, "vault_charge")
    request = charge_request(RENEWAL, 2500, saved_method=vault_id)
    result = paypal_method.charge_saved(request)
    assert result.status == answer and result.message
    if answer == E:   # refused before anything was taken
        assert paypal.captures_for(RENEWAL) == 0
        assert ("INSTRUMENT_DECLINED" if fault == "api_error" else "RATE_LIMIT_REACHED") in result.message
        return
    truth = paypal_method.status(RENEWAL, result.provider_ref)
    if fault == "pending":
        assert truth.status == P
        paypal.settle_capture(truth.detail["capture_id"])
        truth = paypal_method.status(RENEWAL, result.provider_ref)
    assert truth.status == N and truth.amount == Money(2500, "USD")
    assert paypal.captures_for(RENEWAL) == 1
    # The core retrying the cycle with the same key is still one charge.
    assert paypal_method.charge_saved(request).provider_ref == truth.provider_ref
    assert paypal.captures_for(RENEWAL) == 1


# refund(): find the capture, refund it under the refund's key.
@pytest.mark.parametrize("endpoint, fault, answer", [
    ("refund_capture", "api_error", E), ("refund_capture", "http_500", U), ("refund_capture", "timeout", U),
    ("refund_capture", "reset", U), ("refund_capture", "slow", N), ("refund_capture", "pending", P),
    ("get_order", "http_500", U), ("get_order", "timeout", U),
    # Rate limiting passes: the refund is asked for again, never given up (the money would be kept).
    ("refund_capture", "rate_limited", U), ("get_order", "rate_limited", U),
])
def test_m3_refund_faults_refund_once(paypal, paypal_method, endpoint, fault, answer):
    order = paypal_method.charge(charge_request(TXN))
    approve_on_page(order.redirect_url)
    paypal_method.status(TXN, order.provider_ref)
    request = RefundRequest(TXN, order.provider_ref, Money(1500, "USD"), f"{TXN}-refund-01")
    paypal.arm(fault, endpoint)
    result = paypal_method.refund(request)
    assert result.status == answer and result.message
    again = paypal_method.refund(request)
    assert again.status == (P if fault == "pending" else N)
    assert len(paypal.app.state.refunds) == 1


# expire() after the answer of the create call was lost (no provider_ref recorded).
def test_m3_expire_after_a_lost_checkout_answer_cancels_without_creating_anything(paypal, paypal_method):
    paypal.arm("reset", "create_order")
    assert paypal_method.charge(charge_request(TXN)).status == U
    assert paypal_method.expire(TXN, None).status == X
    assert paypal.captures_for(TXN) == 0 and len(paypal.orders_for(TXN)) == 1   # only the lost one


def test_m3_expire_after_a_lost_saved_charge_answer_never_charges(paypal, paypal_method):
    vault_id = _saved_account(paypal, paypal_method)
    paypal.arm("http_500", "vault_charge")
    assert paypal_method.charge_saved(charge_request(RENEWAL, saved_method=vault_id)).status == U
    assert paypal_method.expire(RENEWAL, None).status == U
    assert paypal.captures_for(RENEWAL) == 0
