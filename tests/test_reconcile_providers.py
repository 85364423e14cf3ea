"""M3 across processes with the REAL Stripe and PayPal plugins against their emulators: a
reconcile run with no memory of the charge (another process, `smartpay reconcile` from cron)
never cancels what it cannot see — it settles a lost saved-account answer without a second
capture, captures an approved PayPal order, and keeps a refused replay unknown, never failed."""
from __future__ import annotations

from smartpay.core.db.models import Order, RenewalPlan
from smartpay.core.plugin_host import ChargeStatus
from smartpay.emulators.faults import Fault

from paypal_support import approve_on_page
from provider_sides import attempts_of, refunds_of, set_up_plan, sides, world_of  # noqa: F401 — fixtures
from stripe_support import charge_request
from support import community_order, open_core


def test_m3_paypal_lost_vault_answer_is_settled_by_another_process_without_a_second_capture(world_of, clock, db_url):
    core, side = world_of("paypal")
    set_up_plan(core, side, clock)
    side.emulator.arm(Fault.TIMEOUT, "vault_charge")
    core.renew_runner.run()
    txn = Order.select().order_by(Order.id.desc()).first().txn
    assert attempts_of(txn)[-1].state == "unknown" and side.charges(txn) == 1   # captured, answer lost
    cron = open_core(db_url, clock, plugins=side.config())   # `smartpay reconcile` from cron: no memory
    try:
        clock.advance(minutes=16)
        summary = cron.reconciler.run()
    finally:
        cron.close()
    assert summary.paid == 1 and summary.timed_out == 0
    assert Order.get(Order.txn == txn).state == "succeeded" and RenewalPlan.get().cycles_done == 2
    clock.advance(hours=25)
    core.renew_runner.run()
    assert [side.charges(o.txn) for o in Order.select().order_by(Order.id)] == [1, 1]


def test_m3_paypal_expire_without_the_request_or_memory_is_undefined_never_canceled(world_of, clock):
    core, side = world_of("paypal")
    method = core.plugins.method("paypal")
    fresh = type(method.inner).from_config(side.config()["paypal_pay"])   # another process: no memory
    assert fresh.expire("29999999999999999", None).status == ChargeStatus.UNDEFINED


def test_m3_stripe_expire_of_an_unseen_off_session_charge_is_never_canceled(world_of, clock):
    core, side = world_of("stripe")
    set_up_plan(core, side, clock)
    [claim], _ = core.renew_runner.new_run()._claim(core.renewals.due_plan_ids())
    method = core.plugins.method("stripe")
    # Nothing found by search (never sent, or search lagging): the replay under the same key
    # answers what Stripe did — here it charges the cycle now, once — and a second replay agrees.
    first = method.expire(claim.txn, None, request=claim.request)
    again = method.expire(claim.txn, None, request=claim.request)
    assert first.status == ChargeStatus.PROCESSED and again.provider_ref == first.provider_ref
    assert side.charges(claim.txn) == 1
    # A hosted checkout never handed out is still fine to cancel.
    checkout = charge_request("20250910149999999")
    assert method.expire(checkout.txn, None, request=checkout).status == ChargeStatus.CANCELED


def test_m3_paypal_expire_of_an_approved_order_captures_it(world_of, clock, db_url):
    core, side = world_of("paypal")
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    approve_on_page(out.redirect_url)
    cron = open_core(db_url, clock, plugins=side.config())
    try:
        clock.advance(minutes=16)
        summary = cron.reconciler.run()
    finally:
        cron.close()
    assert summary.paid == 1
    assert Order.get(Order.txn == order.txn).state == "succeeded" and side.charges(order.txn) == 1
    # The payer's desk process polls afterwards: nothing changes, nothing is captured twice.
    attempt = attempts_of(order.txn)[-1]
    late = core.plugins.method("paypal").status(order.txn, attempt.provider_ref)
    core.payments.record_result(None, order.txn, attempt.id, late)
    assert side.charges(order.txn) == 1 and refunds_of(order.txn) == []


def test_m3_paypal_refused_replay_of_a_lost_vault_charge_is_unknown_never_failed(world_of, clock):
    """A saved-account charge captured at PayPal whose answer was lost is asked about by
    replaying the create call. Once PayPal has forgotten the request id, the replay is refused
    DUPLICATE_INVOICE_ID — the invoice is paid — so the attempt must stay unknown, not fail."""
    core, side = world_of("paypal")
    set_up_plan(core, side, clock)
    side.emulator.arm(Fault.TIMEOUT, "vault_charge")
    core.renew_runner.run()
    txn = Order.select().order_by(Order.id.desc()).first().txn
    assert attempts_of(txn)[-1].state == "unknown" and side.charges(txn) == 1   # captured, answer lost
    side.emulator.forget_request_ids()
    core.reconciler.run()
    clock.advance(minutes=16)   # past the window: reconcile now tries to close it
    summary = core.reconciler.run()
    assert summary.failed == 0 and summary.unknown == 1
    assert attempts_of(txn)[-1].state == "unknown" and Order.get(Order.txn == txn).state == "processing"
    assert "DUPLICATE_INVOICE_ID" in attempts_of(txn)[-1].detail
    assert side.charges(txn) == 1 and RenewalPlan.get().failures == 0   # not counted as a decline
