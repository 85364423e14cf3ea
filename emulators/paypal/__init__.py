"""A local PayPal REST emulator the real `paypal-server-sdk` talks to unchanged: OAuth2 client
credentials, Orders v2 (create, get, capture, vaulted charges), captures and refunds,
verify-webhook-signature, a hosted approval page, webhook sending, fault switches and a test
control API. Run it with `python -m smartpay.emulators.paypal --port 8062`; see docs/emulators.md."""
from .app import PayPalApp
from .control import ENDPOINTS, PayPalEmulatorClient
from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_WEBHOOK_ID, PayPalEmulator

__all__ = ["PayPalEmulator", "PayPalEmulatorClient", "PayPalApp", "ENDPOINTS", "DEFAULT_CLIENT_ID",
           "DEFAULT_CLIENT_SECRET", "DEFAULT_WEBHOOK_ID"]
