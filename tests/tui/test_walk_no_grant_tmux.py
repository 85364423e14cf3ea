"""R1 at the desk: an installer whose distributor granted no "Pay by Installer" (inst_none)
presses New / Pay and is refused before any wizard opens, the core's reason in full on the
Subscription pane at 80×24 (real `smartpay demo --open` in tmux, keyboard only)."""
from __future__ import annotations

from walk_support import desk, flat, walk_marks  # noqa: F401 (fixture)

pytestmark = walk_marks


def test_r1_installer_without_a_grant_is_refused_before_any_wizard(desk):
    t = desk("inst_none")
    t.log_in()
    t.press("Enter")
    t.at("New / Pay", "Expiration (GMT+8)")
    t.press("C-n")
    screen = t.at("Cannot open New / Pay")
    assert "1 Purchase Types" not in screen                   # no wizard
    assert ("Cannot open New / Pay: Pay by Installer: your distributor has not granted you permission to pay; "
            "ask your distributor to set it") in flat(screen)
