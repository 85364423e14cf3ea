"""The conformance kit itself (smartpay.core.testing): its contexts are ones the core could build
(every project type, type and projects agreeing), charge() is tried only where the method is
offered, and vetoes, order_completed and containment are exercised — the kit passes a good
offline plugin and fails plugins whose veto or notice hook raises."""
from __future__ import annotations

import datetime as dt

import pytest

from smartpay.core.domain import OrderState, ProjectType, Purpose, RenewMode, Role
from smartpay.core.plugin_api import ChargeResult, ChargeStatus, Eligibility, Grant, PaymentMethod, hookimpl
from smartpay.core.testing import (KIT_PLUGIN, KIT_TXN, PROJECTS_BY_TYPE, PaymentMethodContract, core_evaluation, kit_order,
                                   make_context, standard_contexts)

import broken_plugin
import offline_plugin


# -- make_context: type and projects agree -------------------------------------------------------------
@pytest.mark.parametrize("project_type", list(ProjectType))
def test_make_context_with_a_project_type_is_about_a_project_of_that_type(project_type):
    context = make_context(project_type=project_type)
    assert context.project_type == project_type
    assert context.projects and {p.type for p in context.projects} == {project_type}


def test_make_context_single_family_is_a_single_family_project():
    context = make_context(project_type=ProjectType.SINGLE_FAMILY)
    assert [p.type for p in context.projects] == [ProjectType.SINGLE_FAMILY]


def test_make_context_takes_the_type_from_the_projects_given():
    context = make_context(projects=PROJECTS_BY_TYPE[ProjectType.COMMERCIAL])
    assert context.project_type == ProjectType.COMMERCIAL


def test_make_context_refuses_a_type_and_projects_that_disagree():
    with pytest.raises(ValueError, match="^projects: Kit Community not of project_type single_family"):
        make_context(project_type=ProjectType.SINGLE_FAMILY, projects=PROJECTS_BY_TYPE[ProjectType.COMMUNITY])
    with pytest.raises(ValueError, match="^project_type: a credit purchase is about no project"):
        make_context(purpose=Purpose.CREDIT_PURCHASE, project_type=ProjectType.COMMUNITY)


def test_make_context_a_credit_purchase_has_no_project_and_no_renew_mode():
    context = make_context(purpose=Purpose.CREDIT_PURCHASE)
    assert (context.project_type, context.projects, context.renew_mode) == (None, (), None)
    assert make_context(purpose=Purpose.ACTIVATION).renew_mode is None
    assert make_context().renew_mode == RenewMode.MANUAL


def test_standard_contexts_cover_every_project_type_and_agree_with_themselves():
    contexts = standard_contexts().values()
    assert {c.project_type for c in contexts} >= set(ProjectType)
    for c in contexts:
        assert all(p.type == c.project_type for p in c.projects), c
        assert (c.purpose == Purpose.CREDIT_PURCHASE) == (c.project_type is None)


def test_kit_order_is_a_completed_order_for_the_context():
    context = make_context(role=Role.DISTRIBUTOR, grant=None)
    order = kit_order(context, method_key="cash_office")
    assert order.state == OrderState.SUCCEEDED and order.paid_at is not None
    assert order.total == context.amount and order.attempts[0].method == "cash_office"
    assert kit_order(context, state=OrderState.PROCESSING).paid_at is None


# -- the kit passes a good offline plugin (the shape `smartpay plugin new` generates) ------------------
class TestOfflineCashMethod(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return offline_plugin.CashAtOffice()

    @pytest.fixture
    def plugin(self):
        return offline_plugin


# -- charge() only where the method is offered ----------------------------------------------------------
class _Picky(PaymentMethod):
    """Offered to distributors only; charging anybody else is a bug the kit must not provoke."""

    key, label, family = "picky", "Picky", Grant.REGULAR

    def check_eligibility(self, context):
        return Eligibility.ok() if context.role.is_distributor else Eligibility.no("Distributors only")

    def charge(self, request):
        assert request.context.role.is_distributor, "charged where the method refuses"
        return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=f"P-{request.txn}")


class TestKitChargesOnlyWhereOffered(PaymentMethodContract):
    @pytest.fixture
    def method(self):
        return _Picky()


