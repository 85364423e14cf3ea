"""The Stripe method's configuration (the `[plugins.stripe_pay]` table and the environment) and
its secrecy: the API key and the webhook secret never reach a repr, a listing, a result message,
a configuration error or the log."""
from __future__ import annotations

import json
import logging

import pytest

from smartpay.core.errors import ConfigError
from smartpay.core.money import Money
from smartpay.core.plugin_host import PluginHost, RefundRequest
from smartpay.emulators.stripe import StripeEmulator
from smartpay.plugins import stripe_pay
from smartpay.plugins.stripe_pay import NOT_CONFIGURED, STRIPE_API_BASE, StripeMethod, StripeSettings

from stripe_support import (SUCCESS_URL, charge_request, pay_on_page, stripe_config,  # noqa: F401 (fixture)
                            stripe_emulator, stripe_settings)

FAKE_KEY = "sk_test_SMARTPAYsecretRECOGNISABLE31337"
FAKE_SECRET = "whsec_SMARTPAYwebhookRECOGNISABLE"


def host_with(config: dict) -> PluginHost:
    return PluginHost(config=lambda key: dict(config.get(key, {})), load_entry_points=False, disabled=(),
                      extra_plugins=[("stripe_pay", stripe_pay)])


# -- configuration ------------------------------------------------------------------------------------------
def test_without_a_key_the_method_is_listed_but_not_configured():
    method = StripeMethod(StripeSettings.from_config({}, {}))
    answer = method.configured()
    assert not answer.eligible and answer.reason == NOT_CONFIGURED
    assert answer.reason == "Stripe is not configured: set STRIPE_API_KEY or plugins.stripe_pay.api_key"


def test_the_key_comes_from_the_table_or_else_the_environment():
    from_env = StripeSettings.from_config({}, {"STRIPE_API_KEY": FAKE_KEY, "STRIPE_WEBHOOK_SECRET": FAKE_SECRET})
    assert (from_env.api_key, from_env.webhook_secret) == (FAKE_KEY, FAKE_SECRET)
    both = StripeSettings.from_config({"api_key": "sk_test_fromTable"}, {"STRIPE_API_KEY": FAKE_KEY})
    assert both.api_key == "sk_test_fromTable"
    assert from_env.api_base == STRIPE_API_BASE and from_env.max_network_retries == 2


def test_a_success_url_is_needed_before_stripe_is_offered():
    method = StripeMethod(StripeSettings.from_config({"api_key": FAKE_KEY}, {}))
    assert not method.configured().eligible and "success_url" in method.configured().reason
    ready = StripeMethod(StripeSettings.from_config({"api_key": FAKE_KEY, "success_url": SUCCESS_URL}, {}))
    assert ready.configured().eligible


@pytest.mark.parametrize("config, field", [
    ({"api_key": "pk_test_PUBLISHABLErecognisable"}, "plugins.stripe_pay.api_key"),
    ({"api_base": "http://stripe.example.com"}, "plugins.stripe_pay.api_base"),
    ({"api_base": "ftp://127.0.0.1"}, "plugins.stripe_pay.api_base"),
    ({"success_url": "desk/paid"}, "plugins.stripe_pay.success_url"),
    ({"timeout_seconds": "soon"}, "plugins.stripe_pay.timeout_seconds"),
    ({"timeout_seconds": 0}, "plugins.stripe_pay.timeout_seconds"),
    ({"max_network_retries": 1.5}, "plugins.stripe_pay.max_network_retries"),
    ({"max_network_retries": True}, "plugins.stripe_pay.max_network_retries"),
    ({"lookup_limit": -1}, "plugins.stripe_pay.lookup_limit"),
    ({"apikey": "x"}, "plugins.stripe_pay.apikey"),
])
def test_a_bad_setting_is_a_config_error_naming_it(config, field):
    with pytest.raises(ConfigError) as bad:
        StripeSettings.from_config(config, {})
    assert str(bad.value).startswith(field)
    assert "PUBLISHABLErecognisable" not in str(bad.value)


def test_a_bad_environment_key_is_named_without_its_value():
    with pytest.raises(ConfigError, match="^STRIPE_API_KEY: not a Stripe secret key") as bad:
        StripeSettings.from_config({}, {"STRIPE_API_KEY": "not-a-key-RECOGNISABLE"})
    assert "RECOGNISABLE" not in str(bad.value)


def test_the_hook_registers_a_configured_method_and_skips_a_misconfigured_plugin(stripe_emulator):
    host = host_with({"stripe_pay": stripe_config(stripe_emulator)})
    [method] = host.methods()
    assert method.configured().eligible and method.settings.api_base == stripe_emulator.api_base
    broken = host_with({"stripe_pay": {"api_key": "pk_live_RECOGNISABLE"}})
    assert broken.methods() == [] and "plugins.stripe_pay.api_key" in broken.skipped()[0].reason
    assert "RECOGNISABLE" not in broken.skipped()[0].reason


def test_the_plugin_does_not_import_the_sdk_until_a_call_needs_it(stripe_emulator):
    method = StripeMethod(stripe_settings(stripe_emulator))
    assert method._client is None
    method.configured(), method.describe(), repr(method)
    assert method._client is None
    method.status("20250910140000001", None)
    assert method._client is not None


# -- secrecy --------------------------------------------------------------------------------------------------
def test_secrets_never_reach_repr_describe_messages_or_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    # An emulator that accepts only another key: every call is refused with the key echoed (masked).
    with StripeEmulator(api_key="sk_test_theOnlyKeyItAccepts") as refusing, \
            StripeEmulator(api_key=FAKE_KEY) as accepting:
        wrong = StripeMethod(stripe_settings(refusing, api_key=FAKE_KEY, webhook_secret=FAKE_SECRET))
        right = StripeMethod(stripe_settings(accepting, api_key=FAKE_KEY, webhook_secret=FAKE_SECRET))
        results = [wrong.charge(charge_request()), wrong.status("1", None), wrong.status("1", "cs_test_1"),
                   wrong.expire("1", "cs_test_1"), wrong.charge_saved(charge_request(saved_method="cus_1/pm_1")),
                   wrong.refund(RefundRequest("1", "pi_1", Money(1, "USD"), "1-refund-01"))]
        assert "API key" in results[0].message and "STRIPE_API_KEY" in results[0].message
        started = right.charge(charge_request(save_method=True))
        pay_on_page(started.redirect_url)
        results += [started, right.status("20250910140000001", started.provider_ref),
                    right.status("20250910140000001", None)]
        texts = [repr(wrong), repr(right), repr(wrong.settings), json.dumps(wrong.describe()), caplog.text,
                 *(r.message for r in results), *(json.dumps(r.detail, default=str) for r in results)]
    for text in texts:
        assert FAKE_KEY not in text and "SMARTPAYsecret" not in text
        assert FAKE_SECRET not in text and "SMARTPAYwebhook" not in text
    assert "api_key=<set>" in repr(wrong.settings) and "webhook_secret=<set>" in repr(wrong.settings)
    # The check looks at real records: the SDK's request log and the plugin's warnings.
    assert "Request to Stripe api" in caplog.text and "smartpay.plugins.stripe_pay" in {r.name for r in caplog.records}
