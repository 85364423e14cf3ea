"""The login screen's demo panel (`smartpay demo --open` only): the demo logins, their shared
password — demo accounts, printed on purpose — and that Stripe and PayPal are local emulators.
Docked at the right so the login form stays where it is and both fit 80×24."""
from __future__ import annotations

from ..terminal_safe import markup_text as escape
from textual.widgets import Static

from ..widgets.tcss_file import beside


SHORT_ROLES = {"sub distributor": "sub-distrib.", "property manager": "PM"}  # one line each at width 30


class DemoPanel(Static):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, demo) -> None:
        width = max(len(d.login) for d in demo.logins)
        rows = "\n".join(f"{escape(d.login):<{width}} {escape(SHORT_ROLES.get(d.role, d.role))}"
                         for d in demo.logins)
        text = (f"[b]DEMO[/b] accounts only\nPassword for all of them:\n[b]{escape(demo.password)}[/b]\n\n{rows}\n\n"
                "Stripe and PayPal are local emulators: no account, no money.")
        super().__init__(text, id="demo-panel")
