"""The Stripe method against the local Stripe emulator over real HTTP, through the real SDK:
the hosted flow, declines, expiry, saved cards and off-session charges (R7), refunds, idempotent
replays (M1), and every fault on every call ending in ERROR or UNDEFINED — never an exception —
with a later status() finding the truth (M3) and no transaction charged twice."""
from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, RefundRequest
from smartpay.emulators.faults import Fault
from smartpay.plugins.stripe_pay import StripeMethod

from stripe_support import (charge_request, decline_on_page, pay_on_page, stripe_emulator,  # noqa: F401 (fixtures)
                            stripe_method, stripe_settings)

S = ChargeStatus
TXN = "20250910140000001"


def paid_session(emulator, method, txn=TXN, save=False):
    """A hosted payment the payer completed: (charge result, status result)."""
    started = method.charge(charge_request(txn, save_method=save))
    pay_on_page(started.redirect_url)
    return started, method.status(txn, started.provider_ref)


def saved_card(emulator, method):
    return paid_session(emulator, method, txn="20250910140000099", save=True)[1].saved_method


# -- the hosted flow ---------------------------------------------------------------------------------------
def test_charge_opens_a_hosted_page_and_status_sees_it_paid(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN, amount=2599))
    assert started.status == S.PENDING and started.provider_ref.startswith("cs_test_")
    assert started.redirect_url == f"{stripe_emulator.url}/c/pay/{started.provider_ref}"
    assert stripe_method.status(TXN, started.provider_ref).status == S.PENDING
    session = stripe_emulator.session(started.provider_ref)
    assert session["metadata"]["txn"] == TXN and session["amount_total"] == 2599
    assert session["success_url"] == stripe_method.settings.success_url
    with urllib.request.urlopen(started.redirect_url, timeout=5) as page:
        assert "25.99 USD" in page.read().decode()
    assert "Payment complete" in pay_on_page(started.redirect_url)
    done = stripe_method.status(TXN, started.provider_ref)
    assert done.status == S.PROCESSED and done.amount == Money(2599, "USD") and done.saved_method is None
    assert done.provider_ref == started.provider_ref
    assert stripe_emulator.charges_for(TXN) == 1


def test_the_request_return_url_wins_over_the_configured_one(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN, return_url="http://127.0.0.1:9/back"))
    assert stripe_emulator.session(started.provider_ref)["success_url"] == "http://127.0.0.1:9/back"


def test_a_declined_card_keeps_the_page_open_and_tells_the_operator(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN))
    decline_on_page(started.redirect_url)
    after = stripe_method.status(TXN, started.provider_ref)
    assert after.status == S.PENDING and "declined" in after.message and after.redirect_url == started.redirect_url
    assert stripe_emulator.charges_for(TXN) == 0
    pay_on_page(started.redirect_url)          # the payer tries another card
    assert stripe_method.status(TXN, started.provider_ref).status == S.PROCESSED


