"""Over SSH, "login<Tab>password<Enter>" often arrives in one packet. Every key must land in
the field that has the focus *after* the keys before it were handled."""
from textual import events

from smartpay.app import demo
from smartpay.tui.app import SmartpayApp


def _burst(app, text: str) -> None:
    """Post every key at once, as a terminal read of one packet does, without waiting between."""
    for ch in text:
        key = {"\t": "tab", "\r": "enter"}.get(ch, ch)
        app.post_message(events.Key(key, ch if ch not in "\t\r" else None))


async def test_keys_typed_ahead_of_a_tab_go_to_the_next_field(demo_core):
    app = SmartpayApp(demo_core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        _burst(app, f"aktest\t{demo.DEMO_PASSWORD}")
        await pilot.pause(0.3)
        assert app.screen.query_one("#login-name").value == "aktest"
        assert app.screen.query_one("#login-password").value == demo.DEMO_PASSWORD
