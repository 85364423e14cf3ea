"""The hosted checkout page: the amount, the order's lines, and two forms — "Pay" (a card that
succeeds) and "Decline" (a card that is declined) — that POST back to the emulator, so a test or
`curl -X POST <session.url>/pay` can play the payer."""
from __future__ import annotations

from html import escape
from importlib.resources import files
from string import Template

# Stripe's zero-decimal currencies that a desk may plausibly price in; all others have cents.
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                "xaf", "xof", "xpf"}
_TEMPLATE = Template(files(__package__).joinpath("checkout.html").read_text(encoding="utf-8"))


def format_amount(amount: int, currency: str) -> str:
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    whole, cents = divmod(amount, 100)
    return f"{whole:,}.{cents:02d} {currency.upper()}"


def checkout_page(session: dict) -> str:
    amount = format_amount(session["amount_total"], session["currency"])
    if session["status"] == "expired":
        body = "<p>This checkout session has expired; it can no longer be paid.</p>"
    elif session["status"] == "complete":
        body = f"<p>This checkout session was paid ({escape(amount)}).</p>"
    else:
        action = escape(session["url"])
        body = (f'<div class="amount">{escape(amount)}</div>'
                f'<p class="note">Reference {escape(session.get("client_reference_id") or session["id"])}</p>'
                f'<form method="post" action="{action}/pay"><button class="pay" type="submit">Pay</button></form>'
                f'<form method="post" action="{action}/decline">'
                f'<button class="decline" type="submit">Decline</button></form>')
    return _TEMPLATE.substitute(title="Checkout", body=body)


def outcome_page(title: str, message: str, back: str | None = None, back_label: str = "Back") -> str:
    link = f'<p><a href="{escape(back)}">{escape(back_label)}</a></p>' if back else ""
    return _TEMPLATE.substitute(title=escape(title), body=f"<p>{escape(message)}</p>{link}")
