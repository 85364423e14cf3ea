"""The price list: money and credits per 30 days and an activation price for each
(project type, service type). Loaded from TOML and validated with messages that name the key."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .domain import SERVICE_TYPES, ProjectType
from .errors import ConfigError, InvalidInput
from .money import Money, check_currency
from .terminal_text import escape_char, first_unsafe_entry, visible


@dataclass(frozen=True)
class Price:
    activation: int           # minor units
    per_30_days: int          # minor units
    activation_credits: int
    credits_per_30_days: int


@dataclass(frozen=True)
class PriceList:
    currency: str
    price_per_credit: int     # minor units for one credit bought
    prices: dict[tuple[ProjectType, str], Price]
    sample: bool
    source: str

    def price(self, project_type: ProjectType | str, service_type: str) -> Price:
        key = (ProjectType(project_type), service_type)
        try:
            return self.prices[key]
        except KeyError:
            raise ConfigError(f"price list: no price for {key[0].value}.{service_type}") from None

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


def _amount(value, currency: str, where: str) -> int:
    if not isinstance(value, str):
        raise ConfigError(f"price list {where}: write money as a quoted decimal string like \"2.50\"")
    try:
        return Money.parse(value, currency).amount
    except InvalidInput as exc:
        raise ConfigError(f"price list {where}: {exc.problem}") from None


def _whole(value, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"price list {where}: must be a whole number of credits (0 or more)")
    return value


def parse_price_list(text: str, source: str) -> PriceList:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"price list {source}: not valid TOML ({exc})") from None
    unsafe = first_unsafe_entry(data)
    if unsafe is not None:
        # R14: the price list's names and labels reach operators' screens (quotes, error messages).
        key, char = unsafe
        raise ConfigError(f"price list {key}: must be text without control characters or text-direction "
                          f"overrides (found {escape_char(char)} in {visible(source)})")
    try:
        currency = check_currency(data.get("currency", ""), "currency")
    except InvalidInput as exc:
        raise ConfigError(f"price list currency: {exc.problem}") from None
    credits = data.get("credits", {})
    price_per_credit = _amount(credits.get("price_per_credit"), currency, "credits.price_per_credit")
    if price_per_credit <= 0:
        raise ConfigError("price list credits.price_per_credit: must be above 0")
    prices: dict[tuple[ProjectType, str], Price] = {}
    for ptype, services in SERVICE_TYPES.items():
        table = data.get(ptype.value)
        if not isinstance(table, dict):
            raise ConfigError(f"price list: missing table [{ptype.value}.*]")
        unknown = set(table) - set(services)
        if unknown:
            raise ConfigError(f"price list {ptype.value}: unknown service type(s) {', '.join(sorted(unknown))}")
        for stype in services:
            entry = table.get(stype)
            where = f"{ptype.value}.{stype}"
            if not isinstance(entry, dict):
                raise ConfigError(f"price list: missing table [{where}]")
            for need in ("activation", "per_30_days", "activation_credits", "credits_per_30_days"):
                if need not in entry:
                    raise ConfigError(f"price list {where}.{need}: missing")
            prices[(ptype, stype)] = Price(
                activation=_amount(entry["activation"], currency, f"{where}.activation"),
                per_30_days=_amount(entry["per_30_days"], currency, f"{where}.per_30_days"),
                activation_credits=_whole(entry["activation_credits"], f"{where}.activation_credits"),
                credits_per_30_days=_whole(entry["credits_per_30_days"], f"{where}.credits_per_30_days"),
            )
    return PriceList(currency, price_per_credit, prices, bool(data.get("sample", False)), source)


def load_price_list(path: str | Path | None = None) -> PriceList:
    """The configured price list, or the shipped sample when `path` is None."""
    if path is None:
        text = resources.files("smartpay.core.data").joinpath("sample_prices.toml").read_text("utf-8")
        return parse_price_list(text, "sample_prices.toml (built-in sample)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"price list: cannot read {path} ({exc.strerror})") from None
    return parse_price_list(text, str(path))
