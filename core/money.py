"""Money as integer minor units plus a currency code; credits as a pseudo-currency of exponent 0.

Never floats: amounts typed by people are parsed as decimal strings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidInput

CREDIT = "CREDIT"
# ISO 4217 exponents of the currencies a price list or coupon may use.
_EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "SGD": 2, "AUD": 2, "CAD": 2, "CNY": 2, "HKD": 2,
              "JPY": 0, "KRW": 0, CREDIT: 0}
_AMOUNT = re.compile(r"^(\d{1,12})(?:\.(\d+))?$")


def exponent(currency: str) -> int:
    try:
        return _EXPONENTS[currency]
    except KeyError:
        raise InvalidInput("currency", f"'{currency}' is not a supported currency "
                           f"({', '.join(sorted(c for c in _EXPONENTS if c != CREDIT))})") from None


def check_currency(currency: str, field: str = "currency") -> str:
    code = (currency or "").strip().upper()
    if code == CREDIT or code not in _EXPONENTS:
        raise InvalidInput(field, f"“{currency}” is not a supported currency")
    return code


@dataclass(frozen=True, order=True)
class Money:
    amount: int  # minor units (cents), or whole credits when currency is CREDIT
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    @classmethod
    def parse(cls, text: str, currency: str, field: str = "amount") -> "Money":
        """Parse '50', '50.5' or '50.00' in `currency` without floats."""
        exp = exponent(currency)
        m = _AMOUNT.match((text or "").strip())
        if not (text or "").strip():
            raise InvalidInput(field, "is required (an amount like 50.00)")
        if not m:
            raise InvalidInput(field, f"“{text}” is not an amount like 50.00")
        whole, frac = m.group(1), m.group(2) or ""
        if len(frac) > exp:
            raise InvalidInput(field, f"“{text}” has more than {exp} decimals for {currency}")
        return cls(int(whole) * 10**exp + int(frac.ljust(exp, "0") or 0), currency)

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    @property
    def is_credit(self) -> bool:
        return self.currency == CREDIT

    def format(self) -> str:
        if self.is_credit:
            return f"{self.amount} credit" + ("" if self.amount == 1 else "s")
        exp = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole:,}" + (f".{frac:0{exp}d}" if exp else "") + f" {self.currency}"

    def plain(self) -> str:
        """'50.00' — for machine output and form fields."""
        exp = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole}" + (f".{frac:0{exp}d}" if exp else "")

    def __str__(self) -> str:
        return self.format()


def prorate(price_per_30_days: int, days: int) -> int:
    """R6: price × days / 30, rounded up to the minor unit (or whole credit)."""
    if days <= 0:
        return 0
    return -(-price_per_30_days * days // 30)
