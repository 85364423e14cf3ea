"""Stripe test support: a local Stripe emulator and Stripe methods configured against it.

Import the fixtures into a test module (`from stripe_support import stripe_emulator, stripe_method`)
or use the plain helpers:

- `stripe_emulator` (fixture): a fresh StripeEmulator on 127.0.0.1 with short fault holds, its
  webhooks signed with WEBHOOK_SECRET (sent nowhere unless you build one with `webhook_url`), its
  clock the test's `clock` fixture (a core built on that clock sends expires_at it accepts).
- `stripe_method` (fixture): a StripeMethod talking to that emulator, with CLIENT_TIMEOUT and no
  SDK retries, so every fault reaches the plugin.
- `stripe_settings(emulator, **overrides)`, `stripe_config(emulator, **overrides)` (the
  `[plugins.stripe_pay]` table for a core: `open_core(db_url, clock, plugins={"stripe_pay": …})`).
- `charge_request(...)`: a ChargeRequest as the core builds it.
- `pay_on_page(url)` / `decline_on_page(url)`: play the payer — fetch the hosted page and POST its form.
- `emulator_process(...)`: the emulator in its own process (`python -m smartpay.emulators.stripe`),
  yielding a StripeEmulatorClient with the same control methods, for multi-process tests.

Secrets here are fakes for tests only; nothing in this module reaches the internet."""
from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import urllib.request
from typing import Iterator

import pytest

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeRequest
from smartpay.core.testing import KitTender, make_context
from smartpay.emulators.stripe import StripeEmulator, StripeEmulatorClient
from smartpay.plugins.stripe_pay import StripeMethod, StripeSettings

TEST_API_KEY = "sk_test_smartpayEmulatorKey4242"    # a fake test-mode key; the emulator accepts any sk_test_
WEBHOOK_SECRET = "whsec_smartpayEmulatorSecret"     # signs the emulator's webhooks in tests
SUCCESS_URL = "https://desk.example.test/stripe/paid"
CLIENT_TIMEOUT = 0.5      # seconds the SDK waits for an answer in tests
FAULT_HOLD = 5.0          # a `timeout` fault holds the answer longer than that (released when the emulator stops)


def stripe_settings(emulator, **overrides) -> StripeSettings:
    """Settings for a StripeMethod against `emulator` (a StripeEmulator or StripeEmulatorClient)."""
    values = dict(api_key=TEST_API_KEY, api_base=emulator.api_base, webhook_secret=WEBHOOK_SECRET,
                  success_url=SUCCESS_URL, timeout_seconds=CLIENT_TIMEOUT, max_network_retries=0)
    values.update(overrides)
    return StripeSettings(**values)


def stripe_config(emulator, **overrides) -> dict:
    """The `[plugins.stripe_pay]` table that configures the built-in plugin against `emulator`."""
    values = dict(api_key=TEST_API_KEY, api_base=emulator.api_base, webhook_secret=WEBHOOK_SECRET,
                  success_url=SUCCESS_URL, timeout_seconds=CLIENT_TIMEOUT, max_network_retries=0)
    values.update(overrides)
    return values


@pytest.fixture
def stripe_emulator(clock) -> Iterator[StripeEmulator]:
    """The emulator's account reads the test's clock: the desk and "Stripe" agree on the date,
    and `clock.advance(...)` moves both (a session's expires_at passes)."""
    with StripeEmulator(webhook_secret=WEBHOOK_SECRET, timeout_hold_seconds=FAULT_HOLD, slow_seconds=0.2,
                        clock=clock.now) as emulator:
        yield emulator


@pytest.fixture
def stripe_method(stripe_emulator) -> StripeMethod:
    return StripeMethod(stripe_settings(stripe_emulator))


def charge_request(txn: str = "20250910140000001", amount: int = 1999, currency: str = "USD", attempt: int = 1,
                   **fields) -> ChargeRequest:
    """A ChargeRequest as the core builds it: key `<txn>-<nn>` (M1), a kit context and tender."""
    context = fields.pop("context", None) or make_context(amount=Money(amount, currency))
    values = dict(txn=txn, amount=Money(amount, currency), idempotency_key=f"{txn}-{attempt:02d}", context=context,
                  tender=KitTender.for_context(context), description=f"Monthly Fee {txn}")
    values.update(fields)
    return ChargeRequest(**values)


def _post_form(page_url: str, button: str) -> str:
    with urllib.request.urlopen(page_url, timeout=5) as answer:
        page = answer.read().decode()
    forms = re.findall(r'<form method="post" action="([^"]+)"><button[^>]*>([^<]+)</button>', page)
    action = next((a for a, label in forms if label == button), None)
    if action is None:
        raise AssertionError(f"the checkout page has no {button!r} button: {page}")
    request = urllib.request.Request(action.replace("&amp;", "&"), data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.read().decode()


def pay_on_page(page_url: str) -> str:
    """Open the hosted checkout page and press Pay, as a payer's browser would; returns the answer page."""
    return _post_form(page_url, "Pay")


def decline_on_page(page_url: str) -> str:
    """Open the hosted checkout page and pay with a card that is declined."""
    return _post_form(page_url, "Decline")


@contextlib.contextmanager
def emulator_process(*args: str, timeout: float = 10.0) -> Iterator[StripeEmulatorClient]:
    """Run `python -m smartpay.emulators.stripe --port 0 ARGS…` and yield a client for its controls.
    The process is terminated (then killed) on exit."""
    process = subprocess.Popen([sys.executable, "-m", "smartpay.emulators.stripe", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the Stripe emulator did not start (printed {url!r})")
        client = StripeEmulatorClient(url, timeout_seconds=timeout)
        yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
