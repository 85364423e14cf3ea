"""Paying an order through payment-method plugins (R3, R4, R7, R8; M1–M3).

Methods that settle in the core (coupons, credits, on-account billing) are charged inside the
order's write transaction, so the charge, the order's completion and the expiry changes commit
together or not at all. Methods backed by an outside provider get an attempt row committed as
`processing` first, are called outside the transaction, and their answer is recorded under the
order lock afterwards; a crash in between leaves the attempt for reconciliation (M3)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..db.database import locked
from ..db.models import Account, Item, Order, OrderItem, PaymentAttempt, Project
from ..domain import AttemptState, Grant, LedgerKind, OrderState, ProjectType, Purpose, RenewMode, Role
from ..errors import (InvalidInput, NotEligible, OrderStateError, OrderTimedOut, PaymentInProgress,
                      PermissionDenied)
from ..money import CREDIT, Money
from ..plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility, PaymentContext,
                           PaymentMethod, ProjectFacts)
from ..plugin_host.method import ask_expire, ask_status
from ..views import Actor, OrderView
from .base import Service
from .convert import actor_of

log = logging.getLogger("smartpay.payments")
# What settling an attempt changes.
SETTLE_FIELDS = [PaymentAttempt.state, PaymentAttempt.provider_ref, PaymentAttempt.redirect_url, PaymentAttempt.detail,
                 PaymentAttempt.amount, PaymentAttempt.updated_at]


@dataclass(frozen=True)
class MethodOption:
    """One row of the payment-method step: every installed method, eligible or greyed with why."""

    key: str
    label: str
    family: str
    plugin: str
    eligible: bool
    reason: str
    partial_tender: bool
    supports_auto_renew: bool
    pays_in_credits: bool


@dataclass(frozen=True)
class PaymentOutcome:
    order: OrderView
    redirect_url: str | None = None
    message: str = ""


class _CoreTender:
    """The Tender that in-core methods use: bound to one order and payer, inside its transaction."""

    def __init__(self, service: "PaymentService", order: Order):
        self._service, self._order = service, order

    def consume_credits(self, amount: int) -> int:
        return self._service.core.credits.consume(self._order.payer_id, amount, self._order.id)

    def redeem_coupon(self, code: str, up_to: Money) -> Money:
        return self._service.core.coupons.redeem(self._order.payer_id, code, up_to, self._order.id)


class _ReplayTender:
    """The tender of a rebuilt request: a replayed provider charge never settles in the core."""

    def consume_credits(self, amount: int) -> int:
        raise NotEligible("credits cannot be taken when a provider charge is asked about again")

    def redeem_coupon(self, code: str, up_to: Money) -> Money:
        raise NotEligible("coupons cannot be taken when a provider charge is asked about again")


class PaymentService(Service):
    # -- eligibility ------------------------------------------------------------------------------
    def context(self, actor: Actor, purpose: Purpose, project_type: ProjectType | None,
                project_ids: Iterable[int], renew_mode: RenewMode | None, money_total: Money | None,
                credit_total: int | None = None) -> PaymentContext:
        projects = list(Project.select().where(Project.id.in_(list(project_ids) or [-1])).order_by(Project.id))
        check = self.core.authz.payer_checker(actor)
        grants = {check(p) for p in projects} or {None}
        grant = None
        if actor.role == Role.PROPERTY_MANAGER:
            # Several managed projects may carry different Pay By PM grants: the narrowest applies.
            grant = Grant.CREDIT if grants == {Grant.CREDIT} else Grant.REGULAR if grants == {Grant.REGULAR} else None
        elif actor.role == Role.INSTALLER:
            grant = next(iter(grants))
            if grant is None:  # a credit purchase: no project; the installer's own grant applies
                grant = Grant(Account.get_by_id(actor.id).pay_by_installer)
        amount = money_total if money_total is not None else Money(credit_total or 0, CREDIT)
        return PaymentContext(
            payer_id=actor.id, payer_login=actor.login, role=actor.role, grant=grant, purpose=purpose,
            project_type=project_type,
            projects=tuple(ProjectFacts(p.id, p.name, ProjectType(p.type), p.created_at) for p in projects),
            renew_mode=renew_mode, amount=amount, credit_balance=self.core.credits.balance(actor.id),
            coupons=tuple(self.core.coupons.for_owner(actor.id, usable_only=True)) if money_total else (),
            now=self.now())

    def context_for_order(self, actor: Actor, order: Order) -> PaymentContext:
        project_ids = {line.project_id for line in OrderItem.select(OrderItem.project)
                       .where(OrderItem.order == order.id) if line.project_id}
        total = Money(order.total, order.unit)
        return self.context(actor, Purpose(order.purpose), ProjectType(order.project_type) if order.project_type
                            else None, project_ids, RenewMode(order.renew_mode) if order.renew_mode else None,
                            None if total.is_credit else total, total.amount if total.is_credit else None)

    def evaluate(self, method: PaymentMethod, context: PaymentContext) -> MethodOption:
        verdict = self._verdict(method, context)
        return MethodOption(method.key, method.label, method.family.value, self.core.plugins.plugin_of(method.key),
                            verdict.eligible, verdict.reason, method.partial_tender, method.supports_auto_renew,
                            bool(method.currencies and CREDIT in method.currencies))

    def _verdict(self, method: PaymentMethod, context: PaymentContext) -> Eligibility:
        configured = method.configured()
        if not configured.eligible:
            return configured
        if context.grant is not None and method.family != context.grant:
            return Eligibility.no(f"Your payment permission is \"{context.grant.label}\"; "
                                  f"{method.label} is not included")
        unit = context.amount.currency
        if method.currencies is not None and unit not in method.currencies:
            if unit == CREDIT:
                return Eligibility.no("This order is priced in credits")
            if CREDIT in method.currencies:
                # A credit method's own reason (R3, credit purchase) says more than the unit does.
                own = method.check_eligibility(context)
                return own if not own.eligible else Eligibility.no(
                    f"This order is priced in {unit}; place it as a credit order to pay with credits")
            return Eligibility.no(f"{method.label} does not accept {unit}")
        if method.currencies is None and unit == CREDIT:
            return Eligibility.no("This order is priced in credits")
        own = method.check_eligibility(context)
        if not own.eligible:
            return own
        if context.renew_mode == RenewMode.AUTO and not method.supports_auto_renew:
            return Eligibility.no(f"{method.label} does not support auto-renewal")
        vetoes = self.core.plugins.vetoes(method, context)
        if vetoes:
            return Eligibility.no(vetoes[0])
        return Eligibility.ok()

    def options(self, actor: Actor, txn: str) -> list[MethodOption]:
        order = self.core.orders.row(actor, txn)
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {txn}: only the payer chooses how to pay")
        context = self.context_for_order(actor, order)
        return [self.evaluate(m, context) for m in self.core.plugins.methods()]

    def credit_method(self) -> PaymentMethod:
        for method in self.core.plugins.methods():
            if method.currencies and CREDIT in method.currencies:
                return method
        raise NotEligible("Credit payment is not available: no credit payment plugin is installed")

    # -- paying -----------------------------------------------------------------------------------
    def pay(self, actor: Actor, txn: str, method: str | None = None, coupons: Sequence[str] = ()) -> PaymentOutcome:
        """Pay order `txn` with coupons (partial tender, applied first) and/or one method for the
        rest. Refusals raise before anything is written; the order keeps its state."""
        codes = tuple(dict.fromkeys(c.strip().upper() for c in coupons if c and c.strip()))
        if not codes and not method:
            raise InvalidInput("method", "choose a payment method")
        remainder_method = self.core.plugins.method(method) if method else None
        coupon_method = self._coupon_method() if codes else None
        if remainder_method is not None and remainder_method.partial_tender and codes:
            raise InvalidInput("method", f"{remainder_method.label} cannot pay the rest of an order; choose "
                                         f"Stripe or PayPal")
        timed_out = False
        external: tuple[PaymentMethod, ChargeRequest, int] | None = None
        with self.write():
            order = self.core.orders.row(actor, txn, for_update=True)  # M2: the order is the truth
            self._check_payable(actor, order)
            if self.now() > order.deadline_at:
                self.core.orders.finish(order, OrderState.TIMED_OUT, "payment window passed")
                timed_out = True
            else:
                self._check_not_stale(order)
                context = self.context_for_order(actor, order)
                tender = _CoreTender(self, order)
                total = Money(order.total, order.unit)
                covered = Money(0, order.unit)
                if coupon_method is not None:
                    self._require_eligible(coupon_method, context)
                    result = self._charge_in_core(order, coupon_method, total, context, tender, codes)
                    covered = result.amount or covered
                rest = total - covered
                if rest.amount > 0:
                    if remainder_method is None:
                        raise InvalidInput("method", f"coupons cover {covered} of {total}; choose a method "
                                                     f"for the remaining {rest}")
                    self._require_eligible(remainder_method, context)
                    if remainder_method.settles_in_core:
                        self._charge_in_core(order, remainder_method, rest, context, tender)
                    else:
                        attempt = self._new_attempt(order, remainder_method, rest, AttemptState.PROCESSING)
                        external = (remainder_method, self._request(order, rest, attempt.idempotency_key,
                                                                    context, tender, ()), attempt.id)
                if external is None:
                    self._complete(order)
        if timed_out:
            raise OrderTimedOut(f"order {txn}: the payment window closed at "
                                f"{self.core.ptime.format(order.deadline_at)}; place a new order")
        if external is not None:
            return self._call_provider(actor, order.txn, *external)
        view = self.core.orders.view(order)
        self.core.plugins.order_completed(view)
        return PaymentOutcome(view, message="Payment successful")

    def _coupon_method(self) -> PaymentMethod:
        for m in self.core.plugins.methods():
            if m.partial_tender:
                return m
        raise NotEligible("coupons: no coupon payment plugin is installed")

    def _check_payable(self, actor: Actor, order: Order) -> None:
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {order.txn}: only the payer may pay it")
        if order.state != OrderState.PROCESSING:
            raise OrderStateError(f"order {order.txn} is {OrderState(order.state).label}; it cannot be paid again")
        if self.core.orders.in_flight(order):
            raise PaymentInProgress(f"order {order.txn}: a payment is still in progress; wait for it to settle")

    def _check_not_stale(self, order: Order) -> None:
        """The order moves expiries from what the payer saw; if another order moved them since,
        this one would charge for days already paid."""
        line = self._moved_line(order)
        if line is not None:
            raise OrderStateError(f"order {order.txn}: item '{line.item.subject_name}' changed since the order "
                                  f"was placed (now expires {self.core.ptime.format(line.item.expires_at)}); "
                                  f"cancel it and place a new order")

    def _moved_line(self, order: Order) -> OrderItem | None:
        """The first line whose item no longer has the expiry the order was placed against. The
        items are locked (FOR UPDATE on PostgreSQL, in id order so competing orders cannot
        deadlock): two different orders for the same items lock different order rows, so
        without this both would pass the check and the loser would be charged while its guarded
        expiry update silently did nothing."""
        lines = list(locked(OrderItem.select(OrderItem, Item).join(Item, on=(OrderItem.item == Item.id))
                            .where(OrderItem.order == order.id).order_by(Item.id)))
        return next((line for line in lines if line.item.expires_at != line.expires_before), None)

    def _require_eligible(self, method: PaymentMethod, context: PaymentContext) -> None:
        verdict = self._verdict(method, context)
        if not verdict.eligible:
            raise NotEligible(f"{method.label}: {verdict.reason}")

    def _new_attempt(self, order: Order, method: PaymentMethod, amount: Money, state: AttemptState) -> PaymentAttempt:
        n = PaymentAttempt.select().where(PaymentAttempt.order == order.id).count() + 1
        now = self.now()
        return PaymentAttempt.create(order=order, method=method.key, idempotency_key=f"{order.txn}-{n:02d}",
                                     amount=amount.amount, unit=amount.currency, state=state.value,
                                     created_at=now, updated_at=now)

    def _request(self, order: Order, amount: Money, key: str, context: PaymentContext, tender,
                 codes: tuple[str, ...]) -> ChargeRequest:
        # R7: an auto-renew order asks the provider to keep the method for the later cycles.
        return ChargeRequest(txn=order.txn, amount=amount, idempotency_key=key, context=context, tender=tender,
                             coupon_codes=codes, description=f"{Purpose(order.purpose).label} {order.txn}",
                             save_method=order.renew_mode == RenewMode.AUTO)

    def _charge_in_core(self, order: Order, method: PaymentMethod, amount: Money, context: PaymentContext,
                        tender, codes: tuple[str, ...] = ()) -> ChargeResult:
        attempt = self._new_attempt(order, method, amount, AttemptState.PROCESSING)
        result = method.charge(self._request(order, amount, attempt.idempotency_key, context, tender, codes))
        if result.status != ChargeStatus.PROCESSED:
            # Raising rolls back the whole transaction: nothing this payment wrote survives (M6).
            raise NotEligible(f"{method.label}: {result.message or 'payment refused'}")
        self._settle(attempt, AttemptState.SUCCEEDED, result, amount=result.amount or amount)
        return result

    def _settle(self, attempt: PaymentAttempt, state: AttemptState, result: ChargeResult,
                amount: Money | None = None, save: bool = True) -> None:
        """Settle `attempt` with `result`; `save=False` only changes the row in hand (the
        runner's batches save SETTLE_FIELDS in bulk, core/services/recording.py)."""
        attempt.state = state.value
        attempt.provider_ref = result.provider_ref or attempt.provider_ref
        attempt.redirect_url = result.redirect_url or attempt.redirect_url
        attempt.detail = json.dumps({"message": result.message, **result.detail}, default=str)
        if amount is not None:
            attempt.amount = amount.amount
        attempt.updated_at = self.now()
        if save:
            attempt.save(only=SETTLE_FIELDS)

    def _complete(self, order: Order, lines: list[OrderItem] | None = None) -> None:
        """Paid in full: state, expiries and ledger move together, once (R8). `lines`: the order's
        lines when the caller has them already (recording reads them under the lock)."""
        order.state = OrderState.SUCCEEDED.value
        order.paid_at = order.finished_at = self.now()
        order.save(only=[Order.state, Order.paid_at, Order.finished_at])
        if lines is None:
            self._apply_effects(order)
        else:
            self._apply_effects(order, lines)
        self.core.audit.record(None, "order.paid", order.txn, total=order.total, unit=order.unit)

    def _apply_effects(self, order: Order, lines: list[OrderItem] | None = None) -> None:
        if order.purpose == Purpose.CREDIT_PURCHASE:
            self.core.credits.append(order.payer_id, LedgerKind.PURCHASE, order.credit_quantity, order.payer_id,
                                     order_id=order.id, reference=f"order {order.txn}")
            return
        now = self.now()
        for line in lines if lines is not None else OrderItem.select().where(OrderItem.order == order.id):
            changes = {Item.expires_at: line.expires_after}
            if order.purpose == Purpose.ACTIVATION:
                changes[Item.activated_at] = now
            # The guard on the old expiry makes a second application a no-op (exactly once).
            Item.update(changes).where((Item.id == line.item_id) &
                                       (Item.expires_at.is_null() if line.expires_before is None
                                        else Item.expires_at == line.expires_before)).execute()

    # -- outside providers ----------------------------------------------------------------------------
    def _call_provider(self, actor: Actor, txn: str, method: PaymentMethod, request: ChargeRequest,
                       attempt_id: int) -> PaymentOutcome:
        try:
            result = method.charge(request)
        except Exception as exc:  # a crash or transport error: the outcome is unknown (M3)
            # A third-party plugin's exception text may quote a payload or a secret: the attempt
            # (and the payer's screen) get the type name only; the detail goes to the debug log.
            log.debug("payment method %s raised while charging order %s", method.key, txn, exc_info=True)
            result = ChargeResult(ChargeStatus.UNDEFINED,
                                  message=f"{type(exc).__name__}: the payment provider did not answer clearly; "
                                          f"the payment is checked again later")
        return self.record_result(actor, txn, attempt_id, result)

    def rebuild_request(self, order: Order, attempt: PaymentAttempt) -> ChargeRequest | None:
        """The ChargeRequest `attempt` was sent with, rebuilt from the database (txn, amount,
        idempotency key, the plan's saved method for an auto-renew cycle, the same description),
        so a plugin in any process can replay the create call under the same key and learn the
        truth (status/expire `request=`). None when it cannot be rebuilt."""
        from ..db.models import RenewalCycle, RenewalPlan
        try:
            payer = actor_of(Account.get_by_id(order.payer_id))
            context = self.context_for_order(payer, order)
            amount = Money(attempt.amount, attempt.unit)
            cycle = RenewalCycle.get_or_none(RenewalCycle.order == order.id)
            if cycle is not None:  # as the runner sent it (renewal_runner._open_cycles)
                plan = RenewalPlan.get_by_id(cycle.plan_id)
                return ChargeRequest(txn=order.txn, amount=amount, idempotency_key=attempt.idempotency_key,
                                     context=context, tender=_ReplayTender(), saved_method=plan.saved_method,
                                     description=f"Auto-renew {Purpose.RENEWAL.label} {order.txn} "
                                                 f"(cycle {cycle.cycle})")
            return self._request(order, amount, attempt.idempotency_key, context, _ReplayTender(), ())
        except Exception:  # a half-deleted row, a payer gone: the plugin answers without it
            log.debug("could not rebuild the charge request of order %s", order.txn, exc_info=True)
            return None

    def ask_provider(self, order: Order, attempt: PaymentAttempt, overdue: bool) -> object:
        """What the provider says now about in-flight `attempt`: its status, or — past the order's
        window — the answer to closing its page (expire). Asked with the original request rebuilt
        from the attempt row, so a plugin whose create answer was lost (in this process or
        another) replays it under the same key instead of guessing. The desk's poll, the payer's
        cancel and reconcile all ask this way. Raises what the plugin raises; the answer is the
        plugin's, not yet checked to be a ChargeResult."""
        method = self.core.plugins.method(attempt.method)
        request = self.rebuild_request(order, attempt)
        ask = ask_expire if overdue else ask_status
        return ask(method, order.txn, attempt.provider_ref, request)

    def record_result(self, actor: Actor | None, txn: str, attempt_id: int, result: ChargeResult,
                      window_closed: bool = False) -> PaymentOutcome:
        """Apply a provider's answer to an attempt, under the order lock; never downgrades a
        known outcome. Used after a charge, by polling, webhooks, reconciliation and the
        auto-renew runner (see core/services/recording.py for what each answer does).

        PROCESSED completes the order — a timed-out one too, if its items did not move (a paid
        outcome is never lost). If the order can no longer be applied (its items moved, or it
        had ended), no expiry moves: the attempt is settled as paid, the order ends `failed`
        with the reason, and the money is refunded outside the transaction (retried by
        reconcile while the refund's answer is unknown). `window_closed`: the answer comes from
        `expire()`, so a CANCELED ends the order `timed_out` rather than `failed`; an ERROR (a
        decline, e.g. of a lost charge replayed then) ends it `failed` with the decline's reason."""
        return self.record_results([(txn, attempt_id, result)], window_closed=window_closed)[0]

    def record_results(self, answers: Sequence[tuple[str, int, ChargeResult]],
                       window_closed: bool = False, full_views: bool = True) -> list[PaymentOutcome]:
        """`record_result` for several answers in one transaction — the auto-renew runner records
        its charges in batches. Each answer gets exactly the decisions `record_result` makes.
        `full_views=False`: the outcomes' orders come without lines and attempts (the runner only
        reads their state)."""
        from .recording import record_answers
        return record_answers(self, answers, window_closed, full_views)

