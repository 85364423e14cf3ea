"""The QR code and the payment-window countdown used by the pending-order screen."""
import datetime as dt

import segno
from textual.app import App, ComposeResult

from smartpay.tui.widgets.countdown import Countdown, remaining_text
from smartpay.tui.widgets.qr_code import QRCode, qr_rows
from support import NOW

URL = "http://127.0.0.1:8765/c/pay/cs_test_a1b2c3"


def test_qr_rows_pack_two_modules_per_cell_and_round_trip_the_matrix():
    rows = qr_rows(URL, border=2)
    matrix = [list(map(bool, r)) for r in segno.make(URL, error="m").matrix_iter(scale=1, border=2)]
    assert len(rows) == (len(matrix) + 1) // 2
    assert all(len(r) == len(matrix[0]) for r in rows)
    # Decode the glyphs back into modules: the drawing is exactly the QR matrix.
    back = []
    for row in rows:
        back.append([c in "█▀" for c in row])
        back.append([c in "█▄" for c in row])
    assert back[:len(matrix)] == matrix


def test_remaining_text_counts_down_and_stops_at_zero():
    deadline = NOW + dt.timedelta(minutes=15)
    assert remaining_text(deadline, NOW + dt.timedelta(seconds=3)) == "14:57"
    assert remaining_text(deadline, deadline + dt.timedelta(seconds=5)) == "00:00"


class _Harness(App):
    def __init__(self, now):
        super().__init__()
        self.now_value = now
        self.expired = 0

    def compose(self) -> ComposeResult:
        yield Countdown(NOW + dt.timedelta(minutes=15), lambda: self.now_value, id="countdown")
        yield QRCode(URL, id="qr")

    def on_countdown_expired(self, _message) -> None:
        self.expired += 1


async def test_countdown_shows_the_window_and_announces_expiry_once():
    app = _Harness(NOW + dt.timedelta(seconds=3))
    async with app.run_test(size=(80, 24)) as pilot:
        countdown = app.query_one("#countdown", Countdown)
        assert "Please complete the payment in 14:57" in str(countdown.render())
        app.now_value = NOW + dt.timedelta(minutes=16)
        countdown._tick()
        countdown._tick()
        await pilot.pause()
        assert "00:00" in str(countdown.render())
        assert app.expired == 1
        qr = app.query_one("#qr", QRCode)
        assert (qr.size.width, qr.size.height) == (len(qr_rows(URL)[0]), len(qr_rows(URL)))
