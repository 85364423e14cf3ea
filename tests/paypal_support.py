"""Test support for PayPal: a local PayPal emulator over real HTTP and a PayPal method configured
against it. Import the fixtures into a test module to use them::

    from paypal_support import paypal, paypal_method, paypal_config   # noqa: F401  (fixtures)
    from paypal_support import approve_on_page, charge_request

    def test_something(paypal, paypal_method):
        result = paypal_method.charge(charge_request("10000000000000001", 1500))
        approve_on_page(result.redirect_url)                     # the payer clicks Approve
        assert paypal_method.status("10000000000000001", result.provider_ref).status == "processed"
        assert paypal.captures_for("10000000000000001") == 1

Plain helpers: `start_emulator(**overrides)`, `method_config(emulator, **overrides)` (the
`[plugins.paypal_pay]` table, for a core's Settings too), `build_method(emulator, **overrides)`,
`charge_request(...)`, `approve_on_page(url)` / `cancel_on_page(url)` (play the payer through the
hosted page's own forms), and `paypal_emulator_process()` (the emulator in its own process, with
a PayPalEmulatorClient that has the same control methods as PayPalEmulator).

Timings are short so fault tests stay fast: the SDK waits CLIENT_TIMEOUT seconds, a `timeout`
fault holds its answer for TIMEOUT_HOLD seconds (longer), a `slow` one answers after
SLOW_SECONDS (shorter). The client secret is recognisable, so tests can prove it never leaks.
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
import urllib.parse
import urllib.request
from typing import Iterator

import pytest

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeRequest
from smartpay.core.testing import KitTender, make_context
from smartpay.emulators.paypal import PayPalEmulator, PayPalEmulatorClient
from smartpay.plugins.paypal_pay import PayPalMethod

CLIENT_ID = "smartpay-test-client"
CLIENT_SECRET = "EMU-SECRET-never-print-7f3c9a21"   # recognisable: must never show up anywhere
WEBHOOK_ID = "WH-SMARTPAY-TEST-0001"
CLIENT_TIMEOUT = 0.5
TIMEOUT_HOLD = 1.0
SLOW_SECONDS = 0.1


def start_emulator(**overrides) -> PayPalEmulator:
    """A started emulator that accepts the test credentials (stop it yourself)."""
    options = dict(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, webhook_id=WEBHOOK_ID,
                   timeout_hold_seconds=TIMEOUT_HOLD, slow_seconds=SLOW_SECONDS)
    options.update(overrides)
    return PayPalEmulator(**options).start()


def method_config(emulator: PayPalEmulator | PayPalEmulatorClient, **overrides) -> dict:
    """The `[plugins.paypal_pay]` table pointing at `emulator` — also what a core needs:
    `Settings(..., plugins={"paypal_pay": method_config(emulator)})`."""
    config = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": emulator.url,
              "webhook_id": WEBHOOK_ID, "timeout_seconds": CLIENT_TIMEOUT}
    config.update(overrides)
    return config


def build_method(emulator: PayPalEmulator | PayPalEmulatorClient, **overrides) -> PayPalMethod:
    """A PayPal method configured for `emulator`, ignoring PAYPAL_* in the environment."""
    return PayPalMethod.from_config(method_config(emulator, **overrides), environ={})


@contextlib.contextmanager
def paypal_emulator_process(*args: str) -> Iterator[PayPalEmulatorClient]:
    """Run `python -m smartpay.emulators.paypal --port 0` with the test credentials in its own
    process (for multi-process and SIGKILL tests) and yield a client for its controls; the
    process is terminated, then killed, on exit."""
    command = [sys.executable, "-m", "smartpay.emulators.paypal", "--port", "0", "--client-id", CLIENT_ID,
               "--client-secret", CLIENT_SECRET, "--webhook-id", WEBHOOK_ID,
               "--timeout-hold", str(TIMEOUT_HOLD), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the PayPal emulator did not start (printed {url!r})")
        yield PayPalEmulatorClient(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def paypal() -> Iterator[PayPalEmulator]:
    """A fresh PayPal emulator on 127.0.0.1 for one test."""
    emulator = start_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def paypal_config(paypal) -> dict:
    return method_config(paypal)


@pytest.fixture
def paypal_method(paypal) -> PayPalMethod:
    """The PayPal method configured against the `paypal` emulator."""
    return build_method(paypal)


def charge_request(txn: str, amount: int = 1500, currency: str = "USD", attempt: int = 1, *,
                   save_method: bool = False, saved_method: str | None = None,
                   return_url: str | None = None) -> ChargeRequest:
    """The request the core sends for `txn` (key `<txn>-<nn>`, M1)."""
    money = Money(amount, currency)
    return ChargeRequest(txn=txn, amount=money, idempotency_key=f"{txn}-{attempt:02d}",
                         context=make_context(amount=money), tender=KitTender(), save_method=save_method,
                         saved_method=saved_method, return_url=return_url, description=f"Monthly Fee {txn}")


def _press(redirect_url: str, button: str) -> int:
    """Load the hosted page, then submit its `button` form, as a browser would."""
    with urllib.request.urlopen(redirect_url, timeout=5) as page:
        html = page.read().decode()
    marker = f'value="{button}"'
    form = html[:html.index(marker)].rsplit("<form", 1)[1]
    action = form.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    target = urllib.parse.urljoin(redirect_url, action)
    data = urllib.parse.urlencode({"action": button}).encode()
    with urllib.request.urlopen(urllib.request.Request(target, data=data, method="POST"), timeout=5) as answer:
        return answer.status


def approve_on_page(redirect_url: str) -> int:
    """The payer opens the approval link and clicks Approve (real HTTP, the page's own form)."""
    return _press(redirect_url, "approve")


def cancel_on_page(redirect_url: str) -> int:
    """The payer opens the approval link and clicks Cancel."""
    return _press(redirect_url, "cancel")
