"""The PayPal emulator's in-memory state and business rules, independent of HTTP.

Orders v2 as PayPal runs them: an order is CREATED (or PAYER_ACTION_REQUIRED when a PayPal
payment source with an experience context was given), becomes APPROVED when the payer approves
on the hosted page, and COMPLETED when the merchant captures it. A vaulted PayPal account
(`payment_source.paypal.vault_id`) is charged at once: the create call answers COMPLETED.

Everything is guarded by one lock: the server answers each request on its own thread, and the
SDK polls and captures concurrently. Refusals raise errors.ApiError (PayPal's error JSON).
"""
from __future__ import annotations

import datetime as dt
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from ..jsoncopy import json_copy
from .errors import check_amount, from_minor, invalid_request, not_found, to_minor, unprocessable

_ALPHANUM = string.ascii_uppercase + string.digits


def new_id(length: int = 17) -> str:
    """PayPal-style resource id: 17 upper-case letters and digits (e.g. 5O190127TN364715T)."""
    return "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Capture:
    id: str
    order_id: str
    amount: dict
    status: str                       # COMPLETED, PENDING, DECLINED, REFUNDED, PARTIALLY_REFUNDED
    custom_id: str | None
    invoice_id: str | None
    create_time: str
    status_reason: str | None = None  # PENDING_REVIEW, … (status_details.reason)
    refunded_minor: int = 0

    def as_json(self, base_url: str) -> dict:
        answer = {
            "id": self.id, "status": self.status, "amount": dict(self.amount), "final_capture": True,
            "seller_protection": {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED",
                                                                               "UNAUTHORIZED_TRANSACTION"]},
            "create_time": self.create_time, "update_time": self.create_time,
            "supplementary_data": {"related_ids": {"order_id": self.order_id}},
            "links": [
                {"href": f"{base_url}/v2/payments/captures/{self.id}", "rel": "self", "method": "GET"},
                {"href": f"{base_url}/v2/payments/captures/{self.id}/refund", "rel": "refund", "method": "POST"},
                {"href": f"{base_url}/v2/checkout/orders/{self.order_id}", "rel": "up", "method": "GET"},
            ],
        }
        if self.custom_id is not None:
            answer["custom_id"] = self.custom_id
        if self.invoice_id is not None:
            answer["invoice_id"] = self.invoice_id
        if self.status_reason:
            answer["status_details"] = {"reason": self.status_reason}
        return answer


@dataclass
class Order:
    id: str
    intent: str
    purchase_unit: dict               # as sent (amount, custom_id, invoice_id, reference_id, …)
    status: str
    create_time: str
    experience: dict = field(default_factory=dict)   # payment_source.paypal.experience_context
    vault_requested: bool = False     # store_in_vault ON_SUCCESS
    vault_usage_type: str | None = None
    paypal_source: bool = False       # created with payment_source.paypal
    vault_id: str | None = None       # set when captured with a vault request, or charged from one
    payer_approved: bool = False
    capture_ids: list[str] = field(default_factory=list)

    @property
    def custom_id(self) -> str | None:
        return self.purchase_unit.get("custom_id")

    @property
    def invoice_id(self) -> str | None:
        return self.purchase_unit.get("invoice_id")


@dataclass
class VaultToken:
    id: str
    customer_id: str
    payer_email: str
    usage_type: str


PAYER = {"name": {"given_name": "Emu", "surname": "Payer"}, "email_address": "payer@emulator.invalid",
         "payer_id": "EMUPAYER00001", "address": {"country_code": "SG"}}


