"""`smartpay demo --open` (what `make demo` runs): the full-screen desk on a fresh demo database,
with Stripe and PayPal played by the local emulators, so a newcomer pays with every method
without an account or a network.

The emulators run in this process on free 127.0.0.1 ports (EmulatorServer threads) and accept
only the fake test credentials below; the core's `stripe_pay` and `paypal_pay` plugins are
configured against them for this run only (nothing is written to the configuration file). The
hosted pages the desk shows (URL and QR code) are the emulators' own; a second terminal can pay
them with `curl -X POST …` (the desk prints the exact command).

The core never imports the terminal app at import time: `run()` loads it when it opens."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartpay.core.config import Settings

# Fake test credentials, for the in-process emulators only (they accept nothing else). Not secrets.
STRIPE_TEST_KEY = "sk_test_smartpayDemoOnly0000"
PAYPAL_CLIENT_ID = "smartpay-demo-client"
PAYPAL_CLIENT_SECRET = "smartpay-demo-only-not-a-secret"
WEBHOOK_SECRET = "whsec_smartpayDemoOnly"
CLIENT_TIMEOUT = 5.0  # seconds the SDKs wait for the local emulators


@dataclass(frozen=True)
class DemoLogin:
    login: str
    name: str
    role: str


@dataclass(frozen=True)
class DemoInfo:
    """What the login screen's demo panel lists (only in demo mode)."""

    logins: tuple[DemoLogin, ...]
    password: str
    stripe_url: str = ""
    paypal_url: str = ""


class DemoPayments:
    """The Stripe and PayPal emulators of one demo run (started; `stop()` when the desk closes)."""

    def __init__(self, stripe_port: int = 0, paypal_port: int = 0):
        from smartpay.emulators.paypal import PayPalEmulator
        from smartpay.emulators.stripe import StripeEmulator
        self.stripe = StripeEmulator(port=stripe_port, api_key=STRIPE_TEST_KEY).start()
        try:
            self.paypal = PayPalEmulator(client_id=PAYPAL_CLIENT_ID, client_secret=PAYPAL_CLIENT_SECRET,
                                         port=paypal_port).start()
        except Exception:
            self.stripe.stop()
            raise

    def plugins(self) -> dict:
        """The `[plugins.stripe_pay]` and `[plugins.paypal_pay]` tables pointing at the emulators."""
        return {
            "stripe_pay": {"api_key": STRIPE_TEST_KEY, "api_base": self.stripe.api_base,
                           "success_url": f"{self.stripe.url}/demo/paid", "timeout_seconds": CLIENT_TIMEOUT,
                           "max_network_retries": 0},
            "paypal_pay": {"client_id": PAYPAL_CLIENT_ID, "client_secret": PAYPAL_CLIENT_SECRET,
                           "base_url": self.paypal.url, "timeout_seconds": CLIENT_TIMEOUT},
        }

    def settings(self, settings: "Settings") -> "Settings":
        """`settings` with the two payment plugins pointed at the emulators (other plugins kept)."""
        return dataclasses.replace(settings, plugins={**settings.plugins, **self.plugins()})

    def stop(self) -> None:
        self.paypal.stop()
        self.stripe.stop()

    def __enter__(self) -> "DemoPayments":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# The demo's "now" starts where the seed guide's screens stand (its example renews "Test 1" and
# "Attendance" to 2025-09-30), and runs on from there.
DEMO_START = dt.datetime(2025, 9, 10, 14, 0)


def demo_clock(settings: "Settings"):
    """A clock starting at DEMO_START in platform time and running at the real pace."""
    from smartpay.core.clock import RunningClock
    return RunningClock(DEMO_START.replace(tzinfo=settings.platform_time.tz))


def demo_info(payments: DemoPayments | None = None) -> DemoInfo:
    from . import demo
    logins = tuple(DemoLogin(login, name, role.replace("_", " ")) for role, login, name, _ in demo.ACCOUNTS)
    return DemoInfo(logins, demo.DEMO_PASSWORD, payments.stripe.url if payments else "",
                    payments.paypal.url if payments else "")


def prepare(settings: "Settings", clock, payments: DemoPayments):
    """A fresh demo database on `settings.db_url` (wiped, then seeded) and a core whose payment
    plugins use `payments`' emulators."""
    from . import demo
    from smartpay.core.context import Smartpay
    # The emulated Stripe account reads the desk's clock (a demo run with SMARTPAY_FAKE_NOW
    # included): a checkout page's expires_at is set from the desk's time and checked by Stripe's.
    payments.stripe.follow_clock(clock.now)
    core = Smartpay.open(payments.settings(settings), clock, upgrade=True)
    demo.reset(core)  # refuses a database that holds anything but the demo's data
    demo.seed(core)
    return core


def run(settings: "Settings", clock, login: str | None = None) -> None:
    """Open the desk on a fresh demo database with the emulators running (`login` pre-fills the
    login screen); returns when it closes."""
    from .hangup import HangupGuard
    # The guard covers the emulators' start and stop too: a terminal that goes away ends the
    # whole process, emulator threads included, within two seconds (M9).
    with HangupGuard() as guard, DemoPayments() as payments:
        core = prepare(settings, clock, payments)
        try:
            from smartpay.tui.app import SmartpayApp
            guard.app = SmartpayApp(core, login=login, demo=demo_info(payments))
            guard.app.run()
        finally:
            core.close()
