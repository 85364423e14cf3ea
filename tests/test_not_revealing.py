"""Refusals about other parties' objects do not reveal whether they exist: for each kind of
object, asking for another party's and asking for one that does not exist get the same message
(and the same exit code in the CLI)."""
from __future__ import annotations

import pytest

from smartpay.core.errors import SmartpayError
from smartpay.core.services.quotes import Selection

from support import billing


def _message(call) -> str:
    with pytest.raises(SmartpayError) as err:
        call()
    return str(err.value)


def _same(call_for, others, missing) -> str:
    theirs, nothing = _message(lambda: call_for(others)), _message(lambda: call_for(missing))
    assert theirs.replace(str(others), "ID") == nothing.replace(str(missing), "ID"), (theirs, nothing)
    return theirs


def test_an_order_of_another_party_reads_like_a_missing_one(core, world, actor):
    other = actor("other_inst")
    billing(core, other)
    theirs = core.orders.create(other, "renewal", Selection("community", installer="other_inst",
                                                            project_ids=(world.other_community.id,)),
                                accept_terms=True, renew_mode="manual", renew_to="2025-10-30")
    ak = actor("aktest")
    for call in (lambda txn: core.orders.get(ak, txn), lambda txn: core.orders.cancel(ak, txn),
                 lambda txn: core.payments.pay(ak, txn, coupons=["CP-XXXX"])):
        assert "that you can see" in _same(call, theirs.txn, "99999999999999999")


def test_a_project_of_another_party_reads_like_a_missing_one(core, world, actor):
    for login in ("aktest", "inst_regular", "pm_regular"):
        who = actor(login)
        _same(lambda pid: core.accounts.items(who, pid), world.other_community.id, 987654)
        _same(lambda pid: core.grants.project(who, pid), world.other_community.id, 987654)
    inst = actor("inst_regular")
    _same(lambda pid: core.grants.set_pay_by_pm(inst, pid, "regular"), world.other_community.id, 987654)


def test_an_account_outside_the_downline_reads_like_a_missing_one(core, world, actor):
    ak = actor("aktest")
    _same(lambda login: core.grants.set_pay_by_installer(ak, login, "credit"), "other_inst", "no_such_inst")
    _same(lambda login: core.accounts.update_user(ak, login, "New Name"), "other_inst", "no_such_inst")
    _same(lambda login: core.credits.assign(ak, login, 1), "other_inst", "no_such_inst")
    _same(lambda login: core.accounts.create_user(ak, "installer", "fresh1", "Fresh", "password-123",
                                                  parent=login), "other_dist", "no_such_dist")


def test_an_item_of_another_party_is_refused_like_a_missing_one(core, world, actor):
    elsewhere = world.items["elsewhere"].id
    for login, ptype in (("aktest", "community"), ("inst_regular", "community"), ("pm_regular", "commercial"),
                         ("inst_credit", "community")):
        who = actor(login)
        for purpose in ("activation", "renewal"):
            def quote(item_id):
                return core.quotes.quote(who, purpose, Selection(ptype, item_ids=(item_id,)),
                                         renew_mode="manual", renew_to="2025-10-30")
            assert "not an item you can pay for here" in _same(quote, elsewhere, 987654)


def test_cli_quote_with_another_partys_item_is_refused(core, world):
    from click.testing import CliRunner

    from smartpay.app.cli.main import cli
    from smartpay.app.cli.runtime import Runtime

    from support import CHEAP_PASSWORDS, NOW, PASSWORD
    env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": PASSWORD, "SMARTPAY_DB": None,
           "SMARTPAY_CONFIG": None}
    results = [CliRunner().invoke(cli, ["--db", core.settings.db_url, "quote", "--as", "pm_regular", "--type",
                                        "commercial", "--item", str(item)], env=env,
                                  obj=Runtime(passwords=CHEAP_PASSWORDS))
               for item in (world.items["elsewhere"].id, 987654)]
    assert [r.exit_code for r in results] == [2, 2], [r.output for r in results]
    assert results[0].stderr.replace(str(world.items["elsewhere"].id), "ID") == \
        results[1].stderr.replace("987654", "ID")
