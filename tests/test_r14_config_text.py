"""R14 for configuration: text read from the config file (top-level settings and every plugin's
table), the environment, the command line and the price list reaches operators' screens — the
payee notice, the plugins list, prices, error messages quoting a value. A control character or a
direction override there is refused when it is loaded, naming the key and the file, and the
refusal itself shows the character only as a visible escape."""
from __future__ import annotations

from importlib import resources

import pytest
from click.testing import CliRunner

from smartpay.app.cli.main import cli
from smartpay.app.cli.runtime import Runtime
from smartpay.core.config import load_settings
from smartpay.core.errors import ConfigError
from smartpay.core.pricing import load_price_list

from support import CHEAP_PASSWORDS, NOW, PASSWORD

ESC_TITLE = "\\u001b]0;pwned\\u0007"   # TOML escapes: the loaded text holds ESC … BEL
RLO = "\\u202e"


def _refused(call) -> str:
    with pytest.raises(ConfigError) as err:
        call()
    message = str(err.value)
    assert "\x1b" not in message and "\x07" not in message and "\u202e" not in message, repr(message)
    return message


@pytest.mark.parametrize("toml, key", [
    (f'timezone = "GMT+8{RLO}"\n', "timezone"),
    (f'price_list = "/srv/prices{ESC_TITLE}.toml"\n', "price_list"),
    (f'[plugins.stripe_pay]\nsuccess_url = "https://desk.example.com/paid{ESC_TITLE}"\n',
     "plugins.stripe_pay.success_url"),
    (f'[plugins.paypal_pay]\nbrand_name = "Smart{ESC_TITLE}"\n', "plugins.paypal_pay.brand_name"),
    (f'[plugins.acme_pay]\nlabels = ["ok", "Acme{RLO}Pay"]\n', "plugins.acme_pay.labels[1]"),
    (f'payee_notice = "pay {ESC_TITLE} here"\n', "payee_notice"),
])
def test_r14_config_text_with_control_characters_is_refused_naming_key_and_file(tmp_path, toml, key):
    config = tmp_path / "config.toml"
    config.write_text(toml, encoding="utf-8")
    message = _refused(lambda: load_settings(config, env={}))
    assert message.startswith(f"{key}: must be text without control characters"), message
    assert str(config) in message and ("\\x1b" in message or "\\u202e" in message)


def test_r14_a_hostile_key_is_named_escaped(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[plugins.stripe_pay]\n"api{ESC_TITLE}" = "x"\n', encoding="utf-8")
    message = _refused(lambda: load_settings(config, env={}))
    assert message.startswith("plugins.stripe_pay.api\\x1b]0;pwned\\x07:"), message


def test_r14_the_environment_and_the_command_line_are_checked_too(tmp_path):
    assert "SMARTPAY_DB" in _refused(lambda: load_settings(None, env={"SMARTPAY_DB": "sqlite:///x\x1b[2J.db"}))
    assert "command line" in _refused(lambda: load_settings(None, env={}, db_url="sqlite:///x\x1b[2J.db"))


def test_r14_clean_configuration_still_loads(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('payee_notice = "Payment recipient: ACME Billing Ltd — Zürich"\n'
                      '[plugins.stripe_pay]\nsuccess_url = "https://desk.example.com/paid"\n', encoding="utf-8")
    settings = load_settings(config, env={})
    assert settings.payee_notice.endswith("Zürich")


def _sample() -> str:
    return resources.files("smartpay.core.data").joinpath("sample_prices.toml").read_text("utf-8")


def test_r14_a_price_list_label_with_an_escape_is_refused_naming_key_and_file(tmp_path):
    prices = tmp_path / "prices.toml"
    prices.write_text(_sample().replace("[community.app]\n", f'[community.app]\nlabel = "App{ESC_TITLE}"\n', 1),
                      encoding="utf-8")
    message = _refused(lambda: load_price_list(prices))
    assert message.startswith("price list community.app.label: must be text without control characters"), message
    assert str(prices) in message and "\\x1b" in message


def test_r14_a_price_list_service_name_with_an_escape_is_refused_escaped(tmp_path):
    prices = tmp_path / "prices.toml"
    prices.write_text(_sample() + f'\n[community."evil{ESC_TITLE}"]\nactivation = "1.00"\n', encoding="utf-8")
    message = _refused(lambda: load_price_list(prices))
    assert message.startswith("price list community.evil\\x1b]0;pwned\\x07:"), message


def test_r14_the_cli_refuses_a_hostile_config_file_in_one_escaped_line(tmp_path, db_url):
    config = tmp_path / "config.toml"
    config.write_text(f'[plugins.stripe_pay]\nsuccess_url = "https://x.example/{ESC_TITLE}"\n', encoding="utf-8")
    env = {"SMARTPAY_FAKE_NOW": NOW.isoformat(), "SMARTPAY_PASSWORD": PASSWORD, "SMARTPAY_DB": None,
           "SMARTPAY_CONFIG": None}
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", db_url, "projects", "--as", "aktest"],
                                env=env, obj=Runtime(passwords=CHEAP_PASSWORDS))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: plugins.stripe_pay.success_url: must be text without control")
    assert "\x1b" not in result.output and "\x07" not in result.output
