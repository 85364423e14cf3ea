"""What Stripe's objects and errors mean for an order, as ChargeResults (plain dicts in: the
`to_dict()` of the SDK's objects, or a webhook's JSON).

Checkout Session: complete + paid → PROCESSED; open → PENDING (a declined card leaves it open:
the payer may try another one); expired → CANCELED. PaymentIntent: succeeded → PROCESSED;
processing → PENDING; failed with a card error → ERROR; canceled → CANCELED. An error that
proves nothing happened (Stripe refused, the card was declined) → ERROR; one that leaves the
outcome open (no answer, Stripe's 5xx) → UNDEFINED, for reconciliation (M3)."""
from __future__ import annotations

import re

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeResult, ChargeStatus

# Anything that looks like a Stripe secret, in case a message ever quotes one.
_SECRET = re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9]+")
SAVED_SEPARATOR = "/"


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _SECRET.sub("[redacted]", text)


def money(amount: int, currency: str) -> Money:
    return Money(int(amount), currency.upper())


def saved_token(intent: dict) -> str | None:
    """"cus_…/pm_…" when the payment saved its card for later off-session charges."""
    customer, method = intent.get("customer"), intent.get("payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    if intent.get("setup_future_usage") and customer and method:
        return f"{customer}{SAVED_SEPARATOR}{method}"
    return None


def decline_message(code: str | None, decline_code: str | None, text: str | None) -> str:
    """A sentence an operator can act on, for a card Stripe would not charge."""
    if code == "authentication_required" or decline_code == "authentication_required":
        return ("Stripe: the card's bank requires the payer to confirm this charge, so it cannot be charged "
                "automatically; ask the payer to pay this order on Stripe's checkout page")
    if decline_code == "insufficient_funds":
        return "Stripe: the card was declined for insufficient funds; ask the payer for another card"
    if code == "expired_card":
        return "Stripe: the saved card has expired; ask the payer to pay with a new card"
    if code not in (None, "card_declined") and text:
        return f"Stripe: the card was not charged ({code}: {text}); ask the payer to use another card"
    reason = f" ({decline_code})" if decline_code and decline_code != "generic_decline" else ""
    return f"Stripe: the card was declined{reason}; ask the payer to use another card"


def session_result(session: dict) -> ChargeResult:
    intent = session.get("payment_intent") if isinstance(session.get("payment_intent"), dict) else None
    detail = {"session": session["id"], "session_status": session.get("status"),
              "payment_status": session.get("payment_status")}
    if intent:
        detail["payment_intent"] = intent["id"]
    status, ref = session.get("status"), session["id"]
    if status == "complete" and session.get("payment_status") in ("paid", "no_payment_required"):
        return ChargeResult(ChargeStatus.PROCESSED, money(session["amount_total"], session["currency"]),
                            provider_ref=ref, message="Paid through Stripe Checkout", detail=detail,
                            saved_method=saved_token(intent) if intent else None)
    if status == "expired":
        return ChargeResult(ChargeStatus.CANCELED, provider_ref=ref, detail=detail,
                            message="Stripe: the checkout session expired before the payer paid; nothing was charged")
    if (intent and intent.get("status") == "processing") or status == "complete":
        return ChargeResult(ChargeStatus.PENDING, provider_ref=ref, redirect_url=session.get("url"), detail=detail,
                            message="Stripe: the payment is processing")
    error = (intent or {}).get("last_payment_error")
    if error:
        detail.update(code=error.get("code"), decline_code=error.get("decline_code"))
        return ChargeResult(ChargeStatus.PENDING, provider_ref=ref, redirect_url=session.get("url"), detail=detail,
                            message=decline_message(error.get("code"), error.get("decline_code"), error.get("message"))
                            + " — the checkout page stays open for another try")
    return ChargeResult(ChargeStatus.PENDING, provider_ref=ref, redirect_url=session.get("url"), detail=detail,
                        message="Waiting for the payer on Stripe's checkout page")


def intent_result(intent: dict) -> ChargeResult:
    status, ref = intent.get("status"), intent["id"]
    detail = {"payment_intent": ref, "intent_status": status}
    if status == "succeeded":
        return ChargeResult(ChargeStatus.PROCESSED, money(intent["amount_received"], intent["currency"]),
                            provider_ref=ref, message="Paid through Stripe", detail=detail,
                            saved_method=saved_token(intent))
    if status == "processing":
        return ChargeResult(ChargeStatus.PENDING, provider_ref=ref, detail=detail,
                            message="Stripe: the payment is processing")
    if status == "canceled":
        return ChargeResult(ChargeStatus.CANCELED, provider_ref=ref, detail=detail,
                            message="Stripe: the payment was canceled; nothing was charged")
    error = intent.get("last_payment_error")
    if error:
        detail.update(code=error.get("code"), decline_code=error.get("decline_code"))
        return ChargeResult(ChargeStatus.ERROR, provider_ref=ref, detail=detail,
                            message=decline_message(error.get("code"), error.get("decline_code"), error.get("message")))
    if status == "requires_action":
        return ChargeResult(ChargeStatus.ERROR, provider_ref=ref, detail=detail,
                            message=decline_message("authentication_required", None, None))
    return ChargeResult(ChargeStatus.PENDING, provider_ref=ref, detail=detail,
                        message="Stripe: the payment is not finished")


def failure(exc: Exception, doing: str, *secrets: str | None, unknown_if_unanswered: bool = True) -> ChargeResult:
    """An SDK exception as a result. `unknown_if_unanswered=False` when nothing could have been
    charged even if Stripe acted (e.g. looking up a customer before any payment exists)."""
    import stripe

    detail: dict = {"error": type(exc).__name__}
    if isinstance(exc, stripe.CardError):
        body = (exc.json_body or {}).get("error", {}) if isinstance(exc.json_body, dict) else {}
        intent = body.get("payment_intent") or {}
        detail.update(code=body.get("code"), decline_code=body.get("decline_code"))
        return ChargeResult(ChargeStatus.ERROR, provider_ref=intent.get("id"), detail=detail,
                            message=decline_message(body.get("code"), body.get("decline_code"), body.get("message")))
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return ChargeResult(ChargeStatus.ERROR, detail=detail, message=(
            f"Stripe refused the API key while {doing}; check STRIPE_API_KEY or plugins.stripe_pay.api_key"))
    if isinstance(exc, stripe.IdempotencyError):
        # The key was used before with other details (400), or — if Stripe types it so — the same
        # request is still running (409 idempotency_key_in_use; stripe-python raises a 409 as
        # APIError, which is UNDEFINED below too). Either way an earlier request under this key
        # may have charged: the outcome is unknown until Stripe is asked again (M3), never a failure.
        detail.update(code=exc.code, http_status=exc.http_status)
        busy = exc.http_status == 409 or exc.code == "idempotency_key_in_use"
        return ChargeResult(ChargeStatus.UNDEFINED, detail=detail, message=(
            f"Stripe is still handling an earlier request with this attempt's key while {doing}; "
            f"the outcome is checked again later" if busy else
            f"Stripe refused {doing}: this attempt's idempotency key was already used with other details; "
            f"the outcome is checked again later"))
    if isinstance(exc, stripe.RateLimitError):
        return ChargeResult(ChargeStatus.ERROR, detail=detail, message=(
            f"Stripe is rate-limiting this desk; nothing was done while {doing}. Try again in a minute"))
    if isinstance(exc, stripe.InvalidRequestError):
        detail.update(code=exc.code, param=exc.param)
        text = redact(exc.user_message or "invalid request", *secrets)
        return ChargeResult(ChargeStatus.ERROR, detail=detail, message=f"Stripe refused {doing}: {text}")
    status = ChargeStatus.UNDEFINED if unknown_if_unanswered else ChargeStatus.ERROR
    after = ("the outcome is unknown until Stripe is asked again" if unknown_if_unanswered
             else "nothing was charged")
    if isinstance(exc, stripe.APIConnectionError):
        return ChargeResult(status, detail=detail, message=f"Stripe did not answer while {doing}; {after}")
    if isinstance(exc, stripe.StripeError):
        detail["http_status"] = exc.http_status
        return ChargeResult(status, detail=detail, message=f"Stripe failed while {doing} "
                                                           f"(HTTP {exc.http_status}); {after}")
    return ChargeResult(status, detail=detail, message=redact(f"{type(exc).__name__} while {doing}: {exc}; {after}",
                                                              *secrets))
