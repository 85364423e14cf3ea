"""PayPal's error answers and its money format, as the emulator speaks them.

Errors are `{"name", "message", "debug_id", "details": [{"issue", "description"}], "links"}`
with a 4xx/5xx status; amounts are `{"currency_code", "value"}` with `value` a decimal string
of exactly the currency's decimals — checked and converted here without floats.
"""
from __future__ import annotations

import re
import secrets
import string
from typing import Any

# ISO 4217 exponents PayPal accepts (a subset: what a desk may price in).
_DECIMALS = {"USD": 2, "EUR": 2, "GBP": 2, "SGD": 2, "AUD": 2, "CAD": 2, "CNY": 2, "HKD": 2,
             "JPY": 0, "KRW": 0}


def debug_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(13))


class ApiError(Exception):
    """A PayPal error answer: HTTP status plus `{"name", "message", "debug_id", "details"}`."""

    def __init__(self, http_status: int, name: str, message: str, issue: str | None = None,
                 description: str | None = None, field_path: str | None = None):
        super().__init__(f"{http_status} {name}: {issue or message}")
        self.http_status = http_status
        self.name = name
        self.message = message
        self.issue = issue
        self.description = description
        self.field_path = field_path

    def body(self) -> dict:
        answer: dict[str, Any] = {"name": self.name, "message": self.message, "debug_id": debug_id()}
        if self.issue:
            detail = {"issue": self.issue, "description": self.description or self.message}
            if self.field_path:
                detail["field"] = self.field_path
                detail["location"] = "body"
            answer["details"] = [detail]
        anchor = self.issue or self.name
        answer["links"] = [{"href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{anchor}",
                            "rel": "information_link", "method": "GET"}]
        return answer


def unprocessable(issue: str, description: str) -> ApiError:
    return ApiError(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed, semantically "
                                                 "incorrect, or failed business validation.", issue, description)


def invalid_request(issue: str, description: str, field_path: str | None = None) -> ApiError:
    return ApiError(400, "INVALID_REQUEST",
                    "Request is not well-formed, syntactically incorrect, or violates schema.",
                    issue, description, field_path)


def not_found(what: str) -> ApiError:
    return ApiError(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
                    "INVALID_RESOURCE_ID", f"Specified resource ID does not exist. Please check the resource ID "
                                           f"and try again. ({what})")


# -- money as PayPal writes it: decimal strings, never floats -------------------------------------
_VALUE = re.compile(r"^(\d{1,10})(?:\.(\d+))?$")


def check_amount(amount: Any, where: str) -> None:
    if not isinstance(amount, dict) or "currency_code" not in amount or "value" not in amount:
        raise invalid_request("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing.", where)
    currency = amount["currency_code"]
    if currency not in _DECIMALS:
        raise unprocessable("CURRENCY_NOT_SUPPORTED", f"Currency code {currency!r} is not currently supported.")
    value = amount["value"]
    match = _VALUE.match(value) if isinstance(value, str) else None
    if not match:
        raise invalid_request("INVALID_PARAMETER_SYNTAX", "The value of a field does not conform to the expected "
                                                          "format.", where + "/value")
    if len(match.group(2) or "") > _DECIMALS[currency]:
        raise invalid_request("DECIMAL_PRECISION", f"If the currency supports decimals, only two decimal place "
                                                   f"precision is supported ({currency}: {_DECIMALS[currency]}).",
                              where + "/value")
    if to_minor(value, currency) <= 0:
        raise unprocessable("AMOUNT_NOT_POSITIVE", "Amount must be greater than zero.")


def to_minor(value: str, currency: str) -> int:
    exp = _DECIMALS[currency]
    whole, _, frac = value.partition(".")
    return int(whole) * 10**exp + int((frac or "").ljust(exp, "0") or 0)


def from_minor(minor: int, currency: str) -> str:
    exp = _DECIMALS[currency]
    whole, frac = divmod(minor, 10**exp)
    return f"{whole}.{frac:0{exp}d}" if exp else str(whole)
