"""A conformance kit for payment-plugin authors (tox's `tox.pytest`, for smartpay).

Subclass `PaymentMethodContract` in your own test module, override the `method` fixture, and
pytest runs every contract test against your method::

    import pytest
    from smartpay.core.testing import PaymentMethodContract

    import my_plugin

    class TestMyMethod(PaymentMethodContract):
        @pytest.fixture
        def method(self):
            return my_plugin.MyMethod()

        @pytest.fixture
        def plugin(self):              # optional: also prove the hook registers the method
            return my_plugin

The kit needs no database: eligibility is judged by the core's own evaluation
(`PaymentService.evaluate`, the code that greys methods out for operators) running over a plugin
host that holds only your plugin, and in-core charges run against `KitTender`, an in-memory
Tender that follows the core's rules (credits never negative, coupons never overdrawn).

This module imports pytest, so only tests import it; nothing else in smartpay does.
"""
from __future__ import annotations

import copy
import datetime as dt
import inspect
import json
import re
from dataclasses import replace
from typing import Any, Callable, Iterable

import pytest

from .domain import Grant, OrderState, ProjectType, Purpose, RenewMode, Role
from .errors import InsufficientCoupon, InsufficientCredit, NotEligible
from .money import CREDIT, Money
from .plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility, PaymentContext,
                          PaymentMethod, PluginHost, ProjectFacts, hookimpl)
from .views import AttemptView, BillingInfoView, CouponView, OrderView

__all__ = ["PaymentMethodContract", "KitTender", "make_context", "kit_coupon", "kit_order", "standard_contexts",
           "core_evaluation", "payment_context", "kit_tender", "KIT_NOW", "KIT_TXN", "KIT_PLUGIN",
           "PROJECTS_BY_TYPE"]

GMT8 = dt.timezone(dt.timedelta(hours=8))
KIT_NOW = dt.datetime(2025, 9, 10, 14, 0, tzinfo=GMT8)
KIT_TXN = "KIT20250910140000001"
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CURRENCY = re.compile(r"^[A-Z]{3,6}$")

COMMUNITY = ProjectFacts(1, "Kit Community", ProjectType.COMMUNITY, dt.datetime(2024, 1, 15, tzinfo=GMT8))
NEW_COMMERCIAL = ProjectFacts(2, "Kit New Commercial", ProjectType.COMMERCIAL,
                              dt.datetime(2025, 6, 1, 0, 0, tzinfo=GMT8))
OLD_COMMERCIAL = ProjectFacts(3, "Kit Old Commercial", ProjectType.COMMERCIAL,
                              dt.datetime(2025, 5, 31, 23, 59, tzinfo=GMT8))
SINGLE_FAMILY = ProjectFacts(4, "Kit Single Family", ProjectType.SINGLE_FAMILY, dt.datetime(2024, 3, 1, tzinfo=GMT8))
# The project an order of each type is about when make_context is given only the type.
PROJECTS_BY_TYPE: dict[ProjectType, tuple[ProjectFacts, ...]] = {
    ProjectType.COMMUNITY: (COMMUNITY,), ProjectType.SINGLE_FAMILY: (SINGLE_FAMILY,),
    ProjectType.COMMERCIAL: (NEW_COMMERCIAL,)}
KIT_PLUGIN = "kit_method"  # the name core_evaluation's host gives the method's plugin


def kit_coupon(code: str = "KITUSD50", amount: int = 5000, currency: str = "USD",
               owner: str = "kit_payer", expires_at: dt.datetime | None = None) -> CouponView:
    """A usable coupon as the core hands it to methods (PaymentContext.coupons)."""
    money = Money(amount, currency)
    return CouponView(code, owner, money, money, expires_at, KIT_NOW - dt.timedelta(days=30))


