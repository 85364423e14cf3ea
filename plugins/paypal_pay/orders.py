"""PayPal Orders v2 in smartpay's terms: the order requests the method sends (SDK models) and
what a PayPal order, as JSON, means for the core (a ChargeResult).

Amounts go out as PayPal's decimal strings written from integer minor units by the currency's
exponent (`Money.plain()`), and come back through `Money.parse` — never through a float.
"""
from __future__ import annotations

import functools
from types import SimpleNamespace

from smartpay.core.errors import InvalidInput
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeRequest, ChargeResult, ChargeStatus

from .settings import PayPalSettings


@functools.cache
def _models() -> SimpleNamespace:
    """The SDK's models, imported on first use (the core never loads an SDK it does not call)."""
    from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
    from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
    from paypalserversdk.models.money import Money as PayPalMoney
    from paypalserversdk.models.order_request import OrderRequest
    from paypalserversdk.models.payment_source import PaymentSource
    from paypalserversdk.models.paypal_experience_user_action import PaypalExperienceUserAction
    from paypalserversdk.models.paypal_payment_token_usage_type import PaypalPaymentTokenUsageType
    from paypalserversdk.models.paypal_wallet import PaypalWallet
    from paypalserversdk.models.paypal_wallet_attributes import PaypalWalletAttributes
    from paypalserversdk.models.paypal_wallet_context_shipping_preference import (
        PaypalWalletContextShippingPreference)
    from paypalserversdk.models.paypal_wallet_experience_context import PaypalWalletExperienceContext
    from paypalserversdk.models.paypal_wallet_vault_instruction import PaypalWalletVaultInstruction
    from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
    from paypalserversdk.models.refund_request import RefundRequest
    from paypalserversdk.models.store_in_vault_instruction import StoreInVaultInstruction
    return SimpleNamespace(**locals())


# Captures that mean the money was taken (a later refund does not undo "it was paid").
PAID = ("COMPLETED", "REFUNDED", "PARTIALLY_REFUNDED")


def paypal_amount(amount: Money):
    """PayPal's AmountWithBreakdown for `amount`: the exact decimal string, by the exponent."""
    return _models().AmountWithBreakdown(currency_code=amount.currency, value=amount.plain())


def _unit(request: ChargeRequest):
    # custom_id carries the txn back in webhooks; invoice_id makes PayPal refuse a second payment
    # for the same transaction ("block duplicate invoice ids", on by default).
    extra = {"description": request.description[:127]} if request.description else {}
    return _models().PurchaseUnitRequest(amount=paypal_amount(request.amount), reference_id="default",
                                         custom_id=request.txn, invoice_id=request.txn, **extra)


def checkout_order(request: ChargeRequest, settings: PayPalSettings):
    """An OrderRequest the payer approves on PayPal's page; with `save_method`, PayPal vaults
    their account when the capture succeeds (store_in_vault ON_SUCCESS, merchant-initiated later)."""
    m = _models()
    return_url = request.return_url or settings.return_url
    cancel_url = settings.cancel_url or return_url
    urls = {k: v for k, v in (("return_url", return_url), ("cancel_url", cancel_url)) if v}
    if settings.brand_name:
        urls["brand_name"] = settings.brand_name[:127]
    experience = m.PaypalWalletExperienceContext(
        shipping_preference=m.PaypalWalletContextShippingPreference.NO_SHIPPING,
        user_action=m.PaypalExperienceUserAction.PAY_NOW, **urls)
    wallet = {"experience_context": experience}
    if request.save_method:
        wallet["attributes"] = m.PaypalWalletAttributes(vault=m.PaypalWalletVaultInstruction(
            store_in_vault=m.StoreInVaultInstruction.ON_SUCCESS, usage_type=m.PaypalPaymentTokenUsageType.MERCHANT,
            customer_type="CONSUMER", permit_multiple_payment_tokens=False,
            description="smartpay auto-renewal"))
    return m.OrderRequest(intent=m.CheckoutPaymentIntent.CAPTURE, purchase_units=[_unit(request)],
                          payment_source=m.PaymentSource(paypal=m.PaypalWallet(**wallet)))