def test_charge_context_is_none_when_the_method_is_offered_nowhere():
    class Nowhere(_Picky):
        key = "nowhere"

        def check_eligibility(self, context):
            return Eligibility.no("Never")

    method = Nowhere()
    fixture = PaymentMethodContract.charge_context.__wrapped__
    assert fixture(PaymentMethodContract(), method, standard_contexts(), core_evaluation(method)) is None
    with pytest.raises(pytest.skip.Exception, match="tried only where it is offered"):
        PaymentMethodContract().test_charge_returns_a_result_with_a_status(method, None)


def test_the_kit_refuses_a_charge_context_where_the_method_is_not_offered():
    method = _Picky()
    with pytest.raises(AssertionError, match="refuses the method: Distributors only"):
        PaymentMethodContract().test_charge_is_tried_only_where_the_core_offers_the_method(
            method, core_evaluation(method), make_context(role=Role.INSTALLER))


# -- vetoes, order_completed and containment are exercised -----------------------------------------------
class _PluginWith:
    def __init__(self, veto=None, notice=None):
        self._veto, self._notice = veto, notice

    @hookimpl
    def register_payment_methods(self, register):
        register(offline_plugin.CashAtOffice())


class _RaisingVeto(_PluginWith):
    @hookimpl
    def veto_payment_method(self, method, context):
        raise RuntimeError("policy service down")


class _RaisingNotice(_PluginWith):
    @hookimpl
    def order_completed(self, order):
        raise RuntimeError("mail server down")


class _GoodHooks(_PluginWith):
    def __init__(self):
        super().__init__()
        self.told = []

    @hookimpl
    def veto_payment_method(self, method, context):
        return "Not on Sundays" if method.key == "stripe" and context.now.weekday() == 6 else None

    @hookimpl
    def order_completed(self, order):
        self.told.append(order.txn)


def _contract_call(name, **args):
    test = getattr(PaymentMethodContract(), name)
    names = test.__code__.co_varnames[1:test.__code__.co_argcount]
    return test(**{n: args[n] for n in names})


def _args(plugin):
    method = offline_plugin.CashAtOffice()
    return dict(method=method, plugin=plugin, plugin_config={}, contexts=standard_contexts(),
                verdict=core_evaluation(method))


def test_the_kit_passes_a_plugins_veto_and_notice_hooks_that_behave():
    plugin = _GoodHooks()
    _contract_call("test_the_plugins_veto_answers_a_reason_or_nothing", **_args(plugin))
    _contract_call("test_order_completed_runs_for_a_completed_order", **_args(plugin))
    assert plugin.told == [KIT_TXN]


def test_the_kit_fails_a_plugin_whose_veto_raises():
    with pytest.raises(AssertionError, match="the veto raised"):
        _contract_call("test_the_plugins_veto_answers_a_reason_or_nothing", **_args(_RaisingVeto()))


def test_the_kit_fails_a_plugin_whose_order_completed_raises():
    with pytest.raises(RuntimeError, match="mail server down"):
        _contract_call("test_order_completed_runs_for_a_completed_order", **_args(_RaisingNotice()))


def test_a_method_raising_in_check_eligibility_is_shown_as_a_plugin_error(monkeypatch):
    method = offline_plugin.CashAtOffice()
    _contract_call("test_a_method_that_raises_is_a_plugin_error_not_a_crash", **_args(None))
    _contract_call("test_a_veto_refusing_the_method_is_honoured", **_args(None))
    broken = core_evaluation(broken_plugin.BrokenMethod())
    monkeypatch.setenv(broken_plugin.ENV, "check_eligibility")
    answer = broken(make_context(role=Role.DISTRIBUTOR, grant=None))
    monkeypatch.delenv(broken_plugin.ENV)
    assert not answer.eligible and answer.reason == f"plugin error ({KIT_PLUGIN})"
    assert core_evaluation(method)(make_context(role=Role.DISTRIBUTOR, grant=None)).eligible


def test_an_offline_method_without_instructions_fails_the_kit():
    class Silent(offline_plugin.CashAtOffice):
        def instructions(self, order):
            return ""

    method = Silent()
    with pytest.raises(AssertionError, match="told the payer nothing"):
        _contract_call("test_an_offline_method_tells_the_payer_what_to_do", method=method,
                       contexts=standard_contexts(), verdict=core_evaluation(method))
    assert offline_plugin.CashAtOffice.payment_window == dt.timedelta(days=7)
