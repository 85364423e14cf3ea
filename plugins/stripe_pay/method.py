"""The Stripe payment method: one-off payments on a hosted Checkout Session, saved cards for
auto-renew (R7), off-session charges, refunds and signed webhooks — through the official
`stripe` SDK (a StripeClient per method, no module-global state), talking to `api_base`.

Every call that can move money carries the attempt's idempotency key (M1), so a retry — by the
SDK, by reconciliation, by an operator — replays Stripe's first answer instead of charging
again. Nothing here raises for a payment problem: declines end in ERROR with a message, lost
answers in UNDEFINED (M3), and `status()` finds the truth later, by reference or by txn."""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any, Mapping

from smartpay.core.domain import Grant
from smartpay.core.money import CREDIT
from smartpay.core.plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility, PaymentMethod,
                                       RefundRequest, WebhookEvent)

from . import outcomes
from .expiry import session_expires_at
from .outcomes import SAVED_SEPARATOR, failure, intent_result, session_result
from .settings import StripeSettings
from .webhook import parse_event

log = logging.getLogger("smartpay.plugins.stripe_pay")
NOT_CONFIGURED = "Stripe is not configured: set STRIPE_API_KEY or plugins.stripe_pay.api_key"
NO_SUCCESS_URL = ("Stripe is not configured: set plugins.stripe_pay.success_url (the page Stripe sends the "
                  "payer to after paying)")
__version__ = "1.0.0"


