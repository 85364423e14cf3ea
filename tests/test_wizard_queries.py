"""The wizard's read-only core questions (core/services/wizard_queries.py): the sites it lists and
the Regular/Credit Payment verdict it asks before leaving a step."""
from __future__ import annotations

from smartpay.app import demo
from smartpay.core.domain import Grant, ProjectType
from smartpay.core.services.wizard_queries import pay_in_verdict, sites


def actor(core, login):
    return core.auth.login(login, demo.DEMO_PASSWORD)


def test_sites_are_the_visible_ones_of_the_type_by_name(demo_core):
    ak = actor(demo_core, "aktest")
    rows = sites(demo_core, ak, "community")
    assert [(r.name, r.installer_login) for r in rows] == [("Harbour View", "inst_sub"),
                                                          ("Sunrise Community", "inst_regular")]
    assert [r.name for r in sites(demo_core, ak, "community", "inst_regular")] == ["Sunrise Community"]
    assert [r.name for r in sites(demo_core, actor(demo_core, "inst_regular"), "commercial")] == []
    pm = sites(demo_core, actor(demo_core, "pm_credit"), "commercial")
    assert [(r.name, r.type, r.pay_by_pm) for r in pm] == [("New Commercial", ProjectType.COMMERCIAL, Grant.CREDIT)]


def test_r3_credit_verdict_names_the_project_before_the_cutoff(demo_core):
    ak = actor(demo_core, "aktest")
    by_name = {r.name: r.id for r in sites(demo_core, ak, "commercial")}
    ok = pay_in_verdict(demo_core, ak, "credit", "renewal", "commercial", [by_name["New Commercial"]])
    refused = pay_in_verdict(demo_core, ak, "credit", "renewal", "commercial", [by_name["Old Commercial"]])
    assert ok.eligible and not refused.eligible
    assert "'Old Commercial' was created before the cut-off" in refused.reason
    too_much = pay_in_verdict(demo_core, ak, "credit", "renewal", "commercial", [by_name["New Commercial"]],
                              "manual", credit_total=10_000)
    assert not too_much.eligible and "Insufficient credit" in too_much.reason


def test_r2_a_credit_grant_refuses_regular_payment(demo_core):
    inst = actor(demo_core, "inst_credit")
    new = next(r.id for r in sites(demo_core, inst, "commercial") if r.name == "New Commercial")
    money = pay_in_verdict(demo_core, inst, "money", "renewal", "commercial", [new])
    assert not money.eligible and "choose Credit Payment" in money.reason
    assert pay_in_verdict(demo_core, actor(demo_core, "aktest"), "money", "renewal", "commercial", [new]).eligible
