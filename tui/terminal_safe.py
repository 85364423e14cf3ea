"""R14 in the TUI: one line filter through which every line the app draws passes (Textual applies
the app's line filters to every widget's lines), so text that came from the database — a table
cell, a label, a message — reaches the terminal with its control characters and direction
overrides shown as visible escapes (`\\x1b`), whichever screen draws it. Central on purpose:
screens change often; this does not depend on each of them remembering to escape."""
from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from smartpay.core.terminal_text import UNSAFE, visible


class TerminalSafe(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(not s.control and UNSAFE.search(s.text) for s in segments):
            return segments  # the usual case: nothing to do, nothing copied
        width = sum(cell_len(s.text) for s in segments if not s.control)
        escaped = [s if s.control else Segment(visible(s.text), s.style) for s in segments]
        # An escape is wider than the (zero-width) character it shows: keep the line its laid-out
        # width, dropping trailing cells (usually padding) rather than spilling into a neighbour.
        return list(Segment.adjust_line_length(escaped, width))


def markup_text(value: object) -> str:
    """`value` as literal text inside Textual markup: escaped for the terminal (R14) and every
    `[` escaped. rich.markup.escape is not enough for Textual's parser: it leaves "[2J" alone,
    and a stored "Acme [2J" then breaks the whole markup string (MarkupError) — one hostile
    company name would blank a screen."""
    return visible(str(value)).replace("[", "\\[")