class StripeMethod(PaymentMethod):
    key = "stripe"
    label = "Stripe"
    family = Grant.REGULAR
    supports_auto_renew = True
    partial_tender = False
    currencies = None
    settles_in_core = False
    version = __version__

    def __init__(self, settings: StripeSettings | None = None):
        # No settings: registered but not configured (the conformance kit and the plugin list use this).
        self._settings = settings or StripeSettings()
        self._client: Any = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StripeMethod(api_base={self._settings.api_base!r}, configured={self.configured().eligible})"

    @property
    def settings(self) -> StripeSettings:
        return self._settings

    def configured(self) -> Eligibility:
        if not self._settings.api_key:
            return Eligibility.no(NOT_CONFIGURED)
        if not self._settings.success_url:
            return Eligibility.no(NO_SUCCESS_URL)
        return Eligibility.ok()

    def describe(self) -> dict:
        return {**super().describe(), "api_base": self._settings.api_base,
                "configured": self.configured().eligible}

    # -- the SDK client ----------------------------------------------------------------------------------
    def _stripe(self):
        """The StripeClient, built on first use: importing the plugin must not import the SDK."""
        with self._client_lock:
            if self._client is None:
                import stripe

                s = self._settings
                self._client = stripe.StripeClient(
                    s.api_key, base_addresses={"api": s.api_base, "connect": s.api_base, "files": s.api_base},
                    max_network_retries=s.max_network_retries,
                    http_client=_http_client(stripe, s.api_base, s.timeout_seconds))
            return self._client

    def _refund_failed(self, exc: Exception, doing: str, txn: str) -> ChargeResult:
        """A refund that failed for a reason that may pass — no answer, a 5xx, rate limiting, a
        key being fixed — is UNDEFINED: reconcile asks again under the same idempotency key. Only
        Stripe's refusal of this refund itself (an invalid request: no such payment, already
        refunded, more than was paid) is final (ERROR): the core would mark a final refund
        failed and keep the money (M3)."""
        import stripe

        result = failure(exc, doing, self._settings.api_key, self._settings.webhook_secret)
        if result.status == ChargeStatus.ERROR and not isinstance(exc, stripe.InvalidRequestError):
            result = replace(result, status=ChargeStatus.UNDEFINED,
                             message=f"{result.message}; the refund is asked for again later")
        return self._logged(result, txn)

    def _failed(self, exc: Exception, doing: str, txn: str, **kw) -> ChargeResult:
        return self._logged(failure(exc, doing, self._settings.api_key, self._settings.webhook_secret, **kw), txn)

    @staticmethod
    def _logged(result: ChargeResult, txn: str) -> ChargeResult:
        log.warning("stripe: %s for txn %s: %s", result.status.value, txn, result.message)
        return result

    # -- one-off payments on the hosted page ------------------------------------------------------------
    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Open a Checkout Session for the order; PENDING with the hosted page's URL."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        client = self._stripe()
        customer = None
        if request.save_method:
            try:
                customer = self._customer_for(client, request)
            except Exception as exc:  # no session exists yet: nothing can have been charged
                return self._failed(exc, "finding the payer's Stripe customer", request.txn,
                                    unknown_if_unanswered=False)
        params = self._session_params(request, customer)
        try:
            session = client.v1.checkout.sessions.create(params, {"idempotency_key": request.idempotency_key})
        except Exception as exc:
            return self._failed(exc, "opening the Stripe checkout page", request.txn)
        return ChargeResult(ChargeStatus.PENDING, provider_ref=session.id, redirect_url=session.url,
                            message="Waiting for the payer on Stripe's checkout page",
                            detail={"session": session.id, "idempotency_key": request.idempotency_key})

    def _refusal(self, request: ChargeRequest) -> ChargeResult | None:
        configured = self.configured()
        if not configured.eligible:
            return ChargeResult(ChargeStatus.ERROR, message=configured.reason)
        if request.amount.currency == CREDIT or request.amount.amount <= 0:
            return ChargeResult(ChargeStatus.ERROR, message=f"Stripe cannot charge {request.amount.format()}")
        return None

    def _session_params(self, request: ChargeRequest, customer: str | None) -> dict:
        name = request.description or f"smartpay order {request.txn}"
        intent_data: dict = {"metadata": {"txn": request.txn, "flow": "checkout"}, "description": name}
        params: dict = {
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": request.amount.currency.lower(), "unit_amount": request.amount.amount,
                "product_data": {"name": name}}}],
            "client_reference_id": request.txn,
            "metadata": {"txn": request.txn, "payer": request.context.payer_login},
            "success_url": request.return_url or self._settings.success_url,
            "payment_intent_data": intent_data,
        }
        expires_at = session_expires_at(request)
        if expires_at is not None:   # R8: the page closes with the order's window (expiry.py)
            params["expires_at"] = expires_at
        if customer:
            params["customer"] = customer
            intent_data["setup_future_usage"] = "off_session"
            params["metadata"]["save_method"] = "true"
        return params

    def _customer_for(self, client, request: ChargeRequest) -> str:
        """The payer's Stripe Customer (found by the login in its metadata), created once if missing."""
        login = request.context.payer_login
        query = f"metadata['smartpay_login']:'{_quoted(login)}'"
        found = client.v1.customers.search({"query": query, "limit": 1})
        if found.data:
            return found.data[0].id
        customer = client.v1.customers.create(
            {"name": login, "metadata": {"smartpay_login": login, "smartpay_payer_id": str(request.context.payer_id)}},
            {"idempotency_key": f"{request.idempotency_key}-customer"})
        return customer.id

    # -- polling and reconciliation -----------------------------------------------------------------------
    def status(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        """How the charge ended: by its reference (a session or payment intent id), or — when the
        create answer was lost — by txn. Stripe's errors here leave the outcome UNDEFINED."""
        if not self._settings.api_key:
            return ChargeResult(ChargeStatus.UNDEFINED, message=NOT_CONFIGURED)
        if provider_ref is not None and not provider_ref.startswith(("cs_", "pi_")):
            return ChargeResult(ChargeStatus.UNDEFINED,
                                message=f"'{provider_ref}' is not a Stripe checkout session or payment intent")
        try:
            return self._status(self._stripe(), txn, provider_ref)
        except Exception as exc:
            return replace(self._failed(exc, "asking Stripe how the payment ended", txn), status=ChargeStatus.UNDEFINED)

    def _status(self, client, txn: str, provider_ref: str | None) -> ChargeResult:
        if provider_ref is None:
            return self._lookup(client, txn)
        if provider_ref.startswith("cs_"):
            return session_result(client.v1.checkout.sessions.retrieve(
                provider_ref, {"expand": ["payment_intent"]}).to_dict())
        return intent_result(client.v1.payment_intents.retrieve(provider_ref).to_dict())

    def _lookup(self, client, txn: str) -> ChargeResult:
        """Find the charge of `txn` without its reference: PaymentIntents by their metadata
        (Stripe's search), then the newest Checkout Sessions (at most `lookup_limit`, since Stripe
        cannot filter sessions by metadata). Paid beats open beats anything else."""
        found = client.v1.payment_intents.search({"query": f"metadata['txn']:'{_quoted(txn)}'", "limit": 20})
        intents = [i.to_dict() for i in found.data]
        for intent in intents:
            if intent["status"] == "succeeded":
                if intent.get("metadata", {}).get("flow") == "checkout":
                    owner = client.v1.checkout.sessions.list({"payment_intent": intent["id"], "limit": 1})
                    if owner.data:
                        return self._status(client, txn, owner.data[0].id)
                return intent_result(intent)
        sessions: list[ChargeResult] = []
        for scanned, session in enumerate(client.v1.checkout.sessions.list({"limit": 100}).auto_paging_iter(), 1):
            if (session.to_dict().get("metadata") or {}).get("txn") == txn:
                sessions.append(self._status(client, txn, session.id))
            if scanned >= self._settings.lookup_limit:
                break
        off_session = [intent_result(i) for i in intents if i.get("metadata", {}).get("flow") != "checkout"]
        candidates = sessions + off_session
        for wanted in (ChargeStatus.PROCESSED, ChargeStatus.PENDING):
            for result in candidates:
                if result.status == wanted:
                    return result
        if candidates:
            return candidates[0]
        return ChargeResult(ChargeStatus.UNDEFINED, detail={"found": False},
                            message=f"Stripe has no checkout session or payment for transaction {txn}")

    def expire(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        """Close the hosted page so it can no longer be paid. PROCESSED if the payer paid first.
        `request` (the core rebuilds it): for an off-session charge, "not found" is no evidence
        (Stripe's search lags about a minute), so the charge is replayed under its idempotency
        key to learn what Stripe did — never CANCELED without evidence."""
        if not self._settings.api_key:
            return ChargeResult(ChargeStatus.UNDEFINED, message=NOT_CONFIGURED)
        client = self._stripe()
        try:
            if provider_ref is None:
                return self._expire_by_txn(client, txn, request)
            if provider_ref.startswith("cs_"):
                return self._expire_session(client, txn, provider_ref)
            return _settled_or_unknown(self._status(client, txn, provider_ref))
        except Exception as exc:
            return replace(self._failed(exc, "closing the Stripe checkout page", txn), status=ChargeStatus.UNDEFINED)

    def _expire_session(self, client, txn: str, ref: str) -> ChargeResult:
        import stripe

        try:
            session = client.v1.checkout.sessions.expire(ref)
        except stripe.InvalidRequestError:
            # Not open any more (paid, or already expired), or a payment is processing: say which.
            return _settled_or_unknown(self._status(client, txn, ref))
        return session_result(session.to_dict())

    def _expire_by_txn(self, client, txn: str, request: ChargeRequest | None = None) -> ChargeResult:
        if request is not None and not request.saved_method:
            session = self._replayed_session(client, request)
            if session is not None:
                return self._expire_session(client, txn, session)
        found = self._lookup(client, txn)
        if request is not None and request.saved_method and found.detail.get("found") is False:
            # An off-session charge whose answer was lost: search may not show it yet. Replaying
            # it under the same key answers what Stripe did (or charges now, once: the cycle was
            # owed and its order completes if nothing moved its items).
            replayed = self.charge_saved(request)
            return replayed if replayed.status == ChargeStatus.ERROR else _settled_or_unknown(replayed)
        if found.status == ChargeStatus.PENDING and (found.provider_ref or "").startswith("cs_"):
            result = self._expire_session(client, txn, found.provider_ref)
            # Another open session of the same txn (an earlier attempt) is closed on the next call.
            return result
        if found.status == ChargeStatus.UNDEFINED and found.detail.get("found") is False:
            return ChargeResult(ChargeStatus.CANCELED, detail={"found": False},
                                message="Stripe has no checkout session for this transaction; nothing can be paid")
        return _settled_or_unknown(found)

    def _replayed_session(self, client, request: ChargeRequest) -> str | None:
        """The Checkout Session this attempt's create call made, learned by replaying the call
        under its idempotency key with the same body (same expires_at: expiry.py): Stripe answers
        the session it stored, whatever became of the first answer. Exact, where the lookup by
        txn scans only the newest sessions. Raises (UNDEFINED) while the first create is still
        running under the key (409). None when Stripe refuses the replay as a request —
        nothing was stored under the key (a create that never ran: its expires_at may now be too
        near, which Stripe would have ignored for a stored one), or the body differs (the
        payer's customer changed) — and the lookup by txn decides. A create that never ran
        but runs now makes a session that is closed at once: nothing can be paid there."""
        import stripe

        try:
            customer = self._customer_for(client, request) if request.save_method else None
            session = client.v1.checkout.sessions.create(self._session_params(request, customer),
                                                         {"idempotency_key": request.idempotency_key})
        except (stripe.InvalidRequestError, stripe.IdempotencyError) as exc:
            if exc.http_status == 409 or getattr(exc, "code", None) == "idempotency_key_in_use":
                raise   # the first create is still running: its session may appear; ask again later
            log.info("stripe: replaying the checkout session of txn %s was refused (%s); looking it up instead",
                     request.txn, type(exc).__name__)
            return None
        return session.id

    # -- saved cards (auto-renew, R7) ------------------------------------------------------------------
    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        """Charge the saved card off-session. Declines and "authentication required" → ERROR."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        customer, _, payment_method = (request.saved_method or "").partition(SAVED_SEPARATOR)
        if not (customer.startswith("cus_") and payment_method.startswith("pm_")):
            return ChargeResult(ChargeStatus.ERROR, message="Stripe: no saved card to charge (the auto-renew "
                                                            "order carries no Stripe card token)")
        params = {"amount": request.amount.amount, "currency": request.amount.currency.lower(),
                  "customer": customer, "payment_method": payment_method, "confirm": True, "off_session": True,
                  "description": request.description or f"smartpay order {request.txn}",
                  "metadata": {"txn": request.txn, "flow": "off_session", "payer": request.context.payer_login}}
        try:
            # POST /v1/payment_intents as payment_intents.create sends it (same requestor, retries,
            # idempotency key and error handling), read back as the plain JSON dict: building the
            # StripeObject tree only to turn it back into a dict was about a tenth of the SDK's CPU per
            # charge, spent under the GIL the renew runner's workers share.
            intent = self._stripe().raw_request("post", "/v1/payment_intents", **params,
                                                idempotency_key=request.idempotency_key).data
        except Exception as exc:
            return self._failed(exc, "charging the saved card", request.txn)
        result = intent_result(intent)
        return replace(result, detail={**result.detail, "idempotency_key": request.idempotency_key})

    # -- refunds -----------------------------------------------------------------------------------------
    def refund(self, request: RefundRequest) -> ChargeResult:
        """Give back (part of) a settled charge through the Refunds API, idempotently (M1)."""
        if not self._settings.api_key:
            return ChargeResult(ChargeStatus.ERROR, message=NOT_CONFIGURED)
        client = self._stripe()
        try:
            intent = request.provider_ref
            if intent.startswith("cs_"):
                session = client.v1.checkout.sessions.retrieve(intent).to_dict()
                intent = session.get("payment_intent")
                if not intent:
                    return ChargeResult(ChargeStatus.ERROR, message="Stripe: this checkout session was never paid; "
                                                                    "there is nothing to refund")
            elif not intent.startswith("pi_"):
                return ChargeResult(ChargeStatus.ERROR, message=f"Stripe: '{intent}' is not a payment to refund")
        except Exception as exc:   # no refund was asked for yet: asking again is safe
            return self._refund_failed(exc, "finding the payment to refund", request.txn)
        params = {"payment_intent": intent, "amount": request.amount.amount, "reason": "requested_by_customer",
                  "metadata": {"txn": request.txn, "reason": request.reason[:500]}}
        try:
            refund = client.v1.refunds.create(params, {"idempotency_key": request.idempotency_key}).to_dict()
        except Exception as exc:
            return self._refund_failed(exc, "refunding the payment", request.txn)
        if refund["status"] == "pending":
            # Asked again with the same key, Stripe replays its first answer ("pending") even
            # after the refund settled: read the refund as it stands now.
            try:
                refund = client.v1.refunds.retrieve(refund["id"]).to_dict()
            except Exception as exc:
                log.warning("stripe: reading pending refund for txn %s failed: %s", request.txn, type(exc).__name__)
        detail = {"refund": refund["id"], "payment_intent": intent, "refund_status": refund["status"]}
        amount = outcomes.money(refund["amount"], refund["currency"])
        if refund["status"] == "succeeded":
            return ChargeResult(ChargeStatus.PROCESSED, amount, provider_ref=refund["id"], detail=detail,
                                message=f"Refunded {amount.format()} through Stripe")
        if refund["status"] == "pending":
            return ChargeResult(ChargeStatus.PENDING, amount, provider_ref=refund["id"], detail=detail,
                                message="Stripe: the refund is pending")
        return ChargeResult(ChargeStatus.ERROR, provider_ref=refund["id"], detail=detail,
                            message=f"Stripe: the refund {refund['status']}")

    def refund_status(self, request: RefundRequest, refund_ref: str) -> ChargeResult:
        """Read refund `refund_ref` (GET /v1/refunds/{id}) instead of posting it again: after the
        key's 24 hours a re-post would ask for a second refund (charge_already_refunded)."""
        if not self._settings.api_key:
            return ChargeResult(ChargeStatus.UNDEFINED, message=NOT_CONFIGURED)
        if not refund_ref.startswith("re_"):
            return self.refund(request)
        try:
            refund = self._stripe().v1.refunds.retrieve(refund_ref).to_dict()
        except Exception as exc:
            return replace(self._failed(exc, "reading the refund", request.txn), status=ChargeStatus.UNDEFINED)
        detail = {"refund": refund["id"], "payment_intent": refund.get("payment_intent"),
                  "refund_status": refund["status"]}
        amount = outcomes.money(refund["amount"], refund["currency"])
        if refund["status"] == "succeeded":
            return ChargeResult(ChargeStatus.PROCESSED, amount, provider_ref=refund["id"], detail=detail,
                                message=f"Refunded {amount.format()} through Stripe")
        if refund["status"] in ("pending", "requires_action"):
            return ChargeResult(ChargeStatus.PENDING, amount, provider_ref=refund["id"], detail=detail,
                                message="Stripe: the refund is pending")
        return ChargeResult(ChargeStatus.ERROR, provider_ref=refund["id"], detail=detail,
                            message=f"Stripe: the refund {refund['status']}")

    # -- webhooks ---------------------------------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Verify the Stripe-Signature (M5) and reduce the event to what the core needs."""
        return parse_event(headers, body, self._settings.webhook_secret,
                           lambda ref: self._stripe().v1.payment_intents.retrieve(ref).to_dict())


def _http_client(stripe, api_base: str, timeout: float):
    """The SDK's RequestsClient (one requests Session per thread, as the SDK keeps them), with
    the proxy settings read from the environment once, for `api_base`, instead of on every
    request: a requests Session that trusts the environment scans all of os.environ for proxies
    (and stats ~/.netrc) per call — about a fifth of the SDK's CPU per off-session charge, paid
    under the GIL the renew runner's workers share. Every call goes to `api_base`, so the
    proxies (and NO_PROXY) are the same ones requests would find each time."""
    import requests

    proxies = requests.utils.get_environ_proxies(api_base)

    class _SteadyRequestsClient(stripe.RequestsClient):
        def _request_internal(self, *args, **kwargs):
            local = getattr(self, "_thread_local", None)   # the SDK's per-thread session holder
            if local is not None and getattr(local, "session", None) is None:
                session = requests.Session()
                session.trust_env = False   # the environment was read above
                session.proxies.update(proxies)
                local.session = session
            return super()._request_internal(*args, **kwargs)

    return _SteadyRequestsClient(timeout=timeout)


def _quoted(text: str) -> str:
    """A value inside a Stripe search query's single quotes."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _settled_or_unknown(result: ChargeResult) -> ChargeResult:
    """expire() answers CANCELED, PROCESSED or UNDEFINED: anything still moving is UNDEFINED."""
    if result.status == ChargeStatus.PENDING:
        return replace(result, status=ChargeStatus.UNDEFINED,
                       message=f"{result.message}; ask again once it settles")
    if result.status == ChargeStatus.ERROR:
        return replace(result, status=ChargeStatus.CANCELED)
    return result