def test_expire_closes_the_page_and_status_says_canceled(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN))
    expired = stripe_method.expire(TXN, started.provider_ref)
    assert expired.status == S.CANCELED and expired.message
    with urllib.request.urlopen(started.redirect_url, timeout=5) as page:
        assert "can no longer be paid" in page.read().decode()
    pay = urllib.request.Request(stripe_emulator.pay_url(started.provider_ref), data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(pay, timeout=5)
    assert refused.value.code == 409
    assert stripe_method.status(TXN, started.provider_ref).status == S.CANCELED
    assert stripe_method.expire(TXN, started.provider_ref).status == S.CANCELED   # twice is harmless
    assert stripe_emulator.charges_for(TXN) == 0


def test_expire_after_the_payer_paid_returns_processed(stripe_emulator, stripe_method):
    started, _ = paid_session(stripe_emulator, stripe_method)
    late = stripe_method.expire(TXN, started.provider_ref)
    assert late.status == S.PROCESSED and late.amount == Money(1999, "USD")
    assert stripe_emulator.session(started.provider_ref)["status"] == "complete"


def test_expire_without_a_reference_finds_the_session_by_txn(stripe_emulator, stripe_method):
    stripe_method.charge(charge_request(TXN))
    assert stripe_method.expire(TXN, None).status == S.CANCELED
    assert [s["status"] for s in stripe_emulator.sessions_for(TXN)] == ["expired"]
    assert stripe_method.expire("20250910149999999", None).status == S.CANCELED   # nothing to pay there


def test_status_without_a_reference_finds_the_charge_by_txn(stripe_emulator, stripe_method):
    assert stripe_method.status(TXN, None).status == S.UNDEFINED      # nothing at Stripe yet
    started = stripe_method.charge(charge_request(TXN))
    stripe_method.charge(charge_request("20250910140000002"))         # another order's session
    found = stripe_method.status(TXN, None)
    assert (found.status, found.provider_ref) == (S.PENDING, started.provider_ref)
    pay_on_page(started.redirect_url)
    assert stripe_method.status(TXN, None).status == S.PROCESSED


def test_status_of_a_foreign_reference_is_undefined(stripe_method):
    assert stripe_method.status(TXN, "PAYID-123").status == S.UNDEFINED
    assert stripe_method.status(TXN, "cs_test_unknown").status == S.UNDEFINED


# -- idempotency (M1) ---------------------------------------------------------------------------------------
def test_the_same_idempotency_key_twice_makes_one_session_and_one_charge(stripe_emulator, stripe_method):
    first = stripe_method.charge(charge_request(TXN))
    again = stripe_method.charge(charge_request(TXN))
    assert again.provider_ref == first.provider_ref and len(stripe_emulator.sessions_for(TXN)) == 1
    pay_on_page(first.redirect_url)
    assert stripe_method.charge(charge_request(TXN)).provider_ref == first.provider_ref
    assert stripe_emulator.charges_for(TXN) == 1


def test_m1_concurrent_calls_with_one_key_share_one_session(stripe_emulator, stripe_method):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: stripe_method.charge(charge_request(TXN)), range(8)))
    # As on Stripe, a request that arrives while another with the same key is running gets 409
    # idempotency_key_in_use: the plugin answers "unknown" for it, never a second session.
    assert {r.status for r in results} <= {S.PENDING, S.UNDEFINED} and S.PENDING in {r.status for r in results}
    assert len({r.provider_ref for r in results if r.status == S.PENDING}) == 1
    assert len(stripe_emulator.sessions_for(TXN)) == 1
    assert stripe_method.status(TXN, None).status == S.PENDING  # the truth is found afterwards


def test_a_new_attempt_gets_a_new_session(stripe_emulator, stripe_method):
    first = stripe_method.charge(charge_request(TXN, attempt=1))
    second = stripe_method.charge(charge_request(TXN, attempt=2))
    assert first.provider_ref != second.provider_ref


# -- saved cards and off-session charges (R7) --------------------------------------------------------------
def test_r7_a_paid_session_saves_the_card_on_the_payers_customer(stripe_emulator, stripe_method):
    _, done = paid_session(stripe_emulator, stripe_method, save=True)
    customer, _, card = done.saved_method.partition("/")
    assert customer.startswith("cus_") and card.startswith("pm_")
    session = stripe_emulator.session(done.provider_ref)
    assert session["customer"] == customer and session["payment_intent"]["setup_future_usage"] == "off_session"
    assert stripe_emulator.store.customers[customer]["metadata"]["smartpay_login"] == "kit_payer"
    # The payer's next saving order reuses the customer.
    _, second = paid_session(stripe_emulator, stripe_method, txn="20250910140000002", save=True)
    assert second.saved_method.partition("/")[0] == customer and len(stripe_emulator.store.customers) == 1


