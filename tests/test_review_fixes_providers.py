"""Regression tests for the review's money findings (issue 3) that need the REAL Stripe and PayPal
plugins, through the REAL core, against their local emulators (real SDKs over real HTTP).

Each test reproduces one finding the way the reviewer did and asserts the money outcome: charged
at most once, never kept without being applied, never CANCELED without the provider's evidence."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import stripe

from smartpay.core.db.models import Notification, Order, PaymentAttempt, Refund, RenewalPlan, WebhookInbox
from smartpay.core.errors import InvalidInput
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, RefundRequest, WebhookEvent
from smartpay.core.services.quotes import Selection
from smartpay.core.payments.renew_runner import RenewalRunner
from smartpay.emulators.faults import Fault
from smartpay.plugins.paypal_pay.webhooks import _event

from paypal_support import approve_on_page
from provider_sides import sides, world_of  # noqa: F401 — fixtures
from stripe_support import WEBHOOK_SECRET, charge_request
from support import GMT8, community_order, open_core

SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)    # an auto-renew order is paid
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)     # its next cycle is due


def attempts_of(txn):
    return list(PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id))


def poll(core, txn):
    attempt = attempts_of(txn)[-1]
    result = core.plugins.method(attempt.method).status(txn, attempt.provider_ref)
    return core.payments.record_result(None, txn, attempt.id, result)


def auto_item_selection(core):
    item = core.accounts.add_item(core.world.community.id, "app", "Auto 1", expires="2025-08-31")
    return Selection("community", installer="inst_regular", project_ids=(core.world.community.id,),
                     item_ids=(item.id,))


def set_up_plan(core, side, clock):
    """An auto-renew order paid on the hosted page (the plan's source); the clock then moves to
    the next cycle's due time. Returns the source order's txn."""
    ak = core.auth.actor("aktest")
    clock.set(SET_UP_AT)
    order = core.orders.create(ak, "renewal", auto_item_selection(core), accept_terms=True, renew_mode="auto",
                               auto_cycles=3)
    out = core.payments.pay(ak, order.txn, side.key)
    side.payer_acts(out.redirect_url)
    assert poll(core, order.txn).order.state == "succeeded"
    assert RenewalPlan.select().count() == 1
    clock.set(RENEW_AT)
    return order.txn


def refunds_of(txn):
    return [r.state for r in Refund.select().join(PaymentAttempt).join(Order).where(Order.txn == txn)]


# -- finding 2 (R7): a queued cycle charge that outlives its window is never charged twice ------------------
@pytest.mark.parametrize("provider", ["stripe", "paypal"])
def test_r7_reconcile_of_a_queued_cycle_charge_learns_the_truth_and_charges_once(world_of, clock, provider):
    core, side = world_of(provider)
    set_up_plan(core, side, clock)
    [claim], _ = core.renew_runner.new_run()._claim(core.renewals.due_plan_ids())
    clock.advance(minutes=16)                    # the worker queue was backed up; reconcile runs first
    summary = core.reconciler.run()
    assert summary.timed_out == 0 and summary.failed == 0
    result = claim.method.charge_saved(claim.request)   # the worker finally sends the charge
    core.payments.record_results([(claim.txn, claim.attempt_id, result)])
    order = Order.get(Order.txn == claim.txn)
    assert side.charges(claim.txn) == 1
    assert order.state == "succeeded" and refunds_of(claim.txn) == []
    plan = RenewalPlan.get()
    assert plan.cycles_done == 2 and plan.failures == 0
    clock.advance(hours=25)
    core.renew_runner.run()
    assert Order.select().count() == 2           # no cycle order was opened again for the same cycle


# -- finding 3 (M3): another process's reconcile never cancels a saved-account charge it cannot see -------
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


# -- finding 4 + 1: PayPal expire on an approved order captures it; a late capture is never kept -----------
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


def test_m2_paid_answer_for_a_cancelled_attempt_is_refunded_not_kept(world_of, clock):
    core, side = world_of("paypal")
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    attempt = attempts_of(order.txn)[-1]
    clock.advance(minutes=16)
    core.reconciler.run()                        # never approved: CANCELED, the order times out
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    approve_on_page(out.redirect_url)            # the payer approves the old page anyway
    fresh = type(core.plugins.method("paypal").inner).from_config(side.config()["paypal_pay"])   # another process
    late = fresh.status(order.txn, attempt.provider_ref)
    assert late.status == ChargeStatus.PROCESSED and side.charges(order.txn) == 1
    core.payments.record_result(None, order.txn, attempt.id, late)
    assert refunds_of(order.txn) == ["succeeded"]
    assert PaymentAttempt.get_by_id(attempt.id).state == "refunded"
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    assert Notification.select().where(Notification.kind == "payment_refunded").count() == 1


# -- finding 5 (R7): one item, one active auto-renew plan ------------------------------------------------------
def test_r7_auto_renew_order_for_an_item_already_on_an_active_plan_is_refused(world_of, clock):
    core, side = world_of("stripe")
    set_up_plan(core, side, clock)
    ak = core.auth.actor("aktest")
    item_ids = tuple(i for (i,) in RenewalPlan.get().items.select(RenewalPlan.items.rel_model.item).tuples())
    selection = Selection("community", installer="inst_regular", project_ids=(core.world.community.id,),
                          item_ids=item_ids)
    with pytest.raises(InvalidInput) as refused:
        core.quotes.quote(ak, "renewal", selection, renew_mode="auto", auto_cycles=6)
    assert refused.value.field == "items" and "'Auto 1'" in str(refused.value)
    with pytest.raises(InvalidInput):
        core.orders.create(ak, "renewal", selection, accept_terms=True, renew_mode="auto", auto_cycles=6)
    # Manual renewal of the same item stays possible, and the plan's own cycle still quotes.
    core.quotes.quote(ak, "renewal", selection, renew_mode="manual", renew_to="2025-12-30")
    assert core.renewals.preview(RenewalPlan.get().id).amount is not None


# -- finding 6: a completed-capture webhook carries the saved vault id ---------------------------------------
def test_r7_paypal_capture_webhook_first_still_sets_up_the_plan(world_of, clock):
    core, side = world_of("paypal")
    ak = core.auth.actor("aktest")
    clock.set(SET_UP_AT)
    order = core.orders.create(ak, "renewal", auto_item_selection(core), accept_terms=True, renew_mode="auto",
                               auto_cycles=3)
    out = core.payments.pay(ak, order.txn, "paypal")
    approve_on_page(out.redirect_url)
    attempt = attempts_of(order.txn)[-1]
    side.emulator.arm(Fault.TIMEOUT, "capture_order")            # the capture's answer is lost
    lost = core.plugins.method("paypal").status(order.txn, attempt.provider_ref)
    core.payments.record_result(None, order.txn, attempt.id, lost)
    state = side.emulator.app.state
    [capture] = list(state.captures.values())
    event = side.emulator.app.signer.event("PAYMENT.CAPTURE.COMPLETED", capture.as_json(state.base_url))
    parsed = _event(event, core.plugins.method("paypal")._gateway.get_order)
    assert parsed.result.status == ChargeStatus.PROCESSED and parsed.result.saved_method
    core.webhook_inbox.receive("paypal", parsed)
    assert Order.get(Order.txn == order.txn).state == "succeeded"
    assert RenewalPlan.get().saved_method == parsed.result.saved_method
    assert Notification.select().where(Notification.kind == "renewal_not_set_up").count() == 0


def test_r7_paypal_capture_webhook_whose_order_cannot_be_read_announces_nothing(world_of, clock):
    core, side = world_of("paypal")
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    approve_on_page(out.redirect_url)
    attempt = attempts_of(order.txn)[-1]
    assert core.plugins.method("paypal").status(order.txn, attempt.provider_ref).status == ChargeStatus.PROCESSED
    state = side.emulator.app.state
    [capture] = list(state.captures.values())
    event = side.emulator.app.signer.event("PAYMENT.CAPTURE.COMPLETED", capture.as_json(state.base_url))
    side.emulator.arm(Fault.HTTP_500, "get_order")
    parsed = _event(event, core.plugins.method("paypal")._gateway.get_order)
    assert parsed.result is None and parsed.provider_ref == attempt.provider_ref


# -- finding 7 (M1): Stripe's idempotency refusals are unknown outcomes, not failures ------------------------
def test_m1_stripe_idempotency_error_is_undefined_not_a_failure(world_of):
    core, side = world_of("stripe")
    method = core.plugins.method("stripe")
    request = charge_request("20250910140000777")
    first = method.charge(request)
    # The same key with other details (e.g. a request rebuilt slightly differently): Stripe refuses
    # with idempotency_error — but the first request under this key did happen.
    clash = method.charge(charge_request("20250910140000777", amount=2500))
    assert first.status == ChargeStatus.PENDING
    assert clash.status == ChargeStatus.UNDEFINED and clash.detail["error"] == "IdempotencyError"
    assert method.status(request.txn, None).provider_ref == first.provider_ref


def test_m1_stripe_key_in_use_409_is_undefined(world_of):
    core, side = world_of("stripe")
    method = core.plugins.method("stripe")
    request = charge_request("20250910140000778")
    side.emulator.arm(Fault.SLOW, "create_session")            # the first request is still being handled
    first: list = []
    sender = threading.Thread(target=lambda: first.append(method.charge(request)))
    sender.start()
    time.sleep(0.03)
    second = method.charge(request)
    sender.join()
    assert second.status == ChargeStatus.UNDEFINED and second.detail.get("http_status") == 409
    assert first[0].status == ChargeStatus.PENDING
    assert len(side.emulator.sessions_for(request.txn)) == 1


def test_m1_stripe_emulator_answers_409_for_a_concurrent_same_key_request(world_of):
    _, side = world_of("stripe")
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": side.emulator.url}, max_network_retries=0)
    side.emulator.arm(Fault.SLOW, "create_customer")
    errors: list = []

    def create():
        try:
            client.v1.customers.create({"name": "a"}, {"idempotency_key": "same-key"})
        except stripe.StripeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    threads[0].start()
    time.sleep(0.03)
    threads[1].start()
    for t in threads:
        t.join()
    assert [(e.http_status, e.json_body["error"]["code"]) for e in errors] == [(409, "idempotency_key_in_use")]


# -- finding 8 (M5): a foreign event's long txn is ignored, not a database error ------------------------------
def test_m5_webhook_with_a_foreign_long_txn_is_ignored(world_of):
    core, _ = world_of("stripe")
    event = WebhookEvent(event_id="evt_foreign", type="checkout.session.completed",
                         txn="order-from-another-app-on-this-stripe-account-1234567890", provider_ref="cs_x",
                         result=None)
    receipt = core.webhook_inbox.receive("stripe", event)
    assert receipt.outcome == "ignored"
    row = WebhookInbox.get(WebhookInbox.event_id == "evt_foreign")
    assert row.txn is None and row.state == "ignored"
    assert core.webhook_inbox.receive("stripe", event).outcome == "replay"


# -- finding 9: a pending refund is looked up by its id, never posted again --------------------------------------
@pytest.mark.parametrize("provider", ["stripe", "paypal"])
def test_m3_pending_refund_is_looked_up_by_its_id(world_of, clock, provider):
    core, side = world_of(provider)
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, provider)
    side.payer_acts(out.redirect_url)
    attempt = attempts_of(order.txn)[-1]
    paid = core.plugins.method(provider).status(order.txn, attempt.provider_ref)
    with core.payments.write():                 # the item moved meanwhile: the payment is refunded
        from smartpay.core.db.models import Item, OrderItem
        line = OrderItem.get(OrderItem.order == Order.get(Order.txn == order.txn).id)
        Item.update(expires_at=line.expires_before + dt.timedelta(days=1)).where(Item.id == line.item_id).execute()
    if provider == "stripe":
        side.emulator.arm(Fault.PENDING, "create_refund")
    else:
        side.emulator.arm(Fault.PENDING, "refund_capture")
    core.payments.record_result(None, order.txn, attempt.id, paid)
    refund = Refund.get()
    assert refund.state == "unknown" and refund.provider_ref
    if provider == "stripe":
        side.emulator.settle(refund.provider_ref)
        refunds_at_provider = lambda: len(side.emulator.store.refunds)  # noqa: E731
    else:
        side.emulator.complete_refund(refund.provider_ref)
        refunds_at_provider = lambda: len(side.emulator.app.state.refunds)  # noqa: E731
    assert core.reconciler.run().refunded == 1
    assert Refund.get().state == "succeeded" and refunds_at_provider() == 1


def test_m3_refund_status_default_asks_refund_again(world_of):
    from smartpay.core.plugin_host import PaymentMethod, ChargeResult

    class Old(PaymentMethod):
        key = "old"

        def charge(self, request):   # the one abstract method
            raise AssertionError("not called")

        def refund(self, request):
            return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref="r1")

    request = RefundRequest("20250910140000001", "x", Money(100, "USD"), "k")
    assert Old().refund_status(request, "r1").status == ChargeStatus.PROCESSED


# -- second review (this session): money kept after a transient failure ---------------------------------------
def test_m3_stripe_refund_whose_lookup_times_out_is_asked_again_not_failed(world_of, clock):
    """A payment that can no longer be applied is refunded; when Stripe does not answer the
    refund's first step (reading the session), the refund stays open and reconcile completes it."""
    core, side = world_of("stripe")
    ak = core.auth.actor("aktest")
    first = community_order(core, ["apt101"], renew_to="2025-10-30")
    second = community_order(core, ["apt101"], renew_to="2025-11-15")
    opened_first = core.payments.pay(ak, first.txn, "stripe")
    side.payer_acts(core.payments.pay(ak, second.txn, "stripe").redirect_url)
    assert poll(core, second.txn).order.state == "succeeded"
    side.payer_acts(opened_first.redirect_url)    # paid too, but its item moved: it must be refunded
    attempt = attempts_of(first.txn)[-1]
    paid = core.plugins.method("stripe").status(first.txn, attempt.provider_ref)
    side.emulator.arm(Fault.TIMEOUT, "retrieve_session")   # the refund's first step gets no answer
    assert core.payments.record_result(None, first.txn, attempt.id, paid).order.state == "failed"
    assert refunds_of(first.txn) == ["unknown"]   # not "failed": nothing said the refund was refused
    summary = core.reconciler.run()
    assert summary.refunded == 1 and refunds_of(first.txn) == ["succeeded"]
    assert [r["status"] for r in side.emulator.store.refunds.values()] == ["succeeded"]


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
