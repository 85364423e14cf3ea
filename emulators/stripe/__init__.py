"""A local Stripe: the REST endpoints smartpay's Stripe plugin uses, served on 127.0.0.1 for the
unchanged `stripe` SDK (form-encoded requests, Stripe's JSON shapes and error format,
Idempotency-Key semantics), a hosted checkout page with Pay and Decline buttons, signed
webhooks, and test controls (faults, payer actions, card outcomes, charge counts) both in
Python and over HTTP under /_emulator. See docs/emulators.md.

    from smartpay.emulators.stripe import StripeEmulator
    python -m smartpay.emulators.stripe --port 12111
"""
from .api import ENDPOINTS
from .control import StripeEmulatorClient
from .emulator import StripeEmulator
from .objects import OFF_SESSION_FAILURES, build_event
from .webhooks import signature_header, signed_event

__all__ = ["StripeEmulator", "StripeEmulatorClient", "ENDPOINTS", "OFF_SESSION_FAILURES", "build_event",
           "signature_header", "signed_event"]