def vaulted_order(request: ChargeRequest):
    """An OrderRequest paid from a saved PayPal account: PayPal captures it in the create call."""
    m = _models()
    return m.OrderRequest(intent=m.CheckoutPaymentIntent.CAPTURE, purchase_units=[_unit(request)],
                          payment_source=m.PaymentSource(paypal=m.PaypalWallet(vault_id=request.saved_method)))


def refund_body(amount: Money, txn: str):
    m = _models()
    return m.RefundRequest(amount=m.PayPalMoney(currency_code=amount.currency, value=amount.plain()),
                           invoice_id=f"{txn}-refund"[:127])


# -- reading PayPal's answers ---------------------------------------------------------------------
def link(resource: dict, *rels: str) -> str | None:
    for rel in rels:
        for item in resource.get("links") or ():
            if isinstance(item, dict) and item.get("rel") == rel:
                return item.get("href")
    return None


def last_capture(order: dict) -> dict | None:
    captures = [c for unit in order.get("purchase_units") or () for c in
                ((unit.get("payments") or {}).get("captures") or ())]
    return captures[-1] if captures else None


def vault_id(order: dict) -> str | None:
    vault = ((((order.get("payment_source") or {}).get("paypal") or {}).get("attributes") or {}).get("vault")
             or {})
    return vault.get("id") if vault.get("status", "VAULTED") == "VAULTED" else None


def money(amount: dict | None) -> Money | None:
    if not isinstance(amount, dict):
        return None
    try:
        return Money.parse(str(amount.get("value")), str(amount.get("currency_code")))
    except InvalidInput:
        return None


def order_result(order: dict, **extra_detail) -> ChargeResult:
    """What an order's state means: PENDING while the payer acts, PROCESSED once captured,
    ERROR when the capture was declined, CANCELED when voided. APPROVED is the caller's to
    capture; here it reads PENDING."""
    order_id, status = order.get("id"), order.get("status")
    detail = {"order_id": order_id, "order_status": status, **extra_detail}
    if status in ("CREATED", "PAYER_ACTION_REQUIRED", "SAVED", "APPROVED"):
        redirect = link(order, "payer-action", "approve")
        message = ("Approved by the payer; waiting for capture" if status == "APPROVED"
                   else "Waiting for the payer to approve the payment on PayPal")
        return ChargeResult(ChargeStatus.PENDING, provider_ref=order_id, redirect_url=redirect,
                            message=message, detail=detail)
    if status == "VOIDED":
        return ChargeResult(ChargeStatus.CANCELED, provider_ref=order_id, detail=detail,
                            message="The PayPal order was cancelled; nothing was charged")
    if status != "COMPLETED":
        return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=order_id, detail=detail,
                            message=f"PayPal reports the order as {status or 'unknown'}")
    capture = last_capture(order)
    if capture is None:
        return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=order_id, detail=detail,
                            message="PayPal reports the order completed but shows no capture yet")
    detail.update(capture_id=capture.get("id"), capture_status=capture.get("status"))
    capture_status = capture.get("status")
    if capture_status in PAID:
        return ChargeResult(ChargeStatus.PROCESSED, money(capture.get("amount")), provider_ref=order_id,
                            message="Paid with PayPal", detail=detail, saved_method=vault_id(order))
    if capture_status == "PENDING":
        reason = (capture.get("status_details") or {}).get("reason") or "PENDING"
        detail["pending_reason"] = reason
        return ChargeResult(ChargeStatus.PENDING, provider_ref=order_id, detail=detail,
                            message=f"PayPal is holding the payment ({reason}); it settles later")
    return ChargeResult(ChargeStatus.ERROR, provider_ref=order_id, detail=detail,
                        message=f"PayPal declined the payment (capture {capture_status or 'failed'})")
