"""M5 webhooks over real HTTP: the core's WSGI app served by wsgiref on 127.0.0.1 (port 0, in a
thread), FakeCard notifications signed with an HMAC test secret. A valid event is applied once;
a replay, a forged signature and an event for an unknown order change nothing; each is logged.
An event of another app on the same provider account (a txn that is not ours) is ignored."""
from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from smartpay.core.db.models import AuditLog, Item, Order, PaymentAttempt, WebhookInbox
from smartpay.core.plugin_host import ChargeStatus, WebhookEvent
from smartpay.app.webhook_server import make_app

from provider_sides import sides, world_of  # noqa: F401 — fixtures
from support import FakeCard, card_desk, community_order, eod

LOGGER = "smartpay.webhooks"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep wsgiref's access log out of the test output
        pass


@pytest.fixture
def desk(db_url, clock):
    core = card_desk(db_url, clock)
    yield core
    core.close()


@pytest.fixture
def server(desk):
    httpd = make_server("127.0.0.1", 0, make_app(desk), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(10)


def post(url, body: bytes, headers: dict, method="POST"):
    request = urllib.request.Request(url, data=body if method == "POST" else None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def waiting(desk):
    """An order waiting on the hosted page: its fakecard attempt is `processing` with reference cs_1."""
    desk.fake.fixed_ref = "cs_1"
    desk.fake.answer = ChargeStatus.PENDING
    order = community_order(desk, ("apt101",))
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "fakecard")
    desk.fake.answer = ChargeStatus.PROCESSED
    return order


def snapshot(txn):
    order = Order.get(Order.txn == txn)
    return (order.state, [a.state for a in PaymentAttempt.select().where(PaymentAttempt.order == order.id)],
            Item.select().where(Item.subject_name == "Apt 101").get().expires_at, AuditLog.select().count())


def messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_m5_valid_event_is_applied_once_and_a_replay_changes_nothing(desk, server, waiting, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    body, headers = FakeCard.webhook("evt_1", waiting.txn, "cs_1", "processed", waiting.total.amount)
    status, reply = post(f"{server}/webhooks/fakecard", body, headers)
    assert (status, reply["status"], reply["order_state"]) == (200, "applied", "succeeded")
    after = snapshot(waiting.txn)
    assert after[:3] == ("succeeded", ["succeeded"], eod(2025, 10, 30))
    row = WebhookInbox.get()
    assert (row.method, row.event_id, row.txn, row.provider_ref, row.state) == (
        "fakecard", "evt_1", waiting.txn, "cs_1", "applied")
    assert any("evt_1" in m and "applied" in m for m in messages(caplog))

    caplog.clear()
    status, reply = post(f"{server}/webhooks/fakecard", body, headers)
    assert (status, reply["status"]) == (200, "replay")
    assert snapshot(waiting.txn) == after and WebhookInbox.select().count() == 1
    assert any("replay" in m and "evt_1" in m for m in messages(caplog))


def test_m5_forged_signature_is_refused_and_nothing_is_stored(desk, server, waiting, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    before = snapshot(waiting.txn)
    body, headers = FakeCard.webhook("evt_2", waiting.txn, "cs_1", "processed", secret="not-the-secret")
    status, reply = post(f"{server}/webhooks/fakecard", body, headers)
    assert (status, reply) == (400, {"error": "rejected"})
    unsigned = {"Content-Type": "application/json"}
    assert post(f"{server}/webhooks/fakecard", body, unsigned)[0] == 400
    assert snapshot(waiting.txn) == before and WebhookInbox.select().count() == 0
    logged = messages(caplog)
    assert len(logged) == 2 and all("rejected" in m and "signature" in m for m in logged)
    assert "not-the-secret" not in caplog.text


def test_m5_event_for_an_unknown_order_is_ignored_and_logged(desk, server, waiting, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    before = snapshot(waiting.txn)
    body, headers = FakeCard.webhook("evt_3", "99999999999999999", "cs_9", "processed", 100)
    status, reply = post(f"{server}/webhooks/fakecard", body, headers)
    assert (status, reply["status"]) == (200, "ignored")
    assert snapshot(waiting.txn) == before
    assert WebhookInbox.get().state == "ignored"
    assert any("ignored" in m and "99999999999999999" in m for m in messages(caplog))


def test_m5_event_not_about_an_order_is_ignored(desk, server, waiting, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    body, headers = FakeCard.webhook("evt_4", None, None, None)
    assert post(f"{server}/webhooks/fakecard", body, headers) == (200, {"status": "ignored", "order": None,
                                                                       "order_state": None})
    assert any("names no order" in m for m in messages(caplog))


def test_m5_declined_event_fails_the_order_via_the_latest_attempt(desk, server, waiting):
    # The event names a reference the attempt never recorded: the order's latest fakecard attempt is used.
    body, headers = FakeCard.webhook("evt_5", waiting.txn, "cs_other", "error")
    status, reply = post(f"{server}/webhooks/fakecard", body, headers)
    assert (status, reply["order_state"]) == (200, "failed")
    assert snapshot(waiting.txn)[:2] == ("failed", ["failed"])


def test_m5_unknown_method_and_wrong_verb(desk, server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    body, headers = FakeCard.webhook("evt_6", None, None, None)
    assert post(f"{server}/webhooks/nosuch", body, headers)[0] == 404
    assert post(f"{server}/webhooks/fakecard", b"", {}, method="GET")[0] == 405
    assert post(f"{server}/elsewhere", body, headers)[0] == 404
    assert WebhookInbox.select().count() == 0
    assert any("nosuch" in m for m in messages(caplog))


def test_m5_headers_reach_the_plugin_lower_cased(desk):
    from smartpay.app.webhook_server import headers_of
    assert headers_of({"HTTP_STRIPE_SIGNATURE": "t=1,v1=x", "CONTENT_TYPE": "application/json",
                       "HTTP_PAYPAL_TRANSMISSION_ID": "abc", "PATH_INFO": "/"}) == {
        "stripe-signature": "t=1,v1=x", "content-type": "application/json", "paypal-transmission-id": "abc"}


# -- a foreign event's long txn is ignored, not a database error -----------------------------------------
def test_m5_webhook_with_a_foreign_long_txn_is_ignored(world_of):
    core, _ = world_of("stripe")
    event = WebhookEvent(event_id="evt_foreign", type="checkout.session.completed",
                         txn="order-from-another-app-on-this-stripe-account-1234567890", provider_ref="cs_x",
                         result=None)
    receipt = core.webhook_inbox.receive("stripe", event)
    assert receipt.outcome == "ignored"
    row = WebhookInbox.get(WebhookInbox.event_id == "evt_foreign")
    assert row.txn is None and row.state == "ignored"
    assert core.webhook_inbox.receive("stripe", event).outcome == "replay"
