"""The authorization matrix (R1/R2 enforced in every service): every operation × every role ×
target (own / other downline / unrelated) → allowed or PermissionDenied; and nothing leaks from
the listings. One database for the whole module (built once) keeps the matrix fast."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from support import CHEAP_PASSWORDS, NOW, billing, build_world, fresh_db_url

from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.db.models import CreditEntry, Project
from smartpay.core.errors import PermissionDenied
from smartpay.core.services.quotes import Selection

RENEW_TO = "2026-06-30"       # matrix quotes and orders
PAY_RENEW_TO = "2025-10-31"   # the few payments, on fresh items of their own

# role key → login
ROLES = {
    "distributor": "aktest",
    "sub_distributor": "subdist",
    "installer_none": "inst_none",
    "installer_regular": "inst_regular",
    "installer_credit": "inst_credit",
    "property_manager": "pm_regular",            # Pay By PM = regular on its project
    "property_manager_no_grant": "pm_credit",    # Pay By PM = none on its project
    "platform": "operator",
}
TARGETS = ("own", "other_downline", "unrelated")

# role → project key per target
PROJECT_TARGETS = {
    "distributor": ("community", "other_community", "third_community"),
    "sub_distributor": ("sub_community", "community", "other_community"),
    "installer_none": ("none_site", "community", "other_community"),
    "installer_regular": ("community", "sub_community", "other_community"),
    "installer_credit": ("new_commercial", "community", "other_community"),
    "property_manager": ("community", "sub_community", "other_community"),
    "property_manager_no_grant": ("new_commercial", "community", "other_community"),
    "platform": ("community", "other_community", "third_community"),
}
# role → installer login per target (for account operations)
ACCOUNT_TARGETS = {
    "distributor": ("inst_regular", "other_inst", "third_inst"),
    "sub_distributor": ("inst_sub", "inst_regular", "other_inst"),
    "installer_none": ("inst_none", "inst_sub", "other_inst"),
    "installer_regular": ("inst_regular", "inst_sub", "other_inst"),
    "installer_credit": ("inst_credit", "inst_sub", "other_inst"),
    "property_manager": ("inst_regular", "inst_sub", "other_inst"),
    "property_manager_no_grant": ("inst_credit", "inst_sub", "other_inst"),
    "platform": ("inst_regular", "other_inst", "third_inst"),
}
# role → payer login of an existing order per target ("own" orders are placed fresh in the test)
ORDER_TARGETS = {
    "distributor": ("aktest", "other_dist", "third_dist"),
    "sub_distributor": ("subdist", "aktest", "other_dist"),
    "installer_none": (None, "inst_sub", "other_dist"),
    "installer_regular": ("inst_regular", "inst_sub", "other_dist"),
    "installer_credit": ("inst_credit", "inst_sub", "other_dist"),
    "property_manager": ("pm_regular", "inst_regular", "other_dist"),
    "property_manager_no_grant": (None, "inst_credit", "other_dist"),
    "platform": (None, "aktest", "other_dist"),
}

DISTRIBUTORS = {"distributor", "sub_distributor"}
INSTALLERS = {"installer_none", "installer_regular", "installer_credit"}
VIEWERS = set(ROLES) - {"platform"}
PAYERS = DISTRIBUTORS | {"installer_regular", "installer_credit", "property_manager"}
ORDERERS = {r for r, t in ORDER_TARGETS.items() if t[0] is not None}

PROJECT_OPS = {  # op → roles allowed on their own target (every other cell: PermissionDenied)
    "items": VIEWERS,
    "grant_project": VIEWERS,
    "quote_renewal": PAYERS,
    "quote_activation": PAYERS,
    "order_create": PAYERS,
    "set_pay_by_pm": INSTALLERS,
}
ACCOUNT_OPS = {
    "set_pay_by_installer": DISTRIBUTORS,
    "assign_credits": DISTRIBUTORS,
}
ORDER_OPS = {
    "order_get": ORDERERS,
    "order_options": ORDERERS,
    "order_cancel": ORDERERS,
    "order_pay": ORDERERS,
}
UNTARGETED_OPS = {  # op → roles allowed
    "users": DISTRIBUTORS,
    "projects": VIEWERS,
    "credit_purchase": DISTRIBUTORS,
    "orders_list": set(ROLES),
    "credit_log": set(ROLES),
    "coupons_mine": set(ROLES),
}


@dataclass
class Matrix:
    core: Smartpay
    projects: dict      # key → project id
    orders: dict        # payer login → txn of a processing order

    def actor(self, role):
        return self.core.auth.actor(ROLES[role])


# Session scope: built once per test process. With xdist a worker may run this module's tests in
# several stretches between others, and a module-scoped matrix would be built again for each.
@pytest.fixture(scope="session")
def mx(tmp_path_factory):
    with fresh_db_url(tmp_path_factory.mktemp("authz") / "matrix.db") as url:
        yield from _matrix(url)


def _matrix(url: str):
    core = Smartpay.open(Settings(db_url=url), FixedClock(NOW), upgrade=True, passwords=CHEAP_PASSWORDS)
    w = build_world(core)
    a = core.accounts
    a.create_account("platform", "operator", "Operator", "platform-pass-1")
    a.create_account("distributor", "third_dist", "Third Dist", "third-pass-12")
    a.create_account("installer", "third_inst", "Third Inst", "third-pass-12", parent="third_dist")
    core.grants.set_pay_by_installer(core.auth.actor("third_dist"), "third_inst", "regular")
    third = a.create_project("third_inst", "community", "Third Towers", "2024-01-01")
    a.add_item(third.id, "app", "T1", expires="2025-09-30")
    none_site = a.create_project("inst_none", "community", "No Grant Court", "2024-01-01")
    a.add_item(none_site.id, "app", "N1", expires="2025-09-30")
    for p in (third, none_site, w.community, w.sub_community, w.other_community):
        a.add_item(p.id, "app", "Never Paid")  # something to activate everywhere
    core.grants.set_pay_by_pm(core.auth.actor("inst_regular"), w.community.id, "regular")
    for login in ("aktest", "subdist", "other_dist", "third_dist", "inst_credit"):
        core.credits.add_offline(login, 100_000, "matrix float")
    for login in set(ROLES.values()) | {"other_dist", "third_dist", "inst_sub", "other_inst"}:
        billing(core, core.auth.actor(login))
    projects = {"community": w.community.id, "sub_community": w.sub_community.id,
                "other_community": w.other_community.id, "third_community": third.id,
                "none_site": none_site.id, "new_commercial": w.new_commercial.id,
                "old_commercial": w.old_commercial.id, "single_family": w.single_family.id}
    ptypes = {pid: t for pid, t in Project.select(Project.id, Project.type).tuples()}
    orders = {}
    for login, key in (("inst_regular", "community"), ("inst_sub", "sub_community"),
                       ("inst_credit", "new_commercial"), ("pm_regular", "community"),
                       ("other_dist", "other_community"), ("third_dist", "third_community"),
                       ("aktest", "community"), ("subdist", "sub_community")):
        pid = projects[key]
        orders[login] = core.orders.create(core.auth.actor(login), "renewal", Selection(ptypes[pid], project_ids=(pid,)),
                                           accept_terms=True, renew_mode="manual", renew_to=RENEW_TO).txn
    m = Matrix(core, projects, orders)
    m.ptypes = ptypes
    yield m
    core.close()


# -- operations -------------------------------------------------------------------------------------

def run_project_op(m: Matrix, role: str, op: str, pid: int):
    core, who, ptype = m.core, m.actor(role), m.ptypes[pid]
    if op == "items":
        items = core.accounts.items(who, pid)
        assert items and all(i.project_id == pid for i in items)
    elif op == "grant_project":
        assert core.grants.project(who, pid).id == pid
    elif op == "quote_renewal":
        q = core.quotes.quote(who, "renewal", Selection(ptype, project_ids=(pid,)), renew_mode="manual",
                              renew_to=RENEW_TO)
        assert q.lines and {line.project_id for line in q.lines} == {pid}
    elif op == "quote_activation":
        q = core.quotes.quote(who, "activation", Selection(ptype, project_ids=(pid,)))
        assert q.lines and {line.project_id for line in q.lines} == {pid}
    elif op == "order_create":
        order = core.orders.create(who, "renewal", Selection(ptype, project_ids=(pid,)), accept_terms=True,
                                   renew_mode="manual", renew_to=RENEW_TO)
        assert order.payer_login == ROLES[role] and order.state == "processing"
        core.orders.cancel(who, order.txn)  # keep the world tidy
    elif op == "set_pay_by_pm":
        current = Project.get_by_id(pid).pay_by_pm
        assert core.grants.set_pay_by_pm(who, pid, current).pay_by_pm == current
    else:
        raise AssertionError(op)


def run_account_op(m: Matrix, role: str, op: str, login: str):
    core, who = m.core, m.actor(role)
    if op == "set_pay_by_installer":
        current = core.auth.actor(login)  # exists
        from smartpay.core.db.models import Account
        grant = Account.get_by_id(current.id).pay_by_installer
        assert core.grants.set_pay_by_installer(who, login, grant).pay_by_installer == grant
    elif op == "assign_credits":
        before = core.credits.balance(core.auth.actor(login).id)
        core.credits.assign(who, login, 1)
        assert core.credits.balance(core.auth.actor(login).id) == before + 1
    else:
        raise AssertionError(op)


def fresh_own_order(m: Matrix, role: str) -> str:
    """An order of the actor's own, on an item of its own, so paying it disturbs nothing else."""
    core, who = m.core, m.actor(role)
    if role in DISTRIBUTORS:
        return core.orders.create_credit_purchase(who, 3, accept_terms=True).txn
    key = PROJECT_TARGETS[role][0]
    pid = m.projects[key]
    item = core.accounts.add_item(pid, "personnel_app" if m.ptypes[pid] == "commercial" else "app",
                                  "Fresh", expires="2025-09-30")
    return core.orders.create(who, "renewal", Selection(m.ptypes[pid], project_ids=(pid,), item_ids=(item.id,)),
                              accept_terms=True, renew_mode="manual", renew_to=PAY_RENEW_TO,
                              pay_in="credit" if role == "installer_credit" else "money").txn


