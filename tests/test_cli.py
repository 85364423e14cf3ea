"""The `smartpay` command line, driven through click's CliRunner on the test database (SQLite,
or PostgreSQL under tests/pg_run.py) with the clock fixed by SMARTPAY_FAKE_NOW."""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from support import CHEAP_PASSWORDS, NOW, PASSWORD

from smartpay.app.cli.main import cli
from smartpay.app.cli.runtime import Runtime
from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay

SEED_LINES = [
    "Renew To: 2025-09-30 GMT+8:00",
    "Number of Renewal Door(s): 0",
    "Number of Renewal Personnel App(s): 1",
    "Number of Renewal Admin App(s): 0",
    "Number of Renewal Premium Feature(s): 1",
]


@pytest.fixture
def run(db_url):
    """run(*args, password=…, input=…) → click Result; the database is the test's own."""

    def invoke(*args, password=PASSWORD, input=None, db=True):
        env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": password,
               "SMARTPAY_DB": None, "SMARTPAY_CONFIG": None}
        argv = (["--db", db_url] if db else []) + [str(a) for a in args]
        return CliRunner().invoke(cli, argv, input=input, env=env, catch_exceptions=False,
                                  obj=Runtime(passwords=CHEAP_PASSWORDS))

    return invoke


@contextlib.contextmanager
def fresh_core(db_url):
    """A core of the test's own, opened after the CLI ran (models follow the newest database
    handle, so the fixture's core is not reused once the CLI has opened its own)."""
    core = Smartpay.open(Settings(db_url=db_url), FixedClock(NOW), passwords=CHEAP_PASSWORDS)
    try:
        yield core
    finally:
        core.close()


def audit_count(db_url) -> int:
    with fresh_core(db_url) as core:
        return len(core.audit.recent(100_000))


def ok(result):
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def as_json(result):
    return json.loads(ok(result).stdout)