def make_context(**overrides: Any) -> PaymentContext:
    """make_context(**overrides) -> PaymentContext: any PaymentContext field by name (payer_id,
    payer_login, role, grant, purpose, project_type, projects, renew_mode, amount, credit_balance,
    coupons, now). Defaults: an installer holding the "Stripe/PayPal Coupon" grant renewing one
    community project manually for 10.00 USD at KIT_NOW.

    The context stays one the core could build: give `project_type` alone and the order is about
    a project of that type (PROJECTS_BY_TYPE); give `projects` alone and the type is theirs; a
    credit purchase is about no project and an activation has no renew mode unless told.
    Contradictions (a single-family type with a community project) raise ValueError naming the field."""
    purpose = overrides.get("purpose", Purpose.RENEWAL)
    if purpose == Purpose.CREDIT_PURCHASE:
        project_type, projects = overrides.get("project_type"), overrides.get("projects", ())
    elif "project_type" in overrides and "projects" not in overrides:
        project_type = overrides["project_type"]
        projects = PROJECTS_BY_TYPE.get(project_type, ()) if project_type is not None else ()
    elif "projects" in overrides and "project_type" not in overrides:
        projects = tuple(overrides["projects"])
        project_type = projects[0].type if projects else None
    else:
        project_type = overrides.get("project_type", ProjectType.COMMUNITY)
        projects = tuple(overrides.get("projects", PROJECTS_BY_TYPE.get(project_type, ())))
    if purpose == Purpose.CREDIT_PURCHASE and (project_type is not None or projects):
        raise ValueError("project_type: a credit purchase is about no project (give project_type=None, projects=())")
    if purpose != Purpose.CREDIT_PURCHASE and project_type is None:
        raise ValueError(f"project_type: a {purpose.value} order needs a project type")
    wrong = [p.name for p in projects if p.type != project_type]
    if wrong:
        raise ValueError(f"projects: {', '.join(wrong)} not of project_type {project_type.value}")
    renew_mode = RenewMode.MANUAL if purpose == Purpose.RENEWAL else None
    fields: dict[str, Any] = dict(
        payer_id=1, payer_login="kit_payer", role=Role.INSTALLER, grant=Grant.REGULAR,
        purpose=purpose, renew_mode=renew_mode, amount=Money(1000, "USD"), credit_balance=0, coupons=(),
        now=KIT_NOW)
    fields.update(overrides)
    fields.update(project_type=project_type, projects=projects)
    return PaymentContext(**fields)


def kit_order(context: PaymentContext | None = None, *, method_key: str = "kit", state: OrderState = OrderState.SUCCEEDED,
              txn: str = KIT_TXN) -> OrderView:
    """kit_order(context=None, *, method_key="kit", state=SUCCEEDED, txn=KIT_TXN) -> OrderView: the
    order as the core shows it to `order_completed` (state SUCCEEDED, paid) and to `instructions()`
    (state PROCESSING, waiting), for `context` (default make_context()), with one attempt by
    `method_key` for the whole amount."""
    context = context or make_context()
    paid = state == OrderState.SUCCEEDED
    attempt = AttemptView(1, method_key, context.amount, "succeeded" if paid else "processing", f"{txn}-01",
                          None, None, {}, KIT_NOW)
    return OrderView(txn=txn, payer_login=context.payer_login, purpose=context.purpose,
                     project_type=context.project_type, total=context.amount, state=state, created_at=KIT_NOW,
                     deadline_at=KIT_NOW + dt.timedelta(minutes=15), paid_at=KIT_NOW if paid else None,
                     renew_mode=context.renew_mode,
                     renew_to=(KIT_NOW + dt.timedelta(days=30)).date() if context.renew_mode else None,
                     auto_cycles=None, auto_until=None,
                     credit_quantity=context.amount.amount if context.purpose == Purpose.CREDIT_PURCHASE else None,
                     billing=BillingInfoView("Kit Company", "Kit Payer", "1 Kit Street", "+65 6000 0000"),
                     attempts=(attempt,))


