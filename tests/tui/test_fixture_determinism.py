"""Snapshots show coupon codes and transaction numbers: the demo world must come out the same
every run when ids are seeded."""
from smartpay.app import demo
from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.ids import SeededIds
from support import CHEAP_PASSWORDS, NOW


def _codes(path) -> list[str]:
    core = Smartpay.open(Settings(db_url=f"sqlite:///{path}"), FixedClock(NOW), upgrade=True, ids=SeededIds(7),
                         passwords=CHEAP_PASSWORDS)
    try:
        demo.seed(core)
        return [c.code for c in demo.summary(core).coupons]
    finally:
        core.close()


def test_seeded_demo_worlds_have_identical_coupon_codes(tmp_path):
    first, second = _codes(tmp_path / "a.db"), _codes(tmp_path / "b.db")
    assert first and first == second


def test_logged_in_session_for_the_demo_distributor(session_for):
    assert session_for("aktest").actor.login == demo.DISTRIBUTOR