def run_order_op(m: Matrix, role: str, op: str, txn: str, own: bool):
    core, who = m.core, m.actor(role)
    if op == "order_get":
        assert core.orders.get(who, txn).txn == txn
    elif op == "order_options":
        assert {o.key for o in core.payments.options(who, txn)} >= {"coupon", "credit"}
    elif op == "order_cancel":
        assert core.orders.cancel(who, txn).state == "cancelled"
    elif op == "order_pay":
        if role == "installer_credit" and own:
            outcome = core.payments.pay(who, txn, "credit")
        else:
            code = core.coupons.issue(ROLES[role], "500.00", "USD").code if own else "CP-NOT-MINE"
            outcome = core.payments.pay(who, txn, coupons=[code])
        assert outcome.order.state == "succeeded"
    else:
        raise AssertionError(op)


def run_untargeted_op(m: Matrix, role: str, op: str):
    core, who = m.core, m.actor(role)
    if op == "users":
        assert core.accounts.users(who)
    elif op == "projects":
        assert core.accounts.projects(who)
    elif op == "credit_purchase":
        order = core.orders.create_credit_purchase(who, 1, accept_terms=True)
        core.orders.cancel(who, order.txn)
    elif op == "orders_list":
        assert all(o.payer_login == who.login for o in core.orders.list(who))
    elif op == "credit_log":
        core.credits.log(who)
    elif op == "coupons_mine":
        assert all(c.owner_login == who.login for c in core.coupons.mine(who))
    else:
        raise AssertionError(op)


