"""`--as`, `--db` and `--config` are declared once and work before or after the command (issue
10, item 18); a value given in both places that disagrees is refused, naming the option."""
from __future__ import annotations

from click.testing import CliRunner

from support import NOW, PASSWORD
from test_cli import as_json, ok, refused

from smartpay.app.cli.main import cli

QUOTE = ["quote", "renew", "--type", "commercial", "--renew-to", "2025-09-30", "--json"]


def invoke(*args, input=None):
    env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": PASSWORD, "SMARTPAY_DB": None,
           "SMARTPAY_CONFIG": None}
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env, catch_exceptions=False)


def test_as_and_db_before_the_command_as_the_readme_writes_it(db_url, world):
    before = as_json(invoke("--db", db_url, "--as", "aktest", *QUOTE))
    after = as_json(invoke(*QUOTE, "--as", "aktest", "--db", db_url))
    mixed = as_json(invoke("--as", "aktest", *QUOTE, "--db", db_url))
    assert before == after == mixed
    assert before["total"]["currency"] == "USD" and before["total"]["amount"] > 0


def test_the_same_value_in_both_places_is_accepted(db_url, world):
    ok(invoke("--db", db_url, "--as", "aktest", *QUOTE, "--as", "aktest", "--db", db_url))


def test_two_different_values_are_refused_naming_the_option(db_url, world):
    line = refused(invoke("--db", db_url, "--as", "aktest", *QUOTE, "--as", "inst_credit"),
                   "--as: given twice with different values ('aktest' and 'inst_credit')")
    assert "Usage" not in line
    refused(invoke("--db", db_url, "plugins", "--db", "sqlite:///elsewhere.db"), "--db: given twice")


def test_config_after_the_command_is_read(db_url, tmp_path):
    missing = tmp_path / "nowhere.toml"
    refused(invoke("--db", db_url, "plugins", "--config", missing), f"config: file {missing} does not exist")
    refused(invoke("--config", missing, "--db", db_url, "plugins"), f"config: file {missing} does not exist")


def test_operator_commands_still_require_a_login(db_url, world):
    refused(invoke("--db", db_url, *QUOTE), "--as: required")


def test_demo_takes_its_database_before_or_after(tmp_path):
    for n, args in enumerate([["--db", "{url}", "demo"], ["demo", "--db", "{url}"]]):
        url = f"sqlite:///{tmp_path / f'demo{n}.db'}"
        result = ok(invoke(*[a.format(url=url) for a in args]))
        assert f"Demo database: {url}" in result.stdout
        # the printed "Try" lines name the database they were seeded into
        assert f"--db {url} --as aktest quote renew" in result.stdout
