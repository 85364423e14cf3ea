"""A QR code drawn with half-block characters, so an operator on SSH can scan a hosted payment
page with a phone. Two modules share one cell (upper/lower half), dark on light with a quiet
zone, which phone cameras read off a terminal reliably."""
from __future__ import annotations

import segno
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

_INK = Style(color="black", bgcolor="white")
_GLYPH = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_rows(data: str, border: int = 2) -> list[str]:
    """The text lines of the QR code for `data` (error correction M)."""
    matrix = [list(map(bool, row)) for row in segno.make(data, error="m").matrix_iter(scale=1, border=border)]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    return ["".join(_GLYPH[(top, bottom)] for top, bottom in zip(upper, lower))
            for upper, lower in zip(matrix[0::2], matrix[1::2])]


class QRCode(Widget):
    DEFAULT_CSS = """
    QRCode { width: auto; height: auto; }
    """

    def __init__(self, data: str, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._rows = qr_rows(data)

    def get_content_width(self, container, viewport) -> int:
        return len(self._rows[0])

    def get_content_height(self, container, viewport, width) -> int:
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        if y >= len(self._rows):
            return Strip.blank(self.size.width)
        return Strip([Segment(self._rows[y], _INK)])