def standard_contexts() -> dict[str, PaymentContext]:
    """standard_contexts() -> {name: PaymentContext}: the spread of situations the contract judges
    every method in: each role and grant, each purpose, each project type (community,
    single-family, commercial), manual and auto renewal, money and credit orders, with and
    without coupons."""
    usd_coupon = (kit_coupon(),)
    credit_renewal = dict(project_type=ProjectType.COMMERCIAL, projects=(NEW_COMMERCIAL,),
                          amount=Money(30, CREDIT), credit_balance=100)
    credit_purchase = dict(purpose=Purpose.CREDIT_PURCHASE, project_type=None, projects=(),
                           renew_mode=None, amount=Money(5000, "USD"))
    return {
        "distributor renewal USD": make_context(role=Role.DISTRIBUTOR, grant=None, coupons=usd_coupon),
        "distributor auto-renew USD": make_context(role=Role.DISTRIBUTOR, grant=None,
                                                   renew_mode=RenewMode.AUTO, coupons=usd_coupon),
        "distributor credit renewal": make_context(role=Role.DISTRIBUTOR, grant=None, **credit_renewal),
        "distributor credit purchase": make_context(role=Role.DISTRIBUTOR, grant=None, **credit_purchase),
        "distributor single-family renewal USD": make_context(role=Role.DISTRIBUTOR, grant=None,
                                                              project_type=ProjectType.SINGLE_FAMILY),
        "sub-distributor activation USD": make_context(role=Role.SUB_DISTRIBUTOR, grant=None,
                                                       purpose=Purpose.ACTIVATION, renew_mode=None),
        "installer regular renewal USD": make_context(coupons=usd_coupon),
        "installer regular auto-renew USD": make_context(renew_mode=RenewMode.AUTO, coupons=usd_coupon),
        "installer regular activation EUR": make_context(purpose=Purpose.ACTIVATION, renew_mode=None,
                                                         amount=Money(900, "EUR"), coupons=usd_coupon),
        "installer regular commercial renewal USD": make_context(project_type=ProjectType.COMMERCIAL),
        "installer regular single-family activation USD": make_context(purpose=Purpose.ACTIVATION,
                                                                       project_type=ProjectType.SINGLE_FAMILY),
        "installer without permission": make_context(grant=Grant.NONE),
        "installer credit renewal": make_context(grant=Grant.CREDIT, **credit_renewal),
        "installer credit, insufficient balance": make_context(grant=Grant.CREDIT,
                                                               **{**credit_renewal, "credit_balance": 5}),
        "installer credit, project before cut-off": make_context(grant=Grant.CREDIT,
                                                                 **{**credit_renewal,
                                                                    "projects": (OLD_COMMERCIAL,)}),
        "installer credit purchase": make_context(grant=Grant.CREDIT, **credit_purchase),
        "property manager regular renewal USD": make_context(role=Role.PROPERTY_MANAGER, payer_login="kit_pm",
                                                             coupons=(kit_coupon(owner="kit_pm"),)),
    }


class KitTender:
    """KitTender(credit_balance=0, coupons=()) — or KitTender.for_context(context). An in-memory Tender with the core's rules: a credit balance that never goes negative and
    coupons that are never overdrawn. It records every call so tests can see what a charge did."""

    def __init__(self, credit_balance: int = 0, coupons: Iterable[CouponView] = ()):
        self.credit_balance = credit_balance
        self.coupons = {c.code: c.remaining for c in coupons}
        self.calls: list[tuple] = []

    @classmethod
    def for_context(cls, context: PaymentContext) -> "KitTender":
        return cls(context.credit_balance, context.coupons)

    def consume_credits(self, amount: int) -> int:
        self.calls.append(("consume_credits", amount))
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"consume_credits needs a positive whole number of credits, got {amount!r}")
        if amount > self.credit_balance:
            raise InsufficientCredit(f"Insufficient credit: {self.credit_balance} available, {amount} needed")
        self.credit_balance -= amount
        return self.credit_balance

    def redeem_coupon(self, code: str, up_to: Money) -> Money:
        self.calls.append(("redeem_coupon", code, up_to))
        left = self.coupons.get((code or "").strip().upper())
        if left is None:
            raise NotEligible(f"coupon: '{code}' is not one of your coupons")
        if left.currency != up_to.currency:
            raise NotEligible(f"coupon: {code} is in {left.currency}, the order is in {up_to.currency}")
        if left.amount <= 0:
            raise InsufficientCoupon(f"coupon: {code} has nothing left")
        taken = Money(min(left.amount, up_to.amount), left.currency)
        self.coupons[code] = left - taken
        return taken


class _HookPlugin:
    """Wraps one method instance as a plugin, so the core's evaluation can run over a host."""

    def __init__(self, method: PaymentMethod):
        self._method = method

    @hookimpl
    def register_payment_methods(self, register):
        register(self._method)


