"""Paying an order through payment-method plugins (R3, R4, R7, R8; M1–M3).

Methods that settle in the core (coupons, credits, on-account billing) are charged inside the
order's write transaction, so the charge, the order's completion and the expiry changes commit
together or not at all. Methods backed by an outside provider get an attempt row committed as
`processing` first, are called outside the transaction, and their answer is recorded under the
order lock afterwards (payments/settlement.py); a crash in between leaves the attempt for
reconciliation (M3)."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

import peewee as pw

from ..clock import Clock
from ..db.database import locked
from ..db.models import Item, Order, OrderItem, PaymentAttempt
from ..domain import AttemptState, OrderState
from ..errors import InvalidInput, NotEligible, OrderStateError, OrderTimedOut, PaymentInProgress, PermissionDenied, \
    PluginError, NotFound
from ..money import Money
from ..platform_time import PlatformTime
from ..plugin_host import ChargeRequest, ChargeResult, ChargeStatus, PaymentContext, PaymentMethod
from ..services.base import Service
from ..views import Actor, OrderView
from . import attempts
from .completion import OrderCompletion
from .contexts import PaymentContexts
from .eligibility import MethodOption, PaymentMethods, labelled
from .outcome import PaymentOutcome
from .requests import ChargeRequests, charge_request
from .settlement import Settlement
from .tenders import CoreTender

if TYPE_CHECKING:
    from ..services.coupons import CouponService
    from ..services.credits import CreditService
    from ..services.orders import OrderService

log = logging.getLogger("smartpay.payments")


class PaymentService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, ptime: PlatformTime, methods: PaymentMethods,
                 contexts: PaymentContexts, requests: ChargeRequests, completion: OrderCompletion,
                 settlement: Settlement, orders: "OrderService", credits: "CreditService",
                 coupons: "CouponService"):
        super().__init__(db, clock)
        self.ptime, self.methods, self.contexts, self.requests = ptime, methods, contexts, requests
        self.completion, self.settlement = completion, settlement
        self.orders, self.credits, self.coupons = orders, credits, coupons

    # -- which methods ----------------------------------------------------------------------------
    def options(self, actor: Actor, txn: str) -> list[MethodOption]:
        """Every installed method for order `txn`, eligible or greyed with the reason (the payer only)."""
        order = self.orders.row(actor, txn)
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {txn}: only the payer chooses how to pay")
        return self.methods.options(self.contexts.for_order(actor, order))

    # -- paying -----------------------------------------------------------------------------------
    def pay(self, actor: Actor, txn: str, method: str | None = None, coupons: Sequence[str] = ()) -> PaymentOutcome:
        """Pay order `txn` with coupons (partial tender, applied first) and/or one method for the
        rest. Refusals raise before anything is written; the order keeps its state."""
        codes = tuple(dict.fromkeys(c.strip().upper() for c in coupons if c and c.strip()))
        timed_out = False
        external: tuple[PaymentMethod, ChargeRequest, int] | None = None
        with self.write():
            # The order's own state first: "the window has closed" matters more than which
            # method is ticked (the first refusal a payer hears is the one that matters).
            order = self.orders.row(actor, txn, for_update=True)  # M2: the order is the truth
            self._check_payable(actor, order)
            if self.now() > order.deadline_at:
                self.orders.finish(order, OrderState.TIMED_OUT, "payment window passed")
                timed_out = True
            else:
                remainder_method, coupon_method = self._chosen(method, codes)
                self._check_not_stale(order)
                context = self.contexts.for_order(actor, order)
                tender = CoreTender(self.credits, self.coupons, order)
                total = Money(order.total, order.unit)
                covered = Money(0, order.unit)
                if coupon_method is not None:
                    self.methods.require(coupon_method, context)
                    result = self._charge_in_core(order, coupon_method, total, context, tender, codes)
                    covered = result.amount or covered
                rest = total - covered
                if rest.amount > 0:
                    if remainder_method is None:
                        raise InvalidInput("method", f"coupons cover {covered} of {total}; choose a method "
                                                     f"for the remaining {rest}")
                    self.methods.require(remainder_method, context)
                    if remainder_method.settles_in_core:
                        self._charge_in_core(order, remainder_method, rest, context, tender)
                    else:
                        attempt = attempts.new_attempt(order, remainder_method, rest, AttemptState.PROCESSING,
                                                       self.now())
                        self._open_window(order, remainder_method)
                        external = (remainder_method, charge_request(order, rest, attempt,
                                                                     context, tender), attempt.id)
                if external is None:
                    self.completion.complete(order)
        if timed_out:
            raise OrderTimedOut(f"order {txn}: the payment window closed at "
                                f"{self.ptime.format(order.deadline_at)}; place a new order")
        if external is not None:
            outcome = self._call_provider(actor, order.txn, *external)
            return replace(outcome, instructions=self.instructions(outcome.order))
        view = self.orders.view(order)
        self.methods.plugins.order_completed(view)
        return PaymentOutcome(view, message="Payment successful")

    def _open_window(self, order: Order, method: PaymentMethod) -> None:
        """An operator-settled method's own window (days, not the desk's minutes) starts when the
        payer chooses it; the order's deadline moves to its end (M7: that column only)."""
        window = method.payment_window if method.settled_by_operator else None
        if window and self.now() + window > order.deadline_at:
            order.deadline_at = self.now() + window
            Order.update(deadline_at=order.deadline_at).where(Order.id == order.id).execute()

    def instructions(self, order: OrderView) -> str:
        """What the payer of `order` must do now: the instructions of the operator-settled method
        its payment waits for ("" when it waits for none, or has ended)."""
        if order.state != OrderState.PROCESSING:
            return ""
        waiting = next((a for a in reversed(order.attempts) if a.state in attempts.IN_FLIGHT), None)
        if waiting is None:
            return ""
        try:
            method = self.methods.get(waiting.method)
        except NotFound:
            return ""
        return method.instructions(order) if method.settled_by_operator else ""

    def _chosen(self, method: str | None, codes: tuple[str, ...]) -> tuple[PaymentMethod | None, PaymentMethod | None]:
        """The whole method and the coupon method the payer chose, or the refusal naming the field."""
        if not codes and not method:
            raise InvalidInput("method", "choose a payment method")
        remainder_method = self.methods.get(method) if method else None
        coupon_method = self.methods.coupons() if codes else None
        if remainder_method is not None and remainder_method.redeems_coupons and codes:
            raise InvalidInput("method", f"{remainder_method.label} cannot pay the rest of an order; choose "
                                         f"Stripe or PayPal")
        return remainder_method, coupon_method

    def _check_payable(self, actor: Actor, order: Order) -> None:
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {order.txn}: only the payer may pay it")
        if order.state != OrderState.PROCESSING:
            raise OrderStateError(f"order {order.txn} is {OrderState(order.state).label}; it cannot be paid again")
        if self.orders.in_flight(order):
            raise PaymentInProgress(f"order {order.txn}: a payment is still in progress; wait for it to settle")

    def _check_not_stale(self, order: Order) -> None:
        """The order moves expiries from what the payer saw; if another order moved them since,
        this one would charge for days already paid."""
        line = self._moved_line(order)
        if line is not None:
            raise OrderStateError(f"order {order.txn}: item '{line.item.subject_name}' changed since the order "
                                  f"was placed (now expires {self.ptime.format(line.item.expires_at)}); "
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

    def _charge_in_core(self, order: Order, method: PaymentMethod, amount: Money, context: PaymentContext,
                        tender, codes: tuple[str, ...] = ()) -> ChargeResult:
        attempt = attempts.new_attempt(order, method, amount, AttemptState.PROCESSING, self.now())
        result = method.charge(charge_request(order, amount, attempt, context, tender, codes))
        if result.status != ChargeStatus.PROCESSED:
            # Raising rolls back the whole transaction: nothing this payment wrote survives (M6).
            raise NotEligible(labelled(method.label, result.message or "payment refused"))
        attempts.settle(attempt, AttemptState.SUCCEEDED, result, self.now(), amount=result.amount or amount)
        return result

    # -- outside providers ----------------------------------------------------------------------------
    def _call_provider(self, actor: Actor, txn: str, method: PaymentMethod, request: ChargeRequest,
                       attempt_id: int) -> PaymentOutcome:
        try:
            result = method.charge(request)
        except Exception as exc:  # a crash or transport error: the outcome is unknown (M3)
            # A plugin's exception text may quote a payload or a secret: the contained method
            # (plugin_host/contained.py) logged the traceback and raised a PluginError naming the
            # plugin and the exception's type only; that, or a type name, is all the payer sees.
            log.debug("payment method %s raised while charging order %s", method.key, txn, exc_info=True)
            cause = exc.message if isinstance(exc, PluginError) else type(exc).__name__
            result = ChargeResult(ChargeStatus.UNDEFINED,
                                  message=f"{cause}: the payment provider did not answer clearly; "
                                          f"the payment is checked again later")
        return self.record_result(actor, txn, attempt_id, result)

    def ask_provider(self, order: Order, attempt: PaymentAttempt, overdue: bool) -> object:
        """What the provider says now about in-flight `attempt`: its status, or — past the order's
        window — the answer to closing its page (expire). Asked with the original request rebuilt
        from the attempt row, so a plugin whose create answer was lost (in this process or
        another) replays it under the same key instead of guessing. The desk's poll, the payer's
        cancel and reconcile all ask this way. Raises what the plugin raises; the answer is the
        plugin's, not yet checked to be a ChargeResult."""
        method = self.methods.get(attempt.method)
        if method.settled_by_operator and not overdue:
            # Nobody to ask: the money arrives at the operator, who records it (payments/offline.py).
            return ChargeResult(ChargeStatus.PENDING, message="waiting for the operator to confirm the payment")
        request = self.requests.rebuild(order, attempt)
        ask = method.expire if overdue else method.status
        return ask(order.txn, attempt.provider_ref, request)

    def record_result(self, actor: Actor | None, txn: str, attempt_id: int, result: ChargeResult,
                      window_closed: bool = False) -> PaymentOutcome:
        """Apply a provider's answer to an attempt, under the order lock; never downgrades a
        known outcome. Used after a charge, by polling, webhooks, reconciliation and the
        auto-renew runner (payments/settlement.py says what each answer does).

        PROCESSED completes the order — a timed-out one too, if its items did not move (a paid
        outcome is never lost). If the order can no longer be applied (its items moved, or it
        had ended), no expiry moves: the attempt is settled as paid, the order ends `failed`
        with the reason, and the money is refunded outside the transaction (retried by
        reconcile while the refund's answer is unknown). `window_closed`: the answer comes from
        `expire()`, so a CANCELED ends the order `timed_out` rather than `failed`; an ERROR (a
        decline, e.g. of a lost charge replayed then) ends it `failed` with the decline's reason."""
        return self.settlement.record([(txn, attempt_id, result)], window_closed=window_closed)[0]

    def record_results(self, answers: Sequence[tuple[str, int, ChargeResult]],
                       window_closed: bool = False, full_views: bool = True) -> list[PaymentOutcome]:
        """`record_result` for several answers in one transaction — the auto-renew runner records
        its charges in batches. `full_views=False`: the outcomes' orders come without lines and
        attempts (the runner only reads their state)."""
        return self.settlement.record(answers, window_closed, full_views)