# -- the matrix -------------------------------------------------------------------------------------

def cases(ops, skip_missing_order=False):
    for op, allowed in ops.items():
        for role, (i, target) in itertools.product(ROLES, enumerate(TARGETS)):
            if skip_missing_order and ORDER_TARGETS[role][i] is None:
                continue  # installer_none, PM without grant, platform: no order of their own exists
            yield pytest.param(role, op, i, role in allowed and target == "own", id=f"{op}-{role}-{target}")


@pytest.mark.parametrize("role, op, target, allowed", list(cases(PROJECT_OPS)))
def test_matrix_project_operations(mx, role, op, target, allowed):
    pid = mx.projects[PROJECT_TARGETS[role][target]]
    if allowed:
        run_project_op(mx, role, op, pid)
    else:
        with pytest.raises(PermissionDenied):
            run_project_op(mx, role, op, pid)


@pytest.mark.parametrize("role, op, target, allowed", list(cases(ACCOUNT_OPS)))
def test_matrix_account_operations(mx, role, op, target, allowed):
    login = ACCOUNT_TARGETS[role][target]
    balances = {x: mx.core.credits.balance(mx.core.auth.actor(x).id) for x in (ROLES[role], login)}
    if allowed:
        run_account_op(mx, role, op, login)
    else:
        with pytest.raises(PermissionDenied):
            run_account_op(mx, role, op, login)
        assert {x: mx.core.credits.balance(mx.core.auth.actor(x).id) for x in balances} == balances


@pytest.mark.parametrize("role, op, target, allowed", list(cases(ORDER_OPS, skip_missing_order=True)))
def test_matrix_order_operations(mx, role, op, target, allowed):
    payer = ORDER_TARGETS[role][target]
    own = target == 0
    txn = fresh_own_order(mx, role) if own else mx.orders[payer]
    if allowed:
        run_order_op(mx, role, op, txn, own)
    else:
        with pytest.raises(PermissionDenied):
            run_order_op(mx, role, op, txn, own)
        assert mx.core.orders.get(mx.core.auth.actor(payer), txn).state == "processing"


