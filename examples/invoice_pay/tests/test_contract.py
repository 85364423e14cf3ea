"""The invoice method against smartpay's conformance kit (run: `python -m pytest` in this folder)."""
import pytest
from smartpay.core.testing import PaymentMethodContract

import smartpay_invoice_pay


class TestInvoiceMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return smartpay_invoice_pay.InvoiceMethod()

    @pytest.fixture
    def plugin(self):
        return smartpay_invoice_pay

    @pytest.fixture
    def plugin_config(self):
        return {"invoice_pay": {"prefix": "INV", "veto": ["stripe"], "veto_reason": "Distributors pay on account"}}