def test_r7_charge_saved_charges_off_session_once_per_cycle(stripe_emulator, stripe_method):
    token = saved_card(stripe_emulator, stripe_method)
    for cycle, txn in enumerate(("20250910140000011", "20250910140000012"), 1):
        request = charge_request(txn, amount=1500, saved_method=token)
        result = stripe_method.charge_saved(request)
        assert result.status == S.PROCESSED and result.amount == Money(1500, "USD")
        assert result.provider_ref.startswith("pi_") and result.detail["idempotency_key"] == f"{txn}-01"
        assert stripe_method.charge_saved(request).provider_ref == result.provider_ref   # a retry replays
        assert stripe_method.status(txn, result.provider_ref).status == S.PROCESSED
        assert stripe_emulator.charges_for(txn) == 1
        intent = stripe_emulator.payment_intent(result.provider_ref)
        assert intent["metadata"]["txn"] == txn and intent["customer"] == token.partition("/")[0]


@pytest.mark.parametrize("outcome, words", [
    ("card_declined", "declined"), ("insufficient_funds", "insufficient funds"),
    ("authentication_required", "confirm this charge"), ("expired_card", "expired")])
def test_r7_a_failed_off_session_charge_is_an_error_with_a_message(stripe_emulator, stripe_method, outcome, words):
    token = saved_card(stripe_emulator, stripe_method)
    stripe_emulator.fail_next_off_session(token, outcome)
    result = stripe_method.charge_saved(charge_request("20250910140000021", saved_method=token))
    assert result.status == S.ERROR and words in result.message and result.provider_ref.startswith("pi_")
    later = stripe_method.status("20250910140000021", result.provider_ref)
    assert later.status == S.ERROR and words in later.message
    assert stripe_method.status("20250910140000021", None).status == S.ERROR
    assert stripe_emulator.charges_for("20250910140000021") == 0


def test_charge_saved_refuses_a_token_that_is_not_a_stripe_card(stripe_method):
    result = stripe_method.charge_saved(charge_request(TXN, saved_method="B-12345"))
    assert result.status == S.ERROR and "saved card" in result.message


# -- refunds ---------------------------------------------------------------------------------------------------
def test_refund_gives_money_back_once_per_key(stripe_emulator, stripe_method):
    started, _ = paid_session(stripe_emulator, stripe_method)
    request = RefundRequest(TXN, started.provider_ref, Money(500, "USD"), f"{TXN}-refund-01", "goodwill")
    refunded = stripe_method.refund(request)
    assert refunded.status == S.PROCESSED and refunded.amount == Money(500, "USD")
    assert refunded.provider_ref.startswith("re_")
    assert stripe_method.refund(request).provider_ref == refunded.provider_ref   # replayed, not refunded twice
    assert len(stripe_emulator.store.refunds) == 1
    too_much = stripe_method.refund(RefundRequest(TXN, started.provider_ref, Money(5000, "USD"), f"{TXN}-refund-02"))
    assert too_much.status == S.ERROR and "greater than" in too_much.message


def test_refund_of_an_unpaid_session_is_refused(stripe_method):
    started = stripe_method.charge(charge_request(TXN))
    refused = stripe_method.refund(RefundRequest(TXN, started.provider_ref, Money(100, "USD"), f"{TXN}-refund-01"))
    assert refused.status == S.ERROR and "never paid" in refused.message


# -- faults on every call: never an exception; status() finds the truth; at most one charge ------------------
BEFORE = (Fault.API_ERROR, Fault.HTTP_500, Fault.RATE_LIMITED)
AFTER = (Fault.TIMEOUT, Fault.RESET)


@pytest.mark.parametrize("fault", list(Fault))
def test_faults_on_charge(stripe_emulator, stripe_method, fault):
    stripe_emulator.arm(fault, "create_session")
    result = stripe_method.charge(charge_request(TXN))
    expected = {Fault.API_ERROR: S.ERROR, Fault.HTTP_500: S.UNDEFINED, Fault.RATE_LIMITED: S.ERROR,
                Fault.TIMEOUT: S.UNDEFINED, Fault.RESET: S.UNDEFINED, Fault.SLOW: S.PENDING,
                Fault.PENDING: S.PENDING}[fault]
    assert result.status == expected and (result.message or result.status == S.PENDING)
    truth = stripe_method.status(TXN, result.provider_ref)
    if fault in BEFORE:
        assert truth.status == S.UNDEFINED and truth.detail == {"found": False}
    else:
        assert truth.status == S.PENDING and truth.redirect_url
        pay_on_page(truth.redirect_url)
        assert stripe_method.status(TXN, None).status == S.PROCESSED
    assert stripe_emulator.charges_for(TXN) <= 1


