"""PayPal settings: the `[plugins.paypal_pay]` table and the environment.

Credentials come from the table (`client_id`, `client_secret`) or from PAYPAL_CLIENT_ID /
PAYPAL_CLIENT_SECRET. The secret is kept out of repr(), logs and messages: `scrub()` removes it
(and its Basic-auth encoding) from any text that came back from the SDK.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlparse

ENV_CLIENT_ID = "PAYPAL_CLIENT_ID"
ENV_CLIENT_SECRET = "PAYPAL_CLIENT_SECRET"
BASE_URLS = {"sandbox": "https://api-m.sandbox.paypal.com", "live": "https://api-m.paypal.com"}
NOT_CONFIGURED = ("PayPal is not configured: set PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET "
                  "or plugins.paypal_pay")
_KNOWN = {"client_id", "client_secret", "environment", "base_url", "webhook_id", "return_url", "cancel_url",
          "brand_name", "timeout_seconds"}


@dataclass(frozen=True)
class PayPalSettings:
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    environment: str = "sandbox"             # sandbox | live: picks PayPal's base URL
    base_url: str = BASE_URLS["sandbox"]      # set explicitly to talk to the local emulator
    webhook_id: str | None = None             # the id PayPal gave the desk's webhook (verify API)
    return_url: str | None = None             # where the hosted page sends the payer back
    cancel_url: str | None = None             # where Cancel sends them (default: return_url)
    brand_name: str | None = None
    timeout_seconds: float = 20.0
    problem: str | None = None                # a configuration error an operator must fix

    @classmethod
    def load(cls, config: Mapping | None = None, environ: Mapping[str, str] | None = None) -> "PayPalSettings":
        """Read the plugin table, then the environment for credentials the table leaves out.
        Bad values don't raise: they make the method "not configured" with the field named."""
        config = dict(config or {})
        environ = environ or {}
        problems: list[str] = []
        unknown = sorted(set(config) - _KNOWN)
        if unknown:
            problems.append(f"plugins.paypal_pay: unknown setting(s) {', '.join(unknown)}")
        client_id = _text(config.get("client_id")) or _text(environ.get(ENV_CLIENT_ID))
        client_secret = _text(config.get("client_secret")) or _text(environ.get(ENV_CLIENT_SECRET))
        environment = (_text(config.get("environment")) or "sandbox").lower()
        if environment not in BASE_URLS:
            problems.append("plugins.paypal_pay.environment must be 'sandbox' or 'live'")
            environment = "sandbox"
        base_url = (_text(config.get("base_url")) or BASE_URLS[environment]).rstrip("/")
        if urlparse(base_url).scheme not in ("http", "https") or not urlparse(base_url).netloc:
            problems.append("plugins.paypal_pay.base_url must be an http(s) URL")
        for key in ("return_url", "cancel_url"):
            value = _text(config.get(key))
            if value and urlparse(value).scheme not in ("http", "https"):
                problems.append(f"plugins.paypal_pay.{key} must be an http(s) URL")
        timeout = config.get("timeout_seconds", 20.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
            problems.append("plugins.paypal_pay.timeout_seconds must be a number of seconds between 0 and 300")
            timeout = 20.0
        return cls(client_id=client_id, client_secret=client_secret, environment=environment, base_url=base_url,
                   webhook_id=_text(config.get("webhook_id")), return_url=_text(config.get("return_url")),
                   cancel_url=_text(config.get("cancel_url")), brand_name=_text(config.get("brand_name")),
                   timeout_seconds=float(timeout), problem="; ".join(problems) or None)

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def scrub(self, text: str) -> str:
        """`text` without the client secret in any form the SDK could echo."""
        if not text or not self.client_secret:
            return text or ""
        forms = {self.client_secret,
                 base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "***")
        return text


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None
