"""Every usage error is one line, `error: <option>: <problem>`, exit status 2, as the README
promises (issue 10, item 19) — click's Usage / Try / blank / Error block is gone. `--help` and a
group called without its subcommand still show the help."""
from __future__ import annotations

from click.testing import CliRunner

from support import NOW, PASSWORD
from test_cli import refused

from smartpay.app.cli.main import cli


def invoke(*args):
    env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": PASSWORD, "SMARTPAY_DB": None,
           "SMARTPAY_CONFIG": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False, prog_name="smartpay")


def test_a_wrong_option_type_is_one_line_naming_the_option():
    line = refused(invoke("quote", "renew", "--as", "aktest", "--type", "commercial", "--item", "x"))
    assert line == "error: --item: 'x' is not a valid integer (see: smartpay quote renew --help)"


def test_a_bad_choice_an_unknown_option_command_and_argument_are_one_line_each():
    refused(invoke("quote", "renew", "--as", "a", "--type", "commercial", "--pay-in", "cash"),
            "--pay-in: 'cash' is not one of 'money', 'credit'")
    refused(invoke("quote", "renew", "--typo"), "--typo: no such option", "did you mean --type")
    refused(invoke("bogus"), "command: no such command 'bogus'", "(see: smartpay --help)")
    refused(invoke("reconcile", "[--json]"), "[--json]: unexpected extra argument")
    refused(invoke("renew", "stop", "seven", "--reason", "x"), "PLAN_ID: 'seven' is not a valid integer")


def test_missing_options_are_one_line():
    refused(invoke("quote", "renew", "--as", "aktest"), "--type: required")
    refused(invoke("order", "pay", "--as", "aktest"), "TXN: required")


def test_help_is_unchanged():
    result = invoke("quote", "renew", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: smartpay quote renew [OPTIONS]")
    group = invoke("quote")  # a group without its subcommand shows its help, as click does
    assert "Commands:" in group.output and "error:" not in group.output
