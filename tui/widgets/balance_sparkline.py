"""Available credit with a sparkline of the balance after each ledger entry, oldest to newest."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Sparkline

from .tcss_file import beside


class BalanceSparkline(Horizontal):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)

    def compose(self) -> ComposeResult:
        yield Label("Available Credit: --", id="available-credit")
        spark = Sparkline([], id="balance-sparkline")
        spark.tooltip = "Balance after each entry, oldest to newest"
        yield spark

    def show(self, balance: int, series: list[int]) -> None:
        self.query_one("#available-credit", Label).update(f"Available Credit: [b]{balance:,}[/b]")
        spark = self.query_one("#balance-sparkline", Sparkline)
        # A single point draws nothing useful; repeat it so it shows as a flat line.
        spark.data = series if len(series) > 1 else (series or [0]) * 2