@pytest.mark.parametrize("endpoint", ["search_customers", "create_customer"])
@pytest.mark.parametrize("fault", [Fault.API_ERROR, Fault.TIMEOUT])
def test_faults_while_finding_the_customer_charge_nothing(stripe_emulator, stripe_method, endpoint, fault):
    stripe_emulator.arm(fault, endpoint)
    result = stripe_method.charge(charge_request(TXN, save_method=True))
    assert result.status == S.ERROR and result.message
    assert stripe_emulator.sessions_for(TXN) == []
    assert stripe_method.status(TXN, None).status == S.UNDEFINED


@pytest.mark.parametrize("fault", list(Fault))
def test_faults_on_status(stripe_emulator, stripe_method, fault):
    started, _ = paid_session(stripe_emulator, stripe_method)
    stripe_emulator.arm(fault, "retrieve_session")
    answer = stripe_method.status(TXN, started.provider_ref)
    assert answer.status == (S.PROCESSED if fault in (Fault.SLOW, Fault.PENDING) else S.UNDEFINED)
    assert stripe_method.status(TXN, started.provider_ref).status == S.PROCESSED


@pytest.mark.parametrize("fault", [Fault.API_ERROR, Fault.HTTP_500, Fault.TIMEOUT, Fault.RESET])
def test_faults_on_status_of_an_off_session_charge(stripe_emulator, stripe_method, fault):
    token = saved_card(stripe_emulator, stripe_method)
    charged = stripe_method.charge_saved(charge_request("20250910140000041", saved_method=token))
    stripe_emulator.arm(fault, "retrieve_payment_intent")
    assert stripe_method.status("20250910140000041", charged.provider_ref).status == S.UNDEFINED
    assert stripe_method.status("20250910140000041", charged.provider_ref).status == S.PROCESSED


@pytest.mark.parametrize("endpoint", ["search_payment_intents", "list_sessions"])
@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.RESET])
def test_faults_while_looking_up_by_txn(stripe_emulator, stripe_method, endpoint, fault):
    paid_session(stripe_emulator, stripe_method)
    stripe_emulator.arm(fault, endpoint)
    assert stripe_method.status(TXN, None).status == S.UNDEFINED
    assert stripe_method.status(TXN, None).status == S.PROCESSED


@pytest.mark.parametrize("fault", list(Fault))
def test_faults_on_expire(stripe_emulator, stripe_method, fault):
    started = stripe_method.charge(charge_request(TXN))
    stripe_emulator.arm(fault, "expire_session")
    answer = stripe_method.expire(TXN, started.provider_ref)
    effect = fault not in BEFORE
    assert answer.status == (S.CANCELED if fault in (Fault.SLOW, Fault.PENDING) else S.UNDEFINED)
    assert stripe_method.status(TXN, started.provider_ref).status == (S.CANCELED if effect else S.PENDING)
    assert stripe_method.expire(TXN, started.provider_ref).status == S.CANCELED
    assert stripe_emulator.charges_for(TXN) == 0


@pytest.mark.parametrize("fault", list(Fault))
def test_faults_on_charge_saved(stripe_emulator, stripe_method, fault):
    token = saved_card(stripe_emulator, stripe_method)
    txn = "20250910140000031"
    stripe_emulator.arm(fault, "create_payment_intent")
    result = stripe_method.charge_saved(charge_request(txn, saved_method=token))
    expected = {Fault.API_ERROR: S.ERROR, Fault.HTTP_500: S.UNDEFINED, Fault.RATE_LIMITED: S.ERROR,
                Fault.TIMEOUT: S.UNDEFINED, Fault.RESET: S.UNDEFINED, Fault.SLOW: S.PROCESSED,
                Fault.PENDING: S.PENDING}[fault]
    assert result.status == expected
    truth = stripe_method.status(txn, result.provider_ref)
    if fault in BEFORE:
        assert truth.status == S.UNDEFINED and stripe_emulator.charges_for(txn) == 0
    elif fault == Fault.PENDING:
        assert truth.status == S.PENDING and stripe_emulator.charges_for(txn) == 0
        stripe_emulator.settle(result.provider_ref)
        assert stripe_method.status(txn, result.provider_ref).status == S.PROCESSED
    else:
        assert truth.status == S.PROCESSED and truth.amount == Money(1999, "USD")
    # The same attempt retried (same key) never charges again.
    stripe_method.charge_saved(charge_request(txn, saved_method=token))
    assert stripe_emulator.charges_for(txn) <= 1


