"""Configuration: a TOML file (SMARTPAY_CONFIG or the user's config dir) plus environment.

Secrets (API keys) may live here or in the environment; they are never written to the
database, never logged and never printed.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from .errors import ConfigError
from .platform_time import PlatformTime, parse_timezone
from .terminal_text import escape_char, first_unsafe_entry, visible

DEFAULT_PAYEE_NOTICE = (
    "Please note that the payment recipient has been changed to SMART-PLUS PTE. LTD in Singapore. "
    "SMART-PLUS PTE. LTD. is one of Akuvox's authorized operation companies for the cloud service."
)


def masked_db_url(url: str) -> str:
    """`url` with the password (if any) replaced by ***: fit for reprs, logs and error messages."""
    return re.sub(r"^([a-z0-9+.-]+://[^:/@]*:)[^@]*@", r"\1***@", url or "", flags=re.IGNORECASE)


def default_db_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("smartpay", appauthor=False))
    return f"sqlite:///{data_dir / 'smartpay.db'}"


@dataclass(repr=False)
class Settings:
    db_url: str = field(default_factory=default_db_url)
    timezone: str = "GMT+8"
    order_window_minutes: int = 15
    payee_notice: str = DEFAULT_PAYEE_NOTICE
    price_list: str | None = None  # path to a TOML price list; None = the shipped sample
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    # Plugin tables carry API keys and client secrets: kept out of repr (crash screens show locals).
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    # R7 auto-renew runner: charge a plan when its upcoming expiry is this close; retry a decline
    # after these many hours (one entry per retry; after the last the plan stops); how many
    # provider calls run at once.
    renew_lead_hours: int = 24
    renew_retry_hours: list[int] = field(default_factory=lambda: [24, 72, 120])
    renew_concurrency: int = 8

    def __repr__(self) -> str:
        # The dataclass repr, with the database password masked and the plugin tables left out.
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr}
        shown["db_url"] = masked_db_url(self.db_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def platform_time(self) -> PlatformTime:
        return PlatformTime(parse_timezone(self.timezone))

    def plugin_config(self, key: str) -> dict[str, Any]:
        return dict(self.plugins.get(key, {}))


_KNOWN = {"db_url", "timezone", "order_window_minutes", "payee_notice", "price_list",
          "max_failed_logins", "lockout_minutes", "plugins", "renew_lead_hours", "renew_retry_hours",
          "renew_concurrency"}


def load_settings(path: str | os.PathLike | None = None, env: dict[str, str] | None = None,
                  **overrides: Any) -> Settings:
    env = os.environ if env is None else env
    path = path or env.get("SMARTPAY_CONFIG")
    data: dict[str, Any] = {}
    if path is None:
        candidate = Path(platformdirs.user_config_dir("smartpay", appauthor=False)) / "config.toml"
        path = candidate if candidate.exists() else None
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config: file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config: {path} is not valid TOML ({exc})") from None
    # R14: configuration text reaches operators' screens (the payee notice on every payment step,
    # plugin settings in the plugins list, values quoted in error messages): refused at load.
    _refuse_unsafe(data, f"the config file {visible(str(path))}")
    unknown = set(data) - _KNOWN
    if unknown:
        raise ConfigError(f"config: unknown setting(s) {', '.join(sorted(unknown))}")
    if env.get("SMARTPAY_DB"):
        _refuse_unsafe({"db_url": env["SMARTPAY_DB"]}, "SMARTPAY_DB")
        data["db_url"] = env["SMARTPAY_DB"]
    given = {k: v for k, v in overrides.items() if v is not None}
    _refuse_unsafe(given, "the command line")
    data.update(given)
    settings = Settings(**data)
    settings.platform_time  # validate the timezone now, not at first use
    if not isinstance(settings.payee_notice, str):
        raise ConfigError("payee_notice: must be text")
    if not isinstance(settings.order_window_minutes, int) or settings.order_window_minutes <= 0:
        raise ConfigError("order_window_minutes: must be a whole number of minutes above 0")
    _check_renewal_settings(settings)
    return settings


def _refuse_unsafe(data: dict, source: str) -> None:
    found = first_unsafe_entry(data)
    if found is not None:
        key, char = found
        raise ConfigError(f"{key}: must be text without control characters or text-direction overrides "
                          f"(found {escape_char(char)} in {source})")


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _check_renewal_settings(settings: Settings) -> None:
    if not _whole(settings.renew_lead_hours, 0):
        raise ConfigError("renew_lead_hours: must be a whole number of hours, 0 or more")
    retry = settings.renew_retry_hours
    if not isinstance(retry, (list, tuple)) or not all(_whole(h, 1) for h in retry):
        raise ConfigError("renew_retry_hours: must be a list of whole hours above 0, e.g. [24, 72, 120]")
    settings.renew_retry_hours = list(retry)
    if not _whole(settings.renew_concurrency, 1) or settings.renew_concurrency > 64:
        raise ConfigError("renew_concurrency: must be a whole number from 1 to 64")
