"""R8 + M3 with Stripe: every Checkout Session closes with the order's payment window
(`expires_at`), the same on every replay of the create call, and a session whose create answer
was lost is found by reconcile (replaying the create under its key) and closed — so a payer who
still has the page cannot pay an order that timed out.

The emulator's clock is the test's clock (stripe_support), so moving one moves both."""
from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

import pytest
import stripe

from smartpay.core.db.models import Order, PaymentAttempt
from smartpay.core.plugin_host import ChargeStatus
from smartpay.emulators.faults import Fault
from smartpay.emulators.stripe import StripeEmulatorClient
from smartpay.plugins.stripe_pay import StripeMethod
from smartpay.plugins.stripe_pay.expiry import LONGEST_SECONDS, SHORTEST_SECONDS, session_expires_at

from stripe_support import (TEST_API_KEY, charge_request, stripe_config, stripe_emulator,  # noqa: F401
                            stripe_method)
from support import billing, build_world, community_order, open_core

UTC = dt.timezone.utc
AT = dt.datetime(2025, 9, 10, 6, 0, tzinfo=UTC)


def _epoch(when: dt.datetime) -> int:
    return int(when.timestamp())


def _payer_presses_pay(emulator, session: dict) -> int:
    """A payer who kept the page open presses Pay (its form posts to pay_url): the HTTP status.
    The page itself, reloaded, would show no Pay button any more."""
    with urllib.request.urlopen(session["url"], timeout=5) as page:
        shown = page.read().decode()
    request = urllib.request.Request(emulator.pay_url(session["id"]), data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        assert "expired" in shown and "can no longer be paid" in refused.read().decode()
        return refused.code


# -- the plugin: expires_at from the request -----------------------------------------------------------
@pytest.mark.parametrize("window, expected", [
    (dt.timedelta(minutes=15), SHORTEST_SECONDS),          # Stripe's minimum (with margin) wins
    (dt.timedelta(hours=2), 2 * 3600),                     # the window's end itself
    (dt.timedelta(days=3), LONGEST_SECONDS),               # Stripe's maximum (with margin) wins
])
def test_r8_expires_at_is_the_window_end_clamped_to_stripes_bounds(window, expected):
    request = charge_request(pay_by=AT + window, attempted_at=AT)
    assert session_expires_at(request) == _epoch(AT) + expected
    assert 30 * 60 < SHORTEST_SECONDS and LONGEST_SECONDS < 24 * 3600


def test_r8_expires_at_does_not_depend_on_when_the_request_is_sent():
    first = charge_request(pay_by=AT + dt.timedelta(minutes=15), attempted_at=AT.replace(microsecond=654321))
    rebuilt = charge_request(pay_by=AT + dt.timedelta(minutes=15), attempted_at=AT.replace(microsecond=654321)
                             .astimezone(dt.timezone(dt.timedelta(hours=8))))
    assert session_expires_at(first) == session_expires_at(rebuilt)
    assert session_expires_at(charge_request()) is None   # a hand-built request: Stripe's default


def test_r8_the_session_is_created_with_the_requests_expires_at(stripe_emulator, stripe_method, clock):
    now = clock.now()
    started = stripe_method.charge(charge_request(pay_by=now + dt.timedelta(hours=1), attempted_at=now))
    assert started.status == ChargeStatus.PENDING
    assert stripe_emulator.session(started.provider_ref)["expires_at"] == _epoch(now) + 3600


# -- the emulator: Stripe's bounds and the clock --------------------------------------------------------
def _create(emulator, expires_at: int | None, key: str = "k-1"):
    api = stripe.StripeClient(TEST_API_KEY, base_addresses={"api": emulator.api_base}, max_network_retries=0)
    params = {"mode": "payment", "success_url": "https://desk.example.test/paid",
              "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 500,
                                                            "product_data": {"name": "Monthly Fee"}}}]}
    if expires_at is not None:
        params["expires_at"] = expires_at
    return api.v1.checkout.sessions.create(params, {"idempotency_key": key})


