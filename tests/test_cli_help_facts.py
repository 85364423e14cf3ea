"""What the README and `--help` tell a user (issue 10, item 20) is what the core does: the
lock-out numbers, the login format, the 128-character limit, the minimum password, the fake
clock, JSON money in minor units and UTC times. The numbers are read from the core, so a change
there fails here until the texts follow."""
from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from smartpay.app.cli.main import cli
from smartpay.core import validate
from smartpay.core.config import Settings
from smartpay.core.passwords import MIN_PASSWORD

ROOT = Path(__file__).resolve().parents[1]


def help_of(*command: str) -> str:
    result = CliRunner().invoke(cli, [*command, "--help"], prog_name="smartpay", terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # click wraps lines; compare the words


def facts() -> list[str]:
    settings = Settings()
    max_text = validate.text.__defaults__[0]
    low, high = re.search(r"\{(\d+),(\d+)\}", validate._LOGIN.pattern).groups()
    return [f"{settings.max_failed_logins} wrong passwords in a row lock", f"for {settings.lockout_minutes} minutes",
            f"{low}-{high} letters, digits or", f"{max_text} characters", f"at least {MIN_PASSWORD}"]


def test_root_help_states_the_core_s_numbers_and_the_environment():
    text = help_of()
    for fact in facts():
        assert fact in text, fact
    for name in ("SMARTPAY_DB", "SMARTPAY_CONFIG", "SMARTPAY_PASSWORD", "SMARTPAY_FAKE_NOW", "never on a real desk",
                 "integer minor units", "UTC", "exit status 2"):
        assert name in text, name


def test_the_as_option_states_the_login_format_and_lock_out():
    text = help_of("quote", "renew")
    settings = Settings()
    assert f"{settings.max_failed_logins} wrong passwords in a row lock the account for " \
           f"{settings.lockout_minutes} minutes" in text
    assert "3-64 letters, digits or . _ @ -" in text and "before or after the command" in text


def test_json_help_says_minor_units_and_utc_and_the_output_does_it(core, world):
    text = help_of("coupons")
    assert "integer minor units" in text and "UTC" in text
    from smartpay.core.views import to_jsonable
    coupon = core.coupons.issue("aktest", "49.44", "USD", "2026-01-31")
    shown = json.loads(json.dumps(to_jsonable(coupon), default=str))
    assert shown["face_value"] == {"amount": 4944, "currency": "USD"}
    assert shown["expires_at"].endswith("+00:00")


def test_readme_states_the_same_numbers():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for fact in facts():
        assert fact.replace(". _ @ -", "`. _ @ -`") in readme or fact in readme, fact
    assert "SMARTPAY_FAKE_NOW" in readme and "never set it on a real desk" in readme
    assert "integer minor units" in readme and "UTC" in readme
