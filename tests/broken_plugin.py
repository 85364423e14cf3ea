"""A deliberately broken payment plugin (M8 tests): it raises in the hooks named in
$BROKEN_PAY_RAISES (comma-separated: configured, check_eligibility, charge, charge_saved, status,
expire, refund, refund_status, parse_webhook, describe, veto, order_completed). Read at every call,
so one test can break a hook between two commands. Otherwise it behaves: a provider-like method
whose charge is PENDING (status PROCESSED), and which supports auto-renew.

`install(folder)` writes a throwaway `*.dist-info` declaring it in the `smartpay` entry-point
group, so that any process with `folder` and tests/ on its path loads it like a third-party
plugin (the CLI, the TUI, `smartpay` run in tmux)."""
from __future__ import annotations

import os
from pathlib import Path

from smartpay.core.plugin_api import (ChargeResult, ChargeStatus, Eligibility, Grant, PaymentMethod,
                                      hookimpl)

ENV = "BROKEN_PAY_RAISES"
PLUGIN = "broken_pay"
__version__ = "0.1"


def breaks(hook: str) -> bool:
    return hook in {h.strip() for h in os.environ.get(ENV, "").split(",")}


def maybe_raise(hook: str) -> None:
    if breaks(hook):
        raise RuntimeError(f"broken_pay deliberately broke {hook} (secret=sk_live_should_not_show)")


class BrokenMethod(PaymentMethod):
    key = "broken"
    label = "Broken Pay"
    family = Grant.REGULAR
    supports_auto_renew = True

    def configured(self):
        maybe_raise("configured")
        return Eligibility.ok()

    def check_eligibility(self, context):
        maybe_raise("check_eligibility")
        return Eligibility.ok()

    def charge(self, request):
        maybe_raise("charge")
        return ChargeResult(ChargeStatus.PENDING, provider_ref=f"brk_{request.txn}",
                            redirect_url=f"https://broken.example/pay/{request.txn}", saved_method="brk_saved")

    def charge_saved(self, request):
        maybe_raise("charge_saved")
        return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=f"brk_saved_{request.txn}")

    def status(self, txn, provider_ref, request=None):
        maybe_raise("status")
        return ChargeResult(ChargeStatus.PROCESSED, request.amount if request else None,
                            provider_ref=provider_ref, saved_method="brk_saved")

    def expire(self, txn, provider_ref, request=None):
        maybe_raise("expire")
        return ChargeResult(ChargeStatus.CANCELED, message="expired")

    def refund(self, request):
        maybe_raise("refund")
        return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=f"brk_refund_{request.txn}")

    def refund_status(self, request, refund_ref):
        maybe_raise("refund_status")
        return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=refund_ref)

    def parse_webhook(self, headers, body):
        maybe_raise("parse_webhook")
        return super().parse_webhook(headers, body)

    def describe(self):
        maybe_raise("describe")
        return super().describe()


@hookimpl
def register_payment_methods(register):
    """Register the broken method."""
    register(BrokenMethod())


@hookimpl
def veto_payment_method(method, context):
    """Raise when asked to (a policy hook with a bug); otherwise veto nothing."""
    maybe_raise("veto")
    return None


@hookimpl
def order_completed(order):
    """Raise when asked to (a notice hook with a bug)."""
    maybe_raise("order_completed")


def install(folder: Path) -> Path:
    """Declare this module as the `broken_pay` plugin of a throwaway distribution in `folder`."""
    info = Path(folder) / "smartpay_broken_pay-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: smartpay-broken-pay\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[smartpay]\n{PLUGIN} = broken_plugin\n")
    return Path(folder)
