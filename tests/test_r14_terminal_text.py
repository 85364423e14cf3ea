"""R14: text is data, never terminal commands. Inputs refuse control characters and direction
overrides, naming the field (exit 2 in the CLI); text already in the database — planted here
directly, as a row written before this rule or by another program would be — is printed with
visible escapes."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smartpay.app.cli.main import cli
from smartpay.app.cli.runtime import Runtime
from smartpay.core.config import load_settings
from smartpay.core.db.models import Account, BillingInfo, Item, Order
from smartpay.core.errors import ConfigError, InvalidInput
from smartpay.core.services.quotes import Selection
from smartpay.core.terminal_text import first_unsafe, visible

from support import CHEAP_PASSWORDS, NOW, PASSWORD, billing

EVIL = "Evil\x1b]0;pwned\x07\x1b[2J"
HOSTILE = ["a\x1bb", "a\x07b", "a\nb", "a\x9bb", "a\x85b", "a\u202eb", "a\u2066b", "a\u2069b", "a\u200fb", "a\x7fb"]


@pytest.fixture
def run(db_url):
    def invoke(*args, password=PASSWORD):
        env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": password,
               "SMARTPAY_DB": None, "SMARTPAY_CONFIG": None}
        return CliRunner().invoke(cli, ["--db", db_url, *map(str, args)], env=env, catch_exceptions=False,
                                  obj=Runtime(passwords=CHEAP_PASSWORDS))
    return invoke


# -- the one escaping function -------------------------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE)
def test_r14_every_unsafe_character_is_found_and_shown_escaped(text):
    assert first_unsafe(text) == text[1]
    shown = visible(text)
    assert first_unsafe(shown) is None and shown.startswith("a\\") and shown.endswith("b")


def test_r14_ordinary_text_passes_unchanged():
    for text in ("Café Zürich", "李家 1/F", "O'Neil & Sons (Pte) Ltd.", "Tab-free — dash", "עברית"):
        assert visible(text) == text and first_unsafe(text) is None
    assert visible(EVIL) == "Evil\\x1b]0;pwned\\x07\\x1b[2J"
    assert visible("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert json.loads(f'"{visible(EVIL + chr(0x202e), json=True)}"') == EVIL + "\u202e"


# -- inputs refuse it, naming the field, writing nothing -----------------------------------------
@pytest.mark.parametrize("text", HOSTILE)
def test_r14_billing_fields_refuse_control_characters(core, world, text):
    actor = core.auth.actor("aktest")
    for field, args in (("Company/Family", (text, "Ann", "1 Road", "+65 6123 4567")),
                        ("ATTN", ("Co", text, "1 Road", "+65 6123 4567")),
                        ("Address", ("Co", "Ann", text, "+65 6123 4567"))):
        with pytest.raises(InvalidInput) as err:
            core.billing.save(actor, *args)
        assert err.value.field == field and "control characters" in str(err.value)
    assert not BillingInfo.select().where(BillingInfo.account == actor.id).exists()


def test_r14_names_subjects_logins_emails_and_references_refuse_control_characters(core, world):
    ak = core.auth.actor("aktest")
    refusals = {
        "Name": lambda: core.accounts.create_account("installer", "evil1", EVIL, PASSWORD, parent="aktest"),
        "Login": lambda: core.accounts.create_account("installer", "evil\x1b2", "Evil", PASSWORD, parent="aktest"),
        "Email": lambda: core.accounts.create_account("installer", "evil3", "E", PASSWORD, parent="aktest",
                                                      email="a\u202e@example.com"),
        "subject": lambda: core.accounts.add_item(world.community.id, "app", EVIL),
        "company": lambda: core.accounts.add_item(world.community.id, "app", "Apt 9", company=EVIL),
        "reference": lambda: core.credits.add_offline("aktest", 5, EVIL),
    }
    refusals["Name "] = lambda: core.accounts.update_user(ak, "inst_none", "Inst\u2066None")
    for field, call in refusals.items():
        with pytest.raises(InvalidInput) as err:
            call()
        assert err.value.field == field.strip(), field
        assert "\x1b" not in str(err.value)  # the message itself shows the character escaped
    assert not Account.select().where(Account.login.startswith("evil")).exists()
    assert Account.get(Account.login == "inst_none").name == "Inst None"
    assert not Item.select().where(Item.subject_name == "Apt 9").exists()


def test_r14_cli_refuses_a_hostile_billing_company_with_exit_2_naming_the_field(run, world, db_url):
    result = run("billing", "set", "--as", "inst_regular", "--company", EVIL, "--attn", "Ann",
                 "--address", "1 Road", "--tel", "+65 6123 4567")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Company/Family: must not contain control characters")
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_r14_a_hostile_payee_notice_in_the_configuration_is_refused(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('payee_notice = "pay \\u001b]0;x\\u0007 here"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(config, env={})
    assert str(err.value).startswith("payee_notice:")


# -- stored text is printed escaped ------------------------------------------------------------
def _planted_order(core, world) -> str:
    """inst_regular's order whose copied billing Company is hostile — written straight into the
    row, as an older smartpay or another program could have."""
    inst = core.auth.actor("inst_regular")
    billing(core, inst)
    order = core.orders.create(inst, "activation", Selection("community", installer="inst_regular",
                                                             project_ids=(world.community.id,)), accept_terms=True)
    row = Order.get(Order.txn == order.txn)
    stored = json.loads(row.billing_json)
    stored["company"] = EVIL
    Order.update(billing_json=json.dumps(stored)).where(Order.id == row.id).execute()
    Item.update(subject_name="Apt\u202e103").where(Item.subject_name == "Apt 103").execute()
    return order.txn


def test_r14_order_show_prints_a_planted_billing_company_escaped(core, world, run):
    txn = _planted_order(core, world)
    for login in ("inst_regular", "aktest"):  # the payer, and the distributor above it
        result = run("order", "show", "--as", login, txn)
        assert result.exit_code == 0, result.output
        assert "Evil\\x1b]0;pwned\\x07\\x1b[2J" in result.stdout
        assert first_unsafe(result.stdout.replace("\n", "")) is None, repr(result.stdout)
    as_json = run("order", "show", "--as", "aktest", txn, "--json")
    assert first_unsafe(as_json.stdout.replace("\n", "")) is None
    assert json.loads(as_json.stdout)["billing"]["company"] == EVIL  # JSON readers get the data back


def test_r14_error_messages_quoting_stored_text_are_escaped(core, world, run):
    Account.update(name=EVIL).where(Account.login == "inst_none").execute()
    result = run("users", "--as", "aktest")
    assert result.exit_code == 0 and "Evil\\x1b]0;pwned" in result.stdout
    assert first_unsafe(result.stdout.replace("\n", "")) is None
