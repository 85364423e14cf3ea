"""Recording a batch of answers in one transaction (the renew runner's way, `core/db/bulk.py`
for the common paid cycle) writes exactly the rows that recording each answer on its own, the
paid ones row by row (`OrderCompletion.complete`, `renewals.on_paid`; `Settlement(bulk_writes=False)`), writes.

The same desk is built twice from the same seed, the same due plans answer the same way — paid,
paid on the plan's last cycle, declined, unknown, pending, interleaved so the bulk writes are
flushed mid-batch — once recorded in batches and once one by one; every table that recording
touches must then hold the same rows, ids and timestamps included."""
from __future__ import annotations

import datetime as dt

import pytest

from smartpay.core.db.models import (AuditLog, CouponEntry, CreditEntry, Item, Notification, Order, OrderItem,
                                     PaymentAttempt, Refund, RenewalCycle, RenewalPlan)
from smartpay.core.ids import SeededIds
from smartpay.core.plugin_host import ChargeResult, ChargeStatus
from smartpay.core.services.quotes import Selection

from support import GMT8, card_desk, fresh_db_url

P = ChargeStatus
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)
# The answer each plan's card gives, in plan order; the last cycle of a 2-cycle plan ends it.
ANSWERS = [P.PROCESSED, P.PROCESSED, P.ERROR, P.PROCESSED, P.UNDEFINED, P.PROCESSED, P.PENDING, P.PROCESSED,
           P.PROCESSED, P.ERROR, P.PROCESSED, P.PROCESSED]
LAST_CYCLE = {1, 5, 10}   # plans set up for 2 cycles: this renewal is their last
TABLES = [Order, OrderItem, PaymentAttempt, Item, RenewalPlan, RenewalCycle, AuditLog, Notification, Refund,
          CreditEntry, CouponEntry]


@pytest.fixture
def other_db_url(tmp_path):
    """A second fresh database on the same backend as `db_url`."""
    with fresh_db_url(tmp_path / "one_by_one.db") as url:
        yield url


def _renew_and_dump(db_url, clock, monkeypatch, one_by_one: bool) -> tuple[str, dict]:
    clock.set(SET_UP_AT)
    core = card_desk(db_url, clock, ids=SeededIds(11), renew_concurrency=4)
    try:
        ak = core.auth.actor("aktest")
        answer_of = {}
        for k, answer in enumerate(ANSWERS):
            item = core.accounts.add_item(core.world.community.id, "app", f"Batch {k + 1}", expires="2025-08-31")
            order = core.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                                project_ids=(core.world.community.id,),
                                                                item_ids=(item.id,)),
                                       accept_terms=True, renew_mode="auto",
                                       auto_cycles=2 if k in LAST_CYCLE else 3)
            assert core.payments.pay(ak, order.txn, "fakecard").order.state == "succeeded"
            answer_of[f"fc_pm_{len(core.fake.requests)}"] = answer
        clock.set(RENEW_AT)

        def by_plan(request):
            status = answer_of[request.saved_method]
            if status == P.PROCESSED:
                return ChargeResult(status, request.amount, provider_ref=f"fc_saved_{request.txn}")
            return ChargeResult(status, provider_ref=f"fc_saved_{request.txn}", message=f"card said {status.value}")

        monkeypatch.setattr(core.fake, "charge_saved", by_plan)
        sizes = []
        payments = core.payments.replacing(settlement=core.payments.settlement.replacing(bulk_writes=not one_by_one))

        class Recorder:
            """The payment service the runner is handed: counts its batches and, one by one,
            records each answer on its own (what record_result does)."""

            def __getattr__(self, name):
                return getattr(payments, name)

            def record_results(self, answers, **kw):
                sizes.append(len(answers))
                if not one_by_one:
                    return payments.record_results(answers, **kw)
                return [payments.record_results([answer], **kw)[0] for answer in answers]

        summary = core.renew_runner.replacing(payments=Recorder()).run()
        assert sum(sizes) == len(ANSWERS) and (one_by_one or max(sizes) > 4), sizes   # batches were mixed
        dump = {model.__name__: [row for row in model.select().order_by(model.id).dicts()] for model in TABLES}
        return summary.line(), dump
    finally:
        core.close()


def test_a_batch_of_answers_writes_what_recording_them_one_by_one_writes(db_url, other_db_url, clock, monkeypatch):
    batched_line, batched = _renew_and_dump(db_url, clock, monkeypatch, one_by_one=False)
    alone_line, alone = _renew_and_dump(other_db_url, clock, monkeypatch, one_by_one=True)
    assert batched_line == alone_line
    assert "8 paid, 2 declined, 1 unknown, 1 pending" in batched_line
    assert sorted(plan["state"] for plan in batched["RenewalPlan"]) == ["active"] * 9 + ["ended"] * 3
    for table in batched:
        assert batched[table] == alone[table], f"{table} differs between batched and one-by-one recording"
