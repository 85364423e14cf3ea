"""The core queries behind Credit Logs, Orders and Billing information: filtering the ledger in
memory, the balance series, CSV export of the actor's own ledger, the assign pre-check, every bad
billing field at once, and order item counts. Authorization stays in the core."""
from __future__ import annotations

import csv
import datetime as dt

import pytest

from smartpay.core.errors import InvalidInput, NotFound, PermissionDenied
from smartpay.core.services.credits import balance_series, filter_ledger, kind_label
from smartpay.core.services.order_queries import list_with_counts

from pane_harness import credit_renewal_order


def test_r11_filter_ledger_by_type_text_and_platform_date(demo_core):
    ak = demo_core.auth.actor("aktest")
    log = demo_core.credits.log(ak)
    assert [e.amount for e in filter_ledger(log, kind="assign_out")] == [-40, -100]
    assert [e.counterparty_login for e in filter_ledger(log, text="PM_CRED")] == ["pm_credit"]
    assert [e.reference for e in filter_ledger(log, text="demo-inv")] == ["DEMO-INV-0001 (offline sale)"]
    assert len(filter_ledger(log, text="assigned out")) == 2  # the type's label matches too
    today = dt.date(2025, 9, 10)
    ptime = demo_core.ptime
    assert len(filter_ledger(log, since=today, until=today, ptime=ptime)) == 3
    assert filter_ledger(log, since=today + dt.timedelta(days=1), ptime=ptime) == []
    with pytest.raises(InvalidInput) as bad:
        filter_ledger(log, kind="gift")
    assert bad.value.field == "type"


def test_balance_series_runs_oldest_to_newest_and_is_capped(demo_core):
    log = demo_core.credits.log(demo_core.auth.actor("aktest"))
    assert balance_series(log) == [0, 500, 400, 360]  # the whole ledger: from the opening 0
    assert balance_series(log, points=2) == [400, 360]  # cut: no opening point
    assert kind_label("assign_in") == "Assigned In"


def test_r11_check_assign_names_the_field_and_writes_nothing(demo_core):
    ak = demo_core.auth.actor("aktest")
    assert demo_core.credits.check_assign(ak, " inst_credit ", "25") == ("inst_credit", 25)
    with pytest.raises(InvalidInput) as too_much:
        demo_core.credits.check_assign(ak, "inst_credit", 361)
    assert too_much.value.field == "amount"
    with pytest.raises(InvalidInput) as empty:
        demo_core.credits.check_assign(ak, "", 5)
    assert empty.value.field == "user"
    with pytest.raises(NotFound):
        demo_core.credits.check_assign(ak, "ghost", 5)
    with pytest.raises(PermissionDenied):
        demo_core.credits.check_assign(demo_core.auth.actor("inst_credit"), "pm_credit", 5)
    assert demo_core.credits.balance(ak.id) == 360


def test_r11_csv_export_is_the_actors_own_filtered_ledger(demo_core, tmp_path):
    inst = demo_core.auth.actor("inst_credit")
    result = demo_core.credits.export_csv(inst, tmp_path / "mine.csv")
    with open(result.path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    # inst_credit's ledger only: the 100 assigned in — none of aktest's entries.
    assert result.rows == 1 and rows[1] == ["2025-09-10 14:00:00 GMT+8:00", "Assigned In", "100", "100", "aktest",
                                            "aktest", "", ""]
    ak = demo_core.auth.actor("aktest")
    filtered = demo_core.credits.export_csv(ak, tmp_path / "out.csv", kind="assign_out", text="inst")
    assert filtered.rows == 1


def test_csv_export_never_overwrites_unless_told(demo_core, tmp_path):
    ak = demo_core.auth.actor("aktest")
    target = tmp_path / "log.csv"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(InvalidInput) as exists:
        demo_core.credits.export_csv(ak, target)
    assert exists.value.field == "path" and "already exists" in exists.value.problem
    assert target.read_text(encoding="utf-8") == "precious"
    assert demo_core.credits.export_csv(ak, target, overwrite=True).rows == 3
    with pytest.raises(InvalidInput, match="is a folder"):
        demo_core.credits.export_csv(ak, tmp_path)
    with pytest.raises(InvalidInput, match="enter a file name"):
        demo_core.credits.export_csv(ak, "  ")


def test_r10_billing_problems_lists_every_bad_field(demo_core):
    problems = demo_core.billing.problems("", "Ann", "", "12", "fax!")
    assert set(problems) == {"Company/Family", "Address", "TEL", "Fax"}
    assert problems["Company/Family"] == "is required"
    assert demo_core.billing.problems("Co", "Ann", "1 Road", "+65 6123 4567") == {}


def test_r8_order_list_counts_items_per_order(demo_core):
    order = credit_renewal_order(demo_core)
    purchase = demo_core.orders.create_credit_purchase(demo_core.auth.actor("aktest"), 10, accept_terms=True)
    rows = list_with_counts(demo_core, demo_core.auth.actor("inst_credit"))
    assert [(r.order.txn, r.items) for r in rows] == [(order.txn, 2)]
    assert [(r.order.txn, r.items) for r in list_with_counts(demo_core, demo_core.auth.actor("aktest"))] == [
        (purchase.txn, 0)]


def test_csv_text_cells_are_not_spreadsheet_formulas(demo_core, tmp_path):
    demo_core.credits.add_offline("aktest", 5, "=HYPERLINK(\"http://x\")")
    result = demo_core.credits.export_csv(demo_core.auth.actor("aktest"), tmp_path / "log.csv")
    with open(result.path, newline="", encoding="utf-8") as f:
        newest = list(csv.reader(f))[1]
    assert newest[7] == "'=HYPERLINK(\"http://x\")" and newest[2] == "5"
