"""Stripe payments (smartpay's built-in `stripe` method): hosted Checkout Sessions for one-off
payments, saved cards charged off-session for auto-renew (R7), refunds and signed webhooks,
through the official `stripe` SDK. Settings: `[plugins.stripe_pay]` and STRIPE_API_KEY /
STRIPE_WEBHOOK_SECRET (see settings.py). Without an API key the method is listed but greyed out.

The SDK is imported only when a payment call is made, never by importing this plugin."""
from __future__ import annotations

import os

from smartpay.core import hookimpl

from .method import NOT_CONFIGURED, StripeMethod, __version__
from .settings import STRIPE_API_BASE, StripeSettings

__all__ = ["StripeMethod", "StripeSettings", "STRIPE_API_BASE", "NOT_CONFIGURED", "register_payment_methods",
           "__version__"]


@hookimpl
def register_payment_methods(register, config):
    """Register the Stripe method with `[plugins.stripe_pay]` and the environment's settings."""
    register(StripeMethod(StripeSettings.from_config(config("stripe_pay"), os.environ)))
