"""The hooks a smartpay plugin may implement. Every hook is documented here; a test fails when
one is not (and when docs/plugins.md does not describe it)."""
from __future__ import annotations

import pluggy

PROJECT = "smartpay"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_payment_methods(register, config):
    """Register payment methods by calling `register(method)` with PaymentMethod instances; `config(key)` returns that method's settings."""


@hookspec
def veto_payment_method(method, context):
    """Return a reason (str) to forbid `method` for this PaymentContext, or None to allow it."""


@hookspec
def register_commands(cli):
    """Add the plugin's own commands to `smartpay` with click: `@cli.command()` / `@cli.group()` (loaded only when such a command is run or listed)."""


@hookspec
def order_completed(order):
    """Called after an order was paid and its effects applied, with the OrderView; for notices, not for changes."""
