"""A VirtualTable whose rows can be checked (the wizard's target sites), for 10,000 rows and more.

The check marks are not stored in the rows: each row has a key, the checked keys are a set, and
the mark is computed when the line is drawn. So "select all" is one set operation and a repaint
of the visible lines, never a widget or a row rebuilt per site; filtering keeps the checks.

Space toggles the highlighted row, ctrl+a checks (or unchecks) every row the filter shows, and a
click in the check column toggles that row. Every change posts `CheckTable.Changed`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

from rich.cells import cell_len
from textual.binding import Binding
from textual.events import Click
from textual.message import Message

from .virtual_table import MAX_COLUMN, VirtualTable

CHECKED, UNCHECKED = "[x]", "[ ]"


class CheckTable(VirtualTable):
    BINDINGS = [
        Binding("space", "toggle", "Check", id="check_table.toggle", tooltip="Check or uncheck the highlighted row"),
        Binding("ctrl+a", "toggle_all", "All", id="check_table.all",
                tooltip="Check every row shown (uncheck them if all are checked)"),
    ]

    @dataclass
    class Changed(Message):
        table: "CheckTable"

        @property
        def control(self) -> "CheckTable":
            return self.table

    def __init__(self, columns: Sequence[str], *, checked: set | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(("", *columns), id=id, classes=classes)
        self.checked: set = checked if checked is not None else set()
        self.keys: list[Hashable] = []          # keys of the rows shown (parallel to self.rows)
        self.all_rows: list[tuple[str, ...]] = []
        self.all_keys: list[Hashable] = []
        self._haystacks: list[str] = []
        self._all_widths: list[int] = []
        self.filter_text = ""

    # -- data --------------------------------------------------------------------------------
    def set_data(self, keys: Sequence[Hashable], rows: list[tuple[str, ...]]) -> None:
        """All rows (with their keys); the current filter applies; checks of keys that are gone
        are dropped."""
        self.all_keys, self.all_rows = list(keys), rows
        self._haystacks = [" ".join(row).casefold() for row in rows]
        self._all_widths = self.measure(rows)
        present = set(self.all_keys)
        self.checked.intersection_update(present)
        self.apply_filter(self.filter_text)

    def measure(self, rows: list[tuple[str, ...]]) -> list[int]:
        widths = [3] + [cell_len(c) for c in self.columns[1:]]
        for row in rows:
            for i, cell in enumerate(row, start=1):
                if len(cell) > widths[i]:
                    widths[i] = min(max(widths[i], cell_len(cell)), MAX_COLUMN)
        return widths

    def apply_filter(self, text: str) -> None:
        """Show the rows whose text contains `text` (case-insensitive); checks are kept."""
        self.filter_text = text
        needle = text.strip().casefold()
        if not needle:
            keys, rows = self.all_keys, self.all_rows
        else:
            picked = [i for i, hay in enumerate(self._haystacks) if needle in hay]
            keys = [self.all_keys[i] for i in picked]
            rows = [self.all_rows[i] for i in picked]
        self.keys = keys
        self.set_rows(rows, widths=self._all_widths or None)

    def row_cells(self, index: int) -> Sequence[str]:
        return (CHECKED if self.keys[index] in self.checked else UNCHECKED, *self.rows[index])

    # -- checking ----------------------------------------------------------------------------
    @property
    def all_checked(self) -> bool:
        return bool(self.all_keys) and len(self.checked) == len(self.all_keys)

    def set_checked(self, keys) -> None:
        self.checked.clear()
        self.checked.update(k for k in keys if k in set(self.all_keys))
        self._changed()

    def toggle_key(self, key: Hashable) -> None:
        if key in self.checked:
            self.checked.discard(key)
        else:
            self.checked.add(key)
        self._changed()

    def action_toggle(self) -> None:
        if self.keys:
            self.toggle_key(self.keys[self.cursor_row])

    def action_toggle_all(self) -> None:
        shown = self.keys
        if not shown:
            return
        if len(shown) == len(self.all_keys):  # no filter: one set operation
            if self.all_checked:
                self.checked.clear()
            else:
                self.checked.update(self.all_keys)
        elif all(k in self.checked for k in shown):
            self.checked.difference_update(shown)
        else:
            self.checked.update(shown)
        self._changed()

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.Changed(self))

    def on_click(self, event: Click) -> None:
        super().on_click(event)
        index = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows) and self.scroll_offset.x + event.x < 5:
            self.toggle_key(self.keys[index])
