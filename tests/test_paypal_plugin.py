"""The PayPal method against the local PayPal emulator, over real HTTP through the official SDK:
the hosted-page flow, capture exactly once, expiry, vaulting for auto-renewal, refunds,
PayPal-Request-Id replay (M1), configuration and secrecy."""
from __future__ import annotations

import logging
import threading

import pytest

from smartpay.core.domain import Grant
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, PluginHost, RefundRequest
from smartpay.core.testing import PaymentMethodContract, core_evaluation, make_context
from smartpay.plugins import paypal_pay
from smartpay.plugins.paypal_pay import PayPalMethod, capture_request_id
from smartpay.plugins.paypal_pay.settings import NOT_CONFIGURED

from paypal_support import (CLIENT_SECRET, approve_on_page, build_method, cancel_on_page, charge_request,
                            method_config, start_emulator)
from paypal_support import paypal, paypal_config, paypal_method  # noqa: F401  (fixtures)

TXN = "20250910140000001"


class TestPayPalAgainstTheEmulator(PaymentMethodContract):
    """The plugin authors' conformance kit, with PayPal configured and really charging."""

    @pytest.fixture
    def method(self, paypal_method):
        return paypal_method

    @pytest.fixture
    def plugin(self):
        return paypal_pay

    @pytest.fixture
    def plugin_config(self, paypal_config):
        return {"paypal_pay": paypal_config}


def test_declarations_are_kept():
    method = PayPalMethod()
    assert (method.key, method.label, method.family) == ("paypal", "PayPal", Grant.REGULAR)
    assert method.supports_auto_renew is True and method.settles_in_core is False
    assert method.partial_tender is False and method.currencies is None


# -- the hosted-page flow ------------------------------------------------------------------------------
def test_charge_creates_an_order_and_answers_pending_with_the_approval_link(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, 1999))
    assert result.status == ChargeStatus.PENDING
    assert result.provider_ref and result.redirect_url == f"{paypal.url}/checkoutnow?token={result.provider_ref}"
    order = paypal.order(result.provider_ref)
    unit = order["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "USD", "value": "19.99"}
    assert unit["custom_id"] == TXN and unit["invoice_id"] == TXN
    assert order["intent"] == "CAPTURE" and order["status"] == "PAYER_ACTION_REQUIRED"


@pytest.mark.parametrize("amount, currency, value", [(1, "USD", "0.01"), (100, "EUR", "1.00"),
                                                     (123456789, "USD", "1234567.89"), (1500, "JPY", "1500")])
def test_amounts_go_out_exactly_by_the_currency_exponent(paypal, paypal_method, amount, currency, value):
    result = paypal_method.charge(charge_request(TXN, amount, currency))
    assert paypal.order(result.provider_ref)["purchase_units"][0]["amount"]["value"] == value
    approve_on_page(result.redirect_url)
    settled = paypal_method.status(TXN, result.provider_ref)
    assert settled.status == ChargeStatus.PROCESSED and settled.amount == Money(amount, currency)


def test_approve_then_status_captures_once_and_is_processed(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, 1500))
    assert paypal_method.status(TXN, result.provider_ref).status == ChargeStatus.PENDING
    assert approve_on_page(result.redirect_url) == 200
    first = paypal_method.status(TXN, result.provider_ref)
    assert first.status == ChargeStatus.PROCESSED and first.amount == Money(1500, "USD")
    assert first.detail["capture_id"] and first.detail["capture_status"] == "COMPLETED"
    second = paypal_method.status(TXN, result.provider_ref)
    assert second.status == ChargeStatus.PROCESSED and second.detail["capture_id"] == first.detail["capture_id"]
    assert paypal.captures_for(TXN) == 1
    # The capture went out under a PayPal-Request-Id derived from the transaction (M1).
    scope = f"capture:{result.provider_ref}"
    assert (scope, capture_request_id(TXN, result.provider_ref)) in paypal.app.state.idempotency
    assert capture_request_id(TXN, result.provider_ref).startswith(TXN)