class PayPalState:
    """Orders, captures, refunds, vault tokens and idempotency records, behind one lock."""

    def __init__(self, base_url_of: Callable[[], str]):
        self._base_url_of = base_url_of
        self.lock = threading.RLock()
        self.orders: dict[str, Order] = {}
        self.captures: dict[str, Capture] = {}
        self.refunds: dict[str, dict] = {}
        self.vault: dict[str, VaultToken] = {}
        self.idempotency: dict[tuple[str, str], tuple[int, dict]] = {}
        self.decline_next_vault: list[str] = []   # issues to answer the next vaulted charges with
        self.decline_next_captures = 0
        self.pending_next_captures = 0
        self.on_event: Callable[[str, dict], None] = lambda event_type, resource: None

    @property
    def base_url(self) -> str:
        return self._base_url_of()

    def reset(self) -> None:
        with self.lock:
            self.orders.clear()
            self.captures.clear()
            self.refunds.clear()
            self.vault.clear()
            self.idempotency.clear()
            self.decline_next_vault.clear()
            self.decline_next_captures = 0
            self.pending_next_captures = 0

    # -- idempotency: PayPal-Request-Id → the stored answer -------------------------------------
    def replay(self, scope: str, request_id: str | None) -> tuple[int, dict] | None:
        """The stored answer of an earlier call with this PayPal-Request-Id, if any. Like PayPal,
        the key alone decides: a retry gets the original answer whatever body it sends."""
        if not request_id:
            return None
        stored = self.idempotency.get((scope, request_id))
        if stored is None:
            return None
        return 200, json_copy(stored[1])

    def remember(self, scope: str, request_id: str | None, status: int, body: dict) -> None:
        if request_id:
            self.idempotency[(scope, request_id)] = (status, json_copy(body))

    # -- orders -----------------------------------------------------------------------------------
    def create_order(self, body: dict, request_id: str | None, force_pending: bool = False) -> tuple[int, dict]:
        """POST /v2/checkout/orders. A vaulted PayPal source is charged at once (endpoint
        "vault_charge"); anything else waits for the payer."""
        intent = body.get("intent")
        if intent not in ("CAPTURE", "AUTHORIZE"):
            raise invalid_request("INVALID_PARAMETER_VALUE", "intent must be CAPTURE or AUTHORIZE.", "/intent")
        if intent != "CAPTURE":
            raise unprocessable("NOT_SUPPORTED", "The emulator supports intent CAPTURE only.")
        units = body.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1:
            raise invalid_request("INVALID_ARRAY_MAX_ITEMS" if units else "MISSING_REQUIRED_PARAMETER",
                                  "Exactly one purchase unit is supported.", "/purchase_units")
        unit = json_copy(units[0])
        check_amount(unit.get("amount"), "/purchase_units/@reference_id=='default'/amount")
        unit.setdefault("reference_id", "default")
        paypal = (body.get("payment_source") or {}).get("paypal")
        vault_id = (paypal or {}).get("vault_id")
        if vault_id and not request_id:
            raise invalid_request("PAYPAL_REQUEST_ID_REQUIRED",
                                  "A PayPal-Request-Id is required if you are trying to process payment for an Order.")
        with self.lock:
            order = Order(id=new_id(), intent=intent, purchase_unit=unit, status="CREATED",
                          create_time=now_iso(), paypal_source=paypal is not None)
            if paypal is not None:
                order.experience = dict(paypal.get("experience_context") or {})
                vault = ((paypal.get("attributes") or {}).get("vault") or {})
                if vault.get("store_in_vault") == "ON_SUCCESS":
                    order.vault_requested = True
                    order.vault_usage_type = vault.get("usage_type") or "MERCHANT"
            if vault_id:
                return self._charge_vaulted(order, vault_id, force_pending)
            order.status = "PAYER_ACTION_REQUIRED" if paypal is not None else "CREATED"
            self.orders[order.id] = order
            return 201, self.order_json(order, minimal=True)

    def _charge_vaulted(self, order: Order, vault_id: str, force_pending: bool) -> tuple[int, dict]:
        token = self.vault.get(vault_id)
        if token is None:
            raise unprocessable("PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED",
                                "The vault_id does not match a saved PayPal account.")
        if self.decline_next_vault:
            issue = self.decline_next_vault.pop(0)
            raise unprocessable(issue, "The instrument presented was either declined by the processor or bank, "
                                       "or it can't be used for this payment.")
        self._check_invoice_unpaid(order)
        order.vault_id = vault_id
        order.payer_approved = True
        self.orders[order.id] = order
        self._capture(order, force_pending)
        return 201, self.order_json(order, minimal=False)

    def get_order(self, order_id: str) -> dict:
        with self.lock:
            return self.order_json(self._order(order_id), minimal=False)

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found(f"order {order_id}")
        return order

    def approve(self, order_id: str) -> Order:
        """The payer approves on the hosted page (or a test says it did)."""
        with self.lock:
            order = self._order(order_id)
            if order.status not in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
                raise unprocessable("ORDER_NOT_APPROVABLE" if order.status != "COMPLETED" else "ORDER_ALREADY_CAPTURED",
                                    f"The order is {order.status} and cannot be approved.")
            first = order.status != "APPROVED"
            order.status = "APPROVED"
            order.payer_approved = True
            resource = self.order_json(order, minimal=False)
        if first:
            self.on_event("CHECKOUT.ORDER.APPROVED", resource)
        return order

    def payer_cancel(self, order_id: str) -> Order:
        """The payer clicks Cancel. Real PayPal only sends them to cancel_url and lets the order
        expire unapproved; the emulator voids it at once so a desk's status check sees the end."""
        with self.lock:
            order = self._order(order_id)
            if order.status in ("COMPLETED",):
                raise unprocessable("ORDER_ALREADY_CAPTURED", "The order was already captured.")
            order.status = "VOIDED"
            return order

    def capture_order(self, order_id: str, force_pending: bool = False) -> tuple[int, dict]:
        with self.lock:
            order = self._order(order_id)
            if order.status == "COMPLETED":
                raise unprocessable("ORDER_ALREADY_CAPTURED", "Order already captured.If 'intent=CAPTURE' only "
                                                              "one capture per order is allowed.")
            if order.status != "APPROVED":
                raise unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment. "
                                                          "Please redirect the payer to the 'rel':'approve' url "
                                                          "returned as part of the HATEOAS links within the Create "
                                                          "Order call or provide a valid payment_source in the "
                                                          "request.")
            self._check_invoice_unpaid(order)
            self._capture(order, force_pending)
            return 201, self.order_json(order, minimal=False)

    def _check_invoice_unpaid(self, order: Order) -> None:
        # PayPal's default "block duplicate invoice ids": a second payment for one invoice is refused.
        if order.invoice_id is None:
            return
        for capture in self.captures.values():
            if capture.invoice_id == order.invoice_id and capture.status in (
                    "COMPLETED", "PENDING", "REFUNDED", "PARTIALLY_REFUNDED"):
                raise unprocessable("DUPLICATE_INVOICE_ID", "Duplicate Invoice ID detected. To avoid a potential "
                                                            "duplicate transaction your account setting requires "
                                                            "that Invoice Id be unique for each transaction.")

    def _capture(self, order: Order, force_pending: bool) -> Capture:
        status, reason = "COMPLETED", None
        if self.decline_next_captures:
            self.decline_next_captures -= 1
            status = "DECLINED"
        elif force_pending or self.pending_next_captures:
            if not force_pending:
                self.pending_next_captures -= 1
            status, reason = "PENDING", "PENDING_REVIEW"
        unit = order.purchase_unit
        capture = Capture(id=new_id(), order_id=order.id, amount=dict(unit["amount"]), status=status,
                          custom_id=unit.get("custom_id"), invoice_id=unit.get("invoice_id"),
                          create_time=now_iso(), status_reason=reason)
        self.captures[capture.id] = capture
        order.capture_ids.append(capture.id)
        order.status = "COMPLETED"
        if status != "DECLINED" and order.vault_requested and order.vault_id is None:
            token = VaultToken(id=new_id(8).lower(), customer_id=new_id(10), payer_email=PAYER["email_address"],
                               usage_type=order.vault_usage_type or "MERCHANT")
            self.vault[token.id] = token
            order.vault_id = token.id
        self._announce_capture(capture)
        return capture

    def _announce_capture(self, capture: Capture) -> None:
        event = {"COMPLETED": "PAYMENT.CAPTURE.COMPLETED", "DECLINED": "PAYMENT.CAPTURE.DENIED",
                 "PENDING": "PAYMENT.CAPTURE.PENDING"}.get(capture.status)
        if event:
            self.on_event(event, capture.as_json(self.base_url))

    def settle_pending_capture(self, capture_id: str, complete: bool = True) -> Capture:
        """A PENDING capture clears (COMPLETED) or is denied (DECLINED), as PayPal's review ends."""
        with self.lock:
            capture = self.captures.get(capture_id)
            if capture is None:
                raise not_found(f"capture {capture_id}")
            if capture.status != "PENDING":
                raise unprocessable("CAPTURE_STATUS_NOT_VALID", f"The capture is {capture.status}, not PENDING.")
            capture.status = "COMPLETED" if complete else "DECLINED"
            capture.status_reason = None
            self._announce_capture(capture)
            return capture

    # -- payments: captures and refunds -----------------------------------------------------------
    def get_capture(self, capture_id: str) -> dict:
        with self.lock:
            capture = self.captures.get(capture_id)
            if capture is None:
                raise not_found(f"capture {capture_id}")
            return capture.as_json(self.base_url)

    def refund_capture(self, capture_id: str, body: dict, force_pending: bool = False) -> tuple[int, dict]:
        with self.lock:
            capture = self.captures.get(capture_id)
            if capture is None:
                raise not_found(f"capture {capture_id}")
            if capture.status not in ("COMPLETED", "PARTIALLY_REFUNDED"):
                raise unprocessable("CAPTURE_FULLY_REFUNDED" if capture.status == "REFUNDED" else "REFUND_NOT_ALLOWED",
                                    f"The capture is {capture.status} and cannot be refunded.")
            currency = capture.amount["currency_code"]
            captured = to_minor(capture.amount["value"], currency)
            left = captured - capture.refunded_minor
            amount = (body or {}).get("amount")
            if amount is None:
                wanted = left
            else:
                check_amount(amount, "/amount")
                if amount["currency_code"] != currency:
                    raise unprocessable("REFUND_CURRENCY_MISMATCH",
                                        "Refund must be in the same currency as the capture.")
                wanted = to_minor(amount["value"], currency)
            if wanted > left or wanted <= 0:
                raise unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the "
                                                              "capture amount that has not yet been refunded.")
            refund = {"id": new_id(), "status": "PENDING" if force_pending else "COMPLETED",
                      "amount": {"currency_code": currency, "value": from_minor(wanted, currency)},
                      "create_time": now_iso(),
                      "links": [{"href": f"{self.base_url}/v2/payments/refunds/__ID__", "rel": "self", "method": "GET"},
                                {"href": f"{self.base_url}/v2/payments/captures/{capture.id}", "rel": "up",
                                 "method": "GET"}]}
            refund["links"][0]["href"] = refund["links"][0]["href"].replace("__ID__", refund["id"])
            if body and body.get("invoice_id"):
                refund["invoice_id"] = body["invoice_id"]
            capture.refunded_minor += wanted
            capture.status = "REFUNDED" if capture.refunded_minor == captured else "PARTIALLY_REFUNDED"
            self.refunds[refund["id"]] = {**refund, "capture_id": capture.id}
            resource = json_copy(refund)
        self.on_event("PAYMENT.CAPTURE.REFUNDED", {**resource, "custom_id": capture.custom_id})
        return 201, resource

    def get_refund(self, refund_id: str) -> dict:
        """GET /v2/payments/refunds/{id}: the refund as it stands now (a replayed refund POST
        keeps answering what it first answered)."""
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise not_found(f"refund {refund_id}")
            return {k: json_copy(v) for k, v in refund.items() if k != "capture_id"}

    def settle_refund(self, refund_id: str) -> dict:
        """Control: a PENDING refund completes (PayPal's side, later)."""
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise not_found(f"refund {refund_id}")
            refund["status"] = "COMPLETED"
        return self.get_refund(refund_id)

    # -- reading ------------------------------------------------------------------------------------
    def captures_for(self, txn: str) -> int:
        """Successful captures whose custom_id is `txn` (COMPLETED, PENDING or later refunded):
        what a test needs to prove "charged at most once"."""
        with self.lock:
            return sum(1 for c in self.captures.values()
                       if c.custom_id == txn and c.status in ("COMPLETED", "PENDING", "REFUNDED", "PARTIALLY_REFUNDED"))

    def orders_for(self, txn: str) -> list[str]:
        with self.lock:
            return [o.id for o in self.orders.values() if o.custom_id == txn]

    def order_json(self, order: Order, minimal: bool) -> dict:
        base = self.base_url
        links = [{"href": f"{base}/v2/checkout/orders/{order.id}", "rel": "self", "method": "GET"}]
        if order.status in ("CREATED", "PAYER_ACTION_REQUIRED"):
            rel = "payer-action" if order.paypal_source else "approve"
            links.append({"href": f"{base}/checkoutnow?token={order.id}", "rel": rel, "method": "GET"})
            if not order.paypal_source:
                links.append({"href": f"{base}/v2/checkout/orders/{order.id}", "rel": "update", "method": "PATCH"})
        if order.status == "APPROVED" or (order.status == "CREATED" and not order.paypal_source):
            links.append({"href": f"{base}/v2/checkout/orders/{order.id}/capture", "rel": "capture",
                          "method": "POST"})
        answer: dict[str, Any] = {"id": order.id, "status": order.status}
        source = self._payment_source(order)
        if source is not None:
            answer["payment_source"] = source
        if minimal:
            answer["links"] = links
            return answer
        unit = json_copy(order.purchase_unit)
        unit["payee"] = {"email_address": "merchant@emulator.invalid", "merchant_id": "EMUMERCHANT01"}
        if order.capture_ids:
            unit["payments"] = {"captures": [self.captures[c].as_json(base) for c in order.capture_ids]}
        answer.update({"intent": order.intent, "purchase_units": [unit], "create_time": order.create_time,
                       "links": links})
        if order.payer_approved:
            answer["payer"] = json_copy(PAYER)
        return answer

    def _payment_source(self, order: Order) -> dict | None:
        if not order.paypal_source:
            return None
        paypal: dict[str, Any] = {}
        if order.payer_approved:
            paypal.update({"email_address": PAYER["email_address"], "account_id": PAYER["payer_id"],
                           "account_status": "VERIFIED", "name": json_copy(PAYER["name"]),
                           "address": dict(PAYER["address"])})
        if order.vault_id:
            token = self.vault.get(order.vault_id)
            vault = {"id": order.vault_id, "status": "VAULTED",
                     "links": [{"href": f"{self.base_url}/v3/vault/payment-tokens/{order.vault_id}",
                                "rel": "self", "method": "GET"}]}
            if token is not None:
                vault["customer"] = {"id": token.customer_id}
            paypal["attributes"] = {"vault": vault}
        elif order.vault_requested and order.payer_approved and order.status != "COMPLETED":
            # Approved with "save my PayPal": the token is created when the capture succeeds.
            paypal["attributes"] = {"vault": {"status": "APPROVED"}}
        return {"paypal": paypal}
