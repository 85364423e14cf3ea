"""Not revealing others' objects, the installer filter: `projects --installer X`, a quote's
`installer=` and the wizard's sites answer a missing login and another distributor's installer
with the same refusal — `installer: no account 'x' in your downline` — where they used to say
"no account" for one and answer an empty list for the other (which told an operator the other
party's installer exists)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from smartpay.app.cli.main import cli
from smartpay.app.cli.runtime import Runtime
from smartpay.core.errors import NotVisible, SmartpayError
from smartpay.core.services import wizard_queries
from smartpay.core.services.quotes import Selection

from support import CHEAP_PASSWORDS, NOW, PASSWORD

THEIRS, MISSING = "other_inst", "no_such_inst"


def _refusal(call) -> str:
    with pytest.raises(SmartpayError) as err:
        call()
    assert isinstance(err.value, NotVisible)
    return str(err.value)


def _same_refusal(call_for) -> None:
    theirs, nothing = _refusal(lambda: call_for(THEIRS)), _refusal(lambda: call_for(MISSING))
    assert theirs == f"installer: no account '{THEIRS}' in your downline"
    assert theirs.replace(THEIRS, "X") == nothing.replace(MISSING, "X")


@pytest.mark.parametrize("login", ["aktest", "subdist", "inst_regular", "pm_regular"])
def test_projects_installer_filter_refuses_a_missing_login_and_another_partys_installer_alike(core, world, actor,
                                                                                           login):
    who = actor(login)
    _same_refusal(lambda installer: core.accounts.projects(who, installer=installer))


@pytest.mark.parametrize("login", ["aktest", "inst_regular"])
def test_quote_installer_filter_refuses_a_missing_login_and_another_partys_installer_alike(core, world, actor,
                                                                                        login):
    who = actor(login)
    _same_refusal(lambda installer: core.quotes.quote(who, "renewal", Selection("community", installer=installer),
                                                      renew_mode="manual", renew_to="2025-10-30"))


@pytest.mark.parametrize("login", ["aktest", "pm_regular"])
def test_wizard_sites_installer_filter_refuses_a_missing_login_and_another_partys_installer_alike(core, world,
                                                                                               actor, login):
    who = actor(login)
    _same_refusal(lambda installer: wizard_queries.sites(core, who, "community", installer))


def test_the_installer_filter_still_answers_what_one_may_see(core, world, actor):
    ak, sub, pm = actor("aktest"), actor("subdist"), actor("pm_regular")
    assert {p.name for p in core.accounts.projects(ak, installer="inst_sub")} == {world.sub_community.name}
    assert {p.name for p in core.accounts.projects(sub, installer="inst_sub")} == {world.sub_community.name}
    assert [s.id for s in wizard_queries.sites(core, pm, "community", "inst_regular")] == [world.community.id]
    assert core.accounts.projects(actor("inst_regular"), installer="inst_regular")
    # A sub-distributor sees only its own downline: its parent's installer is someone else's.
    assert "no account 'inst_regular' in your downline" in _refusal(
        lambda: core.accounts.projects(sub, installer="inst_regular"))


def test_cli_projects_installer_refuses_both_alike_with_exit_2(core, world):
    env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": PASSWORD, "SMARTPAY_DB": None,
           "SMARTPAY_CONFIG": None}
    results = [CliRunner().invoke(cli, ["--db", core.settings.db_url, "projects", "--as", "aktest", "--installer",
                                        login], env=env, obj=Runtime(passwords=CHEAP_PASSWORDS))
               for login in (THEIRS, MISSING)]
    assert [r.exit_code for r in results] == [2, 2], [r.output for r in results]
    assert results[0].stderr.replace(THEIRS, "X") == results[1].stderr.replace(MISSING, "X")
    assert f"no account '{THEIRS}' in your downline" in results[0].stderr
