"""M8: whatever a plugin raises, the desk stays up.

The host hands the core every registered method wrapped in a `ContainedMethod`: the one place
where a plugin's call can fail. Callers never need a try/except of their own for a plugin's
bug, and they never see a foreign exception:

- `configured()` / `check_eligibility()` that raise (or answer something that is not an
  Eligibility) make the method *not eligible* with "plugin error (<plugin>)": it is greyed out,
  the other methods are still offered.
- every other call (`charge`, `charge_saved`, `status`, `expire`, `refund`, `refund_status`,
  `parse_webhook`) that raises — or answers something that is not a ChargeResult/WebhookEvent —
  raises `PluginError` instead: a SmartpayError with a one-line message naming the plugin and
  the exception's type, which every caller already turns into an outcome (a charge sent to a
  provider becomes an unknown outcome for reconcile, M3; an in-core charge rolls its
  transaction back and is refused; the CLI prints one line; the TUI shows it in place).
- the core's own refusals raised inside a call (a SmartpayError, e.g. the Tender's
  InsufficientCredit) and `WebhookRejected` pass through unchanged: they are answers, not bugs.

The traceback goes to the `smartpay.plugins` log, never to the screen: an exception's text may
quote a provider payload or a secret.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from ..errors import PluginError, SmartpayError
from .method import ChargeRequest, ChargeResult, Eligibility, PaymentContext, RefundRequest, WebhookEvent, \
    WebhookRejected

log = logging.getLogger("smartpay.plugins")


def plugin_error(plugin: str) -> str:
    """The reason a payer reads for a method whose plugin failed."""
    return f"plugin error ({plugin})"


def report(plugin: str, call: str, exc: BaseException | None = None, answered: Any = None) -> None:
    """Log a plugin's failure: with its traceback when it raised, with the wrong answer's type otherwise."""
    if exc is not None:
        log.error("plugin %s: %s raised %s", plugin, call, type(exc).__name__, exc_info=exc)
    else:
        log.error("plugin %s: %s answered %s", plugin, call, type(answered).__name__)


class ContainedMethod:
    """A registered PaymentMethod as the core sees it. Declared attributes (key, label, family,
    capability flags) and the plugin's own helpers read through to the method; the contract's
    calls are contained (see the module doc). `inner` is the plugin's own object."""

    def __init__(self, method: Any, plugin: str):
        self.inner = method
        self.plugin = plugin

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"ContainedMethod({self.inner!r}, plugin={self.plugin!r})"

    # -- eligibility: a failure greys the method out --------------------------------------------------
    def _judge(self, call: str, fn: Callable[..., Any], *args: Any) -> Eligibility:
        try:
            answer = fn(*args)
        except Exception as exc:
            report(self.plugin, f"{self.key}.{call}", exc)
            return Eligibility.no(plugin_error(self.plugin))
        if not isinstance(answer, Eligibility) or not isinstance(answer.eligible, bool):
            report(self.plugin, f"{self.key}.{call}", answered=answer)
            return Eligibility.no(plugin_error(self.plugin))
        if not answer.eligible and not (isinstance(answer.reason, str) and answer.reason.strip()):
            report(self.plugin, f"{self.key}.{call} (a refusal without a reason)", answered=answer)
            return Eligibility.no(plugin_error(self.plugin))
        return answer

    def configured(self) -> Eligibility:
        return self._judge("configured", self.inner.configured)

    def check_eligibility(self, context: PaymentContext) -> Eligibility:
        return self._judge("check_eligibility", self.inner.check_eligibility, context)

    # -- calls that answer a ChargeResult: a failure is a PluginError ---------------------------------
    def _call(self, call: str, fn: Callable[..., Any], *args: Any, expect: type = ChargeResult) -> Any:
        try:
            answer = fn(*args)
        except (SmartpayError, WebhookRejected):
            raise   # the core's refusals (raised through the Tender) and rejected webhooks are answers
        except Exception as exc:
            report(self.plugin, f"{self.key}.{call}", exc)
            raise PluginError(f"{plugin_error(self.plugin)}: {self.label} failed in {call} "
                              f"({type(exc).__name__}); details are in the log") from None
        if not isinstance(answer, expect):
            report(self.plugin, f"{self.key}.{call}", answered=answer)
            raise PluginError(f"{plugin_error(self.plugin)}: {self.label} answered {call} with "
                              f"{type(answer).__name__}, not a {expect.__name__}")
        return answer

    def charge(self, request: ChargeRequest) -> ChargeResult:
        return self._call("charge", self.inner.charge, request)

    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        return self._call("charge_saved", self.inner.charge_saved, request)

    def status(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        return self._call("status", self.inner.status, txn, provider_ref, request)

    def expire(self, txn: str, provider_ref: str | None, request: ChargeRequest | None = None) -> ChargeResult:
        return self._call("expire", self.inner.expire, txn, provider_ref, request)

    def refund(self, request: RefundRequest) -> ChargeResult:
        return self._call("refund", self.inner.refund, request)

    def refund_status(self, request: RefundRequest, refund_ref: str) -> ChargeResult:
        return self._call("refund_status", self.inner.refund_status, request, refund_ref)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        return self._call("parse_webhook", self.inner.parse_webhook, headers, body, expect=WebhookEvent)

    def instructions(self, order: Any) -> str:
        """What the payer must do (offline methods); a failure shows no instructions, not a crash."""
        try:
            text = self.inner.instructions(order)
        except Exception as exc:
            report(self.plugin, f"{self.key}.instructions", exc)
            return ""
        if not isinstance(text, str):
            report(self.plugin, f"{self.key}.instructions", answered=text)
            return ""
        return text

    def describe(self) -> dict:
        try:
            described = self.inner.describe()
            if isinstance(described, dict):
                return described
            report(self.plugin, f"{self.key}.describe", answered=described)
        except Exception as exc:
            report(self.plugin, f"{self.key}.describe", exc)
        return {"key": self.key, "label": self.label, "error": plugin_error(self.plugin)}