def test_concurrent_status_calls_capture_once(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, 1500))
    approve_on_page(result.redirect_url)
    other_desk = build_method(paypal)          # a second process of the desk, its own SDK client
    results, start = [], threading.Barrier(6)

    def poll(method):
        start.wait()
        results.append(method.status(TXN, result.provider_ref))

    threads = [threading.Thread(target=poll, args=(m,)) for m in [paypal_method, other_desk] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in results] == [ChargeStatus.PROCESSED] * 6
    assert len({r.detail["capture_id"] for r in results}) == 1
    assert paypal.captures_for(TXN) == 1


def test_payer_cancels_on_the_page_and_status_says_canceled(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    cancel_on_page(result.redirect_url)
    settled = paypal_method.status(TXN, result.provider_ref)
    assert settled.status == ChargeStatus.CANCELED and settled.message
    assert paypal.captures_for(TXN) == 0


def test_declined_capture_is_an_error(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    paypal.decline_next_capture()
    settled = paypal_method.status(TXN, result.provider_ref)
    assert settled.status == ChargeStatus.ERROR and "declined" in settled.message
    assert paypal.captures_for(TXN) == 0


def test_a_capture_held_pending_is_pending_until_paypal_clears_it(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    paypal.hold_next_capture_pending()
    held = paypal_method.status(TXN, result.provider_ref)
    assert held.status == ChargeStatus.PENDING and held.detail["pending_reason"] == "PENDING_REVIEW"
    assert paypal_method.status(TXN, result.provider_ref).status == ChargeStatus.PENDING
    paypal.settle_capture(held.detail["capture_id"])
    assert paypal_method.status(TXN, result.provider_ref).status == ChargeStatus.PROCESSED
    assert paypal.captures_for(TXN) == 1


def test_a_second_order_for_a_paid_transaction_is_never_captured(paypal, paypal_method):
    first = paypal_method.charge(charge_request(TXN, attempt=1))
    approve_on_page(first.redirect_url)
    assert paypal_method.status(TXN, first.provider_ref).status == ChargeStatus.PROCESSED
    second = paypal_method.charge(charge_request(TXN, attempt=2))
    approve_on_page(second.redirect_url)
    refused = paypal_method.status(TXN, second.provider_ref)
    assert refused.status == ChargeStatus.ERROR and "already paid" in refused.message
    assert paypal.captures_for(TXN) == 1


def test_return_url_reaches_paypal_and_approval_sends_the_payer_back(paypal, paypal_method):
    back = f"{paypal.url}/_emulator/return"
    result = paypal_method.charge(charge_request(TXN, return_url=back))
    experience = paypal.app.state.orders[result.provider_ref].experience
    assert experience["return_url"] == back and experience["cancel_url"] == back
    assert experience["user_action"] == "PAY_NOW" and experience["shipping_preference"] == "NO_SHIPPING"
    assert approve_on_page(result.redirect_url) == 200        # followed the 303 back to the desk
    assert paypal_method.status(TXN, result.provider_ref).status == ChargeStatus.PROCESSED


# -- expiry -------------------------------------------------------------------------------------------
def test_expire_before_approval_cancels_and_a_late_approval_is_never_captured(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    expired = paypal_method.expire(TXN, result.provider_ref)
    assert expired.status == ChargeStatus.CANCELED and expired.message
    approve_on_page(result.redirect_url)                    # the payer comes back too late
    late = paypal_method.status(TXN, result.provider_ref)
    assert late.status == ChargeStatus.CANCELED
    assert paypal.captures_for(TXN) == 0


def test_expire_after_capture_is_processed(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    paypal_method.status(TXN, result.provider_ref)
    expired = paypal_method.expire(TXN, result.provider_ref)
    assert expired.status == ChargeStatus.PROCESSED and expired.amount == Money(1500, "USD")


def test_expire_of_an_approved_order_captures_it_once(paypal, paypal_method):
    # The payer approved before the window closed: PayPal cannot void the order, so leaving it
    # uncaptured would let another process capture it later. Expire captures it (money honoured).
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    assert paypal_method.expire(TXN, result.provider_ref).status == ChargeStatus.PROCESSED
    assert paypal_method.status(TXN, result.provider_ref).status == ChargeStatus.PROCESSED
    assert paypal.captures_for(TXN) == 1


def test_expire_with_no_order_recorded_and_no_request_is_unknown(paypal_method):
    # No evidence either way (another process may have created the order): never CANCELED.
    assert paypal_method.expire("29999999999999999", None).status == ChargeStatus.UNDEFINED


# -- idempotency (M1) ------------------------------------------------------------------------------------
def test_m1_same_paypal_request_id_gives_one_order(paypal, paypal_method):
    first = paypal_method.charge(charge_request(TXN, attempt=1))
    again = paypal_method.charge(charge_request(TXN, attempt=1))
    assert again.provider_ref == first.provider_ref
    assert paypal.orders_for(TXN) == [first.provider_ref]
    third = paypal_method.charge(charge_request(TXN, attempt=2))
    assert third.provider_ref != first.provider_ref and len(paypal.orders_for(TXN)) == 2


def test_status_without_a_reference_recovers_the_order_by_replaying_the_create(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    recovered = paypal_method.status(TXN, None)
    assert recovered.status == ChargeStatus.PENDING and recovered.provider_ref == result.provider_ref
    assert paypal.orders_for(TXN) == [result.provider_ref]


def test_status_without_a_reference_or_memory_is_undefined(paypal):
    fresh = build_method(paypal)            # another process: it never sent the create
    answer = fresh.status(TXN, None)
    assert answer.status == ChargeStatus.UNDEFINED and TXN in answer.message


# -- saved PayPal for auto-renewal (R7) -----------------------------------------------------------------
def _vaulted(paypal, method, txn=TXN) -> str:
    result = method.charge(charge_request(txn, save_method=True))
    approve_on_page(result.redirect_url)
    settled = method.status(txn, result.provider_ref)
    assert settled.status == ChargeStatus.PROCESSED and settled.saved_method
    return settled.saved_method


def test_r7_save_method_asks_paypal_to_vault_on_success(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, save_method=True))
    order = paypal.app.state.orders[result.provider_ref]
    assert order.vault_requested and order.vault_usage_type == "MERCHANT"
    approve_on_page(result.redirect_url)
    settled = paypal_method.status(TXN, result.provider_ref)
    assert settled.saved_method and settled.saved_method in paypal.app.state.vault


def test_r7_without_save_method_nothing_is_vaulted(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    assert paypal_method.status(TXN, result.provider_ref).saved_method is None
    assert paypal.app.state.vault == {}


def test_r7_charge_saved_pays_the_next_cycle_at_once(paypal, paypal_method):
    vault_id = _vaulted(paypal, paypal_method)
    renewal = "20251010140000002"
    result = paypal_method.charge_saved(charge_request(renewal, 2500, saved_method=vault_id))
    assert result.status == ChargeStatus.PROCESSED and result.amount == Money(2500, "USD")
    assert result.saved_method == vault_id and result.provider_ref
    assert paypal.captures_for(renewal) == 1
    again = paypal_method.charge_saved(charge_request(renewal, 2500, saved_method=vault_id))
    assert again.provider_ref == result.provider_ref and paypal.captures_for(renewal) == 1


def test_r7_charge_saved_decline_is_an_error_with_a_message(paypal, paypal_method):
    vault_id = _vaulted(paypal, paypal_method)
    paypal.decline_next_vault_charge()
    result = paypal_method.charge_saved(charge_request("20251010140000002", saved_method=vault_id))
    assert result.status == ChargeStatus.ERROR
    assert "declined the saved PayPal account" in result.message and "INSTRUMENT_DECLINED" in result.message
    assert paypal.captures_for("20251010140000002") == 0


def test_r7_charge_saved_with_an_unknown_vault_id_is_an_error(paypal_method):
    result = paypal_method.charge_saved(charge_request("20251010140000002", saved_method="nosuchid"))
    assert result.status == ChargeStatus.ERROR and result.message


def test_r7_charge_saved_without_a_token_is_an_error(paypal_method):
    result = paypal_method.charge_saved(charge_request("20251010140000002"))
    assert result.status == ChargeStatus.ERROR and "saved PayPal" in result.message


# -- refunds ---------------------------------------------------------------------------------------------
def test_refund_by_order_id_and_replay_refunds_once(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, 1500))
    approve_on_page(result.redirect_url)
    capture_id = paypal_method.status(TXN, result.provider_ref).detail["capture_id"]
    request = RefundRequest(txn=TXN, provider_ref=result.provider_ref, amount=Money(500, "USD"),
                            idempotency_key=f"{TXN}-refund-01", reason="goodwill")
    refunded = paypal_method.refund(request)
    assert refunded.status == ChargeStatus.PROCESSED and refunded.amount == Money(500, "USD")
    assert refunded.detail["capture_id"] == capture_id
    again = paypal_method.refund(request)
    assert again.detail["refund_id"] == refunded.detail["refund_id"]
    assert paypal.app.state.captures[capture_id].status == "PARTIALLY_REFUNDED"
    assert len(paypal.app.state.refunds) == 1


def test_refund_by_capture_id_and_over_refund_is_refused(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, 1500))
    approve_on_page(result.redirect_url)
    capture_id = paypal_method.status(TXN, result.provider_ref).detail["capture_id"]
    too_much = paypal_method.refund(RefundRequest(TXN, capture_id, Money(1501, "USD"), f"{TXN}-refund-01"))
    assert too_much.status == ChargeStatus.ERROR and "REFUND_AMOUNT_EXCEEDED" in too_much.message
    full = paypal_method.refund(RefundRequest(TXN, capture_id, Money(1500, "USD"), f"{TXN}-refund-02"))
    assert full.status == ChargeStatus.PROCESSED
    assert paypal.app.state.captures[capture_id].status == "REFUNDED"


def test_refund_of_an_uncaptured_order_is_an_error(paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    refused = paypal_method.refund(RefundRequest(TXN, result.provider_ref, Money(1500, "USD"), f"{TXN}-refund-01"))
    assert refused.status == ChargeStatus.ERROR and "never captured" in refused.message


# -- configuration -------------------------------------------------------------------------------------------
def test_without_credentials_the_method_says_what_to_set():
    method = PayPalMethod.from_config({}, environ={})
    assert method.configured().reason == NOT_CONFIGURED
    assert "PAYPAL_CLIENT_ID" in NOT_CONFIGURED and "plugins.paypal_pay" in NOT_CONFIGURED
    assert not core_evaluation(method)(make_context()).eligible
    assert method.charge(charge_request(TXN)).status == ChargeStatus.ERROR
    assert method.status(TXN, None).status == ChargeStatus.UNDEFINED


def test_credentials_come_from_the_environment_too(paypal):
    method = PayPalMethod.from_config({"base_url": paypal.url, "timeout_seconds": 1},
                                      environ={"PAYPAL_CLIENT_ID": "smartpay-test-client",
                                               "PAYPAL_CLIENT_SECRET": CLIENT_SECRET})
    assert method.configured().eligible
    assert method.charge(charge_request(TXN)).status == ChargeStatus.PENDING


@pytest.mark.parametrize("setting, value, named", [
    ("environment", "production", "environment"), ("base_url", "ftp://x", "base_url"),
    ("timeout_seconds", 0, "timeout_seconds"), ("timeout_seconds", "fast", "timeout_seconds"),
    ("return_url", "javascript:alert(1)", "return_url"), ("colour", "blue", "colour")])
def test_bad_settings_make_it_misconfigured_naming_the_field(setting, value, named):
    method = PayPalMethod.from_config({"client_id": "a", "client_secret": "b", setting: value}, environ={})
    answer = method.configured()
    assert not answer.eligible and "plugins.paypal_pay" in answer.reason and named in answer.reason


def test_environment_picks_paypal_base_urls():
    assert PayPalMethod.from_config({}, environ={}).describe()["base_url"] == "https://api-m.sandbox.paypal.com"
    live = PayPalMethod.from_config({"environment": "live"}, environ={})
    assert live.describe()["base_url"] == "https://api-m.paypal.com"


def test_the_hook_registers_a_method_configured_from_the_table(paypal):
    host = PluginHost(config=lambda key: method_config(paypal) if key == "paypal_pay" else {},
                      load_entry_points=False, disabled=(), extra_plugins=[("paypal_pay", paypal_pay)])
    method = host.method("paypal")
    assert method.configured().eligible
    assert method.charge(charge_request(TXN)).status == ChargeStatus.PENDING


def test_two_desks_in_one_process_talk_to_their_own_paypal():
    first, second = start_emulator(), start_emulator(client_id="desk-two", client_secret="two-secret")
    try:
        a = build_method(first)
        b = PayPalMethod.from_config({"client_id": "desk-two", "client_secret": "two-secret",
                                      "base_url": second.url, "timeout_seconds": 1}, environ={})
        ra, rb = a.charge(charge_request(TXN)), b.charge(charge_request(TXN))
        assert ra.redirect_url.startswith(first.url) and rb.redirect_url.startswith(second.url)
        assert first.orders_for(TXN) == [ra.provider_ref] and second.orders_for(TXN) == [rb.provider_ref]
    finally:
        first.stop()
        second.stop()


def test_wrong_credentials_are_an_error_naming_the_settings_never_the_secret(paypal, caplog):
    caplog.set_level(logging.DEBUG)
    method = build_method(paypal, client_secret="wrong-" + CLIENT_SECRET)
    result = method.charge(charge_request(TXN))
    assert result.status == ChargeStatus.ERROR and "PAYPAL_CLIENT_SECRET" in result.message
    assert CLIENT_SECRET not in result.message and CLIENT_SECRET not in caplog.text


# -- secrecy -----------------------------------------------------------------------------------------------
def test_the_client_secret_never_appears(paypal, paypal_method, caplog):
    import base64

    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"smartpay-test-client:{CLIENT_SECRET}".encode()).decode()
    seen = [repr(paypal_method), str(paypal_method.describe()), repr(paypal_method._settings)]
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    seen += [repr(paypal_method.status(TXN, result.provider_ref))]
    paypal.arm("http_500", "get_order")
    seen += [repr(paypal_method.status(TXN, result.provider_ref))]
    paypal.arm("timeout", "create_order")
    seen += [repr(paypal_method.charge(charge_request(TXN, attempt=2)))]
    seen += [repr(build_method(paypal, client_secret=CLIENT_SECRET + "x").charge(charge_request(TXN, attempt=3)))]
    seen += [caplog.text]
    for text in seen:
        assert CLIENT_SECRET not in text and basic not in text
    assert "PayPal" in caplog.text      # the failures were logged, just without the secret


def test_scrub_removes_the_secret_and_its_basic_auth_form():
    import base64

    settings = PayPalMethod.from_config({"client_id": "id", "client_secret": CLIENT_SECRET}, environ={})._settings
    basic = base64.b64encode(f"id:{CLIENT_SECRET}".encode()).decode()
    assert settings.scrub(f"x {CLIENT_SECRET} y Basic {basic}") == "x *** y Basic ***"
    assert CLIENT_SECRET not in repr(settings)


def test_an_amount_paypal_cannot_write_is_an_error_not_an_exception(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN, 1500, "XYZ"))
    assert result.status == ChargeStatus.ERROR and "currency" in result.message
    assert paypal.orders_for(TXN) == []