@pytest.mark.parametrize("offset, message", [
    (29 * 60, "must be at least 30 minutes from Checkout Session creation"),
    (24 * 3600 + 1, "must be less than 24 hours from Checkout Session creation"),
])
def test_the_emulator_refuses_expires_at_outside_stripes_bounds_as_stripe_does(stripe_emulator, offset, message):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _create(stripe_emulator, stripe_emulator.now() + offset)
    assert refused.value.http_status == 400 and refused.value.param == "expires_at"
    assert message in refused.value.user_message
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    # A refused request is not stored under its key: the same key may be used again, rightly.
    assert _create(stripe_emulator, stripe_emulator.now() + 30 * 60).status == "open"


def test_a_session_expires_when_the_emulators_clock_passes_expires_at(stripe_emulator):
    session = _create(stripe_emulator, stripe_emulator.now() + 45 * 60)
    assert session.expires_at == stripe_emulator.now() + 45 * 60 and session.created == stripe_emulator.now()
    # Moved over HTTP, as a test driving an emulator in another process would.
    controls = StripeEmulatorClient(stripe_emulator.url)
    controls.advance_clock(45 * 60 - 1)
    assert stripe_emulator.session(session.id)["status"] == "open"
    controls.advance_clock(1)
    assert stripe_emulator.session(session.id)["status"] == "expired"
    assert _payer_presses_pay(stripe_emulator, {"id": session.id, "url": session.url}) == 409
    assert [e["type"] for e in stripe_emulator.events()] == ["checkout.session.expired"]


def test_the_emulators_clock_follows_its_source_and_can_be_set(stripe_emulator, clock):
    assert stripe_emulator.now() == _epoch(clock.now())
    clock.advance(minutes=10)
    assert stripe_emulator.now() == _epoch(clock.now())
    assert StripeEmulatorClient(stripe_emulator.url).set_clock(2_000_000_000) == 2_000_000_000


# -- the desk: sent at pay time, replayed identically, closed by reconcile ------------------------------
@pytest.fixture
def desk(db_url, clock, stripe_emulator):
    core = open_core(db_url, clock, plugins={"stripe_pay": stripe_config(stripe_emulator)})
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core
    core.close()


def _attempt(txn: str) -> PaymentAttempt:
    return PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id.desc()).first()


def test_r8_the_desks_session_closes_with_the_window(desk, stripe_emulator):
    order = community_order(desk, ["apt101"])
    outcome = desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    attempt = _attempt(order.txn)
    session = stripe_emulator.session(attempt.provider_ref)
    # The 15-minute window is shorter than Stripe allows: the page closes at Stripe's minimum.
    assert session["expires_at"] == _epoch(attempt.created_at) + SHORTEST_SECONDS
    assert outcome.redirect_url == session["url"]


def test_m1_two_replays_of_the_create_send_the_same_body(desk, stripe_emulator, clock):
    order = community_order(desk, ["apt101"])
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    attempt, row = _attempt(order.txn), Order.get(Order.txn == order.txn)
    method: StripeMethod = desk.plugins.method("stripe")
    clock.advance(minutes=7)   # later, in "another process": the request is rebuilt from the rows
    for _ in range(2):
        request = desk.payments.requests.rebuild(row, PaymentAttempt.get_by_id(attempt.id))
        assert request.pay_by == order.deadline_at and request.attempted_at == attempt.created_at
        assert method.charge(request).provider_ref == attempt.provider_ref
    sent = stripe_emulator.received("create_session")
    assert len(sent) == 3 and {s["idempotency_key"] for s in sent} == {attempt.idempotency_key}
    assert sent[0]["body"] == sent[1]["body"] == sent[2]["body"]
    assert int(sent[0]["params"]["expires_at"]) == _epoch(attempt.created_at) + SHORTEST_SECONDS


