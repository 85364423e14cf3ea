"""Plugins: the payment plugins the desk loaded (name, version, methods, capabilities, hooks)
and the ones it skipped, with why. Loading plugins imports third-party code (SDKs), so it runs
in a thread worker, never at start-up."""
from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label

from smartpay.core.domain import Grant

from ..widgets.pane import SectionPane
from ..workers import core_work


@dataclass(frozen=True)
class PluginRow:
    name: str
    version: str
    methods: str
    capabilities: str
    hooks: str


def capabilities_of(method) -> str:
    """A method's declared capabilities, in the words an operator reads on the payment page."""
    caps = [{Grant.REGULAR: f"{Grant.REGULAR.label} grant", Grant.CREDIT: "Credit grant"}.get(method.family,
                                                                                             method.family.value)]
    if method.supports_auto_renew:
        caps.append("auto-renew")
    if method.partial_tender:
        caps.append("partial")
    if method.settled_by_operator:
        caps.append("settled by operator")
    if method.settles_in_core:
        caps.append("settles in core")
    if method.currencies:
        caps.append("/".join(sorted(method.currencies)))
    return ", ".join(caps)


def plugin_rows(host) -> tuple[list[PluginRow], list[tuple[str, str]]]:
    methods = {m.key: m for m in host.methods()}
    rows = []
    for info in host.plugins():
        mine = [methods[k] for k in info.methods if k in methods]
        rows.append(PluginRow(info.name, info.version, ", ".join(f"{m.label} ({m.key})" for m in mine) or "—",
                              "; ".join(capabilities_of(m) for m in mine) or "—", ", ".join(info.hooks) or "—"))
    return rows, [(s.name, s.reason) for s in host.skipped()]


class PluginsPane(SectionPane):
    PALETTE = (("Reload plugins list", "Show the loaded and skipped payment plugins again", "reload"),)
    BINDINGS = [Binding("ctrl+r", "reload", "Reload", id="plugins.reload", tooltip="Read the plugin list again")]

    def compose(self) -> ComposeResult:
        yield Label("Plugins", classes="pane-title")
        yield DataTable(id="plugins-table", cursor_type="row", zebra_stripes=True)
        yield Label("Skipped", classes="pane-title", id="skipped-title")
        yield DataTable(id="skipped-table", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#plugins-table", DataTable).add_columns("Plugin", "Version", "Methods", "Capabilities",
                                                                "Hooks")
        self.query_one("#skipped-table", DataTable).add_columns("Plugin", "Why")
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one("#plugins-table").loading = True
        self._load()

    @core_work(group="plugins-load", done="_loaded", refused="_load_refused")
    def _load(self) -> tuple[list[PluginRow], list[tuple[str, str]]]:
        return plugin_rows(self.core.plugins)

    def _load_refused(self, error) -> None:
        self.report(error)
        self._loaded(([], []))

    def _loaded(self, rows: tuple[list[PluginRow], list[tuple[str, str]]]) -> None:
        loaded, skipped = rows
        table = self.query_one("#plugins-table", DataTable)
        table.loading = False
        table.clear()
        table.add_rows([(r.name, r.version, r.methods, r.capabilities, r.hooks) for r in loaded])
        skipped_table = self.query_one("#skipped-table", DataTable)
        skipped_table.clear()
        skipped_table.add_rows(skipped or [("—", "no plugin was skipped")])
        self.query_one("#skipped-title", Label).update(f"Skipped ({len(skipped)})")
