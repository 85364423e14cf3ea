"""Forms (issue 10 item 11): the core reports every problem of a form at once, each naming the
field by the label the operator sees and saying what is wrong in words (no raw keys, no Python
reprs), and writes nothing. The TUI marks them in place (tests/tui/test_form_errors.py); the CLI
prints one `error:` line per field and exits 2. Runs on SQLite and PostgreSQL (DB-facing checks
such as a login already taken are collected with the others)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from smartpay.app.cli.main import cli
from smartpay.app.cli.runtime import Runtime
from smartpay.core import validate
from smartpay.core.errors import InvalidInput, NotFound

from support import CHEAP_PASSWORDS, NOW, PASSWORD


def refusal(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        call()
    return refused.value


def assert_in_words(problems: dict[str, str]) -> None:
    """Labels as on screen (capitalised, no dashes or underscores); no repr quotes in problems."""
    for label, problem in problems.items():
        assert label[0].isupper() and "-" not in label and "_" not in label, label
        assert "''" not in problem and not problem.startswith("'"), problem


def audit_rows(core) -> int:
    return len(core.audit.recent(100_000))


def test_new_user_reports_every_bad_field_at_once_by_label(core, world, actor):
    ak = actor("aktest")
    users_before, audit_before = len(core.accounts.users(ak)), audit_rows(core)
    error = refusal(lambda: core.accounts.create_user(ak, "installer", "", "", "short", email="not-an-email"))
    assert list(error.problems) == ["Login", "Name", "Email", "Password"]  # the form's order
    assert error.problems["Login"].startswith("is required")
    assert error.problems["Name"] == "is required"
    assert error.problems["Email"] == "“not-an-email” is not an email address (like ann@example.com)"
    assert error.problems["Password"] == "must be at least 8 characters"
    assert (error.field, error.problem) == ("Login", error.problems["Login"])  # the first, for old callers
    assert_in_words(error.problems)
    assert len(core.accounts.users(ak)) == users_before and audit_rows(core) == audit_before


def test_a_login_already_taken_comes_with_the_other_problems(core, world, actor):
    ak = actor("aktest")
    error = refusal(lambda: core.accounts.create_user(ak, "sub_distributor", "inst_regular", "Dup", "long-enough-pw",
                                                      email="x@", pay_by_installer="credit"))
    assert error.problems == {"Login": "“inst_regular” is already taken",
                              "Email": "“x@” is not an email address (like ann@example.com)",
                              "Pay by Installer": "only installers have a Pay by Installer grant"}
    assert_in_words(error.problems)


def test_edit_user_reports_name_and_email_together(core, world, actor):
    error = refusal(lambda: core.accounts.update_user(actor("aktest"), "inst_regular", " ", email="nope"))
    assert list(error.problems) == ["Name", "Email"]
    assert core.accounts.users(actor("aktest"), search="inst_regular")[0].name != " "


def test_billing_save_reports_every_bad_field_and_saves_nothing(core, world, actor):
    inst = actor("inst_regular")
    before = core.billing.get(inst)
    error = refusal(lambda: core.billing.save(inst, "", "Ann", "", "12", "fax!"))
    assert list(error.problems) == ["Company/Family", "Address", "TEL", "Fax"]
    assert error.problems == core.billing.problems("", "Ann", "", "12", "fax!")  # one mechanism
    assert error.problems["TEL"].startswith("“12” is not a phone number")
    assert_in_words(error.problems)
    assert core.billing.get(inst) == before


def test_assign_reports_amount_and_user_together(core, world, actor):
    ak = actor("aktest")
    error = refusal(lambda: core.credits.check_assign(ak, "", "ten"))
    assert error.problems == {"Amount": "“ten” is not a whole number", "User": "choose a user from your downline"}
    # Someone else's account still reads like a missing one, once the fields are right.
    core.credits.add_offline("aktest", 5, "sale")
    with pytest.raises(NotFound):
        core.credits.check_assign(ak, "ghost", 1)


def test_coupon_issue_reports_value_and_expiry_together(core, world, actor):
    error = refusal(lambda: core.coupons.issue("aktest", "0", "USD", expires="2025-01-01"))
    assert error.problems == {"Value": "must be greater than 0", "Expires": "is already in the past"}
    error = refusal(lambda: core.coupons.issue("aktest", "", "XXX"))
    assert list(error.problems) == ["Currency"]
    assert core.coupons.mine(actor("aktest")) == []


def test_login_form_reports_both_empty_fields(core, world):
    error = refusal(lambda: core.auth.login(" ", ""))
    assert error.problems == {"Login": "enter your login", "Password": "enter your password"}


def test_form_collects_and_refuses_once():
    form = validate.Form()
    assert form.check(validate.text, "Name", " Ann ") == "Ann"
    assert form.check(validate.login, "a b", "Login") is None
    form.add("Login", "a second problem for the same field is not shown")
    form.add("Email", "is wrong")
    with pytest.raises(InvalidInput) as refused:
        form.done()
    assert refused.value.lines == ["Login: “a b” is not a login: use 3–64 letters, digits or . _ @ -",
                                   "Email: is wrong"]
    assert str(refused.value) == "; ".join(refused.value.lines)
    validate.Form().done()  # nothing wrong: no refusal


def test_cli_prints_one_error_line_per_bad_field_and_exits_2(core, world, db_url):
    before = audit_rows(core)
    env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": PASSWORD, "SMARTPAY_DB": None,
           "SMARTPAY_CONFIG": None}
    result = CliRunner().invoke(cli, ["--db", db_url, "admin", "create-account", "--role", "installer", "--login",
                                      "a b", "--name", "S", "--email", "nope", "--parent", "aktest"],
                                input="short\n", env=env, obj=Runtime(passwords=CHEAP_PASSWORDS))
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        "error: Login: “a b” is not a login: use 3–64 letters, digits or . _ @ -",
        "error: Email: “nope” is not an email address (like ann@example.com)",
        "error: Password: must be at least 8 characters"]
    assert audit_rows(core) == before