def core_evaluation(method: PaymentMethod, vetoes: Iterable[Any] = ()) -> Callable[[PaymentContext], Eligibility]:
    """core_evaluation(method, vetoes=()) -> verdict(context) -> Eligibility. The core's verdict for `method` (payments.eligibility.verdict: configuration, grant,
    currency, the method's own check, auto-renewal, vetoes), over a host holding only `method`
    and the given veto plugins (objects or modules with a `veto_payment_method` hookimpl). The
    host contains the method like any plugin's (M8): a method that raises is refused with
    "plugin error (kit_method)", not a crash."""
    from .payments.eligibility import PaymentMethods

    extra = [(KIT_PLUGIN, _HookPlugin(method))] + [(f"kit_veto_{i}", v) for i, v in enumerate(vetoes)]
    host = PluginHost(load_entry_points=False, disabled=(), extra_plugins=extra)
    if host.skipped():
        raise AssertionError(f"the plugin host would not load this method: {host.skipped()[0].reason}")
    methods = PaymentMethods(host)

    def verdict(context: PaymentContext) -> Eligibility:
        return methods.verdict(methods.get(method.key), context)

    return verdict


# -- fixtures for authors' own tests (`from smartpay.core.testing import payment_context`) ----------
@pytest.fixture
def payment_context() -> Callable[..., PaymentContext]:
    """payment_context(**overrides) → a PaymentContext (see make_context)."""
    return make_context


@pytest.fixture
def kit_tender() -> Callable[..., KitTender]:
    """kit_tender(credit_balance=0, coupons=()) → a fresh in-memory Tender."""
    return KitTender


