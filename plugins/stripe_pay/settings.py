"""The Stripe method's settings: the `[plugins.stripe_pay]` table and the environment.

    [plugins.stripe_pay]
    api_key = "sk_test_…"            # or STRIPE_API_KEY (the table wins when both are set)
    api_base = "https://api.stripe.com"   # the local emulator's URL in tests and the demo
    webhook_secret = "whsec_…"       # or STRIPE_WEBHOOK_SECRET
    success_url = "https://desk.example.com/paid"   # where Checkout sends the payer after paying
    timeout_seconds = 30             # per HTTP request
    max_network_retries = 2          # the SDK retries timeouts/5xx with the same idempotency key
    lookup_limit = 1000              # recent Checkout Sessions scanned to find a lost one by txn

Secrets (the API key, the webhook secret) are never shown: `repr()` says only whether they are
set, and configuration errors name the setting, never its value."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from smartpay.core.errors import ConfigError

STRIPE_API_BASE = "https://api.stripe.com"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True, repr=False)
class StripeSettings:
    api_key: str | None = None
    api_base: str = STRIPE_API_BASE
    webhook_secret: str | None = None
    success_url: str | None = None
    timeout_seconds: float = 30.0
    max_network_retries: int = 2
    lookup_limit: int = 1000

    def __repr__(self) -> str:
        return (f"StripeSettings(api_base={self.api_base!r}, api_key={'<set>' if self.api_key else '<missing>'}, "
                f"webhook_secret={'<set>' if self.webhook_secret else '<missing>'}, "
                f"success_url={self.success_url!r}, timeout_seconds={self.timeout_seconds}, "
                f"max_network_retries={self.max_network_retries})")

    @classmethod
    def from_config(cls, config: Mapping, environ: Mapping[str, str]) -> "StripeSettings":
        """Read and check `[plugins.stripe_pay]` and the environment; ConfigError names the bad setting."""
        known = {"api_key", "api_base", "webhook_secret", "success_url", "timeout_seconds",
                 "max_network_retries", "lookup_limit"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigError(f"plugins.stripe_pay.{unknown[0]}: unknown setting (known: {', '.join(sorted(known))})")
        api_key = _text(config.get("api_key")) or _text(environ.get("STRIPE_API_KEY"))
        if api_key is not None and not api_key.startswith(("sk_", "rk_")):
            where = "plugins.stripe_pay.api_key" if config.get("api_key") else "STRIPE_API_KEY"
            hint = " (that looks like a publishable key)" if api_key.startswith("pk_") else ""
            raise ConfigError(f"{where}: not a Stripe secret key{hint}; it starts with sk_ or rk_")
        return cls(
            api_key=api_key,
            api_base=_api_base(config.get("api_base")),
            webhook_secret=_text(config.get("webhook_secret")) or _text(environ.get("STRIPE_WEBHOOK_SECRET")),
            success_url=_url(config.get("success_url"), "success_url"),
            timeout_seconds=_number(config.get("timeout_seconds", 30.0), "timeout_seconds", 0.001, 600),
            max_network_retries=int(_number(config.get("max_network_retries", 2), "max_network_retries", 0, 10,
                                            whole=True)),
            lookup_limit=int(_number(config.get("lookup_limit", 1000), "lookup_limit", 1, 100_000, whole=True)),
        )


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _url(value, name: str) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"plugins.stripe_pay.{name}: '{value}' is not an http(s) URL")
    return str(value)


def _api_base(value) -> str:
    url = _url(value, "api_base") or STRIPE_API_BASE
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        # The API key travels in every request's header: plain HTTP only to this machine.
        raise ConfigError(f"plugins.stripe_pay.api_base: '{url}' must use https (http only for 127.0.0.1)")
    if parts.username or parts.password or parts.query:
        raise ConfigError("plugins.stripe_pay.api_base: give a plain URL, without credentials or a query")
    return url.rstrip("/")


def _number(value, name: str, low: float, high: float, whole: bool = False) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not (low <= number <= high) or (whole and number != int(number)):
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"plugins.stripe_pay.{name}: '{value}' is not {kind} from {low:g} to {high:g}")
    return number