@pytest.mark.parametrize("op", sorted(ORDER_OPS))
@pytest.mark.parametrize("role", sorted(DISTRIBUTORS))
def test_matrix_distributor_sees_but_does_not_pay_downline_orders(mx, role, op):
    payer = "inst_regular" if role == "distributor" else "inst_sub"
    txn = mx.orders[payer]
    if op == "order_get":
        view = mx.core.orders.get(mx.actor(role), txn)
        assert view.payer_login == payer
    else:
        with pytest.raises(PermissionDenied):
            run_order_op(mx, role, op, txn, own=False)
    assert mx.core.orders.get(mx.core.auth.actor(payer), txn).state == "processing"


@pytest.mark.parametrize("role, op, allowed", [
    pytest.param(role, op, role in allowed, id=f"{op}-{role}")
    for op, allowed in UNTARGETED_OPS.items() for role in ROLES])
def test_matrix_untargeted_operations(mx, role, op, allowed):
    if allowed:
        run_untargeted_op(mx, role, op)
    else:
        with pytest.raises(PermissionDenied):
            run_untargeted_op(mx, role, op)


def test_matrix_covers_every_role_and_operation():
    ops = set(PROJECT_OPS) | set(ACCOUNT_OPS) | set(ORDER_OPS) | set(UNTARGETED_OPS)
    assert len(ops) == 18
    assert set(ROLES) >= {"distributor", "sub_distributor", "installer_none", "installer_regular",
                          "installer_credit", "property_manager", "platform"}
    for table in (PROJECT_TARGETS, ACCOUNT_TARGETS, ORDER_TARGETS):
        assert set(table) == set(ROLES)


# -- nothing leaks -----------------------------------------------------------------------------------

VISIBLE_PROJECTS = {
    "distributor": {"community", "sub_community", "new_commercial", "old_commercial", "single_family", "none_site"},
    "sub_distributor": {"sub_community"},
    "installer_none": {"none_site"},
    "installer_regular": {"community", "single_family"},
    "installer_credit": {"new_commercial", "old_commercial"},
    "property_manager": {"community"},
    "property_manager_no_grant": {"new_commercial"},
}


@pytest.mark.parametrize("role", sorted(VISIBLE_PROJECTS))
def test_leak_projects_and_items(mx, role):
    who = mx.actor(role)
    expected = {mx.projects[k] for k in VISIBLE_PROJECTS[role]}
    listed = {p.id for p in mx.core.accounts.projects(who)}
    assert listed == expected
    for pid in set(mx.projects.values()) - expected:
        with pytest.raises(PermissionDenied):
            mx.core.accounts.items(who, pid)
    for ptype in ("community", "single_family", "commercial"):
        try:
            q = mx.core.quotes.quote(who, "renewal", Selection(ptype), renew_mode="manual", renew_to=RENEW_TO)
        except PermissionDenied:
            continue
        assert {line.project_id for line in q.lines + q.excluded} <= expected


def test_leak_projects_platform(mx):
    with pytest.raises(PermissionDenied):
        mx.core.accounts.projects(mx.actor("platform"))


@pytest.mark.parametrize("role, expected", [
    ("distributor", {"subdist", "inst_none", "inst_regular", "inst_credit", "inst_sub", "pm_regular", "pm_credit"}),
    ("sub_distributor", {"inst_sub"}),
])
def test_leak_users(mx, role, expected):
    assert {u.login for u in mx.core.accounts.users(mx.actor(role))} == expected
    assert {u.login for u in mx.core.accounts.users(mx.actor(role), search="other")} == set()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_leak_orders_credit_log_and_coupons(mx, role):
    core, who = mx.core, mx.actor(role)
    assert all(o.payer_login == who.login for o in core.orders.list(who))
    own_orders = {txn for login, txn in mx.orders.items() if login == who.login}
    assert own_orders <= {o.txn for o in core.orders.list(who)}
    log = core.credits.log(who)
    own_entries = CreditEntry.select().where(CreditEntry.account == who.id).count()
    assert len(log) == own_entries
    assert sum(e.amount for e in log) == core.credits.balance(who.id)
    assert all(c.owner_login == who.login for c in core.coupons.mine(who))


def test_leak_other_coupons_not_listed(mx):
    core = mx.core
    code = core.coupons.issue("other_dist", "9.00", "USD").code
    for role in ROLES:
        if ROLES[role] != "other_dist":
            assert code not in {c.code for c in core.coupons.mine(mx.actor(role))}
    assert code in {c.code for c in core.coupons.mine(core.auth.actor("other_dist"))}
