"""The emulator's Stripe account: Checkout Sessions, PaymentIntents, Customers, saved cards,
Refunds and Events, in memory behind one lock. Objects are kept as the JSON Stripe returns
(objects.py), so answering a request is copying a dict out.

The payer's side (pressing Pay or Decline on the hosted page) and the test controls (a saved
card that declines next time, a processing payment that settles) live here too: they change
the same objects Stripe would, and emit the same events."""
from __future__ import annotations

import threading
from typing import Callable

from ..jsoncopy import json_copy
from . import errors as err
from .clock import EmulatorClock
from .objects import (DECLINED_ON_PAGE, OFF_SESSION_FAILURES, REFUND_REASONS, SESSION_LIFETIME, SESSION_SHORTEST,
                      bool_param, build_event, card_error, card_object, customer_object, int_param, intent_object,
                      line_items_param, metadata_param, new_id, refund_object, session_object)
from .search import matches, parse_query


class StripeStore:
    """Thread-safe: every public method takes the one (re-entrant) lock."""

    def __init__(self, base_url: str = "", publish: Callable[[dict], None] | None = None,
                 clock: EmulatorClock | None = None):
        self.lock = threading.RLock()
        self.base_url = base_url
        self.clock = clock or EmulatorClock()   # the account's "now" (clock.py): tests move it
        self.publish = publish or (lambda event: None)   # hands new events to the webhook sender
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.sessions: dict[str, dict] = {}
            self.line_items: dict[str, list[dict]] = {}
            self.intents: dict[str, dict] = {}
            self.customers: dict[str, dict] = {}
            self.payment_methods: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.events: list[dict] = []
            self.idempotency: dict[tuple[str, str], dict] = {}   # (api key, Idempotency-Key) → stored answer
            self.charge_log: list[tuple[str, str]] = []          # (txn, payment intent) per successful charge
            self.refunded: dict[str, int] = {}                   # payment intent → amount refunded
            self.off_session_failures: dict[str, str] = {}       # payment method → its next charge's outcome
            self._order: dict[str, int] = {}                     # creation order, for newest-first lists

    # -- helpers ----------------------------------------------------------------------------------
    def _keep(self, table: dict, obj: dict) -> dict:
        self._order[obj["id"]] = len(self._order)
        table[obj["id"]] = obj
        return obj

    def _emit(self, type_: str, obj: dict) -> None:
        event = build_event(type_, json_copy(obj), created=self.clock.now())
        self.events.append(event)
        self.publish(json_copy(event))

    def _customer(self, ident: str, param: str = "customer") -> dict:
        customer = self.customers.get(ident)
        if customer is None:
            raise err.no_such("customer", ident, param)
        return customer

    def _session(self, ident: str) -> dict:
        session = self.sessions.get(ident)
        if session is None:
            raise err.no_such("checkout.session", ident)
        if session["status"] == "open" and self.clock.now() >= session["expires_at"]:
            intent = self.intents.get(session["payment_intent"] or "")
            if intent is None or intent["status"] != "processing":   # Stripe waits for a processing payment
                self._expire(session)
        return session

    def _succeed(self, intent: dict, txn: str | None = None) -> None:
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None,
                      latest_charge=new_id("ch_"))
        self.charge_log.append((intent["metadata"].get("txn") or txn or "", intent["id"]))
        self._emit("payment_intent.succeeded", intent)

    def _fail(self, intent: dict, outcome: tuple[str, str | None, str], pm: dict) -> dict:
        error = card_error(outcome, json_copy(pm))
        intent.update(status="requires_payment_method", last_payment_error=error, latest_charge=error["charge"])
        self._emit("payment_intent.payment_failed", intent)
        return error

    def _expire(self, session: dict) -> None:
        session["status"] = "expired"
        intent = self.intents.get(session["payment_intent"] or "")
        if intent is not None and intent["status"] not in ("succeeded", "canceled"):
            intent.update(status="canceled", canceled_at=self.clock.now(), cancellation_reason="abandoned")
        self._emit("checkout.session.expired", session)

    def _complete(self, session: dict, intent: dict) -> None:
        self._succeed(intent, session["metadata"].get("txn"))
        session.update(status="complete", payment_status="paid")
        self._emit("checkout.session.completed", session)

    def render_session(self, session: dict, expand: list[str]) -> dict:
        out = {k: json_copy(v) for k, v in session.items() if not k.startswith("_")}
        if "payment_intent" in expand and out["payment_intent"]:
            out["payment_intent"] = json_copy(self.intents[out["payment_intent"]])
        if "line_items" in expand:
            out["line_items"] = {"object": "list", "data": json_copy(self.line_items[session["id"]]),
                                 "has_more": False, "url": f"/v1/checkout/sessions/{session['id']}/line_items"}
        return out

    # -- customers and search -------------------------------------------------------------------------
    def create_customer(self, params: dict) -> dict:
        with self.lock:
            return json_copy(self._keep(self.customers, customer_object(params, self.clock.now())))

    def search(self, kind: str, params: dict) -> dict:
        """GET /v1/{customers,payment_intents}/search: newest first, `limit` (default 10)."""
        query = params.get("query")
        if not query:
            raise err.missing("query")
        clauses = parse_query(query)
        limit = int_param(params, "limit", 1) if params.get("limit") else 10
        with self.lock:
            pool = {"customers": self.customers, "payment_intents": self.intents}[kind]
            found = [json_copy(o) for o in sorted(pool.values(), key=lambda o: -self._order[o["id"]])
                     if matches(o, clauses)]
        return {"object": "search_result", "data": found[:limit], "has_more": len(found) > limit,
                "next_page": None, "url": f"/v1/{kind}/search", "total_count": len(found)}

    # -- checkout sessions --------------------------------------------------------------------------
    def create_session(self, params: dict) -> dict:
        mode = params.get("mode") or ""
        if not mode:
            raise err.missing("mode")
        if mode != "payment":
            raise err.invalid(f"The emulator supports mode=payment only, not '{mode}'.", "mode")
        items, currency = line_items_param(params)
        intent_data = params.get("payment_intent_data") or {}
        future = intent_data.get("setup_future_usage")
        if future not in (None, "off_session", "on_session"):
            raise err.invalid(f"Invalid setup_future_usage: {future}", "payment_intent_data[setup_future_usage]")
        created = self.clock.now()
        expires_at = _expires_at(params, created)
        with self.lock:
            if params.get("customer"):
                self._customer(params["customer"])
            ident = new_id("cs_test_", 58)
            session = session_object(ident, params, sum(i["amount_total"] for i in items), currency, expires_at,
                                     f"{self.base_url}/c/pay/{ident}", created)
            # Kept aside: what the PaymentIntent gets once the payer pays (Stripe creates it then).
            session["_intent_data"] = {"metadata": metadata_param(intent_data), "setup_future_usage": future,
                                       "description": intent_data.get("description")}
            self._keep(self.sessions, session)
            self.line_items[ident] = items
            return self.render_session(session, params.get("expand") or [])

    def session(self, ident: str, expand: list[str] = ()) -> dict:
        with self.lock:
            return self.render_session(self._session(ident), list(expand))

    def sessions_for(self, txn: str) -> list[dict]:
        """The sessions whose metadata `txn` is `txn`, oldest first (as of the account's clock)."""
        with self.lock:
            return [self.render_session(self._session(i), []) for i, s in list(self.sessions.items())
                    if s["metadata"].get("txn") == txn]

    def list_sessions(self, params: dict) -> dict:
        """GET /v1/checkout/sessions: newest first; `limit`, `starting_after`, `status`, `customer`,
        `payment_intent` and `created[gte|gt|lte|lt]` as in Stripe."""
        limit = min(int_param(params, "limit", 1) if params.get("limit") else 10, 100)
        created = params.get("created") if isinstance(params.get("created"), dict) else {}
        with self.lock:
            rows = [self._session(i) for i in sorted(self.sessions, key=lambda i: -self._order[i])]
            if params.get("starting_after"):
                ids = [s["id"] for s in rows]
                if params["starting_after"] not in ids:
                    raise err.no_such("checkout.session", params["starting_after"], "starting_after")
                rows = rows[ids.index(params["starting_after"]) + 1:]
            for name in ("status", "customer", "payment_intent"):
                if params.get(name):
                    rows = [s for s in rows if s[name] == params[name]]
            for op, test in (("gte", int.__ge__), ("gt", int.__gt__), ("lte", int.__le__), ("lt", int.__lt__)):
                if op in created:
                    bound = int_param(created, op)
                    rows = [s for s in rows if test(s["created"], bound)]
            data = [self.render_session(s, params.get("expand") or []) for s in rows[:limit]]
        return {"object": "list", "data": data, "has_more": len(rows) > limit, "url": "/v1/checkout/sessions"}

    def expire_session(self, ident: str) -> dict:
        with self.lock:
            session = self._session(ident)
            if session["status"] != "open":
                raise err.invalid(f"Only Checkout Sessions with a status in [\"open\"] can be expired. "
                                  f"This session has a status of \"{session['status']}\".")
            intent = self.intents.get(session["payment_intent"] or "")
            if intent is not None and intent["status"] == "processing":
                raise err.invalid("This Checkout Session has a payment that is processing; it cannot be "
                                  "expired until the payment completes.")
            self._expire(session)
            return self.render_session(session, [])

    # -- the payer, on the hosted page ------------------------------------------------------------------
    def pay_session(self, ident: str, *, decline: bool = False, pending: bool = False) -> dict:
        """The payer presses Pay (a card that succeeds), or pays with a card that is declined (the
        session stays open), or — `pending` — the payment is left processing until `settle()`."""
        with self.lock:
            session = self._session(ident)
            if session["status"] != "open":
                raise err.invalid(f"This Checkout Session is {session['status']}; it can no longer be paid.")
            intent = self.intents.get(session["payment_intent"] or "")
            if intent is not None and intent["status"] == "processing":
                raise err.invalid("A payment for this Checkout Session is already processing.")
            data = session["_intent_data"]
            if intent is None:
                intent = self._keep(self.intents, intent_object(
                    session["amount_total"], session["currency"], customer=session["customer"],
                    metadata=dict(data["metadata"]), description=data["description"],
                    setup_future_usage=data["setup_future_usage"], created=self.clock.now()))
                session["payment_intent"] = intent["id"]
            if decline:
                pm = self._keep(self.payment_methods, card_object("0002", None, self.clock.now()))
                intent["payment_method"] = pm["id"]
                self._fail(intent, DECLINED_ON_PAGE, pm)
                return self.render_session(session, [])
            if data["setup_future_usage"] and not session["customer"]:
                # Saving a card needs a customer: Checkout creates one (customer_creation).
                session["customer"] = intent["customer"] = self.create_customer({})["id"]
            owner = session["customer"] if data["setup_future_usage"] else None
            intent["payment_method"] = self._keep(self.payment_methods, card_object("4242", owner, self.clock.now()))["id"]
            session["customer_details"] = {"email": session["customer_email"], "name": "Emulated Payer"}
            if pending:
                intent["status"] = "processing"
            else:
                self._complete(session, intent)
            return self.render_session(session, [])

    # -- payment intents (off-session charges of saved cards) ----------------------------------------
    def create_payment_intent(self, params: dict, *, pending: bool = False) -> dict:
        amount = int_param(params, "amount", 1)
        currency = (params.get("currency") or "").lower()
        if not currency:
            raise err.missing("currency")
        confirm, off_session = bool_param(params, "confirm"), params.get("off_session") not in (None, "false")
        if off_session and not confirm:
            raise err.invalid("off_session can only be used when confirm=true.", "off_session")
        with self.lock:
            customer = params.get("customer")
            if customer:
                self._customer(customer)
            pm = self._card_of(customer, params.get("payment_method"), required=confirm)
            intent = self._keep(self.intents, intent_object(
                amount, currency, customer=customer, metadata=metadata_param(params),
                description=params.get("description"), setup_future_usage=params.get("setup_future_usage"),
                created=self.clock.now()))
            if not confirm:
                return json_copy(intent)
            intent["payment_method"] = pm["id"]
            failure = self.off_session_failures.pop(pm["id"], None)
            if failure is not None:
                error = self._fail(intent, OFF_SESSION_FAILURES[failure], pm)
                raise err.StripeApiError(402, "card_error", error["message"], code=error["code"],
                                         decline_code=error["decline_code"], charge=error["charge"],
                                         payment_intent=json_copy(intent), payment_method=json_copy(pm))
            if pending:
                intent["status"] = "processing"
            else:
                self._succeed(intent)
            return json_copy(intent)

    def _card_of(self, customer: str | None, ident: str | None, required: bool) -> dict | None:
        if not ident:
            if required:
                raise err.missing("payment_method")
            return None
        pm = self.payment_methods.get(ident)
        if pm is None:
            raise err.no_such("PaymentMethod", ident, "payment_method")
        if pm["customer"] != customer:
            raise err.invalid(f"The PaymentMethod {ident} does not belong to the Customer {customer}. Please use "
                              f"a PaymentMethod that belongs to this Customer.", "payment_method")
        return pm

    def payment_intent(self, ident: str) -> dict:
        with self.lock:
            intent = self.intents.get(ident)
            if intent is None:
                raise err.no_such("payment_intent", ident)
            return json_copy(intent)

    # -- refunds --------------------------------------------------------------------------------------
    def create_refund(self, params: dict, *, pending: bool = False) -> dict:
        with self.lock:
            ident = params.get("payment_intent")
            if not ident:
                raise err.missing("payment_intent")
            intent = self.intents.get(ident)
            if intent is None:
                raise err.no_such("payment_intent", ident, "payment_intent")
            if intent["status"] != "succeeded":
                raise err.invalid(f"This PaymentIntent ({ident}) does not have a successful charge to refund.",
                                  "payment_intent")
            left = intent["amount_received"] - self.refunded.get(ident, 0)
            if left <= 0:
                raise err.invalid(f"Charge {intent['latest_charge']} has already been refunded.",
                                  code="charge_already_refunded")
            amount = int_param(params, "amount", 1) if params.get("amount") else left
            if amount > left:
                raise err.invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                                  "amount", "amount_too_large")
            reason = params.get("reason")
            if reason is not None and reason not in REFUND_REASONS:
                raise err.invalid(f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", "reason")
            self.refunded[ident] = self.refunded.get(ident, 0) + amount
            refund = refund_object(intent, amount, reason, metadata_param(params),
                                   "pending" if pending else "succeeded", self.clock.now())
            return json_copy(self._keep(self.refunds, refund))

    def refund(self, ident: str) -> dict:
        with self.lock:
            refund = self.refunds.get(ident)
            if refund is None:
                raise err.no_such("refund", ident)
            return json_copy(refund)

    # -- test controls --------------------------------------------------------------------------------
    def fail_next_off_session(self, payment_method: str, outcome: str = "card_declined") -> None:
        if outcome not in OFF_SESSION_FAILURES:
            raise ValueError(f"outcome: one of {', '.join(OFF_SESSION_FAILURES)}, not {outcome!r}")
        pm = payment_method.rpartition("/")[2]   # accepts the plugin's "cus_…/pm_…" token too
        with self.lock:
            if pm not in self.payment_methods:
                raise KeyError(f"no such payment method: {pm}")
            self.off_session_failures[pm] = outcome

    def settle(self, ident: str, succeeded: bool = True) -> dict:
        """Finish what a `pending` fault left processing: a PaymentIntent (by its id or its
        session's) or a refund."""
        with self.lock:
            if ident in self.refunds:
                refund = self.refunds[ident]
                if refund["status"] == "pending":
                    refund["status"] = "succeeded" if succeeded else "failed"
                    if not succeeded:
                        self.refunded[refund["payment_intent"]] -= refund["amount"]
                return json_copy(refund)
            session = self.sessions.get(ident)
            intent = self.intents.get((session["payment_intent"] or "") if session else ident)
            if intent is None or intent["status"] != "processing":
                raise KeyError(f"{ident}: nothing is processing")
            owner = next((s for s in self.sessions.values() if s["payment_intent"] == intent["id"]), None)
            if not succeeded:
                self._fail(intent, DECLINED_ON_PAGE, self.payment_methods[intent["payment_method"]])
            elif owner is not None:
                self._complete(owner, intent)
            else:
                self._succeed(intent)
            return json_copy(intent)

    def charges_for(self, txn: str) -> int:
        with self.lock:
            return sum(1 for t, _ in self.charge_log if t == txn)


def _expires_at(params: dict, created: int) -> int:
    """Checkout's `expires_at`: 24 hours after creation by default; given, it must fall 30
    minutes to 24 hours after creation — refused otherwise with Stripe's own messages."""
    if not params.get("expires_at"):
        return created + SESSION_LIFETIME
    expires_at = int_param(params, "expires_at")
    if expires_at < created + SESSION_SHORTEST:
        raise err.invalid("The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                          "expires_at")
    if expires_at > created + SESSION_LIFETIME:
        raise err.invalid("The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                          "expires_at")
    return expires_at
