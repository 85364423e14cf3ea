"""Stripe's error answers: `{"error": {"type", "code", "decline_code", "message", "param"}}` with
the HTTP status Stripe uses for each kind (400 invalid request, 401 bad key, 402 card error,
404 unknown resource, 500 Stripe's own failure)."""
from __future__ import annotations


class StripeApiError(Exception):
    """Raised inside the emulator; the app turns it into Stripe's error JSON."""

    def __init__(self, status: int, type_: str, message: str, *, code: str | None = None,
                 param: str | None = None, decline_code: str | None = None, **extra):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message
        self.code, self.param, self.decline_code, self.extra = code, param, decline_code, extra

    def body(self) -> dict:
        error = {"type": self.type, "message": self.message}
        for name in ("code", "param", "decline_code"):
            if getattr(self, name) is not None:
                error[name] = getattr(self, name)
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, param=param, code=code)


def missing(param: str) -> StripeApiError:
    return invalid(f"Missing required param: {param}.", param, "parameter_missing")


def no_such(kind: str, ident: str, param: str | None = None) -> StripeApiError:
    return StripeApiError(404, "invalid_request_error", f"No such {kind}: '{ident}'", param=param,
                          code="resource_missing")


def idempotency_mismatch(key: str) -> StripeApiError:
    return StripeApiError(400, "idempotency_error",
                          "Keys for idempotent requests can only be used with the same parameters they "
                          f"were first used with. Try using a key other than '{key}' if you meant to "
                          "execute a different request.")


def unauthorized(message: str) -> StripeApiError:
    return StripeApiError(401, "invalid_request_error", message)


def mask_key(key: str) -> str:
    """How Stripe echoes a bad key: the prefix and the last four characters only."""
    prefix = key[:8] if key.startswith(("sk_", "rk_", "pk_")) else ""
    return f"{prefix}{'*' * max(len(key) - len(prefix) - 4, 0)}{key[-4:] if len(key) > 8 else ''}"
