"""The distributor's flows of the seed guide ("For Distributors"), walked as aktest with the real
`smartpay demo --open` in tmux at 80×24, keyboard only (walk_support.py): activate (paid with a
coupon), manual renew (PayPal), auto renew (Stripe), and purchase credits for an installer
(coupon + PayPal; the installer's balance grows). The distributor's credit payment (renew
"Test 1" in credits) is walked by test_demo_tmux.py."""
from __future__ import annotations

import subprocess
import time

import pytest

from walk_support import desk, walk_marks  # noqa: F401 (fixture)

pytestmark = walk_marks

INSTALLERS = ("All installers", "inst_credit", "inst_none", "inst_regular", "inst_sub")


def choose_installer_and_type(t, installer: str, type_moves: int) -> None:
    """Step 1's first two fields: the installer (from "All installers") and the project type
    (`type_moves` from Commercial: -1 Single-Family, -2 Community)."""
    t.pick(INSTALLERS.index(installer))
    t.press("Tab")
    if type_moves:
        t.pick(type_moves)


def test_distributor_activates_a_lock_and_pays_with_a_coupon(desk):
    t = desk("aktest")
    t.log_in()
    t.open_wizard()
    choose_installer_and_type(t, "inst_regular", -1)          # Single-Family
    t.press("Tab", "Space")                                   # Purchase Type: Activate
    t.press("C-n")
    t.at("Lee House", "1 of 1 checked", "Total Price: 8.00 USD")
    t.press("C-n")
    t.at("Billing Information", "Company/Family: AK Test Ltd")
    t.press("C-n")
    screen = t.at("1 Item(s)", "Front Lock", "Terms and Conditions")
    assert "Company/Family: AK Test Ltd" in screen and "TEL: +65 6123 4567" in screen  # the seed's billing block
    assert "Left out (already activated; renew it instead): Lee Family (App, Lee House)" in screen
    t.press("Space", "C-n")                                   # accept the terms, Pay
    t.at("Pending Order", "Transaction Type: Activation", "Pay 8.00 USD with PayPal")
    t.press("Tab")                                            # from the methods to the coupons
    t.steady()
    t.press("Space")                                          # the 20.00 USD coupon covers it all
    t.at("Pay 8.00 USD with coupons")
    t.press("C-s")
    screen = t.at("Payment Successful", "Paid with:")
    assert "Coupon 8.00 USD" in screen
    assert "Front Lock (Third Party Lock, Lee House): 2025-10-10 23:59:59" in screen


def test_distributor_renews_manually_and_pays_with_paypal(desk):
    t = desk("aktest")
    t.log_in()
    t.open_wizard()
    choose_installer_and_type(t, "inst_regular", -2)          # Community; Purchase Type stays Renew
    t.press("C-n")
    t.at("Sunrise Community", "1 of 1 checked")
    t.press("C-n")
    t.at("Renew To", "Manual Renew")
    t.press("Tab", "End", *["BSpace"] * 10)
    t.at("YYYY-MM-DD")
    t.type("2025-10-31")
    t.at("Renew To: 2025-10-31")
    t.press("C-n")
    t.at("Billing Information")
    t.press("C-n")
    screen = " ".join(t.at("Item(s)", "Apt 101", "Terms and Conditions").split())
    assert "Left out (not activated yet; activate it first): Apt 103 (App, Sunrise Community)" in screen
    t.press("Space", "C-n")
    screen = t.at("Pending Order", "Transaction Type: Monthly Fee", "with PayPal")
    total = screen.split("Total Price: ")[1].split()[0]
    assert f"Pay {total} USD with PayPal" in screen
    t.press("C-s")
    t.at("curl -X POST", "checkoutnow")        # the hosted page (QR code, URL)
    # c copies the whole address with OSC 52; a tmux that accepts it (set-clipboard on) keeps it
    # as a paste buffer, so the test reads what the operator's terminal would put on his clipboard.
    subprocess.run(["tmux", "set-option", "-s", "set-clipboard", "on"], check=True)
    t.press("c")
    deadline = time.monotonic() + 30
    while (copied := subprocess.run(["tmux", "show-buffer"], capture_output=True, text=True).stdout) == "":
        assert time.monotonic() < deadline, f"nothing reached the clipboard:\n{t.screen()}"
        time.sleep(0.2)
    assert copied == t.hosted_url("paypal")    # the whole address, on one line
    t.pay_hosted("paypal")
    screen = t.at("Payment Successful", "PayPal")
    assert "Apt 101 (App, Sunrise Community): 2025-10-31 23:59:59" in screen


def test_distributor_sets_up_auto_renew_and_pays_with_stripe(desk):
    t = desk("aktest")
    t.log_in()
    t.open_wizard()
    choose_installer_and_type(t, "inst_regular", -1)          # Single-Family: Lee House
    t.press("C-n")
    t.at("Lee House", "1 of 1 checked")
    t.press("C-n")
    t.at("Renew To", "Auto Renew")
    t.press("Right", "Space")                                 # Auto Renew (coupons cannot pay it)
    t.at("Auto Renew:", "cycle")
    t.press("C-n")
    t.at("Billing Information", "Auto Renew")
    t.press("C-n")
    screen = t.at("Item(s)", "Lee Family", "Terms and Conditions")
    assert "every 30 days" in screen
    t.press("Space", "C-n")
    screen = t.at("Pending Order", "Payment Method")
    assert "Coupons are not supported for auto-renewal" in " ".join(screen.split())
    if "with Stripe" not in screen:
        t.press("Down", "Space")                              # ↓ Space: Stripe, in the method list
    screen = t.at("with Stripe")
    t.press("C-s")
    t.at("curl -X POST", "/c/pay")
    t.pay_hosted("stripe")
    screen = t.at("Payment Successful", "Stripe")
    assert "Lee Family (App, Lee House)" in screen


def test_distributor_buys_credits_for_an_installer_and_its_balance_grows(desk):
    t = desk("aktest")
    t.log_in()
    before = t.balance("inst_credit")
    t.open_wizard()
    t.pick(INSTALLERS.index("inst_credit"))                   # "Choose the desired installer and select Credit"
    t.press("Tab", "Tab", "Right", "Right", "Space")          # Purchase Type: Credit
    t.at("inst_credit — Credit Installs")
    t.press("C-n")
    t.at("Purchase Credits", "number of credits")
    t.type("25")
    t.at("Total Price: 25.00 USD")
    t.press("C-n")
    t.at("Billing Information", "credit purchase")
    t.press("C-n")
    screen = " ".join(t.at("Purchase Credits", "Terms and Conditions").split())
    assert "Credits: 25 for inst_credit (to their balance)" in screen
    t.press("Space", "C-n")
    t.at("Pending Order", "Transaction Type: Credit Purchase", "Pay 25.00 USD with PayPal")
    t.press("Tab")
    t.steady()
    t.press("Space")                                          # the 20.00 USD coupon, PayPal for the rest
    t.at("Pay 5.00 USD with PayPal + coupons")
    t.press("C-s")
    t.at("curl -X POST", "checkoutnow")
    t.pay_hosted("paypal")
    screen = t.at("Payment Successful", "Credits bought")
    assert "25 credits for inst_credit" in screen
    assert "Coupon 20.00 USD + PayPal 5.00 USD" in screen     # the coupon part of the payment
    assert t.balance("inst_credit") == before + 25
