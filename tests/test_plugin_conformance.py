"""Every payment method smartpay ships — and the example third-party one — passes the plugin
authors' conformance kit (smartpay.core.testing), unchanged."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from smartpay.core.domain import Grant, Role
from smartpay.core.plugin_host import ChargeStatus, Eligibility, PaymentMethod
from smartpay.core.testing import (KitTender, PaymentMethodContract, core_evaluation, make_context,
                                   standard_contexts)
from smartpay.plugins import coupon_pay, credit_pay, paypal_pay, stripe_pay

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "invoice_pay" / "smartpay_invoice_pay" / "__init__.py"


def load_example():
    """Import the example plugin from its source folder without putting the folder on sys.path
    (an editable install there would otherwise add its entry point to every test)."""
    name = "smartpay_invoice_pay"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


invoice_pay = load_example()


class TestCouponMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return coupon_pay.CouponMethod()

    @pytest.fixture
    def plugin(self):
        return coupon_pay


class TestCreditMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return credit_pay.CreditMethod()

    @pytest.fixture
    def plugin(self):
        return credit_pay


class TestStripeMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return stripe_pay.StripeMethod()

    @pytest.fixture
    def plugin(self):
        return stripe_pay


class TestPayPalMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return paypal_pay.PayPalMethod()

    @pytest.fixture
    def plugin(self):
        return paypal_pay


class TestInvoiceExampleMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return invoice_pay.InvoiceMethod()

    @pytest.fixture
    def plugin(self):
        return invoice_pay


# -- the kit judges what it should: each built-in is offered exactly where the rules say ----------
def offered(method: PaymentMethod) -> set[str]:
    verdict = core_evaluation(method)
    return {name for name, context in standard_contexts().items() if verdict(context).eligible}


def test_kit_contexts_offer_coupons_and_credits_where_the_rules_say():
    assert offered(coupon_pay.CouponMethod()) == {
        "distributor renewal USD", "installer regular renewal USD", "property manager regular renewal USD"}
    assert offered(credit_pay.CreditMethod()) == {"distributor credit renewal", "installer credit renewal"}
    assert offered(stripe_pay.StripeMethod()) == set() == offered(paypal_pay.PayPalMethod())


def test_invoice_is_offered_to_distributors_only_and_never_for_auto_renew():
    method = invoice_pay.InvoiceMethod()
    assert offered(method) == {"distributor renewal USD", "distributor single-family renewal USD",
                               "distributor credit purchase", "sub-distributor activation USD"}
    verdict = core_evaluation(method)
    refused = verdict(make_context(role=Role.INSTALLER))
    assert not refused.eligible and refused.reason == "Invoicing is available to distributors only"
    auto = verdict(standard_contexts()["distributor auto-renew USD"])
    assert not auto.eligible and "auto-renewal" in auto.reason


def test_invoice_charge_is_processed_with_a_reference_from_the_txn():
    method = invoice_pay.InvoiceMethod()
    context = make_context(role=Role.DISTRIBUTOR, grant=None)
    tender = KitTender.for_context(context)
    result = method.charge(PaymentMethodContract.charge_request(method, context, tender, txn="T123"))
    assert result.status == ChargeStatus.PROCESSED
    assert result.provider_ref == "INV-T123" and result.amount == context.amount
    assert result.detail["idempotency_key"] == "T123-01"
    assert tender.calls == []


# -- the kit catches what it should: a broken method fails its contract ------------------------------
class _Sloppy(PaymentMethod):
    """Breaks the contract on purpose: flip-flopping eligibility without reasons, a provider
    method that spends the payer's credits, a charge that answers with a bare string."""

    key = "sloppy"
    label = "Sloppy"
    supports_auto_renew = False
    settles_in_core = False

    def __init__(self):
        self.calls = 0

    def check_eligibility(self, context):
        self.calls += 1
        return Eligibility(self.calls % 2 == 0, "")

    def charge(self, request):
        request.tender.consume_credits(1)
        return "ok"


@pytest.mark.parametrize("test_name, overrides", [
    ("test_key_is_a_short_lowercase_name", {"key": "Sloppy Method"}),
    ("test_label_is_readable_text", {"label": " "}),
    ("test_family_is_a_grant_that_permits_paying", {"family": Grant.NONE}),
    ("test_capabilities_have_the_right_types", {"partial_tender": "no"}),
    ("test_every_refusal_has_a_reason", {}),
    ("test_eligibility_is_a_pure_function_of_the_context", {}),
    ("test_charge_returns_a_result_with_a_status", {}),
    ("test_only_in_core_methods_touch_the_tender", {}),
])
def test_the_kit_fails_a_method_that_breaks_the_contract(test_name, overrides):
    method = type("Broken", (_Sloppy,), overrides)()
    args = {"method": method, "contexts": standard_contexts(), "verdict": core_evaluation(_Sloppy()),
            "charge_context": make_context(credit_balance=5)}
    test = getattr(PaymentMethodContract(), test_name)
    names = test.__code__.co_varnames[1:test.__code__.co_argcount]
    with pytest.raises(AssertionError):
        test(**{n: args[n] for n in names})


def test_the_kit_refuses_a_method_the_host_would_skip():
    broken = type("Unlabelled", (_Sloppy,), {"label": ""})()
    with pytest.raises(AssertionError, match="no key or label"):
        core_evaluation(broken)
