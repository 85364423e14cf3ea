"""Small layout pieces the wizard's steps share: a labelled row that fits 80 columns."""
from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


def labelled(label: str, *widgets: Widget, id: str | None = None) -> Horizontal:
    """`label` in a fixed-width column, then the widgets, on one row."""
    return Horizontal(Label(label, classes="wiz-label"), *widgets, classes="wiz-row", id=id)
