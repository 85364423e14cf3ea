"""A read-only table that draws only the lines on screen (Textual's line API), for lists of
tens of thousands of rows: replacing its rows is a list assignment, never a widget or a cell
measurement per row, so filtering 10,000 installers repaints at once.

Rows are tuples of strings. Column widths are fixed when rows are set (the longest cell, up to
a cap), so scrolling never re-measures. The cursor moves with the arrow keys, Page Up/Down,
Home/End and the mouse; Enter (or a click on the highlighted row) posts `RowSelected`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

MAX_COLUMN = 48  # wider cells are cut with "…"; the full value is in the row's modal


def _fit(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out, used = [], 0
    for ch in text:
        if used + cell_len(ch) > width - 1:
            break
        out.append(ch)
        used += cell_len(ch)
    return "".join(out) + "…" + " " * (width - 1 - used)


class VirtualTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"virtual-table--header", "virtual-table--cursor", "virtual-table--even"}
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--even { background: $surface-lighten-1; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-blurred-background; }
    VirtualTable:focus > .virtual-table--cursor { background: $block-cursor-background;
                                                  color: $block-cursor-foreground; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)

    @dataclass
    class RowSelected(Message):
        table: "VirtualTable"
        cursor_row: int

        @property
        def control(self) -> "VirtualTable":
            return self.table

    def __init__(self, columns: Sequence[str], *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = tuple(columns)
        self.rows: list[tuple[str, ...]] = []
        self.widths = [cell_len(c) for c in self.columns]

    # -- data ------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    def get_row_at(self, index: int) -> tuple[str, ...]:
        return self.rows[index]

    def row_cells(self, index: int) -> Sequence[str]:
        """The cells drawn for row `index` (subclasses may add computed cells, e.g. a check mark)."""
        return self.rows[index]

    def set_rows(self, rows: list[tuple[str, ...]], widths: Sequence[int] | None = None) -> None:
        """Show `rows` (kept by reference). `widths` (per column) skips measuring — pass them when
        refilling a filtered subset so the columns don't jump."""
        self.rows = rows
        self.widths = list(widths) if widths is not None else self.measure(rows)
        self.virtual_size = Size(self.total_width, len(rows) + 1)
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self.refresh()

    def measure(self, rows: list[tuple[str, ...]]) -> list[int]:
        widths = [cell_len(c) for c in self.columns]
        for row in rows:
            for i, cell in enumerate(row):
                if len(cell) > widths[i]:  # len() first: cheap, and exact for the usual ASCII
                    widths[i] = min(max(widths[i], cell_len(cell)), MAX_COLUMN)
        return widths

    @property
    def total_width(self) -> int:
        return sum(w + 2 for w in self.widths)

    # -- drawing ---------------------------------------------------------------------------
    def _line_text(self, cells: Sequence[str]) -> str:
        return "".join(f" {_fit(str(cell), width)} " for cell, width in zip(cells, self.widths))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            style = self.get_component_rich_style("virtual-table--header")
            text = self._line_text(self.columns)
        else:
            index = scroll_y + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, self.rich_style)
            text = self._line_text(self.row_cells(index))
            if index == self.cursor_row:
                style = self.get_component_rich_style("virtual-table--cursor")
            elif index % 2:
                style = self.get_component_rich_style("virtual-table--even")
            else:
                style = self.rich_style
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, style)

    # -- the cursor ------------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        self._keep_cursor_visible()
        self.refresh()

    def _keep_cursor_visible(self) -> None:
        visible = max(self.size.height - 1, 1)  # minus the header line
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def move_cursor(self, row: int) -> None:
        if self.rows:
            self.cursor_row = max(0, min(row, len(self.rows) - 1))

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(self.size.height - 2, 1))

    def action_jump(self, where: int) -> None:
        self.move_cursor(where if where >= 0 else len(self.rows) - 1)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.RowSelected(self, self.cursor_row))

    def on_click(self, event: Click) -> None:
        if event.y < 1:
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self.rows):
            if index == self.cursor_row and event.chain > 1:
                self.action_select()
            self.cursor_row = index
