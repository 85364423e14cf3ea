"""One exception hierarchy for everything the core refuses.

Every message is written for the operator: it names the field or the rule and says what to do.
The CLI prints `str(error)` on one line and exits 2; the TUI shows it in place.
"""
from __future__ import annotations


class SmartpayError(Exception):
    """Base of every error the core raises on purpose."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(SmartpayError):
    """One or more fields of a form are wrong. `problems` maps each bad field, named by its
    label as the operator sees it ("Login", "Amount"), to what is wrong in words — every problem
    of the form at once, in the form's order (validate.Form collects them), so a screen marks
    them all in place and the CLI prints one line each. `field`/`problem` are the first."""

    code = "invalid_input"

    def __init__(self, field: str, problem: str, *, more: dict[str, str] | None = None):
        problems = {field: problem, **{f: p for f, p in (more or {}).items() if f != field}}
        super().__init__("; ".join(f"{f}: {p}" for f, p in problems.items()))
        self.field = field
        self.problem = problem
        self.problems = problems

    @classmethod
    def of(cls, problems: dict[str, str]) -> "InvalidInput":
        """The refusal for every problem of a form (label → problem; at least one)."""
        (field, problem), *rest = problems.items()
        return cls(field, problem, more=dict(rest))

    @property
    def lines(self) -> list[str]:
        """One line per bad field ("Login: is required"), in the form's order."""
        return [f"{field}: {problem}" for field, problem in self.problems.items()]


class NotFound(SmartpayError):
    code = "not_found"


class AuthenticationFailed(SmartpayError):
    code = "authentication_failed"


class AccountLocked(AuthenticationFailed):
    code = "account_locked"


class PermissionDenied(SmartpayError):
    code = "permission_denied"


class NotVisible(NotFound, PermissionDenied):
    """Missing, or another party's: deliberately one answer, so an operator cannot probe which
    orders, projects or accounts others have. Either kind of handler catches it."""
    code = "not_found"


class NotEligible(SmartpayError):
    """A payment method may not be used here; the message is the plugin's reason."""

    code = "not_eligible"


class InsufficientCredit(NotEligible):
    code = "insufficient_credit"


class InsufficientCoupon(SmartpayError):
    code = "insufficient_coupon"


class OrderStateError(SmartpayError):
    """The order is not in a state that allows this (already paid, cancelled, …)."""

    code = "order_state"


class OrderTimedOut(OrderStateError):
    code = "order_timed_out"


class PaymentInProgress(OrderStateError):
    """An attempt on this order is still processing or unknown (M3): settle it first."""

    code = "payment_in_progress"


class ConfigError(SmartpayError):
    code = "config_error"


class PluginError(SmartpayError):
    code = "plugin_error"
