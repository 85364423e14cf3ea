"""Configuration, the sample price list and money: validated with messages that name the key; secrets
kept out of the settings' printed form."""
import datetime as dt

import pytest

from smartpay.core.config import Settings, load_settings
from smartpay.core.domain import SERVICE_TYPES
from smartpay.core.errors import ConfigError, InvalidInput
from smartpay.core.money import Money, prorate
from smartpay.core.pricing import load_price_list, parse_price_list


def test_sample_price_list_is_marked_sample_and_prices_every_service():
    prices = load_price_list()
    assert prices.sample is True and prices.currency == "USD"
    for ptype, services in SERVICE_TYPES.items():
        for stype in services:
            price = prices.price(ptype, stype)
            assert price.per_30_days > 0 and price.credits_per_30_days > 0 and price.activation > 0


def _sample_text() -> str:
    from importlib import resources
    return resources.files("smartpay.core.data").joinpath("sample_prices.toml").read_text("utf-8")


def test_price_list_errors_name_the_key():
    broken = _sample_text().replace('per_30_days = "1.50"', 'per_30_days = "1.5x"', 1)
    with pytest.raises(ConfigError) as err:
        parse_price_list(broken, "prices.toml")
    assert "community.app.per_30_days" in str(err.value)


def test_price_list_refuses_floats_for_money():
    broken = _sample_text().replace('per_30_days = "1.50"', "per_30_days = 1.5", 1)
    with pytest.raises(ConfigError) as err:
        parse_price_list(broken, "prices.toml")
    assert "quoted decimal string" in str(err.value)


def test_price_list_missing_service_is_named():
    broken = _sample_text().replace("[commercial.admin_app]", "[commercial.admin_app_typo]")
    with pytest.raises(ConfigError) as err:
        parse_price_list(broken, "prices.toml")
    assert "admin_app" in str(err.value)


def test_configured_price_list_replaces_the_sample(tmp_path):
    custom = tmp_path / "prices.toml"
    custom.write_text(_sample_text().replace("sample = true", "sample = false")
                      .replace('activation = "12.00"', 'activation = "99.00"', 1))
    settings = load_settings(env={}, price_list=str(custom))
    prices = load_price_list(settings.price_list)
    assert not prices.sample and prices.price("community", "app").activation == 9900


def test_config_file_is_read_and_validated(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('timezone = "Asia/Singapore"\norder_window_minutes = 20\n'
                   '[plugins.credit_pay]\ncutoff = "2025-07-01T00:00:00+08:00"\n')
    settings = load_settings(cfg, env={})
    assert settings.order_window_minutes == 20
    assert settings.plugin_config("credit_pay")["cutoff"].startswith("2025-07-01")
    assert settings.platform_time.offset_label(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)) == "GMT+8:00"
    cfg.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert "colour" in str(err.value)


def test_environment_database_url_wins(tmp_path):
    settings = load_settings(env={"SMARTPAY_DB": "sqlite:////tmp/x.db"})
    assert settings.db_url == "sqlite:////tmp/x.db"


def test_bad_timezone_is_refused():
    with pytest.raises(ConfigError) as err:
        load_settings(env={}, timezone="Mars/Olympus")
    assert "timezone" in str(err.value)


def test_money_parses_decimal_strings_without_floats():
    assert Money.parse("50", "USD") == Money(5000, "USD")
    assert Money.parse("0.05", "USD").amount == 5
    assert Money.parse("1000", "JPY").amount == 1000
    with pytest.raises(InvalidInput):
        Money.parse("1.005", "USD")
    with pytest.raises(InvalidInput):
        Money.parse("-3", "USD")
    with pytest.raises(TypeError):
        Money(1.5, "USD")


def test_money_formats_with_currency_and_credits():
    assert Money(123456, "USD").format() == "1,234.56 USD"
    assert Money(1, "CREDIT").format() == "1 credit" and Money(7, "CREDIT").format() == "7 credits"
    with pytest.raises(ValueError):
        Money(1, "USD") + Money(1, "EUR")


def test_proration_rounds_up_to_the_minor_unit():
    assert prorate(150, 30) == 150
    assert prorate(150, 1) == 5       # 150 / 30 = 5 exactly
    assert prorate(100, 1) == 4       # 3.33… → 4
    assert prorate(100, 0) == 0


def test_settings_repr_hides_plugin_secrets_and_the_database_password():
    settings = Settings(db_url="postgresql://smartpay:Pa55-w0rd@db.example:5432/smartpay",
                        plugins={"stripe_pay": {"api_key": "sk_test_SECRET123"},
                                 "paypal_pay": {"client_secret": "EMU-SECRET-xyz"}})
    for text in (repr(settings), str(settings), f"{settings!r}"):
        assert "Pa55-w0rd" not in text and "sk_test_SECRET123" not in text and "EMU-SECRET-xyz" not in text
        assert "db.example:5432/smartpay" in text and "order_window_minutes=15" in text
    assert settings.plugin_config("stripe_pay") == {"api_key": "sk_test_SECRET123"}   # still there to use
