"""R7 with the REAL Stripe and PayPal plugins, through the REAL core, against their emulators: a
queued cycle charge that outlives its window is charged once (reconcile learns the truth first),
and an item already on an active auto-renew plan cannot get a second one."""
from __future__ import annotations

import pytest

from smartpay.core.db.models import Order, RenewalPlan
from smartpay.core.errors import InvalidInput
from smartpay.core.services.quotes import Selection

from provider_sides import refunds_of, set_up_plan, sides, world_of  # noqa: F401 — fixtures


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
