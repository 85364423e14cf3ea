from support import credit_renewal_order


def test_credit_renewal_end_to_end(core, world, actor):
    """The seed guide's credit flow: renew New Commercial to 2025-09-30 with credits."""
    ak = actor("aktest")
    order = credit_renewal_order(core, world, ak)
    assert order.total.currency == "CREDIT" and order.total.amount > 0
    outcome = core.payments.pay(ak, order.txn, "credit")
    assert outcome.order.state == "succeeded"
    assert core.credits.balance(ak.id) == 100 - order.total.amount == core.credits.ledger_sum(ak.id)


def test_the_running_clock_starts_where_it_is_told_and_runs_at_the_real_pace():
    import datetime as dt

    from smartpay.core.clock import FixedClock, RunningClock
    real = FixedClock(dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc))
    start = dt.datetime(2025, 9, 10, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    clock = RunningClock(start, real=real)
    assert clock.now() == start
    real.advance(minutes=16)
    assert clock.now() == start + dt.timedelta(minutes=16)   # a demo order's window passes


def test_the_demo_runs_at_the_seed_guides_date_so_its_example_is_in_the_future():
    from smartpay.app.demo_app import DEMO_START, demo_clock
    from smartpay.core.config import Settings
    settings = Settings(db_url="sqlite:///:memory:")
    now = settings.platform_time.local(demo_clock(settings).now())
    assert (now.date(), now.hour) == (DEMO_START.date(), DEMO_START.hour)
    assert now.date() < __import__("datetime").date(2025, 9, 30)   # "renew to 2025-09-30" is ahead
