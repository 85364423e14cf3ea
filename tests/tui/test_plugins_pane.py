"""Plugins: loaded payment plugins with version, methods, capabilities and hooks, and the
skipped ones with the reason."""
from __future__ import annotations

import pytest
from shell_helpers import open_section
from textual.widgets import DataTable

from smartpay.core.plugin_host import PluginHost
from smartpay.core.plugin_host.hookspecs import hookimpl
from smartpay.tui.app import SmartpayApp


class BrokenPlugin:
    """A third-party plugin whose registration fails: it must be skipped, not fatal."""

    __name__ = "broken_plugin"

    @staticmethod
    @hookimpl
    def register_payment_methods(register, config):
        raise RuntimeError("no API key configured")


def cells(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.asyncio
async def test_plugins_lists_loaded_and_skipped(session_for):
    session = session_for("inst_credit")
    session.core.plugins = PluginHost(disabled=["paypal_pay"], extra_plugins=[("broken", BrokenPlugin())])
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_section(pilot, "plugins")
        loaded = {row[0]: row for row in cells(pane.query_one("#plugins-table", DataTable))}
        assert set(loaded) == {"coupon_pay", "credit_pay", "stripe_pay"}
        assert "credit" in loaded["credit_pay"][2] and "Credit grant" in loaded["credit_pay"][3]
        assert loaded["stripe_pay"][1] == "0.1.0"
        assert "register_payment_methods" in loaded["stripe_pay"][4]
        skipped = {row[0]: row[1] for row in cells(pane.query_one("#skipped-table", DataTable))}
        assert skipped["paypal_pay"] == "disabled by SMARTPAY_DISABLE_PLUGINS"
        assert skipped["broken"].startswith("register_payment_methods failed: RuntimeError: no API key")
