"""Stripe's objects as the API returns them — `object`, id prefixes (cs_, pi_, cus_, pm_, re_,
evt_), `livemode: false`, amounts in minor units, lower-case currencies — and the checks Stripe
makes on the parameters that build them. Pure functions: state lives in store.py."""
from __future__ import annotations

import random
import string
import time

from . import errors as err

API_VERSION = "2026-10-28.endive"      # the API version these shapes follow (stripe-python 16's)
SESSION_LIFETIME = 24 * 3600           # Stripe's default and longest: a session can be paid for 24 hours
SESSION_SHORTEST = 30 * 60             # the shortest `expires_at` Stripe accepts after creation
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
# What a card can answer: (code, decline_code, message). The first four are what a test can make
# a saved card answer on its next off-session charge.
OFF_SESSION_FAILURES = {
    "card_declined": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "authentication_required": ("authentication_required", "authentication_required",
                                "Your card was declined. This transaction requires authentication."),
    "expired_card": ("expired_card", None, "Your card has expired."),
}
DECLINED_ON_PAGE = OFF_SESSION_FAILURES["card_declined"]
_ALPHABET = string.ascii_letters + string.digits
# Ids only need to be unique and look like Stripe's; a test-mode emulator holds no real secret.
# secrets.choice per character was a fifth of the emulator's CPU per request.
_ids = random.Random()   # seeded from os.urandom


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(_ids.choices(_ALPHABET, k=length))


# -- parameters ---------------------------------------------------------------------------------------
def int_param(params: dict, name: str, minimum: int = 0) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        raise err.missing(name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise err.invalid(f"Invalid integer: {raw}", name) from None
    if value < minimum:
        raise err.invalid(f"This value must be greater than or equal to {minimum}.", name)
    return value


def bool_param(params: dict, name: str) -> bool:
    return str(params.get(name, "false")).lower() == "true"


def metadata_param(params: dict, name: str = "metadata") -> dict:
    raw = params.get(name) or {}
    if not isinstance(raw, dict):
        raise err.invalid("Invalid object", name)
    return {k: str(v) for k, v in raw.items() if v != ""}


def line_items_param(params: dict) -> tuple[list[dict], str]:
    """Checkout's `line_items[i][price_data]…` as line-item objects, and their one currency."""
    lines = params.get("line_items")
    if not lines or not isinstance(lines, list):
        raise err.missing("line_items")
    items, currency = [], None
    for i, line in enumerate(lines):
        where = f"line_items[{i}]"
        data = line.get("price_data") if isinstance(line, dict) else None
        if not isinstance(data, dict):
            raise err.missing(f"{where}[price_data]")
        cur = (data.get("currency") or "").lower()
        if not cur:
            raise err.missing(f"{where}[price_data][currency]")
        if currency not in (None, cur):
            raise err.invalid("All line items must use the same currency.", f"{where}[price_data][currency]")
        currency = cur
        unit = int_param(data, "unit_amount")
        name = (data.get("product_data") or {}).get("name")
        if not name:
            raise err.missing(f"{where}[price_data][product_data][name]")
        quantity = int_param(line, "quantity", 1)
        items.append({"id": new_id("li_"), "object": "item", "amount_subtotal": unit * quantity,
                      "amount_total": unit * quantity, "currency": cur, "description": name, "quantity": quantity,
                      "price": {"object": "price", "unit_amount": unit, "currency": cur,
                                "product": new_id("prod_", 14)}})
    return items, currency


# -- objects --------------------------------------------------------------------------------------------
def build_event(type_: str, obj: dict, event_id: str | None = None, created: int | None = None) -> dict:
    """An event envelope around `obj` (a session or payment intent dict), as Stripe delivers it
    (`created`: the emulator's clock; default the wall clock, for tests that build events by hand)."""
    return {"id": event_id or new_id("evt_"), "object": "event", "api_version": API_VERSION,
            "created": int(time.time()) if created is None else created, "data": {"object": obj},
            "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
            "type": type_}


def session_object(ident: str, params: dict, total: int, currency: str, expires_at: int, url: str,
                   created: int) -> dict:
    customer = params.get("customer") or None
    return {"id": ident, "object": "checkout.session", "amount_subtotal": total, "amount_total": total,
            "cancel_url": params.get("cancel_url"), "client_reference_id": params.get("client_reference_id"),
            "created": created, "currency": currency, "customer": customer,
            "customer_creation": None if customer else "if_required", "customer_details": None,
            "customer_email": params.get("customer_email"), "expires_at": expires_at, "livemode": False,
            "locale": None, "metadata": metadata_param(params), "mode": "payment", "payment_intent": None,
            "payment_method_types": ["card"], "payment_status": "unpaid", "status": "open",
            "success_url": params.get("success_url"),
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}, "url": url}


def intent_object(amount: int, currency: str, *, customer: str | None, metadata: dict, description: str | None,
                  setup_future_usage: str | None, created: int) -> dict:
    ident = new_id("pi_")
    return {"id": ident, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_received": 0, "capture_method": "automatic",
            "client_secret": f"{ident}_secret_{new_id('', 25)}", "confirmation_method": "automatic",
            "created": created, "currency": currency, "customer": customer, "description": description,
            "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": metadata,
            "next_action": None, "payment_method": None, "payment_method_types": ["card"],
            "setup_future_usage": setup_future_usage, "status": "requires_payment_method", "canceled_at": None,
            "cancellation_reason": None}


def customer_object(params: dict, created: int) -> dict:
    return {"id": new_id("cus_", 14), "object": "customer", "created": created,
            "description": params.get("description"), "email": params.get("email"), "name": params.get("name"),
            "metadata": metadata_param(params), "livemode": False,
            "invoice_settings": {"default_payment_method": None}, "balance": 0, "currency": None}


def card_object(last4: str, customer: str | None, created: int) -> dict:
    return {"id": new_id("pm_"), "object": "payment_method", "type": "card", "created": created,
            "customer": customer, "livemode": False, "metadata": {},
            "billing_details": {"name": None, "email": None},
            "card": {"brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2034, "country": "US",
                     "funding": "credit"}}


def refund_object(intent: dict, amount: int, reason: str | None, metadata: dict, status: str,
                  created: int) -> dict:
    return {"id": new_id("re_"), "object": "refund", "amount": amount, "charge": intent["latest_charge"],
            "created": created, "currency": intent["currency"], "metadata": metadata,
            "payment_intent": intent["id"], "reason": reason, "status": status}


def card_error(outcome: tuple[str, str | None, str], pm: dict) -> dict:
    code, decline_code, message = outcome
    return {"type": "card_error", "code": code, "decline_code": decline_code, "message": message,
            "charge": new_id("ch_"), "payment_method": pm}
