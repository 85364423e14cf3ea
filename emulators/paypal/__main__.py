"""`python -m smartpay.emulators.paypal --port N [--webhook-url U]`: serve the PayPal emulator
until killed (SIGTERM or Ctrl-C). Prints the base URL on the first line, then the client id and
webhook id it expects (emulator-only values; the secret is given with --client-secret)."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_WEBHOOK_ID, PayPalEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smartpay.emulators.paypal",
                                     description="Local PayPal REST API emulator (no money moves).")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--webhook-url", default=None, help="POST webhook events to this URL")
    parser.add_argument("--webhook-id", default=DEFAULT_WEBHOOK_ID, help="the webhook id events are signed for")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET,
                        help="the secret the token endpoint accepts (an emulator value, not a real one)")
    parser.add_argument("--timeout-hold", type=float, default=30.0,
                        help="seconds a `timeout` fault holds the answer")
    args = parser.parse_args(argv)
    emulator = PayPalEmulator(client_id=args.client_id, client_secret=args.client_secret,
                              webhook_id=args.webhook_id, webhook_url=args.webhook_url, port=args.port,
                              timeout_hold_seconds=args.timeout_hold).start()
    # SIGTERM is answered before the URL is printed: a caller that reads the URL and stops the
    # emulator at once must get a clean exit, not the default handler's kill (as the Stripe one).
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # The first line is the bare URL, so scripts and tests can read it.
    print(emulator.url, flush=True)
    print(f"PayPal emulator: base_url={emulator.url} client_id={args.client_id} webhook_id={args.webhook_id}"
          f"{f' webhooks to {args.webhook_url}' if args.webhook_url else ''}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
