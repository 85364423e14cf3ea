"""The auto-renew runner (R7): claim due plans, charge their saved methods, record the answers.

One run, for the due plan ids:

1. **Claim** (this thread; batches of four plans per worker, at most BATCH, one short
   transaction each): lock the plans — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so a plan
   another runner holds is skipped; SQLite's BEGIN IMMEDIATE serialises writers — check again
   that each is due, quote one 30-day cycle as the payer (R1 and the method's eligibility still
   apply; a plan that can no longer be charged stops with the reason), and create each cycle's
   order, attempt and `renewal_cycle` row. That row is UNIQUE per (plan, cycle, try): two
   runners can never both create it. If a batch meets that constraint, its plans are claimed
   again one by one, so only the contested one is skipped. Batches are claimed lazily — the
   next one only when less than a batch of charges is in flight — because a claim starts its
   order's 15-minute window.
2. **Charge** (`renew_concurrency` worker threads): `method.charge_saved(ChargeRequest(...,
   saved_method=…, idempotency_key="<txn>-01"))`, outside any transaction; a claim whose window
   passed while it waited is not sent (answered CANCELED with `not_sent`: not a decline).
   Workers only talk to the provider; they never touch the database, so they need no connection
   of their own. A provider that raises leaves the attempt `unknown` for reconcile (M3).
3. **Record** (this thread, one transaction per batch of answers): `PaymentService.record_results`,
   the same path as every payment, which calls back the plans (paid → next cycle; declined →
   retry schedule or stop; unknown → the plan waits for reconcile). Answers are gathered — a
   round of them (one per worker, at most half a batch) or what the next claim needs — but an
   answer in hand waits at most GATHER_SECONDS for the others (`_Answers.take`).

Claiming and recording share one thread and one connection, so on SQLite they never wait on each
other's lock, and the database work overlaps with the provider calls in flight.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable

import peewee as pw

from ..clock import Clock
from ..config import Settings
from ..db import bulk
from ..db.database import is_postgres
from ..db.models import Account, Item, Order, PaymentAttempt, RenewalCycle, RenewalPlan, RenewalPlanItem
from ..domain import AttemptState, OrderState, Purpose, RenewMode
from ..errors import NotFound, SmartpayError
from ..money import Money
from ..plugin_host import ChargeRequest, ChargeResult, ChargeStatus, PaymentMethod
from ..services.base import Service
from ..services.convert import actor_of
from ..services.quotes import Selection
from ..services.renewals import OPEN_ORDER_STATES, PLAN_PROGRESS, PlanState, RenewalRunSummary, is_due
from . import tenders
from .completion import OrderCompletion
from .contexts import PaymentContexts
from .eligibility import PaymentMethods
from .requests import cycle_description

if TYPE_CHECKING:
    from ..services.orders import OrderService
    from ..services.quotes import QuoteService
    from ..services.renewals import RenewalService
    from .service import PaymentService

BATCH = 32
GATHER_SECONDS = 0.25   # how long answers in hand wait for more, to share one transaction
_NEW_ATTEMPT = [PaymentAttempt.order, PaymentAttempt.method, PaymentAttempt.idempotency_key, PaymentAttempt.amount,
                PaymentAttempt.unit, PaymentAttempt.state, PaymentAttempt.detail, PaymentAttempt.created_at,
                PaymentAttempt.updated_at]


@dataclasses.dataclass(frozen=True)
class _Claim:
    plan_id: int
    txn: str
    attempt_id: int
    method: PaymentMethod
    request: ChargeRequest
    deadline: dt.datetime          # the cycle order's payment window: not sent after it


class AutoRenewRunner(Service):
    """`smartpay renew run`: charge every due plan once. Safe on several machines at once and to
    run again: a cycle is charged once."""

    def __init__(self, db: pw.Database, clock: Clock, *, settings: Settings, methods: PaymentMethods,
                 contexts: PaymentContexts, completion: OrderCompletion, payments: "PaymentService",
                 orders: "OrderService", quotes: "QuoteService", renewals: "RenewalService"):
        super().__init__(db, clock)
        self.settings, self.methods, self.contexts, self.completion = settings, methods, contexts, completion
        self.payments, self.orders, self.quotes, self.renewals = payments, orders, quotes, renewals

    def run(self, dry_run: bool = False, progress: Callable[[int], None] | None = None) -> RenewalRunSummary:
        """Charge every due plan once. `dry_run` lists what would be charged and writes nothing.
        `progress(n)` is called as plans are done."""
        ids = self.renewals.due_plan_ids()
        summary = RenewalRunSummary(dry_run=dry_run, due=len(ids))
        if dry_run:
            summary.would_charge = [self.renewals.preview(plan_id) for plan_id in ids]
        elif ids:
            self.new_run().run(ids, summary, progress)
        return summary

    def renew_one(self, plan_id: int) -> str:
        """Claim, charge and record one plan's cycle now; returns the summary field it counts under."""
        summary = RenewalRunSummary(due=1)
        self.new_run().run([plan_id], summary, None)
        return next(name for name in ("paid", "declined", "unknown", "pending", "refunded", "stopped", "ended",
                                      "skipped", "errors") if getattr(summary, name))

    def new_run(self) -> "RenewalRunner":
        """One run's state (its payers and contexts cached for the run)."""
        return RenewalRunner(self)


