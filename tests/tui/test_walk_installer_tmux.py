"""The installer's flows of the seed guide ("For Installers"), walked with the real `smartpay demo
--open` in tmux at 80×24, keyboard only (walk_support.py): the regular payment (inst_regular,
billing filled in on the way, Stripe), the credit payment exactly as the seed shows it (inst_credit
renews "Test 1" and "Attendance" of New Commercial to 2025-09-30), and setting Pay By PM (Credit
greyed with the core's reason on a project created before the cut-off)."""
from __future__ import annotations

from walk_support import desk, flat, walk_marks  # noqa: F401 (fixture)

pytestmark = walk_marks


def set_renew_to(t, date: str) -> None:
    t.at("Renew To", "Manual Renew")
    t.press("Tab", "End", *["BSpace"] * 10)
    t.at("YYYY-MM-DD")
    t.type(date)
    t.at(f"Renew To: {date}")


def test_installer_regular_payment_with_stripe(desk):
    t = desk("inst_regular")
    t.log_in()
    t.open_wizard()
    t.pick(-2)                                                # Project Type: Community (Renew, Regular Payment)
    t.press("C-n")
    t.at("Sunrise Community", "1 of 1 checked")
    t.press("C-n")
    set_renew_to(t, "2025-10-31")
    t.press("C-n")
    t.at("No billing information yet")                        # R10: filled in on the way
    t.press("C-e")
    t.at("Company/Family")
    for value in ("Regular Installs", "Rae Ong", "2 Bay Road, Singapore", "+65 6345 6789"):
        t.type(value)
        t.press("Tab")
    t.press("C-s")
    t.at("Company/Family: Regular Installs")
    t.press("C-n")
    screen = flat(t.at("Item(s)", "Apt 101", "Terms and Conditions"))
    assert "Company/Family: Regular Installs ATTN: Rae Ong" in screen
    t.press("Space", "C-n")
    t.at("Pending Order", "with PayPal")
    t.press("Down", "Space")                                  # ↓ Space: Stripe, in the method list
    screen = t.at("with Stripe")
    total = screen.split("Total Price: ")[1].split()[0]
    assert f"Pay {total} USD with Stripe" in screen
    t.press("C-s")
    t.at("curl -X POST", "/c/pay")          # Stripe's page, not PayPal's
    t.pay_hosted("stripe")
    screen = t.at("Payment Successful", "Stripe")
    assert "Apt 101 (App, Sunrise Community): 2025-10-31 23:59:59" in screen


def test_installer_credit_payment_renews_test_1_and_attendance_to_the_seeds_date(desk):
    t = desk("inst_credit")
    t.log_in()
    t.open_wizard()                                           # Commercial, Renew, Credit Payment (its grant)
    t.press("C-n")
    t.at("Old Commercial", "2 of 2 checked")
    t.press("Tab", "Tab")                                     # from the site filter, past All, to the sites
    t.at("space Check")
    t.press("Down", "Space")                                  # Old Commercial: before June 1, 2025
    t.at("1 of 2 checked")
    t.press("C-n")
    set_renew_to(t, "2025-09-30")
    screen = t.at("Number of Renewal Personnel App(s): 1", "Number of Renewal Premium Feature(s): 1")
    assert "Number of Renewal Door(s): 0" in screen and "Number of Renewal Admin App(s): 0" in screen
    t.press("C-n")
    t.at("Billing Information", "Default Company")
    t.press("C-n")
    screen = t.at("2 Item(s)", "Test 1", "Attendance", "Terms and Conditions")
    assert "Company/Family: Default Company" in screen
    t.press("Space", "C-n")
    screen = t.at("Pending Order", "Transaction Type: Monthly Fee", "Available Credit: 100", "with Credit")
    assert "Amount Credit:" in screen
    t.press("C-s")
    screen = t.at("Payment Successful", "New expiry")
    assert "Test 1 (Personnel App, New Commercial): 2025-09-30 23:59:59" in screen
    assert "Attendance (Premium Feature, New Commercial): 2025-09-30 23:59:59" in screen


def test_installer_sets_pay_by_pm_and_credit_is_greyed_before_the_cutoff(desk):
    t = desk("inst_credit")
    t.log_in()
    t.press("2")                                              # Projects, the installer's second section
    t.at("New Commercial", "Old Commercial")
    t.press("Down")                                           # Old Commercial (by name, after New)
    t.steady()
    t.press("Enter")
    screen = flat(t.at("Edit project", "Pay By PM"))
    assert "Credit cannot be granted here" in screen and "before the cut-off" in screen
    t.press("Enter")                                          # open the select: every value, Credit greyed
    screen = flat(t.steady())
    assert "No Permission" in screen and "Credit — not here:" in screen
    t.press("Escape")
    t.pick(1)                                                 # No Permission → Stripe/PayPal Coupon
    t.press("C-s")
    screen = t.at("Old Commercial")
    assert "Edit project" not in screen
    line = next(row for row in screen.splitlines() if "Old Commercial" in row)
    assert "Stripe/PayPal" in line