# -- the contract ------------------------------------------------------------------------------------
class PaymentMethodContract:
    """Reusable contract tests. Subclass as `Test…` and override `method`; optionally `plugin`
    (the module or object with your hook implementations), `plugin_config`, `contexts` and
    `charge_context`. Set `exercises_charge = False` only if calling charge() would reach a real
    provider you cannot point at a sandbox or a local fake from the `method` fixture."""

    exercises_charge: bool = True

    @pytest.fixture
    def method(self) -> PaymentMethod:
        raise NotImplementedError("override the `method` fixture to return your PaymentMethod instance")

    @pytest.fixture
    def plugin(self) -> Any:
        """The plugin (module or object) whose register_payment_methods registers `method`."""
        return None

    @pytest.fixture
    def plugin_config(self) -> dict[str, dict]:
        """What `config(key)` returns to the plugin, by key (the `[plugins.<key>]` tables)."""
        return {}

    @pytest.fixture
    def contexts(self) -> dict[str, PaymentContext]:
        """Named situations to judge; extend with your own (`{**standard_contexts(), ...}`)."""
        return standard_contexts()

    @pytest.fixture
    def verdict(self, method) -> Callable[[PaymentContext], Eligibility]:
        return core_evaluation(method)

    @pytest.fixture
    def charge_context(self, method, contexts, verdict) -> PaymentContext | None:
        """The context charge() is tried in: the first in which the core offers the method. None
        when it is offered nowhere (e.g. not configured): the charge tests then skip, saying so,
        rather than charging where the core would never call charge()."""
        for context in contexts.values():
            if verdict(context).eligible:
                return context
        return None

    # -- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def charge_request(method: PaymentMethod, context: PaymentContext, tender=None, *,
                       txn: str = KIT_TXN, attempt: int = 1) -> ChargeRequest:
        """The request the core would send: key `TXN-NN` (M1), coupons for partial tenders."""
        codes = tuple(c.code for c in context.coupons if c.remaining.currency == context.amount.currency
                      and c.remaining.amount > 0) if method.redeems_coupons else ()
        return ChargeRequest(txn=txn, amount=context.amount, idempotency_key=f"{txn}-{attempt:02d}",
                             context=context, tender=tender if tender is not None else KitTender.for_context(context),
                             coupon_codes=codes, description=f"{context.purpose.label} {txn}")

    def _charge(self, method: PaymentMethod, request: ChargeRequest) -> ChargeResult:
        if not self.exercises_charge:
            pytest.skip("exercises_charge = False: charge() is not called by the kit")
        return method.charge(request)

    @staticmethod
    def _offered(context: PaymentContext | None) -> PaymentContext:
        if context is None:
            pytest.skip("the core offers the method in none of the contexts (not configured?): charge() is "
                        "tried only where it is offered; override `contexts` or `charge_context`")
        return context

    # -- identity --------------------------------------------------------------------------------------
    def test_key_is_a_short_lowercase_name(self, method):
        assert isinstance(method.key, str) and _KEY.match(method.key), (
            f"key {method.key!r} must be non-empty lowercase letters, digits and underscores")

    def test_label_is_readable_text(self, method):
        assert isinstance(method.label, str) and method.label.strip(), "label must be non-empty text"
        assert method.label == method.label.strip(), "label must not start or end with spaces"

    def test_key_and_label_are_stable(self, method, contexts, charge_context):
        key, label = method.key, method.label
        for context in contexts.values():
            method.check_eligibility(context)
        method.configured()
        if self.exercises_charge and charge_context is not None:
            method.charge(self.charge_request(method, charge_context))
        assert (method.key, method.label) == (key, label), "key and label changed while the method was used"
        assert method.describe()["key"] == key

    # -- declared capabilities -------------------------------------------------------------------------
    def test_family_is_a_grant_that_permits_paying(self, method):
        assert isinstance(method.family, Grant), f"family must be a Grant, got {method.family!r}"
        assert method.family != Grant.NONE, ("family NONE would offer the method to payers with "
                                             "\"No Permission\"; use REGULAR or CREDIT")

    def test_capabilities_have_the_right_types(self, method):
        for flag in ("supports_auto_renew", "partial_tender", "settles_in_core"):
            assert isinstance(getattr(method, flag), bool), f"{flag} must be a bool"
        assert isinstance(method.version, str) and method.version, "version must be a non-empty str"
        currencies = method.currencies
        if currencies is not None:
            assert isinstance(currencies, (frozenset, set)) and currencies, \
                "currencies must be None (any money currency) or a non-empty set of codes"
            for code in currencies:
                assert isinstance(code, str) and _CURRENCY.match(code), f"currency {code!r} is not a code like USD"

    def test_describe_is_json_and_matches_the_declaration(self, method):
        described = method.describe()
        assert isinstance(described, dict)
        round_trip = json.loads(json.dumps(described))
        assert round_trip["key"] == method.key and round_trip["label"] == method.label
        assert round_trip["family"] == method.family.value
        assert round_trip["supports_auto_renew"] is method.supports_auto_renew
        assert round_trip["settles_in_core"] is method.settles_in_core

    # -- eligibility -----------------------------------------------------------------------------------
    def test_configured_returns_eligibility_with_a_reason_when_no(self, method):
        answer = method.configured()
        assert isinstance(answer, Eligibility)
        assert isinstance(answer.eligible, bool)
        if not answer.eligible:
            assert isinstance(answer.reason, str) and answer.reason.strip(), "a refusal needs a reason"

    def test_every_refusal_has_a_reason(self, method, contexts, verdict):
        for name, context in contexts.items():
            own = method.check_eligibility(context)
            assert isinstance(own, Eligibility), f"{name}: check_eligibility returned {own!r}"
            assert isinstance(own.eligible, bool), f"{name}: eligible must be a bool"
            if not own.eligible:
                assert isinstance(own.reason, str) and own.reason.strip(), f"{name}: refused without a reason"
            judged = verdict(context)
            if not judged.eligible:
                assert judged.reason.strip(), f"{name}: the core refused without a reason"

    def test_eligibility_is_a_pure_function_of_the_context(self, method, contexts, verdict):
        first = {name: method.check_eligibility(c) for name, c in contexts.items()}
        configured = method.configured()
        # Judge them again in reverse order: an answer must not depend on what was asked before.
        for name, context in reversed(list(contexts.items())):
            again = method.check_eligibility(replace(context))
            assert again == first[name], f"{name}: {first[name]} the first time, {again} the second"
            assert verdict(context) == verdict(replace(context)), f"{name}: the core's verdict changed"
        assert method.configured() == configured

    def test_auto_renew_is_refused_unless_supported(self, method, contexts, verdict):
        autos = {name: replace(c, renew_mode=RenewMode.AUTO) for name, c in contexts.items()
                 if c.purpose == Purpose.RENEWAL}
        assert autos, "the contexts must include renewals"
        for name, context in autos.items():
            judged = verdict(context)
            if not method.supports_auto_renew:
                assert not judged.eligible, f"{name}: offered for auto-renewal without supports_auto_renew"
                assert judged.reason

    def test_credit_orders_only_for_credit_methods(self, method, contexts, verdict):
        for name, context in contexts.items():
            if context.amount.currency == CREDIT and not (method.currencies and CREDIT in method.currencies):
                assert not verdict(context).eligible, f"{name}: offered for an order priced in credits"

    # -- charging -------------------------------------------------------------------------------------
    def test_charge_returns_a_result_with_a_status(self, method, charge_context):
        charge_context = self._offered(charge_context)
        tender = KitTender.for_context(charge_context)
        request = self.charge_request(method, charge_context, tender)
        result = self._charge(method, request)
        assert isinstance(result, ChargeResult), f"charge() returned {result!r}, not a ChargeResult"
        assert isinstance(result.status, ChargeStatus), f"status {result.status!r} is not a ChargeStatus"
        assert isinstance(result.message, str) and isinstance(result.detail, dict)
        json.dumps(result.detail, default=str)  # the core stores it on the attempt
        if result.status == ChargeStatus.PENDING:
            assert not method.settles_in_core, "an in-core method must settle at once, not be PENDING"
        if result.status == ChargeStatus.PROCESSED and result.amount is not None:
            assert result.amount.currency == request.amount.currency
            assert 0 < result.amount.amount <= request.amount.amount, "covered more than asked, or nothing"
            if not method.partial_tender:
                assert result.amount == request.amount, "only partial tenders may cover part of an order"
        if result.status in (ChargeStatus.ERROR, ChargeStatus.CANCELED):
            assert result.message.strip(), "a refused charge needs a message the operator can read"

    def test_only_in_core_methods_touch_the_tender(self, method, charge_context):
        charge_context = self._offered(charge_context)
        tender = KitTender.for_context(charge_context)
        self._charge(method, self.charge_request(method, charge_context, tender))
        if not method.settles_in_core:
            # Provider charges run outside the order's transaction: the Tender is not theirs to use.
            assert tender.calls == [], f"settles_in_core is False but charge() called {tender.calls}"

    def test_idempotency_key_is_passed_through(self, method, charge_context):
        charge_context = self._offered(charge_context)
        request = self.charge_request(method, charge_context)
        first = self._charge(method, request)
        assert request.idempotency_key == f"{KIT_TXN}-01", "charge() must not alter the request"
        reported = first.detail.get("idempotency_key")
        assert reported in (None, request.idempotency_key), \
            f"reported idempotency key {reported!r}, was asked with {request.idempotency_key!r}"
        # A retry with the same key (M1) gives the same answer.
        again = self._charge(method, replace(request, tender=KitTender.for_context(charge_context)))
        assert (again.status, again.provider_ref, again.amount) == (first.status, first.provider_ref, first.amount)

    def test_charge_is_tried_only_where_the_core_offers_the_method(self, method, verdict, charge_context):
        context = self._offered(charge_context)
        judged = verdict(context)
        assert judged.eligible, f"charge_context is one where the core refuses the method: {judged.reason}"

    def test_charge_answers_in_every_context_where_the_method_is_offered(self, method, contexts, verdict):
        offered = {name: c for name, c in contexts.items() if verdict(c).eligible}
        self._offered(next(iter(offered.values()), None))
        for name, context in offered.items():
            result = self._charge(method, self.charge_request(method, context))
            assert isinstance(result, ChargeResult) and isinstance(result.status, ChargeStatus), \
                f"{name}: charge() returned {result!r}"
            if method.settled_by_operator:
                assert result.status == ChargeStatus.PENDING, \
                    f"{name}: an offline method answers PENDING (the operator settles it), not {result.status}"

    def test_status_answers_with_a_charge_result(self, method):
        if not self.exercises_charge:
            pytest.skip("exercises_charge = False")
        result = method.status(KIT_TXN, None)
        assert isinstance(result, ChargeResult) and isinstance(result.status, ChargeStatus)

    # -- registration ------------------------------------------------------------------------------------
    def test_plugin_registers_the_method_through_the_hook(self, method, plugin, plugin_config):
        if plugin is None:
            pytest.skip("override the `plugin` fixture to check registration through the hook")
        host = PluginHost(config=lambda key: dict(plugin_config.get(key, {})), load_entry_points=False,
                          disabled=(), extra_plugins=[("kit_plugin", plugin)])
        assert host.skipped() == [], f"the host skipped the plugin: {host.skipped()}"
        registered = {m.key: m for m in host.methods()}
        assert method.key in registered, f"the plugin registered {sorted(registered)}, not {method.key!r}"
        assert type(registered[method.key].inner) is type(method)
        assert host.plugins()[0].hooks and "register_payment_methods" in host.plugins()[0].hooks

    # -- offline methods ------------------------------------------------------------------------------------
    def test_an_offline_method_tells_the_payer_what_to_do(self, method, contexts, verdict):
        if not method.settled_by_operator:
            pytest.skip("not settled_by_operator")
        window = method.payment_window
        assert window is None or (isinstance(window, dt.timedelta) and window > dt.timedelta(0)), \
            "payment_window must be None or a positive timedelta"
        assert not method.settles_in_core, "an offline method is settled by an operator, not in the core"
        for name, context in contexts.items():
            if verdict(context).eligible:
                text = method.instructions(kit_order(context, method_key=method.key, state=OrderState.PROCESSING))
                assert isinstance(text, str) and text.strip(), f"{name}: instructions() told the payer nothing"

    # -- vetoes, notices and containment ------------------------------------------------------------------
    def test_a_veto_refusing_the_method_is_honoured(self, method, contexts, verdict):
        veto = _KitVeto(method.key)
        vetoed = core_evaluation(method, vetoes=[veto])
        offered = [name for name, context in contexts.items() if verdict(context).eligible]
        if not offered:
            pytest.skip("the core offers the method in none of the contexts: there is nothing to veto")
        for name in offered:
            answer = vetoed(contexts[name])
            assert not answer.eligible and answer.reason == _KitVeto.REASON, f"{name}: the veto was not honoured"
        assert veto.asked, "the veto hook was never asked"

    def test_the_plugins_veto_answers_a_reason_or_nothing(self, method, plugin, plugin_config, contexts):
        if plugin is None or not hasattr(plugin, "veto_payment_method"):
            pytest.skip("the plugin implements no veto_payment_method")
        host = PluginHost(config=lambda key: dict(plugin_config.get(key, {})), disabled=(),
                          extra_plugins=[("kit_plugin", plugin)])
        for name, context in contexts.items():
            for other in host.methods():
                reasons = host.vetoes(other, context)
                assert "plugin error (kit_plugin)" not in reasons, \
                    f"{name}: the veto raised or answered something that is not a str for {other.key} (see the log)"

    def test_order_completed_runs_for_a_completed_order(self, method, plugin, contexts, verdict):
        if plugin is None or not hasattr(plugin, "order_completed"):
            pytest.skip("the plugin implements no order_completed")
        hook = plugin.order_completed
        context = next((c for c in contexts.values() if verdict(c).eligible), make_context())
        order = kit_order(context, method_key=method.key)
        names = inspect.signature(hook).parameters
        hook(**({"order": order} if "order" in names else {}))  # raising here fails the test

    def test_a_method_that_raises_is_a_plugin_error_not_a_crash(self, method, contexts, verdict):
        reason = f"plugin error ({KIT_PLUGIN})"
        broken_check = copy.copy(method)
        broken_check.check_eligibility = _raise
        judged = core_evaluation(broken_check)
        offered = [name for name, context in contexts.items() if verdict(context).eligible]
        for name in offered:
            answer = judged(contexts[name])
            assert not answer.eligible and answer.reason == reason, f"{name}: {answer}"
        broken_configured = copy.copy(method)
        broken_configured.configured = _raise
        judged = core_evaluation(broken_configured)
        for name, context in contexts.items():
            answer = judged(context)
            assert not answer.eligible and answer.reason == reason, f"{name}: {answer}"


class _KitVeto:
    """A policy plugin that forbids one method everywhere and remembers it was asked."""

    REASON = "Refused by the kit's veto"

    def __init__(self, key: str):
        self.key, self.asked = key, 0

    @hookimpl
    def veto_payment_method(self, method, context):
        if method.key == self.key:
            self.asked += 1
            return self.REASON
        return None


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the kit broke this call on purpose")
