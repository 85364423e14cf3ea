"""`python -m smartpay.emulators.stripe --port N [--webhook-url U --webhook-secret S]`: run the
Stripe emulator until killed; prints its URL (the `api_base` for the Stripe plugin) first."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .emulator import StripeEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smartpay.emulators.stripe",
                                     description="A local Stripe API for smartpay's tests and demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (the URL is printed)")
    parser.add_argument("--api-key", default=None, help="the only key accepted (default: any sk_test_ key)")
    parser.add_argument("--webhook-url", default=None, help="POST signed events here")
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_EMULATOR_WEBHOOK_SECRET"),
                        help="signing secret for --webhook-url (or STRIPE_EMULATOR_WEBHOOK_SECRET)")
    parser.add_argument("--timeout-hold", type=float, default=30.0,
                        help="seconds a `timeout` fault holds the answer before dropping it")
    parser.add_argument("--slow", type=float, default=0.5, help="seconds a `slow` answer is late")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds every request waits before it is handled (benchmarks)")
    args = parser.parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        parser.error("--webhook-url needs --webhook-secret (or STRIPE_EMULATOR_WEBHOOK_SECRET)")
    emulator = StripeEmulator(host=args.host, port=args.port, api_key=args.api_key, webhook_url=args.webhook_url,
                              webhook_secret=args.webhook_secret, timeout_hold_seconds=args.timeout_hold,
                              slow_seconds=args.slow, latency_seconds=args.latency)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    emulator.start()
    print(emulator.url, flush=True)
    print(f"Stripe emulator listening on {emulator.url} (test mode; controls under /_emulator)",
          file=sys.stderr, flush=True)
    done.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