def refused(result, *fragments):
    """Exit 2, exactly one line on stderr starting `error:`, naming what was wrong."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def billing_set(run, login):
    ok(run("billing", "set", "--as", login, "--company", "Default Company", "--attn", "Ann Tan",
           "--address", "1 Harbour Road, Singapore", "--tel", "+65 6123 4567"))


# -- start-up, help, database -------------------------------------------------------------------
def test_help_works():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("admin", "db", "quote", "order", "orders", "methods", "credits", "coupons", "plugins", "demo"):
        assert command in result.output


def test_installed_console_script_help():
    script = Path(sys.executable).parent / "smartpay"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: smartpay" in done.stdout


def test_help_imports_neither_the_core_nor_its_database_layer():
    code = ("import sys\nfrom smartpay.app.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('peewee', 'pluggy', 'smartpay.core.context') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_db_upgrade_is_idempotent(run):
    assert "applied migration(s): 1" in ok(run("db", "upgrade")).stdout
    assert "up to date" in ok(run("db", "upgrade")).stdout


def test_out_of_date_database_named_by_url_is_not_upgraded_silently(run):
    refused(run("admin", "create-project", "--installer", "x", "--type", "commercial", "--name", "X"),
            "schema is at version 0", "smartpay db upgrade")


def test_brand_new_default_database_is_upgraded_on_first_use(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "SMARTPAY_DB": None, "SMARTPAY_CONFIG": None, "SMARTPAY_FAKE_NOW": NOW.isoformat()}
    result = CliRunner().invoke(cli, ["admin", "create-account", "--role", "distributor", "--login", "first",
                                      "--name", "First"], input=f"{PASSWORD}\n", env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "smartpay" / "smartpay.db").exists()


# -- admin ----------------------------------------------------------------------------------------
def test_create_account_reads_the_password_from_stdin(run, core):
    result = ok(run("admin", "create-account", "--role", "distributor", "--login", "newdist", "--name", "New Dist",
                    "--email", "nd@example.com", input="a-long-secret-1\n"))
    assert "newdist" in result.stdout and "a-long-secret-1" not in result.output
    assert ok(run("credits", "balance", "--as", "newdist", password="a-long-secret-1")).stdout.strip() \
        == "Available Credit: 0"
    refused(run("credits", "balance", "--as", "newdist", password="wrong-password"), "Login or password is incorrect")


def test_admin_builds_a_world(run, core):
    ok(run("admin", "create-account", "--role", "distributor", "--login", "dist1", "--name", "D", input=f"{PASSWORD}\n"))
    ok(run("admin", "create-account", "--role", "installer", "--login", "inst1", "--name", "I", "--parent", "dist1",
           input=f"{PASSWORD}\n"))
    ok(run("admin", "create-account", "--role", "property_manager", "--login", "pm1", "--name", "P",
           "--parent", "inst1", input=f"{PASSWORD}\n"))
    project = as_json(run("admin", "create-project", "--installer", "inst1", "--type", "commercial",
                          "--name", "Tower", "--created-at", "2025-07-01T10:00", "--json"))
    assert project["created_at"] == "2025-07-01T02:00:00+00:00"  # platform time GMT+8
    item = as_json(run("admin", "add-item", "--project", project["id"], "--service", "personnel_app",
                       "--subject", "Guard", "--company", "Acme", "--expires", "2025-10-01", "--json"))
    assert item["status"] == "active" and item["company"] == "Acme"
    ok(run("admin", "assign-manager", "--project", project["id"], "--manager", "pm1"))
    coupon = as_json(run("admin", "issue-coupon", "--owner", "dist1", "--value", "50.00", "--currency", "USD",
                         "--expires", "2026-01-31", "--json"))
    assert coupon["remaining"] == {"amount": 5000, "currency": "USD"}
    assert "balance 25" in ok(run("admin", "add-credits", "--to", "dist1", "--amount", "25",
                                  "--reference", "INV-1")).stdout
    projects = as_json(run("projects", "--as", "dist1", "--json"))
    assert [(p["name"], p["managers"], p["item_count"]) for p in projects] == [("Tower", ["pm1"], 1)]


def test_bad_input_is_one_line_exit_2_and_writes_nothing(run, world, db_url):
    before = audit_count(db_url)
    refused(run("admin", "create-project", "--installer", "inst_credit", "--type", "office", "--name", "X"),
            "type: “office” is not one of")
    refused(run("admin", "add-item", "--project", world.new_commercial.id, "--service", "door",
                "--subject", "Back Door", "--email", "not-an-email"), "email:")
    refused(run("admin", "create-account", "--role", "installer", "--login", "shorty", "--name", "S",
                "--parent", "aktest", input="short\n"), "Password: must be at least 8 characters")
    refused(run("admin", "issue-coupon", "--owner", "aktest", "--value", "5.001", "--currency", "USD"), "Value:")
    refused(run("billing", "set", "--as", "aktest", "--company", "C", "--attn", "A", "--address", "Addr",
                "--tel", "call me"), "TEL:")
    billing_set(run, "aktest")
    after_billing = audit_count(db_url)
    assert after_billing == before + 1
    refused(run("order", "create", "renew", "--as", "aktest", "--type", "commercial", "--project",
                world.new_commercial.id, "--renew-to", "2025-01-01", "--accept-terms"),
            "Renew To: 2025-01-01 is not after today (2025-09-10)")
    refused(run("order", "create", "renew", "--as", "aktest", "--type", "commercial", "--project",
                world.new_commercial.id, "--renew-to", "2025-09-30"), "Terms and Conditions")
    refused(run("credits", "assign", "--as", "aktest", "--to", "inst_credit", "--amount", "10"), "Insufficient credit")
    refused(run("credits", "assign", "--as", "aktest", "--to", "other_inst", "--amount", "-3"), "Amount:")
    assert audit_count(db_url) == after_billing
    assert as_json(run("orders", "--as", "aktest", "--json")) == []


def test_permission_and_not_found_are_exit_2(run, world):
    refused(run("users", "--as", "inst_regular"), "only Distributor, Sub Distributor")
    refused(run("items", "--as", "aktest", "--project", world.other_community.id),
            f"no project {world.other_community.id} that you can see")
    refused(run("order", "show", "--as", "aktest", "12345678901234567"), "no order 12345678901234567")
    refused(run("items", "--as", "aktest", "--project", "No Such Site"), "no site named 'No Such Site'")
    refused(run("grant", "installer", "--as", "aktest", "--installer", "other_inst", "--grant", "credit"),
            "no account 'other_inst' in your downline")


def test_wrong_password(run, world):
    line = refused(run("projects", "--as", "aktest", password="not-the-password"), "Login or password is incorrect")
    assert "not-the-password" not in line


def test_a_missing_option_is_one_line_naming_it(run):
    # click's own four lines (Usage / Try / blank / Error) are one line like every other refusal.
    refused(run("quote", "renew", "--type", "commercial"), "--as: required")


# -- listings ---------------------------------------------------------------------------------------
def test_listings_as_json(run, world):
    users = as_json(run("users", "--as", "aktest", "--json"))
    by_login = {u["login"]: u for u in users}
    assert by_login["inst_credit"]["pay_by_installer"] == "credit"
    assert by_login["inst_sub"]["parent_login"] == "subdist"
    assert "other_inst" not in by_login
    assert [u["login"] for u in as_json(run("users", "--as", "aktest", "--search", "credit", "--json"))] \
        == ["inst_credit", "pm_credit"]

    projects = as_json(run("projects", "--as", "aktest", "--type", "commercial", "--json"))
    assert {p["name"] for p in projects} == {"New Commercial", "Old Commercial"}
    assert all(p["type"] == "commercial" for p in projects)

    items = as_json(run("items", "--as", "inst_credit", "--project", "New Commercial", "--json"))
    attendance = next(i for i in items if i["subject_name"] == "Attendance")
    assert attendance["expires_at"] == "2025-06-23T06:55:06+00:00" and attendance["status"] == "expired"
    test1 = next(i for i in items if i["subject_name"] == "Test 1")
    assert test1["company"] == "Default Company" and test1["status"] == "inactive"

    ok(run("grant", "pm", "--as", "inst_regular", "--project", "Sunrise Community", "--grant", "regular"))
    assert as_json(run("projects", "--as", "pm_regular", "--json"))[0]["pay_by_pm"] == "regular"

    assert as_json(run("billing", "show", "--as", "aktest", "--json")) is None
    billing_set(run, "aktest")
    assert as_json(run("billing", "show", "--as", "aktest", "--json"))["attn"] == "Ann Tan"

    ok(run("admin", "add-credits", "--to", "aktest", "--amount", "100", "--reference", "INV-7"))
    ok(run("credits", "assign", "--as", "aktest", "--to", "inst_credit", "--amount", "40"))
    assert as_json(run("credits", "balance", "--as", "aktest", "--json"))["credits"] == 60
    log = as_json(run("credits", "log", "--as", "aktest", "--json"))
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in log] == [("assign_out", -40, 60),
                                                                            ("purchase", 100, 100)]
    assert log[0]["counterparty_login"] == "inst_credit"
    assert [e["kind"] for e in as_json(run("credits", "log", "--as", "aktest", "--type", "purchase", "--json"))] \
        == ["purchase"]
    assert as_json(run("credits", "log", "--as", "inst_credit", "--json"))[0]["kind"] == "assign_in"

    ok(run("admin", "issue-coupon", "--owner", "aktest", "--value", "12.50", "--currency", "USD"))
    coupons = as_json(run("coupons", "--as", "aktest", "--json"))
    assert [(c["face_value"]["amount"], c["owner_login"]) for c in coupons] == [(1250, "aktest")]

    order = as_json(run("order", "create", "renew", "--as", "aktest", "--type", "community", "--project",
                        "Sunrise Community", "--renew-to", "2025-10-31", "--accept-terms", "--json"))
    orders = as_json(run("orders", "--as", "aktest", "--json"))
    assert [(o["txn"], o["state"], o["purpose"]) for o in orders] == [(order["txn"], "processing", "renewal")]
    assert as_json(run("orders", "--as", "aktest", "--state", "succeeded", "--json")) == []
    methods = {m["key"]: m for m in as_json(run("methods", "--as", "aktest", "--order", order["txn"], "--json"))}
    assert set(methods) == {"coupon", "credit", "stripe", "paypal"}
    assert methods["coupon"]["eligible"] is True
    assert methods["stripe"]["eligible"] is False and "not configured" in methods["stripe"]["reason"]
    assert methods["credit"]["eligible"] is False and methods["credit"]["reason"]
    text = ok(run("methods", "--as", "aktest", "--order", order["txn"])).stdout
    assert "SMART-PLUS PTE. LTD" in text  # R13: the payee notice on the payment step
    assert "cancelled" in ok(run("order", "cancel", "--as", "aktest", order["txn"])).stdout.lower()
    assert as_json(run("order", "show", "--as", "aktest", order["txn"], "--json"))["state"] == "cancelled"


def test_plugins_lists_the_built_in_methods(run):
    data = as_json(run("plugins", "--json", db=False))
    names = {p["name"] for p in data["plugins"]}
    assert {"coupon_pay", "credit_pay", "stripe_pay", "paypal_pay"} <= names
    coupon = next(p for p in data["plugins"] if p["name"] == "coupon_pay")
    assert coupon["methods"] == ["coupon"] and "register_payment_methods" in coupon["hooks"] and coupon["version"]
    assert "skipped" in data


def test_plugins_reports_disabled_ones(run, monkeypatch):
    monkeypatch.setenv("SMARTPAY_DISABLE_PLUGINS", "paypal_pay")
    data = as_json(run("plugins", "--json", db=False))
    assert "paypal_pay" not in {p["name"] for p in data["plugins"]}
    assert any(s["name"] == "paypal_pay" and "SMARTPAY_DISABLE_PLUGINS" in s["reason"] for s in data["skipped"])


# -- quotes and orders ---------------------------------------------------------------------------------
def test_quote_renew_prints_the_seed_guides_confirmation(run):
    ok(run("demo"))
    out = ok(run("quote", "renew", "--as", "aktest", "--type", "commercial", "--installer", "inst_credit",
                 "--project", "New Commercial", "--renew-to", "2025-09-30", "--pay-in", "credit",
                 password="demo-password")).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    for expected in SEED_LINES:
        assert expected in lines, out
    header = next(line for line in lines if line.startswith("Site"))
    assert header.split() == ["Site", "Company", "Service", "Type", "Name", "Email", "Credit", "Expiration", "Time",
                              "Next", "Expiration", "Time"]
    test1 = next(line for line in lines if "Test 1" in line)
    assert "Default Company" in test1 and "Personnel App" in test1 and test1.endswith("2025-09-30 23:59:59 GMT+8:00")
    attendance = next(line for line in lines if "Attendance" in line and "Premium Feature" in line)
    assert "2025-06-23 14:55:06 GMT+8:00" in attendance
    assert "2 Item(s)" in lines
    # The items left out are listed with the reason.
    assert any("Reception" in line and "not activated yet" in line for line in lines)
    assert any(line.startswith("Total Credit: ") for line in lines)


def test_quote_auto_renew_and_activation(run, world):
    quote = as_json(run("quote", "renew", "--as", "aktest", "--type", "community", "--project", "Sunrise Community",
                        "--auto", "--cycles", "3", "--json"))
    assert quote["renew_mode"] == "auto" and quote["auto_cycles"] == 3 and all(li["days"] == 30 for li in quote["lines"])
    refused(run("quote", "renew", "--as", "aktest", "--type", "community", "--cycles", "3"), "Cycles:", "--auto")
    out = ok(run("quote", "activate", "--as", "aktest", "--type", "community", "--project", "Sunrise Community")).stdout
    assert "Number of Activation App(s): 1" in out and "Apt 103" in out


def test_order_create_and_pay_with_credits_end_to_end(run, world):
    nc = world.new_commercial.id
    ok(run("admin", "add-credits", "--to", "aktest", "--amount", "100", "--reference", "offline sale"))
    billing_set(run, "aktest")
    created = ok(run("order", "create", "renew", "--as", "aktest", "--type", "commercial", "--installer",
                     "inst_credit", "--project", nc, "--renew-to", "2025-09-30", "--pay-in", "credit",
                     "--accept-terms"))
    assert "Pending Order" in created.stdout
    assert "Monthly Fee" in next(line for line in created.stdout.splitlines() if line.startswith("Transaction Type:"))
    assert "Please complete the payment in 15:00" in created.stdout
    txn = as_json(run("orders", "--as", "aktest", "--json"))[0]["txn"]
    order = as_json(run("order", "show", "--as", "aktest", txn, "--json"))
    assert order["total"]["currency"] == "CREDIT" and order["total"]["amount"] > 0
    assert len(txn) == 17 and txn.isdigit()
    total = order["total"]["amount"]
    paid = ok(run("order", "pay", "--as", "aktest", txn, "--method", "credit"))
    assert "Successful" in paid.stdout
    assert as_json(run("order", "show", "--as", "aktest", txn, "--json"))["state"] == "succeeded"
    assert as_json(run("credits", "balance", "--as", "aktest", "--json"))["credits"] == 100 - total
    log = as_json(run("credits", "log", "--as", "aktest", "--json"))
    assert (log[0]["kind"], log[0]["amount"], log[0]["order_txn"]) == ("consume", -total, txn)
    items = {i["subject_name"]: i for i in as_json(run("items", "--as", "aktest", "--project", nc, "--json"))}
    assert items["Attendance"]["expires_at"] == "2025-09-30T15:59:59+00:00"
    refused(run("order", "pay", "--as", "aktest", txn, "--method", "credit"), "cannot be paid again")


def test_coupons_pay_a_credit_purchase(run, world):
    code = as_json(run("admin", "issue-coupon", "--owner", "aktest", "--value", "50.00", "--currency", "USD",
                       "--json"))["code"]
    billing_set(run, "aktest")
    order = as_json(run("order", "create", "credits", "--as", "aktest", "--credits", "30", "--accept-terms", "--json"))
    assert order["purpose"] == "credit_purchase" and order["total"] == {"amount": 3000, "currency": "USD"}
    methods = {m["key"]: m for m in as_json(run("methods", "--as", "aktest", "--order", order["txn"], "--json"))}
    assert methods["coupon"]["eligible"] and not methods["credit"]["eligible"]
    assert "Successful" in ok(run("order", "pay", "--as", "aktest", order["txn"], "--coupon", code)).stdout
    assert as_json(run("credits", "balance", "--as", "aktest", "--json"))["credits"] == 30
    coupon = as_json(run("coupons", "--as", "aktest", "--json"))[0]
    assert coupon["code"] == code and coupon["remaining"] == {"amount": 2000, "currency": "USD"}


def test_coupon_that_does_not_cover_the_order_leaves_nothing_behind(run, world):
    code = as_json(run("admin", "issue-coupon", "--owner", "aktest", "--value", "10.00", "--currency", "USD",
                       "--json"))["code"]
    billing_set(run, "aktest")
    txn = as_json(run("order", "create", "credits", "--as", "aktest", "--credits", "30", "--accept-terms",
                      "--json"))["txn"]
    refused(run("order", "pay", "--as", "aktest", txn, "--coupon", code), "method:", "remaining 20.00 USD")
    assert as_json(run("coupons", "--as", "aktest", "--json"))[0]["remaining"]["amount"] == 1000
    assert as_json(run("order", "show", "--as", "aktest", txn, "--json"))["state"] == "processing"


# -- demo -----------------------------------------------------------------------------------------------
def test_demo_seeds_and_is_safe_to_run_twice(run):
    first = ok(run("demo"))
    assert "Seeded the seed guide's world." in first.stdout
    assert "demo-password" in first.stdout
    for text in ("aktest", "inst_none", "inst_regular", "inst_credit", "New Commercial", "Old Commercial",
                 "Attendance", "2025-06-23 14:55:06 GMT+8:00", "Default Company", "CP-"):
        assert text in first.stdout, text
    data = as_json(run("demo", "--json"))
    assert data["seeded"] is False
    accounts = {a["login"]: a for a in data["accounts"]}
    assert {accounts[k]["pay_by_installer"] for k in ("inst_none", "inst_regular", "inst_credit")} \
        == {"none", "regular", "credit"}
    assert accounts["aktest"]["credits"] > 0 and accounts["aksub"]["role"] == "sub_distributor"
    projects = {p["project"]["name"]: p for p in data["projects"]}
    assert projects["New Commercial"]["project"]["created_at"] >= "2025-05-31T16:00:00+00:00"
    assert projects["Old Commercial"]["project"]["created_at"] < "2025-05-31T16:00:00+00:00"
    assert {"community", "single_family", "commercial"} == {p["project"]["type"] for p in data["projects"]}
    assert len(data["coupons"]) == 3
    assert ok(run("demo")).stdout.count("Already seeded") == 1
    # The demo logins work: the password printed is the password.
    assert as_json(run("billing", "show", "--as", "aktest", "--json", password="demo-password"))["company"]
    reset = ok(run("demo", "--reset"))
    assert "Seeded the seed guide's world." in reset.stdout


def test_demo_refuses_a_database_that_is_not_the_demos(run, world, db_url):
    before = audit_count(db_url)
    refused(run("demo"), "not the demo's")
    refused(run("demo", "--reset"), "not the demo's")
    assert audit_count(db_url) == before


def test_order_create_quiet_prints_only_the_transaction_number(run, world):
    billing_set(run, "aktest")
    txn = ok(run("--as", "aktest", "order", "create", "renew", "--type", "commercial", "--project",
                 world.new_commercial.id, "--renew-to", "2025-09-30", "--accept-terms", "--quiet")).stdout
    assert txn.strip().isdigit() and len(txn.strip()) == 17 and txn.count("\n") == 1
    assert as_json(run("order", "show", txn.strip(), "--as", "aktest", "--json"))["state"] == "processing"