def test_m3_r8_a_session_whose_create_answer_was_lost_is_closed_by_reconcile(desk, stripe_emulator, clock):
    order = community_order(desk, ["apt101"])
    stripe_emulator.arm(Fault.TIMEOUT, "create_session")     # the session is made; its answer is lost
    lost = desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    attempt = _attempt(order.txn)
    assert attempt.state == "unknown" and attempt.provider_ref is None and lost.redirect_url is None
    [made] = stripe_emulator.sessions_for(order.txn)
    assert made["status"] == "open"

    clock.advance(minutes=16)   # the window has passed; the page would stay open 19 more minutes
    summary = desk.reconciler.run()
    assert summary.timed_out == 1 and summary.errors == 0, summary.line()

    assert stripe_emulator.session(made["id"])["status"] == "expired"
    assert _payer_presses_pay(stripe_emulator, made) == 409   # the payer who still has the page
    assert stripe_emulator.charges_for(order.txn) == 0
    assert desk.orders.get(desk.auth.actor("aktest"), order.txn).state == "timed_out"
    replays = stripe_emulator.received("create_session")
    assert len(replays) == 2 and replays[0]["body"] == replays[1]["body"]   # the same create, replayed
    assert len(stripe_emulator.sessions_for(order.txn)) == 1                  # not a second session


def test_m3_a_lost_session_nobody_closes_still_expires_at_stripe(desk, stripe_emulator, clock):
    order = community_order(desk, ["apt101"])
    stripe_emulator.arm(Fault.TIMEOUT, "create_session")
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    [made] = stripe_emulator.sessions_for(order.txn)
    clock.advance(seconds=SHORTEST_SECONDS)   # no reconcile ran: Stripe closes the page by itself
    assert _payer_presses_pay(stripe_emulator, made) == 409
    assert stripe_emulator.session(made["id"])["status"] == "expired"
    assert stripe_emulator.charges_for(order.txn) == 0


def test_m3_a_replay_stripe_refuses_as_a_request_is_no_session(desk, stripe_emulator, clock):
    """The create never ran (a 500 before any effect): long after, the replay's expires_at is
    too near for Stripe, which refuses it — evidence that nothing is stored under the key, so
    nothing can be paid; the order times out."""
    order = community_order(desk, ["apt101"])
    stripe_emulator.arm(Fault.HTTP_500, "create_session")
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    assert _attempt(order.txn).state == "unknown" and stripe_emulator.sessions_for(order.txn) == []
    clock.advance(minutes=16)
    summary = desk.reconciler.run()
    assert summary.timed_out == 1 and summary.errors == 0, summary.line()
    assert stripe_emulator.sessions_for(order.txn) == [] and stripe_emulator.charges_for(order.txn) == 0


def test_m3_while_the_first_create_still_runs_reconcile_asks_again_later(desk, stripe_emulator, clock):
    """The replay meets the first create still running under the key (Stripe's 409
    idempotency_key_in_use): nothing is concluded — the session it is making may be payable."""
    import time

    order = community_order(desk, ["apt101"])
    stripe_emulator.configure(slow_seconds=2.0)
    stripe_emulator.arm(Fault.SLOW, "create_session")      # the desk gives up waiting; Stripe goes on
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    assert _attempt(order.txn).state == "unknown"
    # The desk's window passes while Stripe is still inside that create: its clock stays where the
    # create began (a create does not really run for 16 minutes; the test cannot wait that long).
    started = stripe_emulator.now()
    stripe_emulator.follow_clock(lambda: started)
    clock.advance(minutes=16)
    first = desk.reconciler.run()
    assert first.unknown == 1 and first.timed_out == 0, first.line()
    assert desk.orders.get(desk.auth.actor("aktest"), order.txn).state == "processing"
    deadline = time.monotonic() + 5
    while not stripe_emulator.sessions_for(order.txn) and time.monotonic() < deadline:
        time.sleep(0.05)
    [made] = stripe_emulator.sessions_for(order.txn)
    assert desk.reconciler.run().timed_out == 1
    assert stripe_emulator.session(made["id"])["status"] == "expired"
    assert stripe_emulator.charges_for(order.txn) == 0