@pytest.mark.parametrize("fault", list(Fault))
def test_faults_on_refund(stripe_emulator, stripe_method, fault):
    started, _ = paid_session(stripe_emulator, stripe_method)
    request = RefundRequest(TXN, started.provider_ref, Money(1999, "USD"), f"{TXN}-refund-01")
    stripe_emulator.arm(fault, "create_refund")
    result = stripe_method.refund(request)
    # Only Stripe's refusal of the refund itself is final; a rate-limited one is asked for again.
    expected = {Fault.API_ERROR: S.ERROR, Fault.HTTP_500: S.UNDEFINED, Fault.RATE_LIMITED: S.UNDEFINED,
                Fault.TIMEOUT: S.UNDEFINED, Fault.RESET: S.UNDEFINED, Fault.SLOW: S.PROCESSED,
                Fault.PENDING: S.PENDING}[fault]
    assert result.status == expected
    if fault == Fault.PENDING:
        stripe_emulator.settle(result.provider_ref)
    # Asking again with the same key tells the truth (a settled pending refund too: Stripe
    # replays "pending", the plugin reads the refund as it is now) and never refunds twice.
    again = stripe_method.refund(request)
    assert again.status == S.PROCESSED
    assert len(stripe_emulator.store.refunds) == 1 and stripe_emulator.store.refunded[
        stripe_emulator.session(started.provider_ref)["payment_intent"]["id"]] == 1999


def test_refund_while_the_session_cannot_be_read_refunds_nothing_yet_and_asks_again(stripe_emulator, stripe_method):
    """Unknown, not failed: a failed refund is final for the core, and the money would be kept."""
    started, _ = paid_session(stripe_emulator, stripe_method)
    stripe_emulator.arm(Fault.TIMEOUT, "retrieve_session")
    request = RefundRequest(TXN, started.provider_ref, Money(100, "USD"), f"{TXN}-refund-01")
    result = stripe_method.refund(request)
    assert result.status == S.UNDEFINED and stripe_emulator.store.refunds == {}
    assert stripe_method.refund(request).status == S.PROCESSED and len(stripe_emulator.store.refunds) == 1


def test_a_refund_stripe_refuses_is_final(stripe_emulator, stripe_method):
    started, _ = paid_session(stripe_emulator, stripe_method)
    request = RefundRequest(TXN, started.provider_ref, Money(100_000, "USD"), f"{TXN}-refund-01")  # more than paid
    result = stripe_method.refund(request)
    assert result.status == S.ERROR and stripe_emulator.store.refunds == {}


def test_unconfigured_method_answers_without_calling_anyone():
    method = StripeMethod()
    assert method.charge(charge_request(TXN)).status == S.ERROR
    assert method.status(TXN, None).status == S.UNDEFINED
    assert method.expire(TXN, None).status == S.UNDEFINED
    assert method.refund(RefundRequest(TXN, "cs_test_x", Money(1, "USD"), "k")).status == S.ERROR


def test_an_unreachable_stripe_is_undefined_not_an_exception(stripe_emulator):
    method = StripeMethod(stripe_settings(stripe_emulator, api_base="http://127.0.0.1:9"))
    assert method.charge(charge_request(TXN)).status == S.UNDEFINED
    assert method.status(TXN, "cs_test_x").status == S.UNDEFINED
