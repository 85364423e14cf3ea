"""PayPal payments through Orders v2 and the official `paypal-server-sdk`.

charge() creates an order the payer approves on PayPal's page (PENDING + redirect_url);
status() captures it once approved — under a PayPal-Request-Id derived from the transaction, so
polling twice, or from two places at once, captures once. With `save_method` PayPal vaults the
payer's account when the capture succeeds and `saved_method` carries the vault id;
charge_saved() pays later auto-renewal cycles from it. Every call answers a ChargeResult —
declines are ERROR, unknown outcomes UNDEFINED (M3), never an exception.

Configuration: `[plugins.paypal_pay]` (client_id, client_secret, environment, base_url,
webhook_id, return_url, cancel_url, brand_name, timeout_seconds) and PAYPAL_CLIENT_ID /
PAYPAL_CLIENT_SECRET. See docs/emulators.md for the local emulator.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Mapping

from smartpay.core import hookimpl
from smartpay.core.domain import Grant
from smartpay.core.errors import InvalidInput
from smartpay.core.plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility, PaymentMethod,
                                       RefundRequest, WebhookEvent, WebhookRejected)

from .gateway import PayPalGateway, PayPalRefused, PayPalUnknown
from .orders import checkout_order, last_capture, money, order_result, refund_body, vaulted_order
from .settings import NOT_CONFIGURED, PayPalSettings
from .webhooks import verify_and_parse

__version__ = "0.2.0"
log = logging.getLogger("smartpay.plugins.paypal")
_REMEMBERED = 2048
# PayPal's 422 issues that decline the payment itself (the instrument or the payer), as opposed to
# refusing the request (rate limits, credentials, validation, a duplicate invoice id).
DECLINED_ISSUES = frozenset({"INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY",
                             "PAYER_ACTION_REQUIRED", "PAYEE_BLOCKED_TRANSACTION", "COMPLIANCE_VIOLATION"})
# Refusals that pass (credentials being fixed, a timeout PayPal reports, a conflict, rate limiting):
# a refund refused so is asked for again, never given up — the core keeps a failed refund's money.
_PASSING = frozenset({401, 403, 408, 409, 429})


@dataclass(frozen=True)
class _SentCreate:
    """A create call as sent, kept so status(txn, None) can re-send it under the same
    PayPal-Request-Id: PayPal answers with the order the lost answer was about."""

    request_id: str
    body: object
    vaulted: bool


class PayPalMethod(PaymentMethod):
    key = "paypal"
    label = "PayPal"
    family = Grant.REGULAR
    supports_auto_renew = True
    partial_tender = False
    currencies = None
    settles_in_core = False
    version = __version__

    def __init__(self, settings: PayPalSettings | None = None):
        # No settings: not configured. The hook reads the plugin table and the environment.
        self._settings = settings or PayPalSettings()
        self._gateway = PayPalGateway(self._settings)
        self._lock = threading.Lock()
        self._sent: OrderedDict[str, _SentCreate] = OrderedDict()
        self._expired: OrderedDict[str, None] = OrderedDict()   # orders this desk will never capture

    @classmethod
    def from_config(cls, config: Mapping | None, environ: Mapping[str, str] | None = None) -> "PayPalMethod":
        return cls(PayPalSettings.load(config, os.environ if environ is None else environ))

    def __repr__(self) -> str:
        s = self._settings
        return f"PayPalMethod(base_url={s.base_url!r}, client_id={s.client_id!r}, configured={self._ready()})"

    def describe(self) -> dict:
        return {**super().describe(), "environment": self._settings.environment,
                "base_url": self._settings.base_url, "configured": self._ready()}

    # -- configuration -----------------------------------------------------------------------------
    def _ready(self) -> bool:
        return self._settings.has_credentials and not self._settings.problem

    def configured(self) -> Eligibility:
        if self._settings.problem:
            return Eligibility.no(f"PayPal is misconfigured: {self._settings.problem}")
        if not self._settings.has_credentials:
            return Eligibility.no(NOT_CONFIGURED)
        return Eligibility.ok()

    def _not_ready(self, status: ChargeStatus) -> ChargeResult:
        return ChargeResult(status, message=self.configured().reason)

    # -- charging ----------------------------------------------------------------------------------
    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Create an order for the payer to approve: PENDING with the approval URL."""
        if not self._ready():
            return self._not_ready(ChargeStatus.ERROR)
        try:
            body = checkout_order(request, self._settings)
        except InvalidInput as exc:
            return ChargeResult(ChargeStatus.ERROR, message=f"PayPal cannot take this amount: {exc}")
        return self._create(request, body, vaulted=False)

    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        """Charge the vaulted PayPal account in `request.saved_method` (an auto-renewal cycle)."""
        if not self._ready():
            return self._not_ready(ChargeStatus.ERROR)
        if not request.saved_method:
            return ChargeResult(ChargeStatus.ERROR, message="No saved PayPal account to charge for this renewal")
        try:
            body = vaulted_order(request)
        except InvalidInput as exc:
            return ChargeResult(ChargeStatus.ERROR, message=f"PayPal cannot take this amount: {exc}")
        result = self._create(request, body, vaulted=True)
        if result.status == ChargeStatus.PROCESSED and not result.saved_method:
            result = _with(result, saved_method=request.saved_method)
        return result

    def _create(self, request: ChargeRequest, body, vaulted: bool) -> ChargeResult:
        self._remember(request.txn, _SentCreate(request.idempotency_key, body, vaulted))
        detail = {"idempotency_key": request.idempotency_key}
        try:
            order = self._gateway.create_order(body, request.idempotency_key)
        except PayPalRefused as exc:
            verb = "declined the saved PayPal account" if vaulted else "refused the payment"
            return ChargeResult(ChargeStatus.ERROR, message=f"PayPal {verb}: {exc}",
                                detail={**detail, "issue": exc.issue or exc.name})
        except PayPalUnknown as exc:
            return ChargeResult(ChargeStatus.UNDEFINED, message=f"{exc}; the payment is checked again later",
                                detail=detail)
        result = order_result(order, **detail)
        if vaulted or result.status != ChargeStatus.PENDING:
            return result
        if not result.redirect_url:
            return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=result.provider_ref, detail=result.detail,
                                message="PayPal created the order but sent no approval link")
        return result

    # -- settling ----------------------------------------------------------------------------------
    def status(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        """How the order stands; an APPROVED order is captured here, once. With no provider_ref,
        the create call is replayed under its PayPal-Request-Id — from this process's memory or
        from `request` (the core rebuilds it, so any process can) — and PayPal answers with the
        order the lost answer was about."""
        if not self._ready():
            return self._not_ready(ChargeStatus.UNDEFINED)
        order, lost = self._find(txn, provider_ref, request)
        if order is None:
            return lost
        if order.get("status") == "APPROVED":
            with self._lock:
                expired = order.get("id") in self._expired
            if expired:
                return ChargeResult(ChargeStatus.CANCELED, provider_ref=order.get("id"),
                                    message="The payment window closed before capture; PayPal was not charged",
                                    detail={"order_id": order.get("id"), "order_status": "APPROVED"})
            return self._capture(txn, order)
        return order_result(order)

    def _capture(self, txn: str, order: dict) -> ChargeResult:
        order_id = order["id"]
        try:
            captured = self._gateway.capture_order(order_id, capture_request_id(txn, order_id))
        except PayPalUnknown as exc:
            return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=order_id,
                                message=f"{exc}; the capture is checked again later")
        except PayPalRefused as exc:
            if exc.issue in ("ORDER_ALREADY_CAPTURED", "ORDER_NOT_APPROVED"):
                # Someone else moved the order on (another desk process, the payer): read it again.
                again, lost = self._find(txn, order_id)
                if again is None:
                    return lost
                if again.get("status") != "APPROVED":
                    return order_result(again)
                return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=order_id,
                                    message=f"PayPal refused the capture for now: {exc}")
            if exc.issue == "DUPLICATE_INVOICE_ID":
                return ChargeResult(ChargeStatus.ERROR, provider_ref=order_id, detail={"issue": exc.issue},
                                    message="PayPal refused the capture: this transaction was already paid "
                                            "through another PayPal order")
            # Refused before anything happened (e.g. INSTRUMENT_DECLINED): the order stays approved
            # and can still be captured, so the outcome is not final.
            return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=order_id, detail={"issue": exc.issue},
                                message=f"PayPal refused the capture for now: {exc}")
        return order_result(captured)

    def expire(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        """The window closed. Never CANCELED without evidence from PayPal (or that no order can
        exist for a payer to approve): a captured order is PROCESSED; an order the payer already
        approved is captured now (their money is honoured: PROCESSED); one never approved will
        never be captured by this desk (Orders v2 has no void: it lapses at PayPal) — CANCELED.
        A lost saved-account charge is replayed under its PayPal-Request-Id (from `request`) to
        learn what PayPal did; without `request` or memory of it, the answer is UNDEFINED."""
        if not self._ready():
            return self._not_ready(ChargeStatus.UNDEFINED)
        if provider_ref is None:
            sent = self._sent_for(txn)
            if request is not None:
                vaulted = bool(request.saved_method)
            elif sent is not None:
                vaulted = sent.vaulted
            else:
                return ChargeResult(ChargeStatus.UNDEFINED,
                                    message="No PayPal order was recorded for this payment and the original request "
                                            "is not known here; asked again later")
            if not vaulted:
                # A checkout order whose answer was lost never reached the payer: nobody can approve it.
                return ChargeResult(ChargeStatus.CANCELED,
                                    message="No PayPal order was recorded for this payment; none can be captured")
            if request is None:
                # Re-sending a lost saved-account charge from memory alone could charge it now:
                # only a caller that hands the original request over (the core) replays it.
                return ChargeResult(ChargeStatus.UNDEFINED,
                                    message="The answer to the saved PayPal charge was lost; status() asks again")
        order, lost = self._find(txn, provider_ref, request)
        if order is None:  # ERROR here is PayPal's evidence: no such order, or the replay was refused
            return lost if lost.status != ChargeStatus.ERROR else _with(lost, status=ChargeStatus.CANCELED)
        if order.get("status") == "APPROVED":
            return self._capture_on_expiry(txn, order)
        result = order_result(order)
        if order.get("status") == "COMPLETED":
            if result.status == ChargeStatus.PENDING:
                return _with(result, status=ChargeStatus.UNDEFINED,
                             message="PayPal is still reviewing the capture; checked again later")
            if result.status == ChargeStatus.ERROR:
                return _with(result, status=ChargeStatus.CANCELED)
            return result
        if result.status == ChargeStatus.UNDEFINED:
            return result
        self._forget_order(order["id"])
        return ChargeResult(ChargeStatus.CANCELED, provider_ref=order["id"], detail=result.detail,
                            message="The payment window closed; the PayPal order will not be captured")

    def _capture_on_expiry(self, txn: str, order: dict) -> ChargeResult:
        """The payer approved before the window closed: capture (the same capture status() would
        make, under the same PayPal-Request-Id) rather than leave an approved order another
        process might still capture."""
        result = self._capture(txn, order)
        if result.status in (ChargeStatus.PROCESSED, ChargeStatus.CANCELED):
            return result
        if result.status == ChargeStatus.PENDING:
            return _with(result, status=ChargeStatus.UNDEFINED,
                         message="PayPal is still reviewing the capture; checked again later")
        if result.status == ChargeStatus.UNDEFINED and not result.detail.get("issue"):
            return result   # no answer: the capture may have happened; asked again next run
        # Refused (declined instrument, duplicate invoice): nothing was taken and this desk will not try again.
        self._forget_order(order["id"])
        return ChargeResult(ChargeStatus.CANCELED, provider_ref=order["id"], detail=result.detail,
                            message=f"The payment window closed and PayPal refused the capture ({result.message})")

    def _forget_order(self, order_id: str) -> None:
        """This process will never capture `order_id` (status() answers CANCELED for it)."""
        with self._lock:
            self._expired[order_id] = None
            while len(self._expired) > _REMEMBERED:
                self._expired.popitem(last=False)

    def _find(self, txn: str, provider_ref: str | None,
              request: ChargeRequest | None = None) -> tuple[dict | None, ChargeResult | None]:
        """(order, None) or (None, the result to answer when it cannot be read)."""
        if provider_ref is None:
            sent = self._sent_for(txn) or self._rebuilt(request)
            if sent is None:
                return None, ChargeResult(ChargeStatus.UNDEFINED,
                                          message="The PayPal order id of this payment was not recorded; its "
                                                  "webhook or the PayPal dashboard (invoice " + txn + ") tells")
            try:
                # Same PayPal-Request-Id: PayPal answers with the order the lost answer was about.
                created = self._gateway.create_order(sent.body, sent.request_id)
            except PayPalUnknown as exc:
                return None, ChargeResult(ChargeStatus.UNDEFINED, message=f"{exc}; checked again later")
            except PayPalRefused as exc:
                if exc.http_status == 422 and exc.issue in DECLINED_ISSUES:
                    # Within PayPal's request-id memory a replay of a request that was paid answers
                    # the paid order: declined now, it was declined then, and nothing was taken.
                    return None, ChargeResult(ChargeStatus.ERROR, message=f"PayPal refused the payment: {exc}")
                # Anything else — rate limiting, credentials, or DUPLICATE_INVOICE_ID (the request
                # id was forgotten and this invoice is already paid!) — says nothing about what the
                # first request did: unknown, never failed (a failed order keeps no money, M3).
                return None, ChargeResult(ChargeStatus.UNDEFINED, detail={"issue": exc.issue or exc.name},
                                          message=f"PayPal refused to replay the payment request ({exc}); its "
                                                  f"webhook or the PayPal dashboard (invoice {txn}) tells; "
                                                  f"checked again later")
            provider_ref = created.get("id")
            if not provider_ref:
                return None, ChargeResult(ChargeStatus.UNDEFINED, message="PayPal answered without an order id")
        try:
            return self._gateway.get_order(provider_ref), None
        except PayPalUnknown as exc:
            return None, ChargeResult(ChargeStatus.UNDEFINED, provider_ref=provider_ref,
                                      message=f"{exc}; checked again later")
        except PayPalRefused as exc:
            if exc.http_status == 404:
                return None, ChargeResult(ChargeStatus.ERROR, provider_ref=provider_ref,
                                          message=f"PayPal has no order {provider_ref}; nothing was charged")
            return None, ChargeResult(ChargeStatus.UNDEFINED, provider_ref=provider_ref,
                                      message=f"PayPal refused to show the order: {exc}")

    # -- refunds -------------------------------------------------------------------------------------
    def refund(self, request: RefundRequest) -> ChargeResult:
        """Refund the order's capture (or a capture id) by `request.amount`."""
        if not self._ready():
            return self._not_ready(ChargeStatus.ERROR)
        capture_id = self._capture_id(request.provider_ref)
        if isinstance(capture_id, ChargeResult):
            return capture_id
        try:
            refund = self._gateway.refund_capture(capture_id, refund_body(request.amount, request.txn),
                                                  request.idempotency_key)
        except PayPalRefused as exc:
            status = ChargeStatus.UNDEFINED if exc.http_status in _PASSING else ChargeStatus.ERROR
            return ChargeResult(status, message=f"PayPal refused the refund: {exc}"
                                                + ("; asked again later" if status == ChargeStatus.UNDEFINED else ""),
                                detail={"capture_id": capture_id, "issue": exc.issue or exc.name})
        except PayPalUnknown as exc:
            # No refund id yet: the next try posts again with the same PayPal-Request-Id.
            return ChargeResult(ChargeStatus.UNDEFINED, message=f"{exc}; the refund is checked again with the same key",
                                detail={"capture_id": capture_id})
        return _refund_result(refund, request, capture_id)

    def refund_status(self, request: RefundRequest, refund_ref: str) -> ChargeResult:
        """Read refund `refund_ref` (GET /v2/payments/refunds/{id}): a PENDING refund is asked
        about by id, never by posting it again (a replayed POST answers PENDING forever)."""
        if not self._ready():
            return self._not_ready(ChargeStatus.UNDEFINED)
        try:
            refund = self._gateway.get_refund(refund_ref)
        except PayPalUnknown as exc:
            return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=refund_ref,
                                message=f"{exc}; the refund is checked again later")
        except PayPalRefused as exc:
            return ChargeResult(ChargeStatus.UNDEFINED, provider_ref=refund_ref,
                                message=f"PayPal would not show refund {refund_ref} now: {exc}")
        return _refund_result(refund, request, None)

    def _capture_id(self, provider_ref: str) -> str | ChargeResult:
        """The capture to refund: the order's last capture, or `provider_ref` itself if it is one.
        Its refusals carry no provider_ref: a refund's provider_ref is the refund's own id."""
        try:
            order = self._gateway.get_order(provider_ref)
        except PayPalUnknown as exc:
            return ChargeResult(ChargeStatus.UNDEFINED, message=f"{exc}; try again")
        except PayPalRefused as exc:
            if exc.http_status in _PASSING:
                return ChargeResult(ChargeStatus.UNDEFINED, message=f"PayPal refused to show the order: {exc}; "
                                                                    f"asked again later")
            if exc.http_status != 404:
                return ChargeResult(ChargeStatus.ERROR,
                                    message=f"PayPal refused to show the order: {exc}")
            return provider_ref
        capture = last_capture(order)
        if capture is None or not capture.get("id"):
            return ChargeResult(ChargeStatus.ERROR,
                                message="The PayPal order was never captured; there is nothing to refund")
        return capture["id"]

    # -- webhooks ------------------------------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Verify with PayPal's verify-webhook-signature API (M5); raise WebhookRejected unless
        it answers SUCCESS. Captures completed/denied carry a result; the rest are informational."""
        if not self._ready():
            raise WebhookRejected(self.configured().reason)
        return verify_and_parse(self._gateway, self._settings, headers, body)

    def _rebuilt(self, request: ChargeRequest | None) -> _SentCreate | None:
        """The create call `request` describes, as charge()/charge_saved() would have sent it."""
        if request is None:
            return None
        try:
            if request.saved_method:
                return _SentCreate(request.idempotency_key, vaulted_order(request), True)
            return _SentCreate(request.idempotency_key, checkout_order(request, self._settings), False)
        except InvalidInput:
            return None

    # -- memory of create calls ----------------------------------------------------------------------
    def _remember(self, txn: str, sent: _SentCreate) -> None:
        with self._lock:
            self._sent[txn] = sent
            self._sent.move_to_end(txn)
            while len(self._sent) > _REMEMBERED:
                self._sent.popitem(last=False)

    def _sent_for(self, txn: str) -> _SentCreate | None:
        with self._lock:
            return self._sent.get(txn)


def _refund_result(refund: dict, request: RefundRequest, capture_id: str | None) -> ChargeResult:
    """A PayPal refund as a result; provider_ref is the refund's own id (for refund_status)."""
    refund_id = refund.get("id")
    detail = {"capture_id": capture_id, "refund_id": refund_id, "refund_status": refund.get("status")}
    status = refund.get("status")
    if status == "COMPLETED":
        return ChargeResult(ChargeStatus.PROCESSED, money(refund.get("amount")) or request.amount,
                            provider_ref=refund_id, message="Refunded through PayPal", detail=detail)
    if status == "PENDING":
        return ChargeResult(ChargeStatus.PENDING, provider_ref=refund_id, detail=detail,
                            message="PayPal accepted the refund; it completes later")
    return ChargeResult(ChargeStatus.ERROR, provider_ref=refund_id, detail=detail,
                        message=f"PayPal did not complete the refund ({status or 'no status'})")


def capture_request_id(txn: str, order_id: str) -> str:
    """The PayPal-Request-Id of the capture: the same for every status() of one order, so a
    repeated or concurrent capture is the same capture."""
    return f"{txn}-capture-{order_id}"


def _with(result: ChargeResult, **changes) -> ChargeResult:
    return replace(result, **changes)


@hookimpl
def register_payment_methods(register, config):
    """Register the PayPal method, configured from `[plugins.paypal_pay]` and the environment."""
    register(PayPalMethod.from_config(config("paypal_pay")))


__all__ = ["PayPalMethod", "PayPalSettings", "capture_request_id", "register_payment_methods"]
