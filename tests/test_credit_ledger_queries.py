"""R11 queries over the credit ledger (what Credit Logs shows): filtering by type, text and
platform date, the balance series, the assign pre-check that names the field and writes nothing,
and CSV export of the actor's own ledger that never overwrites unless told and never writes a
spreadsheet formula. Authorization stays in the core. On the seed guide's demo world."""
from __future__ import annotations

import csv
import datetime as dt

import pytest

from smartpay.core.errors import InvalidInput, NotFound, PermissionDenied
from smartpay.core.services.credits import balance_series, filter_ledger, kind_label


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
    assert too_much.value.field == "Amount"
    with pytest.raises(InvalidInput) as empty:
        demo_core.credits.check_assign(ak, "", 5)
    assert empty.value.field == "User"
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


def test_csv_text_cells_are_not_spreadsheet_formulas(demo_core, tmp_path):
    demo_core.credits.add_offline("aktest", 5, "=HYPERLINK(\"http://x\")")
    result = demo_core.credits.export_csv(demo_core.auth.actor("aktest"), tmp_path / "log.csv")
    with open(result.path, newline="", encoding="utf-8") as f:
        newest = list(csv.reader(f))[1]
    assert newest[7] == "'=HYPERLINK(\"http://x\")" and newest[2] == "5"