class RenewalRunner:
    """One run over a list of due plans: claim, charge, record (the module's three steps)."""

    def __init__(self, runner: AutoRenewRunner):
        self.runner = runner
        self.service = runner.renewals
        self._payers: dict[int, object] = {}
        self._contexts: dict[tuple, object] = {}

    def run(self, plan_ids: list[int], summary: RenewalRunSummary, progress: Callable[[int], None] | None) -> None:
        charges: queue.SimpleQueue = queue.SimpleQueue()
        answers = _Answers()
        workers = max(1, min(self.runner.settings.renew_concurrency, len(plan_ids)))

        def count(field: str, n: int = 1, message: str = "") -> None:
            setattr(summary, field, getattr(summary, field) + n)
            if message:
                summary.error_messages.append(message)
            if progress is not None and n:
                progress(n)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smartpay-renew") as pool:
            for _ in range(workers):
                pool.submit(_charge_loop, charges, answers.queue, self.runner.now)
            try:
                # Claim lazily: a claim opens its order's payment window, so at most two batches
                # (a few provider calls per worker) wait at any time; the next batch is claimed
                # while the workers charge the previous one. Claiming every due plan up front would
                # let queued charges outlive their window: reconcile would expire them while the
                # worker still sends them.
                step = min(BATCH, 4 * workers)
                round_ = min(workers, step // 2)   # answers worth a transaction, leaving work queued
                for start in range(0, len(plan_ids), step):
                    chunk = plan_ids[start:start + step]
                    while answers.in_flight >= step:  # make room for this batch
                        waiting = answers.in_flight
                        self._record(answers.take(min(waiting, max(waiting - step + 1, round_))), count)
                    try:
                        claims, outcomes = self._claim(chunk)
                    except Exception as exc:  # nothing of this batch was written; the next run retries it
                        count("errors", len(chunk), f"plans {chunk[0]}–{chunk[-1]}: {type(exc).__name__}: "
                                                    f"{_first_line(exc)}")
                        continue
                    for field, n in outcomes.items():
                        count(field, n)
                    for claim in claims:
                        charges.put(claim)
                    answers.sent += len(claims)
            finally:  # whatever happens (Ctrl-C included), the charges already made are recorded
                for _ in range(workers):
                    charges.put(None)
                while answers.in_flight > 0:
                    self._record(answers.take(answers.in_flight), count)

    # -- 1. claim ---------------------------------------------------------------------------------
    def _claim(self, plan_ids: list[int]) -> tuple[list[_Claim], collections.Counter]:
        try:
            with self.runner.write():
                return self._claim_locked(plan_ids)
        except pw.IntegrityError:
            if len(plan_ids) == 1:  # another runner created this (plan, cycle, try) first
                return [], collections.Counter(skipped=1)
        claims, outcomes = [], collections.Counter()
        for plan_id in plan_ids:  # one contested plan must not hold back the others
            one, counted = self._claim([plan_id])
            claims += one
            outcomes += counted
        return claims, outcomes

    def _claim_locked(self, plan_ids: list[int]) -> tuple[list[_Claim], collections.Counter]:
        outcomes: collections.Counter = collections.Counter()
        query = RenewalPlan.select().where(RenewalPlan.id.in_(plan_ids)).order_by(RenewalPlan.id)
        if is_postgres(self.runner.db):
            # A plan another runner holds is being charged there: skip it rather than wait.
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        plans = list(query)
        outcomes["skipped"] += len(plan_ids) - len(plans)
        ids = [p.id for p in plans]
        busy = {plan_id for (plan_id,) in RenewalCycle.select(RenewalCycle.plan)
                .join(Order, on=(RenewalCycle.order == Order.id))
                .where(RenewalCycle.plan.in_(ids) & Order.state.in_(OPEN_ORDER_STATES)).tuples()}
        items: dict[int, dict[int, object]] = collections.defaultdict(dict)
        for plan_id, item_id, expires in (RenewalPlanItem.select(RenewalPlanItem.plan, Item.id, Item.expires_at)
                                          .join(Item, on=(RenewalPlanItem.item == Item.id))
                                          .where(RenewalPlanItem.plan.in_(ids)).tuples()):
            items[plan_id][item_id] = Item.expires_at.python_value(expires)
        now = self.runner.now()
        horizon = now + dt.timedelta(hours=self.runner.settings.renew_lead_hours)
        groups: dict[tuple, list[RenewalPlan]] = collections.defaultdict(list)
        for plan in plans:
            upcoming = min((e for e in items[plan.id].values() if e is not None), default=None)
            if plan.state != PlanState.ACTIVE or plan.id in busy or not is_due(plan.next_retry_at, upcoming, now,
                                                                               horizon):
                outcomes["skipped"] += 1
            elif self.service.end_if_done(plan, upcoming):
                plan.save(only=PLAN_PROGRESS)
                outcomes["ended"] += 1
            else:
                groups[(plan.payer_id, plan.project_type, plan.method)].append(plan)
        to_open = []
        for (payer_id, project_type, method_key), group in groups.items():
            ready, stopped = self._price(payer_id, project_type, method_key, group, items)
            outcomes["stopped"] += stopped
            to_open += ready
        claims = self._open_cycles(to_open)
        outcomes["paid"] += len(to_open) - len(claims)  # cycles with nothing to charge complete at once
        return claims, outcomes

    def _price(self, payer_id: int, project_type: str, method_key: str, group: list[RenewalPlan],
               items: dict[int, dict[int, object]]) -> tuple[list[tuple], int]:
        """Quote one 30-day cycle for every plan of one payer, project type and method (one quote
        for all their items); stop the plans that can no longer be charged. → (ready, stopped)."""
        payer = self._payers.get(payer_id)
        if payer is None:
            payer = self._payers[payer_id] = actor_of(Account.get_by_id(payer_id))
        try:
            method = self.runner.methods.get(method_key)
        except NotFound:
            return [], self._stop_all(group, f"the payment method '{method_key}' is no longer installed")
        all_items = tuple(sorted({i for plan in group for i in items[plan.id]}))
        try:
            quote = self.runner.quotes.quote(payer, "renewal", Selection(project_type, item_ids=all_items),
                                           renew_mode="auto", auto_cycles=1,
                                           own_plans=tuple(plan.id for plan in group))
        except SmartpayError as exc:
            if len(group) > 1:  # one plan's items may be the cause: quote each plan on its own
                parts = [self._price(payer_id, project_type, method_key, [plan], items) for plan in group]
                return [r for ready, _ in parts for r in ready], sum(stopped for _, stopped in parts)
            return [], self._stop_all(group, f"the items can no longer be renewed by {payer.login} ({exc.message})")
        priced = {line.item_id: line for line in quote.lines}
        left_out = {line.item_id: line for line in quote.excluded}
        ready, stopped = [], 0
        for plan in group:
            plan_items = sorted(items[plan.id])
            out = [left_out[i] for i in plan_items if i in left_out]
            if out or not plan_items:
                why = f"'{out[0].subject_name}': {out[0].excluded_reason}" if out else "no items left to renew"
                stopped += self._stop_all([plan], f"the items can no longer be renewed by {payer.login} ({why})")
                continue
            lines = [priced[i] for i in plan_items]
            total = Money(sum(line.price.amount for line in lines), quote.total.currency)
            context = self._context(payer, quote.project_type, lines, total)
            verdict = self.runner.methods.verdict(method, context)
            if not verdict.eligible:
                stopped += self._stop_all([plan], f"{method.label} may no longer be used: {verdict.reason}")
                continue
            ready.append((plan, payer, lines, total, method, context))
        return ready, stopped

    def _context(self, payer, project_type, lines, total: Money):
        # The payer's standing for these projects does not change within a run; the amount does.
        projects = frozenset(line.project_id for line in lines)
        key = (payer.id, project_type, projects)
        base = self._contexts.get(key)
        if base is None:
            base = self._contexts[key] = self.runner.contexts.build(payer, Purpose.RENEWAL, project_type, projects,
                                                                   RenewMode.AUTO, total)
        return dataclasses.replace(base, amount=total, now=self.runner.now())

    def _stop_all(self, plans: list[RenewalPlan], reason: str) -> int:
        for plan in plans:
            self.service.stop_locked(plan, reason)
            plan.updated_at = self.runner.now()
            plan.save(only=PLAN_PROGRESS)
        return len(plans)

    def _open_cycles(self, ready: list[tuple]) -> list[_Claim]:
        """Create each ready plan's cycle order, cycle row and attempt, in bulk."""
        if not ready:
            return []
        orders = self.runner.orders.create_for_plans([(plan, payer, lines, total)
                                                    for plan, payer, lines, total, _, _ in ready])
        cycles = [plan.cycles_done + 1 for plan, *_ in ready]
        tries = collections.Counter({(plan_id, cycle): n for plan_id, cycle, n in (
            RenewalCycle.select(RenewalCycle.plan, RenewalCycle.cycle, pw.fn.COUNT(RenewalCycle.id))
            .where(RenewalCycle.plan.in_([plan.id for plan, *_ in ready]))
            .group_by(RenewalCycle.plan, RenewalCycle.cycle).tuples())})
        # The guard two runners meet on: UNIQUE (plan, cycle, try).
        bulk.insert_many(RenewalCycle, [RenewalCycle.plan, RenewalCycle.cycle, RenewalCycle.try_no, RenewalCycle.order],
                         [(plan.id, cycle, tries[(plan.id, cycle)] + 1, order.id)
                          for (plan, *_), cycle, order in zip(ready, cycles, orders)])
        now = self.runner.now()
        charged = [(entry, order) for entry, order in zip(ready, orders) if entry[3].amount > 0]
        for (plan, _, _, total, _, _), order in zip(ready, orders):
            if total.amount == 0:  # free items only: nothing to charge, the cycle is paid at once
                self.runner.completion.complete(order)
                cycle = RenewalCycle.get(RenewalCycle.order == order.id)
                self.service.on_paid(order, None, ChargeResult(ChargeStatus.PROCESSED, total), (cycle, plan))
        if not charged:
            return []
        bulk.insert_many(PaymentAttempt, _NEW_ATTEMPT, [
            (order.id, method.key, f"{order.txn}-01", total.amount, total.currency, AttemptState.PROCESSING.value, "",
             now, now)
            for (_, _, _, total, method, _), order in charged])
        attempt_ids = dict(PaymentAttempt.select(PaymentAttempt.order, PaymentAttempt.id)
                           .where(PaymentAttempt.order.in_([order.id for _, order in charged])).tuples())
        return [_Claim(plan.id, order.txn, attempt_ids[order.id], method, request=
                       ChargeRequest(txn=order.txn, amount=total, idempotency_key=f"{order.txn}-01", context=context,
                                     tender=tenders.AUTO_RENEW, saved_method=plan.saved_method,
                                     description=cycle_description(order.txn, plan.cycles_done + 1)),
                       deadline=order.deadline_at)
                for (plan, _, _, total, method, context), order in charged]

    # -- 3. record --------------------------------------------------------------------------------
    def _record(self, batch: list, count) -> None:
        """Record a batch of (claim, answer) in one transaction and count the outcomes."""
        try:
            outcomes = self.runner.payments.record_results([(c.txn, c.attempt_id, r) for c, r in batch],
                                                              full_views=False)
        except Exception:  # record them one by one, so one bad answer does not hold back the rest
            outcomes = []
            for claim, result in batch:
                try:
                    outcomes.append(self.runner.payments.record_result(None, claim.txn, claim.attempt_id, result))
                except Exception as exc:  # the attempt stays processing: reconcile asks the provider later
                    outcomes.append(exc)
        for (claim, result), outcome in zip(batch, outcomes):
            if isinstance(outcome, Exception):
                count("errors", message=f"plan {claim.plan_id}, order {claim.txn}: {type(outcome).__name__}: "
                                        f"{_first_line(outcome)}")
            elif result.status == ChargeStatus.PROCESSED:
                count("paid" if outcome.order.state == OrderState.SUCCEEDED else "refunded")
            elif result.detail.get("not_sent"):
                count("skipped", message=f"plan {claim.plan_id}, order {claim.txn}: {result.message}")
            else:
                count({ChargeStatus.PENDING: "pending", ChargeStatus.UNDEFINED: "unknown"}.get(result.status,
                                                                                              "declined"))


class _Answers:
    """The workers' answers on their way to the database. `sent` charges went to the workers;
    `handled` answers were taken for recording; `held` ones were taken off the queue and wait for
    the rest of their batch. They are counted as they move, so an interruption at any point —
    Ctrl-C while gathering, a failing progress callback, a failed recording — never leaves the
    run waiting for answers it already took. (An answer taken but not recorded stays
    `processing`: reconcile asks the provider, M3.)"""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.held: list = []
        self.sent = 0
        self.handled = 0

    @property
    def in_flight(self) -> int:
        """Charges sent whose answers were not yet taken for recording (held ones included)."""
        return self.sent - self.handled

    def take(self, want: int) -> list:
        """A batch to record: `want` answers (at least one) as they arrive, but an answer in hand
        waits at most GATHER_SECONDS for the others — then any others already here, up to BATCH.
        Recording costs a transaction per batch, and answers arrive one every latency ÷
        concurrency: recording them as they came cost the runner more CPU per renewal than the
        charges themselves (`make bench`)."""
        held = self.held
        if not held:
            held.append(self.queue.get())
        deadline = time.monotonic() + GATHER_SECONDS
        while len(held) < min(want, BATCH):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                held.append(self.queue.get(timeout=left))
            except queue.Empty:
                break
        while len(held) < BATCH:
            try:
                held.append(self.queue.get_nowait())
            except queue.Empty:
                break
        # Counted handled before `held` is emptied: an interruption between the two may leave an
        # answer to reconcile or record it twice (a known outcome is never downgraded), but never
        # makes the run wait for an answer it already took.
        self.handled += len(held)
        batch, self.held = held, []
        return batch


def _charge_loop(charges: queue.SimpleQueue, answers: queue.SimpleQueue, now: Callable[[], dt.datetime]) -> None:
    """A worker: charge claims until told to stop. Provider calls only — no database here. A
    claim whose window passed while it waited is not sent: reconcile may already have expired
    its order, and a charge sent now would be discarded (and charged again on the next run).
    It is answered CANCELED with `not_sent`, which recording does not count as a decline."""
    while True:
        claim = charges.get()
        if claim is None:
            return
        if now() >= claim.deadline:
            answers.put((claim, ChargeResult(ChargeStatus.CANCELED, detail={"not_sent": True},
                                             message="the payment window passed before the charge was sent; "
                                                     "the plan is charged on the next run")))
            continue
        try:
            result = claim.method.charge_saved(claim.request)
            if not isinstance(result, ChargeResult):
                raise TypeError(f"charge_saved answered {type(result).__name__}, not a ChargeResult")
        except Exception as exc:  # transport error or crash: the outcome is unknown (M3)
            result = ChargeResult(ChargeStatus.UNDEFINED, message=f"{type(exc).__name__}: {_first_line(exc)}")
        answers.put((claim, result))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:200]
